"""Celery tasks of contracts: thin wrappers over contracts.lifecycle (SPEC L1, L3, L4)."""

from celery import shared_task

from contracts import cockpit, lifecycle, services


@shared_task(acks_late=True)
def contracts_run_daily() -> dict:
    report = lifecycle.run_daily()
    result = {
        "transitions": report.transitions,
        "warnings_sent": report.warnings_sent,
        "years_lapsed": report.years_lapsed,
        "access_changed": report.access_changed,
        "organisations_deleted": report.organisations_deleted,
    }
    cockpit.daily_run_recorded(result)  # the admin's home shows when it last finished
    return result


@shared_task(acks_late=True)
def idempotency_keys_purge() -> int:
    """Daily: forget the keys of writes done more than 24 hours ago (SPEC L5)."""
    return services.idempotency_keys_purge()
