"""The desk at scale (issue 15, SPEC S5, S6, T1–T3): every desk route runs the same number of
queries whatever the number of tickets, messages, events and files (each route measured at two
sizes in the tenant of the agent or referent), and the big lists are read through an index in
their own order, page after page, without sorting or counting the whole table."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.conftest import client_for
from tests.factories import person
from tests.tickets.test_desk import api, post_json
from tickets import selectors
from tickets.models import Attachment, InboundMessage, Mailbox, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def fill(organisation, count: int, *, owners, requester, start: int = 0) -> list[Ticket]:
    """``count`` open tickets of ``organisation``: each with its own owner (round robin), two
    messages by different authors, three events with actors, two files (one on a message) and
    a received mail; deadlines from years overdue to breaching soon to far away."""
    now = timezone.now()
    made = []
    with scopes_disabled():
        box, _ = Mailbox.objects.get_or_create(
            address="scale@csm-test.example",
            defaults={"name": "Scale", "host": "localhost", "username": "u", "use_tls": False},
        )
        for index in range(start, start + count):
            kind = index % 4
            due = {
                0: now - timedelta(days=3 * 365 + index),  # years overdue
                1: now + timedelta(minutes=30),  # breaching soon
                2: now + timedelta(days=10),
                3: None,  # no policy
            }[kind]
            ticket = Ticket.objects.create(
                organisation=organisation,
                number=f"SC-{organisation.pk}-{index}",
                subject=f"Ticket {index}",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                status=(Ticket.Status.NEW, Ticket.Status.OPEN)[index % 2],
                owner=owners[index % len(owners)],
                requester=requester,
                requester_email=requester.email,
                created_at=now - timedelta(days=4 * 365 + index),
                resolution_due=due,
                resolution_warn_at=due - timedelta(hours=1) if due else None,
                first_response_due=due,
                first_response_warn_at=due - timedelta(hours=1) if due else None,
            )
            messages = [
                TicketMessage.objects.create(
                    ticket=ticket,
                    organisation=organisation,
                    direction=direction,
                    author=author,
                    body_text=f"Messaggio {index}",
                )
                for direction, author in (
                    (TicketMessage.Direction.INBOUND, requester),
                    (TicketMessage.Direction.OUTBOUND, owners[(index + 1) % len(owners)]),
                )
            ]
            for kind_ in (TicketEvent.Kind.OPENED, TicketEvent.Kind.REPLY, TicketEvent.Kind.STATUS):
                TicketEvent.objects.create(
                    ticket=ticket,
                    organisation=organisation,
                    kind=kind_,
                    contractual=kind_ in TicketEvent.CONTRACTUAL,
                    actor=owners[index % len(owners)],
                    actor_label="x",
                )
            for message in (None, messages[1]):
                Attachment.objects.create(
                    ticket=ticket,
                    organisation=organisation,
                    message=message,
                    filename=f"file{index}.txt",
                    content_type="text/plain",
                    size=10,
                    file=f"mail/attachments/scale{index}",
                )
            InboundMessage.objects.create(
                mailbox=box,
                organisation=organisation,
                message_key=f"<scale-{organisation.pk}-{index}@x>",
                raw="mail/raw/scale.eml",
                from_address=requester.email,
                outcome=InboundMessage.Outcome.TICKET,
                ticket=ticket,
            )
            made.append(ticket)
    return made


@pytest.fixture
def desk_people(provider_org):
    return [
        person(
            provider_org, Role.AGENT, level=AgentLevel.L1, email=f"agent{index}@provider.example"
        )
        for index in range(3)
    ]


def queries(client, url: str, data: dict | None = None) -> CaptureQueriesContext:
    # Warm caches first (tenancy, terms, support address): the data written in between may have
    # renewed them; what is counted is a person's next page.
    client.get(url, data or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200, response.content[:500]
    return captured


def same(small: CaptureQueriesContext, big: CaptureQueriesContext) -> None:
    if len(small) != len(big):
        listing = "\n".join(q["sql"][:300] for q in big.captured_queries)
        pytest.fail(
            f"{len(small)} queries at the small size, {len(big)} at the big one:\n{listing}"
        )


def two_sizes(tenant, agents, measure) -> tuple:
    """``measure()`` at 5 tickets, then again after 55 more (60 in all)."""
    fill(tenant.organisation, 5, owners=agents, requester=tenant.end_user)
    small = measure()
    fill(tenant.organisation, 55, owners=agents, requester=tenant.end_user, start=5)
    return small, measure()


# --------------------------------------------------------------------------- pages


def test_s_the_agent_list_runs_the_same_queries_at_5_and_60_tickets(tenant_a, agent, desk_people):
    """The agent's ticket list: customer, owner and SLA clock of every row without a query per
    row, and no count of every ticket."""
    client = client_for(agent)
    client.get(reverse("ticket_list"))  # warm the session and caches
    same(*two_sizes(tenant_a, desk_people, lambda: queries(client, reverse("ticket_list"))))


def test_s_the_breaching_soon_view_runs_the_same_queries_at_5_and_60_tickets(
    tenant_a, agent, desk_people
):
    """The "breaching soon" filter of the agent's list."""
    client = client_for(agent)
    client.get(reverse("ticket_list"))
    small, big = two_sizes(
        tenant_a, desk_people, lambda: queries(client, reverse("ticket_list"), {"sla": "soon"})
    )
    same(small, big)


def test_s_the_referent_list_runs_the_same_queries_at_5_and_60_tickets(tenant_a, desk_people):
    """The referent's list of the organisation's tickets (T1 scope kept)."""
    client = client_for(tenant_a.referent)
    client.get(reverse("ticket_list"))
    same(*two_sizes(tenant_a, desk_people, lambda: queries(client, reverse("ticket_list"))))


def test_s_the_ticket_detail_runs_the_same_queries_at_5_and_60_messages(
    tenant_a, agent, desk_people
):
    """An agent's ticket page: conversation with authors and files, history with actors,
    received mails and outages, whatever their number."""
    (ticket,) = fill(tenant_a.organisation, 1, owners=desk_people, requester=tenant_a.end_user)
    client = client_for(agent)
    url = reverse("ticket_detail", args=[ticket.pk])
    client.get(url)
    small = queries(client, url)
    with scopes_disabled():
        for index in range(55):
            author = desk_people[index % len(desk_people)]
            message = TicketMessage.objects.create(
                ticket=ticket,
                organisation=ticket.organisation,
                direction=TicketMessage.Direction.OUTBOUND,
                author=author,
                body_text=f"Risposta {index}",
            )
            Attachment.objects.create(
                ticket=ticket,
                organisation=ticket.organisation,
                message=message,
                filename=f"more{index}.txt",
                content_type="text/plain",
                size=10,
                file=f"mail/attachments/more{index}",
            )
            TicketEvent.objects.create(
                ticket=ticket,
                organisation=ticket.organisation,
                kind=TicketEvent.Kind.REPLY,
                actor=author,
                actor_label=author.email,
            )
    same(small, queries(client, url))


def test_s_the_agent_home_runs_the_same_queries_at_5_and_60_tickets(tenant_a, agent, desk_people):
    """The agent's home (tickets/cockpit.py): counts and the short lists with their clocks."""
    client = client_for(agent)
    client.get(reverse("home"))
    same(*two_sizes(tenant_a, desk_people, lambda: queries(client, reverse("home"))))


# --------------------------------------------------------------------------- API


def test_s_the_api_ticket_list_runs_the_same_queries_at_5_and_60_tickets(
    tenant_a, agent, desk_people
):
    """GET /api/v1/tickets/ for an agent and for the referent (scoped to the organisation)."""
    agent_api, referent_api = api(agent), api(tenant_a.referent)
    agent_api.get("/api/v1/tickets/")  # the token's first use is recorded once
    referent_api.get("/api/v1/tickets/")

    def measure():
        return queries(agent_api, "/api/v1/tickets/"), queries(referent_api, "/api/v1/tickets/")

    (agent_small, referent_small), (agent_big, referent_big) = two_sizes(
        tenant_a, desk_people, measure
    )
    same(agent_small, agent_big)
    same(referent_small, referent_big)


def test_s_the_api_reply_runs_the_same_queries_at_5_and_60_tickets(tenant_a, agent, desk_people):
    """POST /api/v1/tickets/{id}/reply/ (a write) costs the same on a small and a big desk, on
    a short and a long conversation."""
    client = api(agent)
    tickets = fill(tenant_a.organisation, 5, owners=desk_people, requester=tenant_a.end_user)

    def reply(ticket, text):
        with CaptureQueriesContext(connection) as captured:
            response = post_json(client, f"/api/v1/tickets/{ticket.pk}/reply/", {"body": text})
        assert response.status_code == 201, response.content
        return captured

    reply(tickets[1], "Prima risposta.")  # warm
    small = reply(tickets[3], "Ci stiamo lavorando.")  # an open ticket, as more[2]
    more = fill(tenant_a.organisation, 55, owners=desk_people, requester=tenant_a.end_user, start=5)
    with scopes_disabled():
        for index in range(40):
            TicketMessage.objects.create(
                ticket=more[2],
                organisation=tenant_a.organisation,
                direction=TicketMessage.Direction.INBOUND,
                body_text=f"Ancora {index}",
            )
    same(small, reply(more[2], "Ci stiamo lavorando."))


def _pages(client, url: str, *, key: str) -> list[int]:
    """Every id through the cursor links, first page to last."""
    seen: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        seen += [row[key] for row in body["results"]]
        url = body["next"]
    return seen


def test_s_the_api_ticket_list_pages_by_cursor_in_deadline_order_within_the_tenant(
    tenant_a, tenant_b, agent, desk_people
):
    """The API list pages by cursor (no count, no OFFSET): walking ``next`` returns every
    visible ticket once, nearest deadline first (paused and untimed last), and a referent's
    cursor never leaves the organisation (T1) — even a cursor made on another tenant's list."""
    fill(tenant_a.organisation, 30, owners=desk_people, requester=tenant_a.end_user)
    fill(tenant_b.organisation, 12, owners=desk_people, requester=tenant_b.end_user, start=100)
    agent_api = api(agent)
    ids = _pages(agent_api, "/api/v1/tickets/?page_size=7", key="id")
    with scopes_disabled():
        expected = list(Ticket.objects.order_by(*selectors.LIST_ORDER).values_list("pk", flat=True))
    assert ids == expected and len(ids) == 42
    referent_api = api(tenant_a.referent)
    mine = _pages(referent_api, "/api/v1/tickets/?page_size=7", key="id")
    with scopes_disabled():
        own = set(
            Ticket.objects.filter(organisation=tenant_a.organisation).values_list("pk", flat=True)
        )
    assert set(mine) == own and len(mine) == 30
    # The agent's cursor pointing into tenant B's rows shows the referent nothing of B.
    cursor = agent_api.get("/api/v1/tickets/?page_size=40").json()["next"]
    query = parse_qs(urlparse(cursor).query)
    leaked = referent_api.get("/api/v1/tickets/", {"cursor": query["cursor"][0]}).json()
    assert {row["organisation"] for row in leaked["results"]} <= {tenant_a.organisation.pk}
    assert "count" not in json.loads(referent_api.get("/api/v1/tickets/").content)


def test_s_the_agent_list_pages_by_keyset_through_every_ticket_once(
    tenant_a, tenant_b, agent, desk_people
):
    """The HTML list's "next" and "previous" links (keyset, no page count) walk every open
    ticket once in the list's order, and back."""
    fill(tenant_a.organisation, 40, owners=desk_people, requester=tenant_a.end_user)
    fill(tenant_b.organisation, 20, owners=desk_people, requester=tenant_b.end_user, start=100)
    client = client_for(agent)
    seen, pages, url = [], [], reverse("ticket_list")
    while url:
        response = client.get(url)
        pages.append(url)
        seen += [t.pk for t, _clock in response.context["rows"]]
        url = response.context["next_url"]
    with scopes_disabled():
        expected = list(
            Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
            .order_by(*selectors.LIST_ORDER)
            .values_list("pk", flat=True)
        )
    assert seen == expected and len(pages) == 3
    back = client.get(client.get(pages[2]).context["previous_url"])
    assert [t.pk for t, _clock in back.context["rows"]] == expected[25:50]


# --------------------------------------------------------------------------- query plans


def bulk_tickets(organisations, owners, count: int) -> None:
    """``count`` tickets straight in SQL (generate_series), most of them closed as on a desk
    years old, then ANALYZE so that the planner knows the table's size."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (
                organisation_id, number, subject, type, category, priority, level, status,
                outcome, requester_email, requester_language, created_at, updated_at,
                paused_minutes, owner_id, resolution_due, first_response_due,
                resolution_warn_at, first_response_warn_at, first_response_at, paused_since)
            SELECT
                (%(organisations)s::bigint[])[1 + n %% cardinality(%(organisations)s::bigint[])],
                'PL-' || n, 'Ticket ' || n, 'incident', 'malfunction', 'normal',
                (ARRAY['L1', 'L2', 'L3'])[1 + n %% 3],
                CASE WHEN n %% 10 = 0 THEN 'open' WHEN n %% 10 = 1 THEN 'waiting'
                     WHEN n %% 10 = 2 THEN 'new' ELSE 'closed' END,
                '', 'user' || n || '@example.com', 'it',
                now() - (n || ' hours')::interval, now(), 0,
                (%(owners)s::bigint[])[1 + n %% cardinality(%(owners)s::bigint[])],
                due, due, due - interval '1 hour', due - interval '1 hour',
                CASE WHEN n %% 3 = 0 THEN now() END,
                CASE WHEN n %% 10 = 1 THEN now() - interval '1 day' END
            FROM generate_series(1, %(count)s) AS n,
                 LATERAL (SELECT CASE WHEN n %% 7 = 0 THEN NULL
                                      ELSE now() + ((n - %(count)s / 2) || ' hours')::interval
                                 END AS due) AS d
            """,
            {
                "organisations": [o.pk for o in organisations],
                "owners": [o.pk for o in owners],
                "count": count,
            },
        )
        cursor.execute("ANALYZE")


def plan(queryset) -> dict:
    return json.loads(queryset.explain(format="json"))[0]["Plan"]


def nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def seq_scans_of_tickets(tree: dict) -> list:
    return [
        n
        for n in nodes(tree)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "tickets_ticket"
    ]


def assert_indexed(tree: dict) -> None:
    """Tickets read through an index, never a Seq Scan of the table, and no Sort of more than
    a handful of rows (a whole-table or whole-backlog sort would be thousands)."""
    everything = list(nodes(tree))
    text = json.dumps(tree, indent=1)
    assert not seq_scans_of_tickets(tree), text
    assert not [n for n in everything if n["Node Type"] == "Sort" and n["Plan Rows"] > 200], text
    assert any(
        "Index" in n["Node Type"] and n.get("Relation Name") == "tickets_ticket" for n in everything
    ), text


def test_s_every_list_reads_tickets_through_an_index_in_its_own_order(
    tenant_a, tenant_b, agent, desk_people
):
    """With a few thousand tickets after ANALYZE, the first page and a later page of each list
    (agent's open tickets, mine, a level, a status, everything for the API, the referent's
    organisation) are an index scan in the list's order: no Seq Scan on tickets, no big Sort."""
    from django_scopes import scope

    from accounts.tenancy import tenancy_for

    bulk_tickets([tenant_a.organisation, tenant_b.organisation], desk_people, 6000)
    owner = desk_people[0]
    staff = tenancy_for(agent)
    referent = tenancy_for(tenant_a.referent)
    with scopes_disabled():
        middle = selectors.ticket_list(tenancy=staff, user=agent, status="")[3000]
    position = selectors.encode_position(middle)

    def pages(tickets):
        key = selectors.Tuple(*selectors.ticket_list_key())
        later = tickets.filter(selectors.TupleGreaterThan(key, selectors.decode_position(position)))
        return [tickets[:26], later[:26]]

    with scopes_disabled():
        lists = {
            "agent open": selectors.ticket_list(tenancy=staff, user=agent),
            "agent all (API)": selectors.ticket_list(tenancy=staff, user=agent, status=""),
            "mine": selectors.ticket_list(tenancy=staff, user=owner, mine=True),
            "level": selectors.ticket_list(tenancy=staff, user=agent, level="L2"),
            "status": selectors.ticket_list(tenancy=staff, user=agent, status="waiting"),
        }
        for name, tickets in lists.items():
            for page in pages(tickets):
                try:
                    assert_indexed(plan(page))
                except AssertionError as failure:
                    raise AssertionError(f"{name}: {failure}") from None
    with scope(organisation=referent.organisation_ids):
        for status in (selectors.ACTIVE, ""):
            tickets = selectors.ticket_list(tenancy=referent, user=tenant_a.referent, status=status)
            for page in pages(tickets):
                assert_indexed(plan(page))


def test_s_breaching_soon_reads_only_the_running_clocks_not_yet_due(tenant_a, agent, desk_people):
    """The "breaching soon" list reads the partial indexes of the running clocks (open, not
    paused): no Seq Scan on tickets, whatever the number of closed tickets."""
    from accounts.tenancy import tenancy_for

    bulk_tickets([tenant_a.organisation], desk_people, 6000)
    with scopes_disabled():
        tickets = selectors.ticket_list(tenancy=tenancy_for(agent), user=agent, sla="soon")
        tree = plan(tickets[:26])
    text = json.dumps(tree, indent=1)
    assert not seq_scans_of_tickets(tree), text
    assert "ticket_running_" in text, text


def test_attack_a_forged_cursor_is_a_clear_400_and_a_forged_position_the_first_page(
    tenant_a, agent, desk_people
):
    """A cursor that is not one of ours (garbage, a naive time, an id out of range) is a 400
    naming the cursor in the reader's language, never a server error; on the HTML list a forged
    position shows the first page."""
    import base64

    fill(tenant_a.organisation, 3, owners=desk_people, requester=tenant_a.end_user)
    client = api(tenant_a.referent)
    naive = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "2026-01-01T00:00:00", -1]')
    huge = base64.urlsafe_b64encode(
        b'["2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", -99999999999999999999]'
    )
    for cursor in ("garbage", "n.", "x.abc", "n.%%%", f"n.{naive.decode()}", f"p.{huge.decode()}"):
        response = client.get("/api/v1/tickets/", {"cursor": cursor})
        assert response.status_code == 400, (cursor, response.content)
        assert response.json()["cursor"] == ["Questo cursore non è valido."] or response.json()[
            "cursor"
        ] == ["This cursor is not valid."]
    page = client_for(agent).get(reverse("ticket_list"), {"after": "garbage"})
    assert page.status_code == 200 and len(page.context["rows"]) == 3
