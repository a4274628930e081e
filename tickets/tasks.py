from celery import shared_task
from django_scopes import scopes_disabled


@shared_task(name="tickets.poll_mailboxes", ignore_result=True)
def poll_mailboxes() -> list[dict]:
    """Every minute (SPEC L2): new messages of every active mailbox become tickets."""
    from dataclasses import asdict

    from tickets.mailbox import poll_all

    with scopes_disabled():
        return [asdict(report) for report in poll_all()]


@shared_task(name="tickets.check_sla", ignore_result=True)
def check_sla() -> int:
    """Every minute (SPEC L2): warn before and at breach, once each."""
    from tickets.clock import warn_due

    with scopes_disabled():
        return warn_due()
