"""The Celery application; task modules live in the apps and stay thin wrappers over services."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_portal.settings.base")

app = Celery("csm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["onboarding.plan"])  # the plan's daily job (L1)

app.conf.beat_schedule = {
    "contracts-daily": {
        "task": "contracts.tasks.contracts_run_daily",
        "schedule": crontab(hour=1, minute=30),
    },
    "contracts-idempotency-keys-purge": {
        "task": "contracts.tasks.idempotency_keys_purge",
        "schedule": crontab(hour=2, minute=10),
    },
    "onboarding-plans-daily": {
        "task": "onboarding.plans_run_daily",
        "schedule": crontab(hour=2, minute=30),
    },
    "tickets-poll-mailboxes": {"task": "tickets.poll_mailboxes", "schedule": 60.0},
    "tickets-check-sla": {"task": "tickets.check_sla", "schedule": 60.0},
    "accounts-security-events-purge": {
        "task": "accounts.security_events_purge",
        "schedule": crontab(hour=2, minute=15),
    },
    # Issue 15: the cockpit's stored ranking of every customer (accounts.health_snapshots).
    "accounts-health-snapshots-refresh": {
        "task": "accounts.health_snapshots_refresh",
        "schedule": 60.0,
    },
    "worker-heartbeat": {
        "task": "accounts.tasks.worker_heartbeat",
        "schedule": 60.0,
    },
}
