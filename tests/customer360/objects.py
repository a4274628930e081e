"""Touchpoints of every kind for a tenant, made directly (the services that make them are tested
in their own apps; here only what the customer-360 reads of them matters)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from activities.models import Activity, ActivityRequest, UsageWarning
from contracts import services as contract_services
from contracts.models import CancellationNotice, Contract, ExpiryWarning
from onboarding.models import Meeting
from tests.conftest import Tenant
from tickets.models import Ticket, TicketMessage

_numbers = iter(range(10_000_000, 99_999_999))


def add_touchpoints(tenant: Tenant, *, copies: int = 1, label: str = "") -> None:
    """``copies`` of each kind of touchpoint (charges, tickets opened and replied, an
    acknowledgement, a meeting, warnings, a request) and one cancellation notice."""
    organisation = tenant.organisation
    now = timezone.now()
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        kickoff = Activity.objects.get(is_kickoff=True)
        for n in range(copies):
            contract_services.ledger_charge(
                licence_year=year,
                hours=Decimal("0.5"),
                description=f"{label}charge {n}",
                occurred_on=year.starts_on,
                by=None,
            )
            ticket = Ticket.objects.create(
                organisation=organisation,
                number=f"T{next(_numbers)}",
                subject=f"{label}ticket {n}",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                status=Ticket.Status.OPEN,
                requester=tenant.referent,
                requester_email=tenant.referent.email,
                created_at=now - timedelta(minutes=n),
            )
            for direction in (TicketMessage.Direction.AUTO, TicketMessage.Direction.OUTBOUND):
                TicketMessage.objects.create(
                    ticket=ticket, organisation=organisation, direction=direction, body_text="ok"
                )
            Meeting.objects.create(
                organisation=organisation,
                kind=Meeting.Kind.OTHER,
                title=f"{label}meeting {n}",
                scheduled_at=now - timedelta(days=1, minutes=n),
            )
            ActivityRequest.objects.create(
                organisation=organisation,
                contract=tenant.contract,
                activity=kickoff,
                status=ActivityRequest.Status.REQUESTED,
                channel=ActivityRequest.Channel.PORTAL,
                details=f"{label}request {n}",
                minimum_hours=kickoff.minimum_hours,
                requested_by=tenant.referent,
            )
        UsageWarning.objects.get_or_create(licence_year=year, organisation=organisation, percent=80)
        ExpiryWarning.objects.get_or_create(
            contract=tenant.contract, organisation=organisation, days_before=60
        )
        CancellationNotice.objects.get_or_create(
            contract=tenant.contract,
            organisation=organisation,
            defaults={"notice_on": timezone.localdate(), "reason": f"{label}budget cut"},
        )
        Contract.objects.filter(pk=tenant.contract.pk).update(activated_at=now - timedelta(days=5))
