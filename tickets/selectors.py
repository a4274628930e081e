"""Reads of the service desk through the scoped managers (SPEC T1): a referent sees the
organisation's tickets, an end user only their own, agents all."""

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership, User
from accounts.roles import Role
from tickets.models import Attachment, InboundMessage, Ticket, TicketMessage

# The list's default filter: every ticket still being worked. Distinct from the status "open",
# so that status can be filtered on its own.
ACTIVE = "active"


def ticket_list(
    *,
    tenancy,
    user,
    search: str = "",
    status: str = ACTIVE,
    level: str = "",
    mine: bool = False,
) -> QuerySet[Ticket]:
    """``status``: ``ACTIVE`` for every ticket still being worked (new, open, waiting), a status
    value for that status alone, "" for all."""
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
    if search:
        tickets = tickets.filter(
            Q(number__icontains=search)
            | Q(subject__icontains=search)
            | Q(organisation__name__icontains=search)
            | Q(requester_email__icontains=search)
        )
    # The list sorts by time left: the nearest deadline first, paused and untimed ones last.
    return tickets.order_by(
        F("paused_since").asc(nulls_first=True),
        F("resolution_due").asc(nulls_last=True),
        "-created_at",
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
    messages = ticket.messages.select_related("author").order_by("created_at", "pk")
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
        Attachment.objects.select_related("ticket").exclude(file=""), pk=attachment_id
    )
    if attachment.ticket_id is None and not tenancy.is_provider_staff:
        from django.http import Http404

        raise Http404
    if attachment.ticket_id is not None:
        ticket_get(tenancy=tenancy, user=user, ticket_id=attachment.ticket_id)
    return attachment
