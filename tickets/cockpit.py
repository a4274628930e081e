"""What the service desk adds to the home pages (issue 14, SPEC S1, S5, S6, S9, L2): tickets past
their SLA (CSTM alert and health), the backlog and the last reply (health), the customer's open
tickets and the support address, the agent's desk counts, and the mailboxes' health."""

from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import Organisation
from accounts.roles import AgentLevel
from contracts.templatetags.links import id_url
from csm_portal import cockpit
from csm_portal.business_calendar import add_support_minutes
from tickets import portal, selectors, sla
from tickets.models import InboundMessage, Mailbox, Ticket, TicketMessage

# "Breaching soon": the target that matters now falls due within this much support time.
BREACHING_SOON_MINUTES = 120
OPEN = Ticket.OPEN_STATUSES
# A mailbox not polled for this long while active is reported on the admin's home.
POLL_STALE_MINUTES = 10


def _active_due_before(moment: Any, lookup: str = "lt") -> Q:
    """The target that matters now (first response until there is one, then resolution, as
    ``tickets.sla.clock``) falls due before ``moment`` (a datetime or an expression)."""
    return Q(first_response_at__isnull=True, **{f"first_response_due__{lookup}": moment}) | Q(
        first_response_at__isnull=False, **{f"resolution_due__{lookup}": moment}
    )


def breached(now: datetime) -> Q:
    """Open tickets past the target that matters now; a paused ticket is judged at its pause."""
    return Q(status__in=OPEN) & (
        (Q(paused_since__isnull=True) & _active_due_before(now))
        | (Q(paused_since__isnull=False) & _active_due_before(F("paused_since")))
    )


def breaching_soon(now: datetime, within_minutes: int = BREACHING_SOON_MINUTES) -> Q:
    """Open, running tickets not breached yet whose current target falls due within
    ``within_minutes`` of support time (SPEC S5: 09:00–18:00 on working days, so on a Friday
    evening "soon" reaches into Monday morning)."""
    horizon = add_support_minutes(now, within_minutes)
    return (
        Q(status__in=OPEN, paused_since__isnull=True)
        & _active_due_before(horizon, "lte")
        & ~_active_due_before(now)
    )


def _list_url(**params: str) -> str:
    return f"{reverse('ticket_list')}?{urlencode(params)}" if params else reverse("ticket_list")


def _sla_sentence(params: dict[str, Any]) -> str:
    n = params["n"]
    return ngettext(
        "%(n)s open ticket is past its service-level target.",
        "%(n)s open tickets are past their service-level target.",
        n,
    ) % {"n": n}


PHRASES = {"tickets.sla_breached": _sla_sentence}


def sla_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """Open tickets past their SLA target, per customer (one query); resolved by answering them."""
    rows = (
        Ticket.objects.filter(breached(timezone.now()), organisation_id__in=organisation_ids)
        .values("organisation_id", "organisation__name")
        .annotate(n=Count("pk"), first=Max("pk"))
        .order_by()
    )
    return [
        cockpit.alert(
            organisation_id=row["organisation_id"],
            severity=cockpit.CRITICAL,
            phrase="tickets.sla_breached",
            params={"n": row["n"]},
            url=reverse("ticket_detail", args=[row["first"]])
            if row["n"] == 1
            else _list_url(q=row["organisation__name"]),
            code="sla_breached",
        )
        for row in rows
    ]


def desk_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """Backlog and SLA breaches (one query) and the last reply sent (one query)."""
    now = timezone.now()
    facts: dict[int, dict[str, Any]] = {}
    counts = (
        Ticket.objects.filter(organisation_id__in=organisation_ids, status__in=OPEN)
        .values("organisation_id")
        .annotate(open=Count("pk"), breached=Count("pk", filter=breached(now)))
        .order_by()
    )
    for row in counts:
        facts[row["organisation_id"]] = {
            "open_tickets": row["open"],
            "sla_breaches": row["breached"],
        }
    # The last reply: one step down the partial index ticketmsg_timeline_org (replies) per
    # customer (issue 15), not a scan of every message of the customers.
    last_reply = (
        TicketMessage.objects.filter(
            organisation_id=OuterRef("pk"), direction=TicketMessage.Direction.OUTBOUND
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    replies = (
        Organisation.objects.filter(pk__any=organisation_ids)
        .annotate(last=Subquery(last_reply))
        .order_by()
        .values_list("pk", "last")
    )
    for organisation_id, last in replies:
        if last is not None:  # (not filtered in SQL: the subquery would run twice)
            facts.setdefault(organisation_id, {})["last_contact_on"] = timezone.localdate(last)
    return facts


def customer_panel(request: Any, today: date) -> cockpit.Panel | None:
    """The customer's open tickets and their state (a referent: the organisation's; a licensed
    end user: their own), and the support address they write to (SPEC S1)."""
    tickets = selectors.ticket_list(tenancy=request.tenancy, user=request.user)
    by_status = dict(
        tickets.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    labels = dict(Ticket.Status.choices)
    states = [(label, by_status[value]) for value, label in labels.items() if value in by_status]
    # Plain rows (issue 15): the columns shown, the status label mapped once, the row's link
    # formatted from the route reversed once (no model instance, no reverse per row).
    url = id_url("ticket_detail")
    rows = tickets.select_related(None).values("pk", "number", "subject", "status", "created_at")
    shown = [
        {**row, "url": url(row["pk"]), "status_label": labels.get(row["status"], row["status"])}
        for row in rows[:6]
    ]
    return cockpit.Panel(
        "accounts/home/customer_tickets.html",
        {
            "tickets": shown,
            "states": states,
            "open_count": sum(by_status.values()),
            "support_address": parseaddr(portal.support_address())[1],
        },
    )


# The agent home's counts are exact up to here (issue 15: bounded work per request).
COUNT_CAP = 999


def _due_within(now: datetime, horizon: datetime) -> Q:
    """``breaching_soon`` through the stored next deadline of the running targets
    (``Ticket.sla_due_at``: the first response until there is one, then the resolution), one
    range of the index ``ticket_running_sla_due``."""
    return Q(paused_since__isnull=True, sla_due_at__gte=now, sla_due_at__lte=horizon)


def _overdue(now: datetime) -> tuple[Q, Q]:
    """``breached`` through the stored next deadline, as two index ranges counted apart: the
    running clocks past it, and the paused ones paused after it (``ticket_paused_breached``)."""
    return (
        Q(paused_since__isnull=True, sla_due_at__lt=now),
        Q(paused_since__isnull=False, sla_due_at__lt=F("paused_since")),
    )


def _capped_counts(tickets: Any, measures: dict[str, tuple[Q, ...]]) -> dict[str, int]:
    """How many of ``tickets`` each measure holds, each of its conditions read up to
    COUNT_CAP + 1 rows (a measure's conditions are disjoint: their counts add up), all in one
    statement. Each count selects a constant, so PostgreSQL answers from the index alone."""
    parts, params, names = [], [], []
    for name, conditions in measures.items():
        for condition in conditions:
            capped = tickets.filter(condition).order_by().values_list(Value(1))[: COUNT_CAP + 1]
            sql, condition_params = capped.query.sql_with_params()
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608 (ORM SQL)
            params.extend(condition_params)
            names.append(name)
    with connections[tickets.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    counts = dict.fromkeys(measures, 0)
    for name, n in zip(names, row, strict=True):
        counts[name] += n
    return counts


def desk_panel(request: Any, today: date) -> cockpit.Panel | None:
    """The agent's day (SPEC S6, L2): my open tickets, unassigned, breaching soon, overdue,
    waiting on the customer, and for L2/L3 the tickets escalated to their level, with counts."""
    now = timezone.now()
    user = request.user
    level = request.tenancy.membership.agent_level
    escalated = level in (AgentLevel.L2, AgentLevel.L3)
    open_tickets = Ticket.objects.filter(status__in=OPEN)
    measures = {
        "mine": (Q(owner=user),),
        "unassigned": (Q(owner__isnull=True),),
        "soon": (_due_within(now, add_support_minutes(now, BREACHING_SOON_MINUTES)),),
        "overdue": _overdue(now),
        "waiting": (Q(status=Ticket.Status.WAITING),),
    }
    if escalated:
        measures["escalations"] = (Q(level=level),)
    # Each count reads at most COUNT_CAP + 1 entries of the desk's indexes (no table row), so
    # the home costs the same with a backlog of 50 or of 200,000 open tickets; beyond the cap it
    # reads "999+". One statement for all of them.
    found = _capped_counts(open_tickets, measures)
    counts, over = {}, {}
    for name in measures:
        counts[name], over[name] = min(found[name], COUNT_CAP), found[name] > COUNT_CAP
    # The lists' own order (time left), read through the desk's indexes (open tickets; mine by
    # owner; escalations by level): the first five rows, no sort of every open ticket.
    listed = open_tickets.select_related("organisation", "owner").order_by(*selectors.LIST_ORDER)
    urgent = list(listed.filter(breached(now) | breaching_soon(now))[:5])
    sections = [
        {
            "key": "urgent",
            "rows": [(t, sla.clock(t, now)) for t in urgent],
        },
        {"key": "mine", "rows": [(t, sla.clock(t, now)) for t in listed.filter(owner=user)[:5]]},
        {
            "key": "unassigned",
            "rows": [(t, sla.clock(t, now)) for t in listed.filter(owner__isnull=True)[:5]],
        },
    ]
    if escalated:
        sections.append(
            {
                "key": "escalations",
                "rows": [(t, sla.clock(t, now)) for t in listed.filter(level=level)[:5]],
            }
        )
    links = {
        "mine": _list_url(mine="1"),
        "waiting": _list_url(status=Ticket.Status.WAITING),
        "escalations": _list_url(level=level) if escalated else "",
        "all": _list_url(),
    }
    return cockpit.Panel(
        "accounts/home/desk.html",
        {
            "counts": counts,
            "over": over,
            "sections": sections,
            "links": links,
            "level": level,
            "escalated": escalated,
            "soon_hours": BREACHING_SOON_MINUTES // 60,
            "now": now,
        },
    )


def mailboxes_panel(request: Any, today: date) -> cockpit.Panel | None:
    """SPEC L2, L4: each mailbox's last poll, last error, failed and held messages; the size of
    the triage queue (two queries)."""
    Outcome = InboundMessage.Outcome
    stale_before = timezone.now() - timedelta(minutes=POLL_STALE_MINUTES)
    mailboxes = list(
        Mailbox.objects.annotate(
            failed=Count("messages", filter=Q(messages__outcome=Outcome.FAILED)),
            held=Count("messages", filter=Q(messages__outcome=Outcome.HELD)),
        ).order_by("name")
    )
    return cockpit.Panel(
        "accounts/home/mailboxes.html",
        {
            # Beat polls every minute: an active mailbox unread for longer is stuck.
            "mailboxes": [
                (m, m.active and (m.last_polled_at is None or m.last_polled_at < stale_before))
                for m in mailboxes
            ],
            "triage_size": selectors.held_messages().count(),
            "stale_minutes": POLL_STALE_MINUTES,
        },
    )


def register() -> None:
    cockpit.register_phrases(PHRASES)
    cockpit.register_alerts("tickets.sla", sla_alerts)
    cockpit.register_facts("tickets.desk", desk_facts)
    # Issue 15: saving these moves a customer's health or alerts on the stored cockpit.
    cockpit.watch(Ticket)
    cockpit.watch(TicketMessage)
    cockpit.register_panel(
        "tickets.customer",
        audiences=(cockpit.REFERENT, cockpit.END_USER),
        provider=customer_panel,
        order=20,
    )
    cockpit.register_panel(
        "tickets.desk", audiences=(cockpit.AGENT,), provider=desk_panel, order=10
    )
    cockpit.register_panel(
        "tickets.mailboxes", audiences=(cockpit.JOBS,), provider=mailboxes_panel, order=20
    )
