"""Celery tasks of accounts: thin wrappers (STYLE: tasks carry ids and call services)."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from accounts import services

HEARTBEAT_CACHE_KEY = "csm:worker-heartbeat"


@shared_task
def worker_heartbeat() -> str:
    """Beat runs this every minute; the admin home shows when the worker was last seen."""
    now = timezone.now()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now.isoformat()


@shared_task(name="accounts.health_snapshots_refresh")
def health_snapshots_refresh() -> int:
    """Every minute: the cockpit's stored ranking of every customer (issue 15)."""
    from accounts.health_snapshots import snapshots_refresh

    return snapshots_refresh()


@shared_task(name="accounts.security_events_purge")
def security_events_purge() -> int:
    """Daily: delete security events older than their retention (SECURITY_EVENT_RETENTION_DAYS)."""
    return services.security_events_purge()
