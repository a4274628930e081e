"""Celery task of the onboarding plan: a thin wrapper over the daily service (SPEC L1, L4)."""

from celery import shared_task

from onboarding.plan import services


@shared_task(acks_late=True, name="onboarding.plans_run_daily")
def plans_run_daily() -> dict:
    report = services.plans_run_daily()
    return {
        "plans_created": report.plans_created,
        "flagged": report.flagged,
        "warnings_sent": report.warnings_sent,
    }
