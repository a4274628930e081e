"""The SLA check in N workers at once (SPEC L2, L4; issue 15 scale-out): beat sends
``tickets.check_sla`` every minute and several workers may run it at the same time (a late run
overlapping the next, two workers after a redelivery). Each warning must still go exactly once."""

import threading
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.factories import person
from tests.tickets.conftest import authenticated
from tickets import ingest
from tickets.clock import warn_due
from tickets.models import SlaWarning, Ticket

pytestmark = pytest.mark.django_db(transaction=True)
ROME = ZoneInfo("Europe/Rome")
WORKERS = 4
TICKETS = 12


def test_l4_the_sla_check_run_by_four_workers_at_once_sends_each_warning_exactly_once(
    box, tenant_a, agent, provider_org
):
    """SPEC L2, L4: four threads, each with its own PostgreSQL connection, run ``warn_due`` at
    the same instant over the same twelve tickets due for a warning. Every ticket gets one
    warning row, the returned counts add up to twelve, and the owner and the L2 lead each get
    each ticket's mail once: the unique warning row decides who sends, not luck."""
    lead = person(provider_org, Role.AGENT, level=AgentLevel.L2, email="lead@provider.example")
    numbers = []
    for index in range(TICKETS):
        raw = (
            authenticated("user@alfa.example").encode()
            + (
                f"From: user@alfa.example\r\nSubject: Errore {index}\r\n"
                f"Message-ID: <concurrent-{index}@x>\r\n"
                "Content-Type: text/plain\r\n\r\nNon funziona.\r\n"
            ).encode()
        )
        inbound, _ = ingest.ingest(box, raw)
        with scopes_disabled():
            Ticket.objects.filter(pk=inbound.ticket_id).update(
                owner=agent,
                first_response_at=datetime(2026, 11, 23, 9, 5, tzinfo=ROME),
                resolution_due=datetime(2026, 11, 23, 13, 0, tzinfo=ROME),
                resolution_warn_at=datetime(2026, 11, 23, 12, 0, tzinfo=ROME),
            )
            numbers.append(Ticket.objects.get(pk=inbound.ticket_id).number)
    mail.outbox.clear()
    now = datetime(2026, 11, 23, 12, 30, tzinfo=ROME)
    start = threading.Barrier(WORKERS)
    sent: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            with scopes_disabled():
                sent.append(warn_due(now=now))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(sent) == WORKERS
    assert sum(sent) == TICKETS
    with scopes_disabled():
        assert SlaWarning.objects.count() == TICKETS
        assert set(SlaWarning.objects.values_list("target", "stage")) == {("resolution", "before")}
    mails = Counter(
        (number, message.to[0])
        for message in mail.outbox
        for number in numbers
        if number in message.subject
    )
    assert mails == Counter(
        {(number, who): 1 for number in numbers for who in (agent.email, lead.email)}
    )
    assert len(mail.outbox) == 2 * TICKETS
