"""The history of a ticket (SPEC S7): every change is an event with its time and actor; notes
are internal messages. Shared by mail ingestion and the desk."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Ticket, TicketEvent, TicketMessage


def event_build(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    label: str = "",
    before: str = "",
    after: str = "",
    at=None,
) -> TicketEvent:
    """The event of ``ticket``, not saved (mail ingestion writes it with the message's other
    rows in one statement, tickets.ingest.Rows)."""
    return TicketEvent(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        kind=kind,
        contractual=kind in TicketEvent.CONTRACTUAL,
        actor=actor,
        actor_label=(label or (actor.email if actor else ""))[:300],
        before=str(before)[:300],
        after=str(after)[:300],
        at=at or timezone.now(),
    )


def event(ticket: Ticket, kind: str, **fields: Any) -> TicketEvent:
    """Record an event of ``ticket`` (the fields of ``event_build``)."""
    built = event_build(ticket, kind, **fields)
    built.save(force_insert=True)
    return built


def note(ticket: Ticket, text: str) -> None:
    TicketMessage.objects.create(
        ticket=ticket,
        organisation_id=ticket.organisation_id,
        direction=TicketMessage.Direction.NOTE,
        body_text=text,
    )


# Kinds whose before/after are values of the ticket field of the same name.
FIELD_KINDS = {
    TicketEvent.Kind.STATUS: "status",
    TicketEvent.Kind.PRIORITY: "priority",
    TicketEvent.Kind.LEVEL: "level",
    TicketEvent.Kind.TYPE: "type",
    TicketEvent.Kind.CATEGORY: "category",
}


def _label(field_name: str, value: str) -> str:
    choices = dict(Ticket._meta.get_field(field_name).flatchoices)
    return str(choices.get(value, value)) if value else "—"


def describe(entry: TicketEvent) -> str:
    """One event as a sentence in the active language (SPEC S7, S8): "Status changed from New
    to Waiting on customer", not codes."""
    kind = entry.kind
    if kind in FIELD_KINDS:
        field_name = FIELD_KINDS[kind]
        values = {
            "what": Ticket._meta.get_field(field_name).verbose_name,
            "before": _label(field_name, entry.before),
            "after": _label(field_name, entry.after),
        }
        sentence = _("%(what)s changed from %(before)s to %(after)s") % values
        return sentence[:1].upper() + sentence[1:]
    if kind == TicketEvent.Kind.OWNER:
        if not entry.after:
            return _("Owner removed (was %(before)s)") % {"before": entry.before or "—"}
        if not entry.before:
            return _("Assigned to %(after)s") % {"after": entry.after}
        return _("Owner changed from %(before)s to %(after)s") % {
            "before": entry.before,
            "after": entry.after,
        }
    if kind == TicketEvent.Kind.OUTCOME:
        return _("Outcome: %(outcome)s") % {"outcome": _label("outcome", entry.after)}
    if kind == TicketEvent.Kind.OUTAGE and entry.before:  # issue 14: corrected or deleted
        if entry.after:
            return _("Outage corrected from %(before)s to %(after)s") % {
                "before": entry.before,
                "after": entry.after,
            }
        return _("Outage deleted: %(before)s") % {"before": entry.before}
    if kind == TicketEvent.Kind.REOPENED:
        return _("Reopened by a new message")
    return str(entry.get_kind_display())
