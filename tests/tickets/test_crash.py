"""SPEC L4: a Celery worker killed in the middle of a mailbox poll loses nothing and doubles
nothing: the next poll finishes the batch, against the real Dovecot and PostgreSQL."""

import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.tickets.conftest import authenticated, count, deliver
from tickets.mailbox import poll
from tickets.models import InboundMessage, Ticket
from tickets.tasks import poll_mailboxes

pytestmark = pytest.mark.django_db(transaction=True)
MESSAGES = 300


def stored() -> int:
    with scopes_disabled():
        return InboundMessage.objects.count()


def test_l4_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    imap_server, mailbox, alfa, celery_worker_process
):
    raws = [
        (
            f"{authenticated('user@alfa.example')}"
            f"From: user@alfa.example\r\nTo: support@csm-test.example\r\n"
            f"Subject: Errore numero {n}\r\nMessage-ID: <crash-{n}@alfa.example>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\nNon funziona ({n}).\r\n"
        ).encode()
        for n in range(MESSAGES)
    ]
    deliver(imap_server, *raws)
    poll_mailboxes.delay()
    deadline = time.monotonic() + 60
    while stored() < 20:  # the worker is in the middle of the batch
        assert time.monotonic() < deadline, "the worker did not start polling"
        time.sleep(0.05)
    celery_worker_process.send_signal(signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    done_before = stored()
    assert 0 < done_before < MESSAGES, "killed too late to prove anything"
    # The dead worker's lease runs out; the next poll (here, five minutes later) resumes.
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=True):
        report = poll(mailbox)
    assert report.new + report.duplicates == report.seen
    assert stored() == MESSAGES
    with scopes_disabled():
        assert Ticket.objects.count() == MESSAGES
        keys = set(InboundMessage.objects.values_list("message_key", flat=True))
    assert keys == {f"<crash-{n}@alfa.example>" for n in range(MESSAGES)}
    assert count(imap_server, "INBOX") == 0
    assert count(imap_server, "Processed") == MESSAGES
    assert poll(mailbox).seen == 0
