"""SPEC L3 at scale (issue 15): the day-90 deletion works by batched statements, so the number
of statements it runs does not grow with an organisation's rows or files (the timing itself
belongs to ``make bench``, scripts/bench_jobs.py)."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from contracts import lifecycle
from contracts.models import DeletionRecord
from tests.conftest import make_tenant
from tickets.models import Attachment, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db(transaction=True)


def tenant_with_tickets(name: str, tickets: int):
    """A customer with ``tickets`` tickets, each with a message, an event and an attachment
    whose file is stored through the storage API."""
    tenant = make_tenant(f"{name} S.p.A.", f"{name.lower()}.example")
    organisation = tenant.organisation
    with scopes_disabled():
        made = Ticket.objects.bulk_create(
            Ticket(
                organisation=organisation,
                number=f"{name[:4]}-{n}",
                subject=f"Errore {n}",
                type="incident",
                requester_email=tenant.referent.email,
            )
            for n in range(tickets)
        )
        TicketMessage.objects.bulk_create(
            TicketMessage(
                ticket=t, organisation=organisation, direction="in", body_text="Non funziona."
            )
            for t in made
        )
        TicketEvent.objects.bulk_create(
            TicketEvent(ticket=t, organisation=organisation, kind="opened") for t in made
        )
        attachments = []
        for n, ticket in enumerate(made):
            attachment = Attachment(
                organisation=organisation,
                ticket=ticket,
                filename=f"log-{n}.txt",
                content_type="text/plain",
                size=4,
            )
            attachment.file.save(f"log-{n}.txt", ContentFile(b"log\n"), save=False)
            attachments.append(attachment)
        Attachment.objects.bulk_create(attachments)
    return tenant, [a.file.name for a in attachments]


def statements_to_delete(organisation_id: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert lifecycle.organisation_delete_data(organisation_id=organisation_id, job="test")
    return len(captured)


def test_l3_day_90_deletion_runs_as_many_statements_for_200_tickets_as_for_10(settings, tmp_path):
    """SPEC L3, issue 15: deleting a customer with 200 tickets (each with a message, an event
    and a stored file) runs exactly as many statements as one with 10: rows go by statements
    over batches and files are forgotten in one statement, nothing per row or per file; and
    every row and file of both is gone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    warm, _ = tenant_with_tickets("Riscaldamento", 3)
    small, small_files = tenant_with_tickets("Piccola", 10)
    large, large_files = tenant_with_tickets("Grande", 200)
    statements_to_delete(warm.organisation.pk)  # content types and other caches

    few = statements_to_delete(small.organisation.pk)
    many = statements_to_delete(large.organisation.pk)

    assert few == many
    storage = Attachment._meta.get_field("file").storage
    assert not any(storage.exists(name) for name in small_files + large_files)
    with scopes_disabled():
        assert not Ticket.objects.exists() and not TicketMessage.objects.exists()
        record = DeletionRecord.objects.get(organisation_ref=large.organisation.pk)
    assert record.counts["tickets"] == 200 and record.counts["attachments"] == 200
    assert record.counts["ticket_messages"] == 200 and record.counts["ticket_events"] == 200


def test_l3_batched_deletion_keeps_the_collectors_protect_cascade_and_set_null(tenant_a):
    """SPEC L3, H9: deleting by statements keeps what Django's collector did: a charge
    protected by its reversal is refused (ProtectedError, nothing deleted), a person's rows
    that cascade go with them (counted by model), and rows that only point at the person
    (SET_NULL: a ledger entry they recorded) stay with the link cleared."""
    from django.db import transaction
    from django.db.models import ProtectedError

    from accounts.models import Membership, User
    from contracts import services as contract_services
    from contracts.models import LedgerEntry

    with scopes_disabled():
        entry = tenant_a.entry
        contract_services.ledger_reverse(entry=entry, reason="errore", by=tenant_a.referent)
        with pytest.raises(ProtectedError), transaction.atomic():
            lifecycle._delete_rows(LedgerEntry, [entry.pk])
        assert LedgerEntry.objects.filter(pk=entry.pk).exists()
        reversal = LedgerEntry.objects.get(reverses=entry)
        assert reversal.created_by == tenant_a.referent
        with transaction.atomic():
            deleted = lifecycle._delete_rows(User, [tenant_a.referent.pk])
        assert deleted["accounts.User"] == 1 and deleted["accounts.Membership"] == 1
        assert not Membership.objects.filter(user_id=tenant_a.referent.pk).exists()
        reversal.refresh_from_db()
        assert reversal.created_by_id is None
