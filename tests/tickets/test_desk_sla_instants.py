"""The desk's SLA instants stored by PostgreSQL (issue 15, SPEC S5, S6): ``Ticket.sla_due_at`` (the
first deadline among the targets that still run: the first response until there is one, then the
resolution) and ``Ticket.sla_warn_at`` (the first warning instant among them). "Breaching soon"
(warned, nothing breached) and "breached" read them as one index range, nearest deadline first.

Proved here: the stored instants equal the ones computed from the deadlines on random tickets
(hypothesis), and so do the "breaching soon" and "breached" sets (against the per-target rule they
replace); they follow every change of the deadlines through the services (reply, pause and
resume, priority change); the lists and the agent's home counts read indexes only (EXPLAIN), in
the next-deadline order, and the keyset pages of "breaching soon" walk every row once."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tenancy import tenancy_for
from csm_portal.business_calendar import add_support_minutes
from tests.conftest import client_for
from tests.tickets import test_desk_scale as scale
from tests.tickets.test_desk_polish import MONDAY_9, incident_policy, ticket_at
from tests.tickets.test_desk_scale import assert_indexed, bulk_tickets, nodes, plan
from tickets import cockpit as desk_cockpit
from tickets import desk, selectors, sla
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
desk_people = scale.desk_people  # the fixture: three L1 agents


def expected_instants(ticket: Ticket) -> tuple:
    """The reference: the earliest of the running targets' instants (None when none runs)."""
    pending = ticket.first_response_at is None
    dues = [d for d in (ticket.first_response_due if pending else None, ticket.resolution_due) if d]
    warns = [
        w
        for w in (ticket.first_response_warn_at if pending else None, ticket.resolution_warn_at)
        if w
    ]
    return (min(dues) if dues else None, min(warns) if warns else None)


def soon_by_target(ticket: Ticket, now: datetime) -> bool:
    """The rule per target that the stored instants replace: running, past the warning of a
    target that still runs and not past its deadline, and no running target past due."""
    if ticket.status not in Ticket.OPEN_STATUSES or ticket.paused_since is not None:
        return False
    pending = ticket.first_response_at is None
    fd, fw = ticket.first_response_due, ticket.first_response_warn_at
    rd, rw = ticket.resolution_due, ticket.resolution_warn_at
    first = (pending and fw is not None and fw <= now and fd is not None and fd >= now) and not (
        rd is not None and rd < now
    )
    resolution = (rw is not None and rw <= now and rd is not None and rd >= now) and not (
        pending and fd is not None and fd < now
    )
    return first or resolution


def breached_by_target(ticket: Ticket, now: datetime) -> bool:
    if ticket.status not in Ticket.OPEN_STATUSES or ticket.paused_since is not None:
        return False
    pending = ticket.first_response_at is None
    fd, rd = ticket.first_response_due, ticket.resolution_due
    return (pending and fd is not None and fd < now) or (rd is not None and rd < now)


START = datetime(2026, 1, 1, tzinfo=UTC)
random_ticket = st.fixed_dictionaries(
    {
        "opened": st.integers(0, 2 * 365 * 24 * 60),
        "first": st.one_of(st.none(), st.integers(0, 3000)),
        "more": st.one_of(st.none(), st.integers(0, 20000)),
        "warn": st.one_of(st.none(), st.integers(0, 1500)),
        "paused_minutes": st.integers(0, 3000),
        "paused": st.booleans(),
        "answered_after": st.one_of(st.none(), st.integers(0, 5000)),
        "status": st.sampled_from(Ticket.Status.values),
        "now_after": st.integers(-24 * 60, 40 * 24 * 60),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(random_ticket, min_size=1, max_size=6))
def test_s5_the_stored_deadline_and_warning_equal_the_computed_ones_on_random_tickets(
    tenant_a, drawn
):
    """Random tickets (opening instant, targets, "warn before", paused time, answered or not,
    any status): the deadlines and warnings computed by ``sla.recompute`` give the stored
    ``sla_due_at`` / ``sla_warn_at`` equal to the earliest of the running targets', and at a
    random instant the "breaching soon" and "breached" sets equal the per-target rule's."""
    made = []
    with scopes_disabled():
        for values in drawn:
            created = START + timedelta(minutes=values["opened"])
            ticket = Ticket(
                organisation=tenant_a.organisation,
                subject="Random",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                requester_email="random@alfa.example",
                status=values["status"],
                created_at=created,
                first_response_target=values["first"],
                resolution_target=None
                if values["more"] is None
                else (values["first"] or 0) + values["more"],
                warn_before_minutes=values["warn"],
                paused_minutes=values["paused_minutes"],
                paused_since=created + timedelta(hours=1) if values["paused"] else None,
                first_response_at=None
                if values["answered_after"] is None
                else created + timedelta(minutes=values["answered_after"]),
            )
            sla.recompute(ticket)
            ticket.save()
            ticket.refresh_from_db()
            made.append((ticket, created + timedelta(minutes=values["now_after"])))
        ids = [t.pk for t, _ in made]
        for ticket, _now in made:
            assert (ticket.sla_due_at, ticket.sla_warn_at) == expected_instants(ticket)
        for _ticket, now in made:
            soon = set(selectors.breaching_soon(now=now).filter(pk__in=ids).values_list("pk"))
            late = set(selectors.breached(now=now).filter(pk__in=ids).values_list("pk"))
            assert soon == {(t.pk,) for t, _n in made if soon_by_target(t, now)}
            assert late == {(t.pk,) for t, _n in made if breached_by_target(t, now)}
        Ticket.objects.filter(pk__in=ids).delete()


def test_s5_the_stored_instants_follow_reply_pause_resume_and_priority_changes(
    box, tenant_a, agent
):
    """Through the services: on opening the instants are the first response's; the first reply
    moves them to the resolution's; waiting on the customer and back moves the deadlines by the
    paused support time (and the stored instants with them); a priority change applies the new
    policy's targets and the stored instants follow."""
    incident_policy()
    incident_policy(
        name="Incident urgent",
        priority="urgent",
        first_response_minutes=30,
        resolution_minutes=240,
        warn_before_minutes=15,
    )
    ticket = ticket_at(box, MONDAY_9, "<inst1@x>")

    def stored(t: Ticket) -> tuple:
        with scopes_disabled():
            fresh = Ticket.objects.get(pk=t.pk)
        return fresh, (fresh.sla_due_at, fresh.sla_warn_at)

    fresh, instants = stored(ticket)
    assert instants == (fresh.first_response_due, fresh.first_response_warn_at)
    assert fresh.first_response_due == add_support_minutes(MONDAY_9, 240)

    with time_machine.travel(MONDAY_9 + timedelta(minutes=10), tick=False), scopes_disabled():
        desk.ticket_reply(ticket=fresh, body="Ci stiamo lavorando.", by=agent)
    fresh, instants = stored(ticket)
    assert fresh.first_response_at is not None
    assert instants == (fresh.resolution_due, fresh.resolution_warn_at)
    before_pause = fresh.resolution_due

    with time_machine.travel(MONDAY_9 + timedelta(hours=1), tick=False), scopes_disabled():
        desk.ticket_update(ticket=fresh, by=agent, status=Ticket.Status.WAITING)
    with time_machine.travel(MONDAY_9 + timedelta(hours=3), tick=False), scopes_disabled():
        desk.ticket_update(ticket=fresh, by=agent, status=Ticket.Status.OPEN)
    fresh, instants = stored(ticket)
    assert fresh.resolution_due == add_support_minutes(MONDAY_9, 960 + 120)
    assert fresh.resolution_due > before_pause
    assert instants == (fresh.resolution_due, fresh.resolution_warn_at)

    with time_machine.travel(MONDAY_9 + timedelta(hours=4), tick=False), scopes_disabled():
        desk.ticket_update(ticket=fresh, by=agent, priority=Ticket.Priority.URGENT)
    fresh, instants = stored(ticket)
    assert fresh.resolution_due == add_support_minutes(MONDAY_9, 240 + 120)
    assert fresh.resolution_warn_at == add_support_minutes(MONDAY_9, 240 + 120 - 15)
    assert instants == (fresh.resolution_due, fresh.resolution_warn_at)


def warned_early(*, hours: int) -> None:
    """The running clocks due within ``hours`` were warned a minute ago (breaching soon)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET resolution_warn_at = now() - interval '1 minute', "
            "first_response_warn_at = now() - interval '1 minute' "
            "WHERE resolution_due BETWEEN now() AND now() + %s * interval '1 hour'",
            [hours],
        )
        cursor.execute("ANALYZE tickets_ticket")


def test_s_breaching_soon_is_one_range_of_the_next_deadline_index_without_a_sort(
    tenant_a, agent, desk_people
):
    """With 6,000 tickets after ANALYZE, the first page and a later page of "breaching soon"
    (and of "breached") read ``ticket_running_sla_due`` in its own order: no Seq Scan on
    tickets, no Sort of the running clocks (the planner may sort a page-sized handful)."""
    bulk_tickets([tenant_a.organisation], desk_people, 6000)
    warned_early(hours=4000)  # hundreds of running clocks breaching soon: a sort would show
    staff = tenancy_for(agent)
    with scopes_disabled():
        soon = selectors.ticket_list(tenancy=staff, user=agent, sla=selectors.BREACHING_SOON)
        assert soon.count() > 300
        middle = list(soon[20:21])[0]
        order = selectors.ticket_list_order(tenancy=staff, sla=selectors.BREACHING_SOON)
        assert order is selectors.NEXT_DEADLINE
        key = selectors.Tuple(*order.key())
        position = selectors.decode_position(selectors.encode_position(middle, order), order)
        later = soon.filter(selectors.TupleGreaterThan(key, position))
        for page in (soon[:26], later[:26]):
            tree = plan(page)
            assert_indexed(tree)
            assert "ticket_running_sla_due" in json.dumps(tree)
        breached = selectors.ticket_list(tenancy=staff, user=agent, sla=selectors.BREACHED)
        assert_indexed(plan(breached[:26]))


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_s6_the_agent_home_counts_are_one_statement_of_index_scans(tenant_a, agent, desk_people):
    """The home's capped counts (mine, unassigned, due within two support hours, past target
    running and paused, waiting) are one statement; with 6,000 tickets after ANALYZE its plan
    (vacuumed, as autovacuum keeps it) reads tickets through an index for each count, never a
    Seq Scan (Index Only Scans: no row of the table is read)."""
    bulk_tickets([tenant_a.organisation], desk_people, 6000)
    warned_early(hours=200)
    with connection.cursor() as cursor:  # the visibility map, as autovacuum keeps it
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    now = timezone.now()
    with scopes_disabled():
        open_tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
        measures = {
            "mine": (desk_cockpit.Q(owner=desk_people[0]),),
            "unassigned": (desk_cockpit.Q(owner__isnull=True),),
            "soon": (desk_cockpit._due_within(now, add_support_minutes(now, 120)),),
            "overdue": desk_cockpit._overdue(now),
            "waiting": (desk_cockpit.Q(status=Ticket.Status.WAITING),),
        }
        parts, params = [], []
        for conditions in measures.values():
            for condition in conditions:
                capped = open_tickets.filter(condition).order_by().values_list(Value(1))[:1000]
                sql, condition_params = capped.query.sql_with_params()
                parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
                params.extend(condition_params)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) SELECT " + ", ".join(parts), params)
            tree = cursor.fetchone()[0][0]["Plan"]
        counts = desk_cockpit._capped_counts(open_tickets, measures)
    scans = [n for n in nodes(tree) if n.get("Relation Name") == "tickets_ticket"]
    assert len(scans) == 6, json.dumps(tree, indent=1)
    indexed = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
    assert all(n["Node Type"] in indexed for n in scans), json.dumps(tree, indent=1)
    assert counts["overdue"] > 0 and counts["soon"] >= 0
    with scopes_disabled():
        assert counts["waiting"] == min(open_tickets.filter(status="waiting").count(), 1000)
        assert counts["mine"] == min(open_tickets.filter(owner=desk_people[0]).count(), 1000)


def test_s5_the_breaching_soon_pages_walk_every_ticket_once_nearest_deadline_first(
    tenant_a, tenant_b, agent
):
    """The HTML list's "next" and "previous" links on "breaching soon" (keyset on the next
    deadline) show every ticket in that state once, the one about to be breached first, and
    come back; the tickets of both tenants for the agent."""
    now = timezone.now()
    with scopes_disabled():
        for index in range(60):
            organisation = (tenant_a, tenant_b)[index % 2].organisation
            due = now + timedelta(minutes=30 + (index * 7) % 50)
            Ticket.objects.create(
                organisation=organisation,
                subject=f"Soon {index}",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                requester_email="x@alfa.example",
                status=Ticket.Status.OPEN,
                first_response_at=now,
                resolution_due=due,
                resolution_warn_at=now - timedelta(minutes=1) if index % 3 else due,
            )
        expected = list(selectors.breaching_soon(now=timezone.now()).values_list("pk", flat=True))
    assert len(expected) == 40
    client = client_for(agent)
    seen, pages, url = [], [], f"{reverse('ticket_list')}?sla=soon"
    while url:
        response = client.get(url)
        pages.append(url)
        seen += [t.pk for t, _clock in response.context["rows"]]
        url = response.context["next_url"]
    assert seen == expected and len(pages) == 2
    back = client.get(client.get(pages[1]).context["previous_url"])
    assert [t.pk for t, _clock in back.context["rows"]] == expected[:25]
    with scopes_disabled():
        dues = [Ticket.objects.get(pk=pk).sla_due_at for pk in seen]
    assert dues == sorted(dues)


def test_attack_a_forged_breaching_soon_position_shows_the_first_page(tenant_a, agent):
    """A position of the other order (or garbage) on "breaching soon" is not one of its
    positions: the first page, never a server error."""
    with scopes_disabled():
        Ticket.objects.create(
            organisation=tenant_a.organisation,
            subject="Soon",
            type=Ticket.Type.INCIDENT,
            category=Ticket.Category.MALFUNCTION,
            requester_email="x@alfa.example",
            status=Ticket.Status.OPEN,
            first_response_at=timezone.now(),
            resolution_due=timezone.now() + timedelta(hours=1),
            resolution_warn_at=timezone.now() - timedelta(minutes=1),
        )
        other_order = selectors.encode_position(Ticket.objects.get(subject="Soon"))
    client = client_for(agent)
    for position in (other_order, "garbage"):
        page = client.get(reverse("ticket_list"), {"sla": "soon", "after": position})
        assert page.status_code == 200 and len(page.context["rows"]) == 1
