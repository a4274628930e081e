"""Issue 15, the contracts and hours routes under load (SPEC H3, H9, H10, C4, T1): what each of
the referent's home, the hours page, the CSTM contract list, the balance API and the log-time
write reads, counted and compared with the slow reference. Structure, not time: the timings are
``make bench``'s and ``/work/profdb/profile_route.py``'s."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts import services as account_services
from contracts import selectors
from contracts import services as contract_services
from contracts.api import BalanceSerializer, balance_json
from contracts.models import Acceptance, Contract, LicenceYear, TermsDocument
from contracts.templatetags.hours import hours as hours_filter
from contracts.templatetags.links import id_url
from csm_portal import formatting
from tests.activities.conftest import kicked_off, log, requested  # noqa: F401
from tests.conftest import client_for
from tests.contracts.test_page_scale import _charges as _charge

pytestmark = pytest.mark.django_db


def _captured(client, url: str, **extra) -> list[str]:
    client.get(url, **extra)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries]


def _on(table: str, statements: list[str]) -> list[str]:
    return [sql for sql in statements if f'FROM "{table}"' in sql]


def test_h10_the_hours_page_reads_the_ledger_page_as_plain_rows(tenant_a):
    """The referent's hours page reads the ledger in two statements, its count and its page,
    from the ledger table alone: no join to users or reversed entries, no prefetch of
    reversals (the page has no correction link), at 2 and at 40 entries."""
    client = client_for(tenant_a.referent)
    for count in (2, 40):
        _charge(tenant_a, count)
        ledger = _on("contracts_ledgerentry", _captured(client, reverse("hours")))
        assert len(ledger) == 2, ledger
        assert "COUNT(*)" in ledger[0]
        assert " JOIN " not in ledger[1] and " LIMIT " in ledger[1], ledger[1]


def test_h10_the_hours_page_shows_the_same_ledger_and_statements(tenant_a, cstm):
    """The plain rows show what the model rows showed: every charge's description and hours,
    the correction badge of a reversal, and the statement with its links."""
    from activities.models import Statement
    from tests.activities.conftest import complete

    kickoff = requested(tenant_a, "kickoff")
    log(kickoff, cstm, 50)
    complete(kickoff, cstm)
    _charge(tenant_a, 3)
    html = client_for(tenant_a.referent).get(reverse("hours")).content.decode()
    with scopes_disabled():
        statement = Statement.objects.get(request=kickoff)
    assert "Work 2" in html and "Wrong year" in html
    assert 'class="reversal"' in html and ">storno<" in html
    assert f'href="{reverse("statement_download", args=[statement.pk])}"' in html
    assert f'href="{reverse("activity_request_detail", args=[kickoff.pk])}"' in html
    assert statement.number in html
    assert 'data-label="Ore addebitate"' in html


def test_h10_the_referent_home_reads_the_current_year_in_one_narrow_query(tenant_a):
    """The hours panel of the referent's home reads one licence year, the one open today, with
    its stored totals (LIMIT 1): not every year of every contract."""
    client = client_for(tenant_a.referent)
    _charge(tenant_a, 2)
    years = _on("contracts_licenceyear", _captured(client, "/"))
    assert len(years) == 1, years
    assert "LIMIT 1" in years[0] and "ledgerentry" not in years[0]


def test_h10_the_hours_panel_finds_the_year_the_hours_page_finds(tenant_a):
    """``current_year_of`` (the home's narrow query) gives the year and balance that
    ``current_year(hours_overview(...))`` (the hours page) gives, with several contracts and
    years, including a draft that must not count."""
    today = timezone.localdate()
    with scopes_disabled():
        organisation = tenant_a.organisation
        draft = Contract.objects.create(
            organisation=organisation,
            number="DRAFT-1",
            sales_channel="direct",
            signed_on=today,
            starts_on=today - timedelta(days=10),
            expires_on=today + timedelta(days=300),
            hours_per_year=Decimal("50"),
            status=Contract.Status.DRAFT,
        )
        LicenceYear.objects.create(
            contract=draft,
            organisation=organisation,
            index=1,
            starts_on=draft.starts_on,
            ends_on=draft.expires_on,
            allocation=Decimal("50"),
        )
        _charge(tenant_a, 3)
        for day in (today, today - timedelta(days=200), today + timedelta(days=400)):
            slow = selectors.current_year(
                selectors.hours_overview(organisation=organisation, today=day), day
            )
            fast = selectors.current_year_of(organisation_id=organisation.pk, today=day)
            if slow is None:
                assert fast is None
                continue
            assert fast["pk"] == slow.pk
            balance = selectors.balance_of(slow)
            assert (fast["allocation"], fast["pack_hours"], fast["charged_hours"]) == (
                balance.allocation,
                balance.packs,
                balance.charged,
            )


def test_h10_the_referent_home_panels_show_requests_statements_and_hours(tenant_a, cstm):
    """The home's panels built from plain rows still show the request in progress with what it
    waits for, its link, the latest statement and the remaining hours."""
    from activities.models import Statement
    from tests.activities.conftest import complete

    kickoff = requested(tenant_a, "kickoff")
    log(kickoff, cstm, 50)
    complete(kickoff, cstm)
    waiting = requested(tenant_a, "platform-support")
    html = client_for(tenant_a.referent).get("/").content.decode()
    with scopes_disabled():
        statement = Statement.objects.get(request=kickoff)
    assert f'href="{reverse("activity_request_detail", args=[waiting.pk])}"' in html
    assert "In attesa che il tuo CSTM la pianifichi." in html or "pianific" in html
    assert f'href="{reverse("statement_download", args=[statement.pk])}"' in html
    assert 'data-testid="remaining-hours"' in html


def test_t1_the_balance_api_looks_the_contract_up_and_reads_its_years(tenant_a, tenant_b):
    """The balance API reads two rows of contracts after the token and tenancy: the contract
    (in scope, else 404) and its licence years; no service lines, no organisation. Another
    customer's contract is still a 404 (T1)."""
    _token, secret = account_services.api_token_create(user=tenant_a.referent, name="speed")
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/contracts/{tenant_a.contract.pk}/balance/"
    statements = _captured(client, url)
    contracts = _on("contracts_contract", statements) + _on("contracts_licenceyear", statements)
    assert len(contracts) == 2, contracts
    assert not _on("contracts_contractservice", statements)
    assert not _on("accounts_organisation", contracts)
    assert " JOIN " not in contracts[0]
    foreign = f"/api/v1/contracts/{tenant_b.contract.pk}/balance/"
    assert client.get(foreign).status_code == 404


def test_h9_the_balance_json_is_the_serializers_on_random_balances():
    """``balance_json`` (built directly) gives exactly ``BalanceSerializer(...).data`` for
    random hours (two decimals), dates and flags, and for a contract with no year."""
    rng = random.Random(15)

    def hours() -> Decimal:
        return Decimal(rng.randint(-99_999, 9_999_999)) / 100

    payloads = [
        {
            "licence_year": None,
            "index": None,
            "starts_on": None,
            "ends_on": None,
            "is_current": False,
            "allocation": Decimal("0"),
            "packs": Decimal("0"),
            "charged": Decimal("0"),
            "remaining": Decimal("0"),
            "used_percent": 0,
        }
    ]
    for _ in range(300):
        start = date(2020, 1, 1) + timedelta(days=rng.randint(0, 3000))
        payloads.append(
            {
                "licence_year": rng.randint(1, 10**6),
                "index": rng.randint(1, 5),
                "starts_on": start,
                "ends_on": start + timedelta(days=364),
                "is_current": rng.random() < 0.5,
                "allocation": hours(),
                "packs": hours(),
                "charged": hours(),
                "remaining": hours(),
                "used_percent": rng.randint(0, 150),
            }
        )
    for payload in payloads:
        assert balance_json(payload) == dict(BalanceSerializer(payload).data), payload


def test_h3_the_api_log_time_write_runs_no_redundant_statement(kicked_off, cstm):  # noqa: F811
    """The log-time write (POST /api/v1/work-sessions/) that charges the ledger runs 23
    statements in its transaction, from the idempotency key's insert to its answer: the
    request read by the serializer and again under its lock (its referent joined, not read
    later), the terms, kick-off, day-total, licence-year, stage-minutes and already-charged
    checks (one statement each), the session, the locked licence year (whose stored totals
    decide the overdraft and the 80/95 % warnings: no re-read), the entry, its link to the
    request, the request's update; no read of a user, an organisation or the licence year
    after the insert."""
    from tests.activities.test_api import SESSIONS, api

    req = requested(kicked_off, "platform-support")
    client = api(cstm)
    client.get("/api/v1/contracts/")
    data = {"request": req.pk, "worked_on": timezone.localdate().isoformat(), "minutes": 30}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            SESSIONS, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY="speed-1"
        )
    assert response.status_code == 201, response.content
    assert response.json()["charge"]["delta"] == "1.00"
    statements = [q["sql"] for q in captured.captured_queries]
    start = next(i for i, sql in enumerate(statements) if "contracts_idempotencykey" in sql)
    write = statements[start:]
    assert len(write) == 21, "\n".join(sql[:120] for sql in write)
    after_insert = write[
        next(i for i, s in enumerate(write) if "INSERT INTO" in s and "worksession" in s) :
    ]
    for table in ("accounts_user", "accounts_organisation"):
        assert not _on(table, write), table
    assert len(_on("contracts_licenceyear", after_insert)) == 1  # the lock, nothing after
    assert len(_on("contracts_licenceyear", write)) == 2  # the plan's read and the lock


def test_h10_the_80_percent_warning_still_fires_from_the_locked_row(kicked_off, cstm):  # noqa: F811
    """The usage warning, computed from the locked licence-year row without reading it again,
    fires once when a charge passes 80 % of the year (SPEC H10), not on the next charge."""
    from activities.models import UsageWarning

    with scopes_disabled():
        year = kicked_off.contract.licence_years.get(index=1)
        total = year.allocation + year.pack_hours
        # Charge up to just under 80 % with a past entry, then log the crossing session.
        target = (
            (total * Decimal("0.8")).quantize(Decimal("0.5")) - Decimal("1") - year.charged_hours
        )
        if target > 0:
            contract_services.ledger_charge(
                licence_year=year,
                hours=target,
                description="Earlier work",
                occurred_on=timezone.localdate(),
                by=None,
                overdraft_allowed=None,
            )
    req = requested(kicked_off, "platform-support")
    log(req, cstm, 120, caused=True, reason="Extra analysis")
    with scopes_disabled():
        assert list(
            UsageWarning.objects.filter(licence_year=year).values_list("percent", flat=True)
        ) == [80]


def _terms_accepted_reference(organisation) -> bool:
    """The previous implementation: the latest document of each kind, then a count."""
    latest: dict[str, int] = {}
    for kind, pk in TermsDocument.objects.order_by("kind", "-published_at", "-pk").values_list(
        "kind", "pk"
    ):
        latest.setdefault(kind, pk)
    if not latest:
        return True
    accepted = Acceptance.objects.filter(
        organisation=organisation, document_id__in=latest.values()
    ).count()
    return accepted == len(latest)


def test_c4_terms_accepted_in_one_statement_equals_the_reference(tenant_a, tenant_b):
    """SPEC C4: ``terms_accepted`` in one statement agrees with the two-step reference on
    random publications (several kinds and versions, same-instant publications) and random
    acceptances, for two customers; one statement each time."""
    rng = random.Random(4)
    base = timezone.now() - timedelta(days=30)
    kinds = list(TermsDocument.Kind.values)
    with scopes_disabled():
        for round_ in range(12):
            kind = rng.choice(kinds)
            at = base + timedelta(days=rng.choice([round_, round_ - 1]))
            document = TermsDocument.objects.create(
                kind=kind, version=f"v{round_}", file=f"terms/{round_}.pdf", published_at=at
            )
            for tenant in (tenant_a, tenant_b):
                if rng.random() < 0.7:
                    Acceptance.objects.create(
                        organisation=tenant.organisation,
                        document=document,
                        accepted_by=tenant.referent,
                    )
            for tenant in (tenant_a, tenant_b):
                with CaptureQueriesContext(connection) as captured:
                    got = selectors.terms_accepted(tenant.organisation)
                assert len(captured) == 1
                assert got == _terms_accepted_reference(tenant.organisation)


@pytest.mark.parametrize(
    "name", ["statement_download", "activity_request_detail", "contract_detail", "meeting_detail"]
)
def test_t1_row_links_equal_the_reversed_urls(name):
    """``id_url`` (one reversed prefix per route) gives what ``reverse`` gives, for any id."""
    link = id_url(name)
    for pk in (1, 7, 10, 987654320, 123456789012):
        assert link(pk) == reverse(name, args=[pk])


def test_s8_remembered_hours_follow_the_active_language():
    """The hours filter remembers its text per language: Italian writes 1,5 and English 1.5,
    whichever language asked first, and equals ``formatting.hours`` for every amount."""
    amounts = [Decimal(n) / 100 for n in range(-300, 300, 7)] + [
        Decimal("1234567.5"),
        Decimal("0"),
        Decimal("-0.00"),
        Decimal("0.00"),
        None,
    ]
    for language in ("en", "it", "en", "fr", "es"):
        with translation.override(language):
            for amount in amounts:
                assert hours_filter(amount) == formatting.hours(amount)
    with translation.override("it"):
        assert hours_filter(Decimal("1.5")) == "1,5"
    with translation.override("en"):
        assert hours_filter(Decimal("1.50")) == "1.5"
