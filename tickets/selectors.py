"""Reads of the service desk through the scoped managers (SPEC T1): a referent sees the
organisation's tickets, an end user only their own, agents all."""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Max, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, User
from accounts.roles import Role
from tickets import continuity, kpi
from tickets.models import (
    TIME_AFTER_ALL,
    TIME_BEFORE_ALL,
    Attachment,
    CannedResponse,
    InboundMessage,
    Outage,
    SlaPolicy,
    Ticket,
    TicketMessage,
    ticket_list_key,
)

# The list's default filter: every ticket still being worked. Distinct from the status "open",
# so that status can be filtered on its own.
ACTIVE = "active"
# The "time left" filter of the desk's list.
BREACHING_SOON = "soon"
BREACHED = "breached"


def _running() -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, paused_since__isnull=True)


def _at_risk_not_breached(now: datetime) -> Q:
    """Past the warning instant of a target that still runs (SPEC S5), no target past due: the
    first warning instant and the first deadline among the running targets (the first response
    until there is one, the resolution), stored by PostgreSQL on the ticket (``sla_warn_at``,
    ``sla_due_at``). With the running clocks this is one range of the partial index
    ``ticket_running_sla_due``, nearest deadline first (issue 15)."""
    return Q(sla_due_at__gte=now, sla_warn_at__lte=now)


def _breached(now: datetime) -> Q:
    """A target that still runs is past due (the first response while awaited, or the
    resolution)."""
    return Q(sla_due_at__lt=now)


def breaching_soon(*, now: datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets whose clock runs and has passed the warning instant of their policy ("warn
    before"), not yet breached: nearest deadline first. The instants are stored when the
    deadlines are computed, so no calendar runs per row."""
    now = now or timezone.now()
    return _running().filter(_at_risk_not_breached(now)).order_by(*NEXT_DEADLINE.ordering())


def breached(*, now: datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets whose clock runs and whose running target is past due."""
    now = now or timezone.now()
    return _running().filter(_breached(now))


# The lists' order (SPEC S5: time left): see tickets.models.ticket_list_key, served by the
# ``ticket_list_*`` indexes; the last key is the id, so the order is total.
LIST_ORDER = tuple(key.asc() for key in ticket_list_key())


@dataclass(frozen=True)
class ListOrder:
    """A total order of a ticket list for keyset pages: ascending ``key()`` expressions (some
    instants, then an integer from the id) and the same values read from a loaded ticket."""

    key: Callable[[], tuple]
    values: Callable[[Ticket], tuple]

    def ordering(self, *, descending: bool = False) -> tuple:
        return tuple(k.desc() if descending else k.asc() for k in self.key())


def _deadline_key_of(ticket: Ticket) -> tuple:
    return (
        ticket.paused_since or TIME_BEFORE_ALL,
        ticket.resolution_due or TIME_AFTER_ALL,
        -ticket.pk,
    )


# Every list but "breaching soon": time left (tickets.models.ticket_list_key).
DEADLINE = ListOrder(key=ticket_list_key, values=_deadline_key_of)
# "Breaching soon" (issue 15): the running clocks by their next deadline, the one about to be
# breached first (index ``ticket_running_sla_due``), so a page reads its own rows only.
NEXT_DEADLINE = ListOrder(
    key=lambda: (F("sla_due_at"), F("id")), values=lambda t: (t.sla_due_at, t.pk)
)


def ticket_list_order(*, tenancy, sla: str = "") -> ListOrder:
    """The order ``ticket_list`` returns for these filters (pass it to ``keyset_page``)."""
    if sla == BREACHING_SOON and tenancy.is_provider_staff:
        return NEXT_DEADLINE
    return DEADLINE


def ticket_list(
    *,
    tenancy,
    user,
    search: str = "",
    status: str = ACTIVE,
    level: str = "",
    mine: bool = False,
    sla: str = "",
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """``status``: ``ACTIVE`` for every ticket still being worked (new, open, waiting), a status
    value for that status alone, "" for all. ``sla``: ``BREACHING_SOON`` or ``BREACHED`` for
    the running clocks in that state (provider staff only). Ordered by ``ticket_list_order``
    (``LIST_ORDER`` but for "breaching soon"): page it with ``keyset_page`` and that order."""
    tickets = Ticket.objects.select_related("organisation", "owner")
    if tenancy.role == Role.END_USER:
        tickets = tickets.filter(Q(requester=user) | Q(requester_email__iexact=user.email))
    if status == ACTIVE:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if level:
        tickets = tickets.filter(level=level)
    if mine:
        tickets = tickets.filter(owner=user)
    order = ticket_list_order(tenancy=tenancy, sla=sla)
    if sla in (BREACHING_SOON, BREACHED) and tenancy.is_provider_staff:
        now = now or timezone.now()
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES, paused_since__isnull=True)
        tickets = tickets.filter(
            _at_risk_not_breached(now) if sla == BREACHING_SOON else _breached(now)
        )
    if search:
        tickets = tickets.filter(
            Q(number__icontains=search)
            | Q(subject__icontains=search)
            | Q(organisation__name__icontains=search)
            | Q(requester_email__icontains=search)
        )
    # The list sorts by time left: the nearest deadline first, paused and untimed ones last.
    return tickets.order_by(*order.ordering())


# --------------------------------------------------------------------------- keyset pages


@dataclass
class KeysetPage:
    """One page of a list in ``LIST_ORDER``: its rows and the positions to ask for the pages
    after and before it (None at either end). No count and no OFFSET: a page costs the same
    at the first ticket and at the millionth."""

    rows: list
    after: str | None
    before: str | None


def encode_position(ticket: Ticket, order: ListOrder = DEADLINE) -> str:
    *instants, last = order.values(ticket)
    text = json.dumps([*(instant.isoformat() for instant in instants), last])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_position(position: str, order: ListOrder = DEADLINE) -> tuple:
    """The key a position names; ValueError for anything else (a position is only a place in
    the list: the tenant scope still decides which rows there are)."""
    size = len(order.key())
    try:
        padded = position + "=" * (-len(position) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("not a position")
        *instants, last = values
        key = (*(datetime.fromisoformat(instant) for instant in instants), last)
    except (ValueError, TypeError, UnicodeError, binascii.Error) as error:
        raise ValueError("not a position") from error
    if any(instant.tzinfo is None for instant in key[:-1]) or type(last) is not int:
        raise ValueError("not a position")
    if not -(2**63) < last < 2**63:
        raise ValueError("not a position")
    return key


def keyset_page(
    tickets: QuerySet[Ticket],
    *,
    size: int,
    after: str = "",
    before: str = "",
    order: ListOrder = DEADLINE,
) -> KeysetPage:
    """The ``size`` rows after the position ``after``, or before ``before``, or the first ones:
    one query that reads ``size + 1`` rows of the list's index, in ``order``."""
    key = Tuple(*order.key())
    if before:
        rows = list(
            tickets.filter(TupleLessThan(key, decode_position(before, order))).order_by(
                *order.ordering(descending=True)
            )[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows=rows,
            after=encode_position(rows[-1], order) if rows else before,
            before=encode_position(rows[0], order) if rows and more_before else None,
        )
    if after:
        tickets = tickets.filter(TupleGreaterThan(key, decode_position(after, order)))
    rows = list(tickets.order_by(*order.ordering())[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        after=encode_position(rows[-1], order) if more_after else None,
        # Reached from an earlier page: "previous" reads back from this page's first row.
        before=(encode_position(rows[0], order) if rows else after) if after else None,
    )


def desk_people() -> QuerySet[User]:
    """Who may own a ticket (SPEC S6): active service-desk agents and admins, never a CSTM or a
    deactivated agent. The update form's and the API's choices and the desk's check use it."""
    desk = Membership.objects.with_scopes_disabled().filter(
        role__in=(Role.AGENT, Role.PROVIDER_ADMIN)
    )
    return User.objects.filter(is_active=True, pk__in=desk.values("user"))


def ticket_get(*, tenancy, user, ticket_id: int) -> Ticket:
    tickets = Ticket.objects.select_related(
        "organisation", "owner", "requester", "contract", "linked_to", "activity_request"
    )
    if tenancy.role == Role.END_USER:
        tickets = tickets.filter(Q(requester=user) | Q(requester_email__iexact=user.email))
    return get_object_or_404(tickets, pk=ticket_id)


def conversation(ticket: Ticket, *, staff: bool) -> QuerySet[TicketMessage]:
    """The ticket's messages in order; internal notes only for provider staff."""
    messages = (
        ticket.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return messages if staff else messages.exclude(direction=TicketMessage.Direction.NOTE)


def held_messages() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(outcome=InboundMessage.Outcome.HELD).select_related(
        "organisation", "mailbox"
    )


def failed_messages() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(outcome=InboundMessage.Outcome.FAILED).select_related(
        "mailbox"
    )


def inbound_get(*, inbound_id: int) -> InboundMessage:
    return get_object_or_404(InboundMessage.objects.select_related("organisation"), pk=inbound_id)


def attachment_get(*, tenancy, user, attachment_id: int) -> Attachment:
    attachment = get_object_or_404(
        Attachment.objects.select_related("ticket", "message").exclude(file=""), pk=attachment_id
    )
    if attachment.ticket_id is None and not tenancy.is_provider_staff:
        raise Http404
    # A file attached to an internal note is the desk's: customers never reach it (T1).
    internal = (
        attachment.message is not None
        and attachment.message.direction == TicketMessage.Direction.NOTE
    )
    if internal and not tenancy.is_provider_staff:
        raise Http404
    if attachment.ticket_id is not None:
        ticket_get(tenancy=tenancy, user=user, ticket_id=attachment.ticket_id)
    return attachment


def ticket_attachments(ticket: Ticket, *, staff: bool) -> QuerySet[Attachment]:
    """The ticket's files; those of internal notes only for provider staff."""
    files = ticket.attachments.select_related("message").order_by("pk")
    return files if staff else files.exclude(message__direction=TicketMessage.Direction.NOTE)


def canned_responses() -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(active=True).order_by("title_it", "pk")


def canned_response_get(*, canned_id: int, active_only: bool = True) -> CannedResponse:
    responses = CannedResponse.objects.all()
    if active_only:
        responses = responses.filter(active=True)
    return get_object_or_404(responses, pk=canned_id)


# --------------------------------------------------------------------------- continuity (S9)


def availability_target(organisation) -> Decimal | None:
    """The monthly availability the customer's contract promises: the highest target among the
    incident policies of its latest contract that has any, else among the general ones."""
    policies = SlaPolicy.objects.filter(
        ticket_type=Ticket.Type.INCIDENT, availability_target__isnull=False
    )
    own = (
        policies.filter(contract__organisation=organisation)
        .order_by("-contract__starts_on", "-availability_target")
        .values_list("availability_target", flat=True)
        .first()
    )
    if own is not None:
        return own
    return policies.filter(contract__isnull=True).aggregate(best=Max("availability_target"))["best"]


def monthly_availability(
    organisation, months: int = 6, *, now: datetime | None = None
) -> list[continuity.MonthAvailability]:
    """The customer's availability month by month (the current month and the ``months - 1``
    before it, oldest first) against its contractual target (SPEC S9). Two queries."""
    now = now or timezone.now()
    firsts = continuity.months_back(timezone.localtime(now, continuity.ROME).date(), months)
    since = continuity.month_start(firsts[0])
    outages = Outage.objects.filter(organisation=organisation, started_at__lt=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=since)
    )
    return continuity.availability(
        months=firsts,
        outages=outages.values_list("started_at", "ended_at"),
        now=now,
        target=availability_target(organisation),
    )


def availability_overview(*, months: int = 3, now: datetime | None = None) -> list[dict]:
    """For the KPI page: every customer with an outage in the period, its availability per month
    against its target (customers without outages were available 100 %)."""
    now = now or timezone.now()
    firsts = continuity.months_back(timezone.localtime(now, continuity.ROME).date(), months)
    since = continuity.month_start(firsts[0])
    outages = (
        Outage.objects.filter(started_at__lt=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
        .select_related("organisation")
        .order_by("organisation__name", "started_at")
    )
    by_organisation: dict = {}
    for outage in outages:
        by_organisation.setdefault(outage.organisation, []).append(
            (outage.started_at, outage.ended_at)
        )
    # Issue 14: the targets of every customer in one query, not one or two per customer.
    targets = kpi.availability_targets(organisation.pk for organisation in by_organisation)
    return [
        {
            "organisation": organisation,
            "months": continuity.availability(
                months=firsts, outages=intervals, now=now, target=targets[organisation.pk]
            ),
        }
        for organisation, intervals in by_organisation.items()
    ]


def outages_of(ticket: Ticket) -> QuerySet[Outage]:
    return ticket.outages.select_related("recorded_by").order_by("started_at", "pk")
