"""The ticket API at scale (issue 15, SPEC S5, T1): the list answers the serializer's JSON
without the serializer, reads only the columns it shows (no joined organisation or owner), and
runs the same statements at two sizes; the reply runs a fixed, counted set of statements and
still records and notifies what it did."""

import json
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from accounts.roles import AgentLevel, Role
from tests.factories import person
from tests.tickets.test_desk import api, post_json
from tests.tickets.test_desk_scale import fill
from tickets.api import LIST_COLUMNS, TicketSerializer, ticket_json
from tickets.models import Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 27, 10, 17, 31, 123456, tzinfo=UTC)

present = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2040, 12, 31),
    timezones=st.sampled_from([UTC, ROME, zoneinfo.ZoneInfo("America/New_York")]),
)
instants = st.one_of(st.none(), present)
ids = st.one_of(st.none(), st.integers(min_value=1, max_value=2**31 - 1))


def _choice(choices) -> st.SearchStrategy:
    return st.sampled_from([value for value, _label in choices])


random_tickets = st.builds(
    lambda **fields: Ticket(**fields),
    id=st.integers(min_value=1, max_value=2**31 - 1),
    number=st.one_of(st.none(), st.text(max_size=20)),
    organisation_id=st.integers(min_value=1, max_value=2**31 - 1),
    subject=st.text(max_size=300),
    type=_choice(Ticket.Type.choices),
    category=_choice(Ticket.Category.choices),
    priority=_choice(Ticket.Priority.choices),
    level=_choice(AgentLevel.choices),
    owner_id=ids,
    status=_choice(Ticket.Status.choices),
    outcome=st.one_of(st.just(""), _choice(Ticket.Outcome.choices)),
    requester_email=st.emails(),
    linked_to_id=ids,
    activity_request_id=ids,
    created_at=present,
    updated_at=present,
    first_response_at=instants,
    resolved_at=instants,
    closed_at=instants,
    first_response_due=instants,
    resolution_due=instants,
    paused_since=instants,
    first_response_warn_at=instants,
    resolution_warn_at=instants,
)


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ticket=random_tickets, zone=st.sampled_from(["Europe/Rome", "UTC", "Asia/Kolkata"]))
def test_s5_the_list_row_is_the_serializers_json_on_random_tickets(ticket, zone):
    """``ticket_json`` gives byte for byte the JSON of ``TicketSerializer`` (same keys in the
    same order, instants in the active time zone with "Z" for UTC, the clock's minutes left)
    on random tickets: any status, missing and present dates, ids and numbers."""
    with time_machine.travel(NOW, tick=False), timezone.override(zone):
        expected = rendered(TicketSerializer(ticket).data)
        built = rendered(
            ticket_json(ticket, now=timezone.now(), zone=timezone.get_current_timezone())
        )
    assert built == expected


@pytest.fixture
def desk_people(provider_org):
    return [
        person(
            provider_org, Role.AGENT, level=AgentLevel.L1, email=f"agent{index}@provider.example"
        )
        for index in range(3)
    ]


def test_s5_the_api_list_pages_are_the_serializers_json(tenant_a, agent, desk_people):
    """Every page of GET /api/v1/tickets/ (cursor after cursor, with a filter and a search
    too) holds exactly what the serializer says of the same tickets at the same instant."""
    made = fill(tenant_a.organisation, 12, owners=[*desk_people, None], requester=tenant_a.end_user)
    with scopes_disabled():
        Ticket.objects.filter(pk=made[0].pk).update(
            status=Ticket.Status.CLOSED, outcome=Ticket.Outcome.SOLVED, number=None
        )
        Ticket.objects.filter(pk=made[1].pk).update(paused_since=NOW - timedelta(hours=3))
    client = api(agent)
    with time_machine.travel(NOW, tick=False):
        for url in (
            "/api/v1/tickets/?page_size=5",
            "/api/v1/tickets/?page_size=4&status=open",
            "/api/v1/tickets/?search=Ticket 1",
        ):
            seen = 0
            while url:
                body = client.get(url).json()
                with scopes_disabled():
                    by_id = Ticket.objects.in_bulk([row["id"] for row in body["results"]])
                expected = [TicketSerializer(by_id[row["id"]]).data for row in body["results"]]
                assert body["results"] == json.loads(rendered(expected))
                seen += len(body["results"])
                url = body["next"]
            assert seen > 0


def test_s5_the_api_list_reads_the_shown_columns_of_tickets_only(tenant_a, agent, desk_people):
    """The list's one read of tickets joins nothing (the organisation and the owner are shown
    as ids) and selects the shown columns and the clock's instants, and the request runs the
    same statements at 5 and at 60 tickets."""
    client = api(agent)
    client.get("/api/v1/tickets/")  # the token's first use is recorded once

    def measure():
        client.get("/api/v1/tickets/")  # caches warm after the writes
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/tickets/").status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    fill(tenant_a.organisation, 5, owners=desk_people, requester=tenant_a.end_user)
    small = measure()
    fill(tenant_a.organisation, 55, owners=desk_people, requester=tenant_a.end_user, start=5)
    big = measure()
    assert len(small) == len(big), "\n".join(q[:150] for q in big)
    (page,) = [sql for sql in big if '"tickets_ticket"' in sql]
    assert page.startswith('SELECT "tickets_ticket"."id"') and " JOIN " not in page
    selected = page.split(" FROM ")[0]
    assert selected.count('"tickets_ticket".') == len(LIST_COLUMNS)


def test_t1_the_list_filters_still_apply_and_an_empty_one_is_refused(tenant_a, tenant_b, agent):
    """Skipping the filter form when no filter is asked changes nothing when one is: an empty
    filter is still a 400, a filter still narrows, the referent still sees their own tickets."""
    fill(tenant_a.organisation, 4, owners=[agent], requester=tenant_a.end_user)
    fill(tenant_b.organisation, 3, owners=[agent], requester=tenant_b.end_user)
    client = api(agent)
    assert client.get("/api/v1/tickets/?status=").status_code == 400
    assert client.get("/api/v1/tickets/?page_size=0").status_code == 400
    rows = client.get("/api/v1/tickets/", {"organisation": tenant_b.organisation.pk}).json()
    assert {row["organisation"] for row in rows["results"]} == {tenant_b.organisation.pk}
    assert {row["status"] for row in client.get("/api/v1/tickets/?status=new").json()["results"]}
    mine = api(tenant_a.referent).get("/api/v1/tickets/?page_size=200").json()["results"]
    assert {row["organisation"] for row in mine} == {tenant_a.organisation.pk}
    assert len(mine) == 4


# --- the token, from the cache (these use ``transactional_db``: nothing read inside a
# transaction is kept in the cache, as in production's requests) ----------------------------


def _token_statements(client, url: str = "/api/v1/me/") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [q["sql"] for q in captured.captured_queries if "accounts_apitoken" in q["sql"]]


def _warm(user) -> tuple:
    from accounts import services as account_services

    token, secret = account_services.api_token_create(user=user, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for _attempt in range(3):  # the hint, then the entry stored, then read from the cache
        assert client.get("/api/v1/me/").status_code == 200
    status, statements = _token_statements(client)
    assert status == 200 and statements == [], statements
    return token, client


def test_t4_a_token_is_read_from_the_cache_and_revoked_on_the_very_next_request(
    transactional_db, tenant_a, agent
):
    """After its first requests a token costs no statement (one cache read), and revoking it
    (the API's DELETE, the profile's button: ``api_token_revoke``) refuses the very next
    request with a 401, also in another process's cache that already held it."""
    from accounts import services as account_services

    for user in (agent, tenant_a.referent):
        token, client = _warm(user)
        account_services.api_token_revoke(token=token)
        status, statements = _token_statements(client)
        assert status == 401 and statements, statements
        assert client.get("/api/v1/tickets/").status_code == 401


def test_t4_a_password_change_or_deactivation_refuses_a_cached_token_at_once(
    transactional_db, tenant_a, agent
):
    """A new password revokes every token (``user_set_password``), a deactivated person has no
    token that works: the cached token is refused on the next request in both cases."""
    from accounts import services as account_services

    _token, client = _warm(tenant_a.referent)
    account_services.user_set_password(user=tenant_a.referent, password="Nuova-Password-2026!")
    assert client.get("/api/v1/me/").status_code == 401
    _token, client = _warm(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert client.get("/api/v1/me/").status_code == 401


def test_t4_staff_tokens_still_need_two_factor_and_a_closed_customer_none(
    transactional_db, tenant_a, agent
):
    """The cached token changes nothing of the checks made on its owner: staff whose
    authenticator is removed are refused, a customer whose organisation closed too."""
    from allauth.mfa.models import Authenticator

    from accounts.models import Organisation

    _token, client = _warm(agent)
    Authenticator.objects.filter(user=agent).delete()
    assert client.get("/api/v1/me/").status_code == 401
    _token, client = _warm(tenant_a.referent)
    organisation = tenant_a.organisation
    organisation.access = Organisation.Access.CLOSED
    with scopes_disabled():
        organisation.save(update_fields=["access"])
    assert client.get("/api/v1/me/").status_code == 401


# --- the reply ----------------------------------------------------------------------------------


def _ticket_statements(captured) -> list[str]:
    """The statements of the reply itself (the token and the tenancy are not cached inside the
    test's transaction; they are counted by the tests above)."""
    kept = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if "tickets_" not in sql:
            continue
        verb = sql.split()[0]
        table = sql.split(" FROM ")[1].split()[0] if verb == "SELECT" else sql.split()[2]
        locked = " FOR UPDATE" in sql
        kept.append(f"{verb} {table.strip(chr(34))}{' FOR UPDATE' if locked else ''}")
    return kept


def test_l5_the_api_note_runs_five_ticket_statements_and_records_once(
    tenant_a, agent, desk_people, django_capture_on_commit_callbacks
):
    """POST /api/v1/tickets/{id}/reply/ with an internal note: the scoped lookup reads the id
    only (SPEC T1: a foreign or missing id is still a 404), then, in one transaction, the row
    lock, the last message (SPEC L5: a double submit is recorded once), the note and its event.
    The same submit again records nothing new."""
    ticket = fill(tenant_a.organisation, 1, owners=desk_people, requester=tenant_a.end_user)[0]
    client = api(agent)
    url = f"/api/v1/tickets/{ticket.pk}/reply/"
    post_json(client, url, {"body": "riscaldamento", "internal": True})
    with CaptureQueriesContext(connection) as captured:
        response = post_json(client, url, {"body": "Nota per il team.", "internal": True})
    assert response.status_code == 201, response.content
    assert _ticket_statements(captured) == [
        "SELECT tickets_ticket",
        "SELECT tickets_ticket FOR UPDATE",
        "SELECT tickets_ticketmessage",
        "INSERT tickets_ticketmessage",
        "INSERT tickets_ticketevent",
    ]
    lookup = next(q["sql"] for q in captured.captured_queries if "tickets_ticket" in q["sql"])
    assert lookup.startswith('SELECT "tickets_ticket"."id" FROM') and " JOIN " not in lookup
    again = post_json(client, url, {"body": "Nota per il team.", "internal": True})
    assert again.status_code == 201 and again.json()["id"] == response.json()["id"]
    with scopes_disabled():
        assert ticket.messages.filter(body_text="Nota per il team.").count() == 1
        assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).count() == 2


def test_t1_the_reply_lookup_still_refuses_what_the_person_may_not_reach(
    tenant_a, tenant_b, agent, desk_people
):
    """The thin lookup keeps the tenant scope: a referent replying to another organisation's
    ticket, or an end user to somebody else's, gets a 404 and nothing is written; a missing id
    is a 404 too."""
    mine = fill(tenant_a.organisation, 1, owners=desk_people, requester=tenant_a.end_user)[0]
    foreign = fill(tenant_b.organisation, 1, owners=desk_people, requester=tenant_b.end_user)[0]
    referent = api(tenant_a.referent)
    assert (
        post_json(referent, f"/api/v1/tickets/{foreign.pk}/reply/", {"body": "x"}).status_code
        == 404
    )
    assert post_json(referent, "/api/v1/tickets/999999999/reply/", {"body": "x"}).status_code == 404
    other = person(tenant_a.organisation, Role.END_USER, email="other@alfa.example")
    assert (
        post_json(api(other), f"/api/v1/tickets/{mine.pk}/reply/", {"body": "x"}).status_code == 404
    )
    with scopes_disabled():
        assert not TicketMessage.objects.filter(body_text="x").exists()


def test_s6_the_api_mail_reply_still_mails_the_requester_and_records_its_events(
    tenant_a, agent, desk_people, django_capture_on_commit_callbacks
):
    """An agent's reply by mail through the API: one mail to the requester, threaded, with the
    number in the subject, sent after the commit; the reply and status events recorded."""
    from django.core import mail

    ticket = fill(tenant_a.organisation, 1, owners=desk_people, requester=tenant_a.end_user)[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            api(agent), f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "Risolto, grazie."}
        )
    assert response.status_code == 201
    assert response.json()["direction"] == TicketMessage.Direction.OUTBOUND
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [tenant_a.end_user.email] and ticket.number in sent.subject
    assert sent.extra_headers["Message-ID"]
    with scopes_disabled():
        kinds = set(ticket.events.values_list("kind", flat=True))
    assert {TicketEvent.Kind.REPLY, TicketEvent.Kind.STATUS} <= kinds


# --- the throttle -------------------------------------------------------------------------------


def test_attack_the_rate_limit_slides_in_one_round_trip_and_says_when_to_retry(
    tenant_a, monkeypatch
):
    """The per-token limit (a sorted set in Redis, one script per request): the fourth request
    in a minute at 3/min is a 429 with Retry-After, refused requests are not counted, another
    token has its own window, and a minute after the first request one more is allowed."""
    from django.core.cache import cache

    from accounts import services as account_services
    from csm_portal.api_auth import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"})
    cache.clear()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
        clock.shift(timedelta(seconds=20))
        refused = client.get("/api/v1/me/")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        _other, secret = account_services.api_token_create(user=tenant_a.referent, name="two")
        assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        clock.shift(timedelta(seconds=39))
        assert client.get("/api/v1/me/").status_code == 429  # the refusals were not counted
        clock.shift(timedelta(seconds=2))  # 61 s after the first three
        assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    key = cache.make_and_validate_key(f"throttle-window_api_token-{tenant_a.token.pk}")
    window = cache._cache.get_client(key).zcard(key)  # the three requests of this minute
    assert window == 3
