from celery import shared_task
from celery.signals import worker_init
from django_scopes import scopes_disabled


@worker_init.connect
def warm_up_mail(**kwargs) -> None:
    """A worker loads what polling needs before its first poll (issue 15); a prefork pool's
    children inherit it."""
    import logging

    from tickets.mailbox import warm_up

    try:
        warm_up()
    except Exception:  # never a reason not to start: the first poll loads it instead
        logging.getLogger(__name__).exception("mail warm-up failed")


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
