"""The desk at scale (issue 15): ms and queries of the ticket lists, the "breaching soon" view,
a ticket page, the agent's home and a reply through the API, on a desk of BENCH_TICKETS
tickets (300,000 by default, 20,000 with BENCH_SCALE=small) with BENCH_TICKET_MESSAGES
messages and as many events per ticket, most of them closed, the open ones years overdue to
due next week. In the same run, the same pages of the list the way they were read before
(OFFSET pages in the old order, plus a count of every row) and the SLA clocks of 25 tickets
years overdue with the old day-by-day calendar, for the ratios.

Standalone: ``python scripts/bench_tickets.py`` (starts the throwaway servers of
tests/bootstrap.py); or ``measure()`` from scripts/bench.py after django.setup()."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMALL = os.environ.get("BENCH_SCALE") == "small"
TICKETS = int(os.environ.get("BENCH_TICKETS", "20000" if SMALL else "300000"))
MESSAGES = int(os.environ.get("BENCH_TICKET_MESSAGES", "2"))
REQUESTS = int(os.environ.get("BENCH_TICKET_REQUESTS", "5" if SMALL else "15"))
PAGE = 25


def _fill() -> dict:
    """Organisations, desk people and tickets (SQL generate_series), once."""
    from django.db import connection
    from django_scopes import scopes_disabled

    from accounts import services as account_services
    from accounts.models import Organisation, User
    from accounts.roles import AgentLevel, Role
    from tests import factories
    from tests.factories import OrganisationFactory, person

    with scopes_disabled():
        agent = User.objects.filter(email="bench-agent@provider.example").first()
        if agent is None:
            provider = factories.provider()
            agent = person(
                provider, Role.AGENT, level=AgentLevel.L1, email="bench-agent@provider.example"
            )
            for index in range(3):
                person(
                    provider,
                    Role.AGENT,
                    level=AgentLevel.L2,
                    email=f"bench-agent{index}@provider.example",
                )
            for index in range(20):
                OrganisationFactory(name=f"Bench desk {index}", domain=f"desk{index}.example")
        _token, secret = account_services.api_token_create(user=agent, name="bench")
        owners = list(
            User.objects.filter(email__startswith="bench-agent").values_list("pk", flat=True)
        )
        organisations = list(
            Organisation.objects.filter(name__startswith="Bench desk").values_list("pk", flat=True)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE number LIKE 'BD-%%'")
        existing = cursor.fetchone()[0]
        if existing < TICKETS:
            started = time.perf_counter()
            cursor.execute(
                """
                INSERT INTO tickets_ticket (
                    organisation_id, number, subject, type, category, priority, level, status,
                    outcome, requester_email, requester_language, created_at, updated_at,
                    paused_minutes, owner_id, resolution_due, first_response_due,
                    resolution_warn_at, first_response_warn_at, first_response_at, paused_since)
                SELECT
                    (%(orgs)s::bigint[])[1 + n %% cardinality(%(orgs)s::bigint[])],
                    'BD-' || n, 'Ticket ' || n, 'incident', 'malfunction', 'normal',
                    (ARRAY['L1', 'L2', 'L3'])[1 + n %% 3],
                    CASE WHEN n %% 20 = 0 THEN 'open' WHEN n %% 20 = 1 THEN 'waiting'
                         WHEN n %% 20 = 2 THEN 'new' ELSE 'closed' END,
                    CASE WHEN n %% 20 > 2 THEN 'solved' ELSE '' END,
                    'user' || n || '@desk.example', 'it',
                    now() - (%(count)s - n) * (interval '1460 days' / %(count)s), now(), 0,
                    (%(owners)s::bigint[])[1 + n %% cardinality(%(owners)s::bigint[])],
                    due, due, due - interval '1 hour', due - interval '1 hour',
                    CASE WHEN n %% 3 = 0 THEN now() END,
                    CASE WHEN n %% 20 = 1 THEN now() - interval '1 day' END
                FROM generate_series(%(first)s, %(count)s) AS n,
                     LATERAL (SELECT now() - (%(count)s - n) * (interval '1460 days' / %(count)s)
                                     + interval '8 hours' AS due) AS d
                """,
                {"orgs": organisations, "owners": owners, "count": TICKETS, "first": existing + 1},
            )
            for kind, table in (
                ("messages", "tickets_ticketmessage"),
                ("events", "tickets_ticketevent"),
            ):
                columns = (
                    "ticket_id, organisation_id, direction, author_id, from_address, body_text, "
                    "body_html, message_id, created_at"
                    if kind == "messages"
                    else "ticket_id, organisation_id, kind, contractual, actor_id, actor_label, "
                    "before, after, at"
                )
                values = (
                    "t.id, t.organisation_id, CASE WHEN m = 1 THEN 'in' ELSE 'out' END, "
                    "t.owner_id, t.requester_email, 'Testo del messaggio ' || m, '', '', "
                    "t.created_at + m * interval '1 minute'"
                    if kind == "messages"
                    else "t.id, t.organisation_id, CASE WHEN m = 1 THEN 'opened' ELSE 'reply' END, "
                    "m = 1, t.owner_id, t.requester_email, '', '', "
                    "t.created_at + m * interval '1 minute'"
                )
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {values} "  # noqa: S608 constants
                    "FROM tickets_ticket t, generate_series(1, %(per)s) AS m "
                    "WHERE t.number LIKE 'BD-%%' AND substr(t.number, 4)::int > %(existing)s",
                    {"per": MESSAGES, "existing": existing},
                )
            cursor.execute("ANALYZE")
            print(f"{TICKETS - existing} tickets filled in {time.perf_counter() - started:.1f} s")
    return {"agent": agent, "secret": secret}


def _time(call, requests: int = REQUESTS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm
    timings, queries = [], set()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        queries.add(len(captured))
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "max_ms": round(timings[-1], 1),
        "queries": sorted(queries),
    }


def _old_list_page(offset: int) -> None:
    """The API list as it was read before: the old ORDER BY with OFFSET, and a count."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        cursor.execute(
            "SELECT * FROM tickets_ticket ORDER BY paused_since ASC NULLS FIRST, "
            "resolution_due ASC NULLS LAST, created_at DESC LIMIT %s OFFSET %s",
            [PAGE, offset],
        )
        cursor.fetchall()


def _execution_ms(sql: str, params: list) -> float:
    """PostgreSQL's own execution time of a statement (EXPLAIN ANALYZE), less noisy than the
    wall clock of a whole request on a shared machine."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        document = cursor.fetchone()[0]
    document = json.loads(document) if isinstance(document, str) else document
    return round(document[0]["Execution Time"], 2)


def _sql_figures(tickets, deep: str) -> dict:
    """Execution ms of the API list's SQL, before (OFFSET in the old order, plus the count)
    and after (the keyset read), at page 1 and page 100."""
    from tickets import selectors

    old = (
        "SELECT * FROM tickets_ticket ORDER BY paused_since ASC NULLS FIRST, "
        "resolution_due ASC NULLS LAST, created_at DESC LIMIT %s OFFSET %s"
    )
    figures = {}
    for label, offset in (("page 1", 0), ("page 100", 99 * PAGE)):
        count = _execution_ms("SELECT count(*) FROM tickets_ticket", [])
        figures[f"before, {label}"] = round(_execution_ms(old, [PAGE, offset]) + count, 2)
    key = selectors.Tuple(*selectors.ticket_list_key())
    later = tickets.filter(selectors.TupleGreaterThan(key, selectors.decode_position(deep)))
    for label, queryset in (("page 1", tickets[: PAGE + 1]), ("page 100", later[: PAGE + 1])):
        sql, params = queryset.query.sql_with_params()
        figures[f"after, {label}"] = _execution_ms(sql, list(params))
    return figures


def measure() -> dict:
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.tenancy import tenancy_for
    from csm_portal.business_calendar import support_minutes_between
    from tests.conftest import client_for
    from tests.tickets.test_business_calendar_closed_form import (
        reference_support_minutes_between,
    )
    from tickets import selectors
    from tickets.models import Ticket

    people = _fill()
    agent = people["agent"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {people['secret']}")
    pages = client_for(agent)
    with scopes_disabled():
        everything = selectors.ticket_list(tenancy=tenancy_for(agent), user=agent, status="")
        deep = selectors.encode_position(everything[100 * PAGE - 1])
        ticket = Ticket.objects.filter(status="open").order_by("pk").first()
        overdue = list(
            Ticket.objects.filter(status="open", resolution_due__lt=timezone.now()).order_by(
                "resolution_due"
            )[:PAGE]
        )
    now = timezone.now()
    late_years = round((now - overdue[0].resolution_due) / timedelta(days=365), 1)

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    texts = iter(range(10**6))

    def reply():
        response = api.post(
            f"/api/v1/tickets/{ticket.pk}/reply/",
            {"body": f"Risposta {next(texts)}"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    def clocks(function):
        def call():
            for row in overdue:
                function(row.resolution_due, now)

        return call

    routes = {
        "API ticket list, page 1": get(api, "/api/v1/tickets/"),
        "API ticket list, page 100 (cursor)": get(api, f"/api/v1/tickets/?cursor=n.{deep}"),
        "before: API list SQL, page 1 (+count)": lambda: _old_list_page(0),
        "before: API list SQL, page 100 (+count)": lambda: _old_list_page(99 * PAGE),
        "agent ticket list": get(pages, "/tickets/"),
        "agent ticket list, breaching soon": get(pages, "/tickets/?sla=soon"),
        "agent ticket list, breached": get(pages, "/tickets/?sla=breached"),
        "ticket detail": get(pages, f"/tickets/{ticket.pk}/"),
        "agent home": get(pages, "/"),
        "API ticket reply (write)": reply,
        f"25 SLA clocks {late_years} years overdue": clocks(support_minutes_between),
        "before: the same 25 clocks, day by day": clocks(reference_support_minutes_between),
    }
    results = {"tickets": TICKETS, "messages_and_events_per_ticket": 2 * MESSAGES, "routes": {}}
    print(f"\ndesk at {TICKETS:,} tickets ({2 * MESSAGES} messages/events each)")
    print(f"{'route':44} {'p50 ms':>8} {'max ms':>8} {'queries':>8}")
    for label, call in routes.items():
        row = _time(call)
        results["routes"][label] = row
        print(
            f"{label:44} {row['p50_ms']:8} {row['max_ms']:8} "
            f"{','.join(map(str, row['queries'])):>8}"
        )
    with scopes_disabled():
        results["api_list_sql_execution_ms"] = _sql_figures(everything, deep)
    print(f"API list SQL, PostgreSQL execution ms: {results['api_list_sql_execution_ms']}")
    r = results["routes"]
    results["ratios"] = {
        "api_list_sql_page_100_before_over_after": round(
            results["api_list_sql_execution_ms"]["before, page 100"]
            / max(results["api_list_sql_execution_ms"]["after, page 100"], 0.01),
            1,
        ),
        "clocks_before_over_after": round(
            r["before: the same 25 clocks, day by day"]["p50_ms"]
            / max(r[f"25 SLA clocks {late_years} years overdue"]["p50_ms"], 0.01),
            1,
        ),
    }
    print(f"ratios: {results['ratios']}")
    first, hundredth = r["API ticket list, page 1"], r["API ticket list, page 100 (cursor)"]
    assert first["queries"] == hundredth["queries"], (
        f"the API list's page 100 runs {hundredth['queries']} queries, page 1 {first['queries']}"
    )
    for label, row in r.items():
        assert len(row["queries"]) == 1, f"{label}: the number of queries varies: {row['queries']}"
    return results


if __name__ == "__main__":
    os.environ["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    measure()
