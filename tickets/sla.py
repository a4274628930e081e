"""The SLA clock of a ticket (SPEC S5): targets in support minutes, counted only 09:00–18:00
Europe/Rome on Italian working days; time waiting on the customer is paused."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from csm_portal.business_calendar import add_support_minutes, support_minutes_between
from tickets.models import SlaPolicy, Ticket


def policy_for(ticket: Ticket, policies: Iterable[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The contract's own policy for the ticket's type and priority, else the general one
    (among ``policies`` when the caller read them already)."""
    if policies is not None:
        candidates = [
            p
            for p in policies
            if p.ticket_type == ticket.type
            and p.priority == ticket.priority
            and p.contract_id in (ticket.contract_id, None)
        ]
    else:
        candidates = SlaPolicy.objects.filter(
            ticket_type=ticket.type, priority=ticket.priority
        ).filter(Q(contract=ticket.contract_id) | Q(contract__isnull=True))
    ordered = sorted(candidates, key=lambda p: p.contract_id is None)
    return ordered[0] if ordered else None


def apply_policy(ticket: Ticket, policies: Iterable[SlaPolicy] | None = None) -> None:
    """Set the targets from the policy and compute the deadlines (call after a change of type,
    priority or contract)."""
    policy = policy_for(ticket, policies)
    ticket.sla_policy = policy
    ticket.first_response_target = policy.first_response_minutes if policy else None
    ticket.resolution_target = policy.resolution_minutes if policy else None
    ticket.warn_before_minutes = policy.warn_before_minutes if policy else None
    recompute(ticket)


def _at(start: datetime, minutes: int | None) -> datetime | None:
    return add_support_minutes(start, max(minutes, 0)) if minutes is not None else None


def recompute(ticket: Ticket) -> None:
    """Deadlines and warning instants: the warning comes the policy's "warn before" support
    minutes ahead of each deadline (at the opening if the target is shorter than that)."""
    start = ticket.created_at
    paused = ticket.paused_minutes
    warn = ticket.warn_before_minutes if ticket.warn_before_minutes is not None else 60
    first, resolution = ticket.first_response_target, ticket.resolution_target
    ticket.first_response_due = _at(start, None if first is None else first + paused)
    ticket.resolution_due = _at(start, None if resolution is None else resolution + paused)
    ticket.first_response_warn_at = _at(start, None if first is None else first + paused - warn)
    ticket.resolution_warn_at = _at(
        start, None if resolution is None else resolution + paused - warn
    )


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_since is None:
        ticket.paused_since = now


def resume(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_since is not None:
        ticket.paused_minutes += support_minutes_between(ticket.paused_since, now)
        ticket.paused_since = None
        recompute(ticket)


def minutes_left(due: datetime | None, now: datetime) -> int | None:
    """Support minutes until ``due``; negative once breached (by the support minutes since)."""
    if due is None:
        return None
    if now <= due:
        return support_minutes_between(now, due)
    return -support_minutes_between(due, now)


def clock(ticket: Ticket, now: datetime) -> dict:
    """What the countdown shows: the target that matters now and the support minutes left."""
    if not ticket.is_open:
        return {"target": None, "left": None, "paused": False}
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        target, due = "first_response", ticket.first_response_due
        warn_at = ticket.first_response_warn_at
    else:
        target, due = "resolution", ticket.resolution_due
        warn_at = ticket.resolution_warn_at
    at = ticket.paused_since or now
    left = minutes_left(due, at)
    # Amber from the policy's warning instant, red once breached (SPEC S5).
    state = (
        "breached"
        if due is not None and at > due
        else "soon"
        if warn_at is not None and at >= warn_at
        else "ok"
    )
    hours, minutes = divmod(abs(left), 60) if left is not None else (None, None)
    return {
        "target": target,
        "due": due,
        "due_today": due is not None and timezone.localdate(due) == timezone.localdate(at),
        "left": left,
        "hours": hours,
        "minutes": minutes,
        "paused": ticket.paused_since is not None,
        "state": state,
    }


def clock_text(clock: dict) -> dict:
    """The badge's words (templates/tickets/partials/clock.html), the same sentences as the
    template's translations, built once in Python: a list renders 25 of them (issue 15)."""
    if clock["left"] is None or clock["paused"]:
        return {**clock, "text": "", "title": ""}
    target = _("First response") if clock["target"] == "first_response" else _("Resolution")
    due = timezone.localtime(clock["due"])
    title = formats.date_format(due, "SHORT_DATETIME_FORMAT")
    hours_minutes = {"h": clock["hours"], "m": clock["minutes"]}
    if clock["state"] == "breached":
        text = _("%(target)s overdue %(h)s h %(m)s min") % {"target": target, **hours_minutes}
    else:
        when = formats.time_format(due, "TIME_FORMAT") if clock["due_today"] else title
        text = " · ".join(
            (
                _("%(target)s due %(due)s") % {"target": target, "due": when},
                _("%(h)s h %(m)s min left") % hours_minutes,
            )
        )
    return {**clock, "text": text, "title": title}
