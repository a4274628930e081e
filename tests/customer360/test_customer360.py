"""The customer-360 (issue 14): one page per organisation for provider staff, never for
customers (SPEC T1, T2), with the timeline of every touchpoint at a constant query cost."""

import ast
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from contracts.timeline import hours_series
from csm_portal import timeline
from tests.conftest import client_for
from tests.customer360.objects import add_touchpoints

ROOT = Path(__file__).resolve().parents[2]


def url(tenant, **query) -> str:
    base = reverse("customer_360", args=[tenant.organisation.pk])
    if query:
        from urllib.parse import urlencode

        base += "?" + urlencode(query)
    return base


@pytest.mark.django_db
def test_customer_360_shows_contract_hours_tickets_activities_people_and_timeline(tenant_a, cstm):
    """The CSTM of the customer sees its contract with the renewal date, an hours chart per
    licence year (server-built config in a json_script, no inline script), open tickets,
    recent requests, people with their CSTM and the timeline of touchpoints."""
    add_touchpoints(tenant_a, copies=2, label="Alfa ")
    response = client_for(cstm).get(url(tenant_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert tenant_a.contract.number in html
    assert 'data-testid="c360-renewal"' in html
    with scopes_disabled():
        year = tenant_a.contract.licence_years.get(index=1)
    assert f'id="hours-chart-{year.pk}"' in html
    assert "chart.umd.min.js" in html and "js/charts.js" in html
    assert "Alfa ticket 0" in html
    assert tenant_a.referent.email in html
    assert cstm.display_name in html
    with translation.override("it"):  # the CSTM reads Italian
        invited = translation.gettext("Invitation e-mailed to %(email)s") % {
            "email": tenant_a.invitation.user.email
        }
    assert invited in html
    # Every kind of touchpoint of the data made above appears in the timeline.
    kinds = set(re.findall(r'<li data-kind="([a-z]+)"', html))
    assert kinds == {
        timeline.CHARGES,
        timeline.TICKETS,
        timeline.EMAILS,
        timeline.MEETINGS,
        timeline.WARNINGS,
        timeline.CANCELLATIONS,
        timeline.REQUESTS,
    }
    # No inline script on the page: the CSP stays strict.
    for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
        assert 'type="application/json"' in script


@pytest.mark.django_db
def test_t1_customers_never_reach_the_customer_360(tenant_a):
    """SPEC T1: a referent or an end user gets a 404 on the 360 of their own organisation."""
    for user in (tenant_a.referent, tenant_a.end_user):
        assert client_for(user).get(url(tenant_a)).status_code == 404


@pytest.mark.django_db
def test_t2_a_cstm_cannot_open_the_360_of_a_customer_not_assigned(tenant_a, tenant_b, cstm):
    """SPEC T2: a CSTM sees their own customers only; another customer's 360 is a 404, the
    same answer as for an organisation that does not exist."""
    client = client_for(cstm)
    assert client.get(url(tenant_b)).status_code == 404
    assert client.get(reverse("customer_360", args=[999_999])).status_code == 404


@pytest.mark.django_db
def test_agents_and_admins_read_the_360_of_every_customer(tenant_b, agent, admin_user):
    """Agents and admins work across organisations (SPEC T2): they read any customer's 360."""
    for user in (agent, admin_user):
        assert client_for(user).get(url(tenant_b)).status_code == 200


@pytest.mark.django_db
def test_the_provider_organisation_has_no_360(admin_user, provider_org):
    """The provider is not a customer: its 360 does not exist."""
    response = client_for(admin_user).get(reverse("customer_360", args=[provider_org.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_360_is_linked_from_the_organisation_detail_and_list(tenant_a, cstm):
    """Staff reach the 360 from the organisation's page and from the organisation list."""
    client = client_for(cstm)
    target = url(tenant_a)
    detail = reverse("organisation_detail", args=[tenant_a.organisation.pk])
    assert target in client.get(detail).content.decode()
    assert target in client.get(reverse("organisation_list")).content.decode()


@pytest.mark.django_db
def test_the_timeline_filters_by_kind_and_is_newest_first(tenant_a, cstm):
    """``?kind=`` keeps one kind of touchpoint; items come newest first."""
    add_touchpoints(tenant_a, copies=3, label="Alfa ")
    html = client_for(cstm).get(url(tenant_a, kind=timeline.MEETINGS)).content.decode()
    assert set(re.findall(r'<li data-kind="([a-z]+)"', html)) == {timeline.MEETINGS}
    moments = re.findall(r'<time datetime="([^"]+)"', html)
    assert len(moments) == 3
    assert moments == sorted(moments, reverse=True)


@pytest.mark.django_db
def test_the_timeline_refuses_an_end_date_before_the_start_with_a_message(tenant_a, cstm):
    """Bad input: a clear sentence in the user's language; the timeline is shown unfiltered."""
    client = client_for(cstm)
    response = client.get(url(tenant_a, since="2026-05-10", until="2026-05-01"))
    assert response.status_code == 200
    assert "La data di fine è precedente a quella di inizio." in response.content.decode() or (
        "The end date is before the start date." in response.content.decode()
    )


@pytest.mark.django_db
def test_the_timeline_keyset_pages_show_every_touchpoint_once(tenant_a):
    """Keyset pagination: walking the pages (ties on the same moment included) yields every
    touchpoint exactly once, in order."""
    add_touchpoints(tenant_a, copies=12, label="Alfa ")
    with scopes_disabled():
        everything = timeline.timeline(organisation_id=tenant_a.organisation.pk, limit=1000)
        seen = []
        cursor = None
        while True:
            page = timeline.timeline(
                organisation_id=tenant_a.organisation.pk, before=cursor, limit=7
            )
            seen.extend((t.source, t.pk) for t in page.items)
            if page.next_cursor is None:
                break
            cursor = timeline.Cursor.decode(page.next_cursor.encode())
    assert seen == [(t.source, t.pk) for t in everything.items]
    assert len(seen) == len(set(seen)) > 60


@pytest.mark.django_db
def test_the_timeline_date_range_keeps_what_happened_between_the_dates(tenant_a):
    """``since``/``until`` bound every source by its own time."""
    add_touchpoints(tenant_a, copies=2)
    today = timezone.localdate()
    with scopes_disabled():
        page = timeline.timeline(
            organisation_id=tenant_a.organisation.pk,
            since=today - timedelta(days=1),
            until=today - timedelta(days=1),
        )
    assert page.items and {t.kind for t in page.items} == {timeline.MEETINGS}


@pytest.mark.django_db
def test_the_360_costs_the_same_queries_whatever_the_customers_history(
    tenant_a, cstm, django_assert_num_queries
):
    """STYLE: query count asserted exactly, at two sizes of history (1 and 40 of each
    touchpoint): the page does not grow with the data."""
    client = client_for(cstm)
    client.get(url(tenant_a))  # warm the session and caches
    add_touchpoints(tenant_a, copies=1)
    # user, membership (tenancy), CSTM assignments (tenancy), the staff's authenticator (MFA
    # middleware), the organisation (the session comes from the cache, issue 15); the timeline:
    # the page's keys from every source in one query, then the page's rows (issue 15: 2, not one
    # per source); panels: contracts + their services, licence years + charges per week, open
    # tickets, requests + statements; people; CSTM assignments.
    expected = 5 + 2 + 7 + 2
    with django_assert_num_queries(expected):
        assert client.get(url(tenant_a)).status_code == 200
    add_touchpoints(tenant_a, copies=40, label="more ")
    with django_assert_num_queries(expected):
        assert client.get(url(tenant_a)).status_code == 200


def test_accounts_and_the_registry_import_no_higher_app():
    """STYLE, dependencies point down: the 360 view and the registry import none of contracts,
    activities, tickets or onboarding; those apps register into the registry instead."""
    higher = {"contracts", "activities", "tickets", "onboarding"}
    for path in ("accounts/customer360.py", "csm_portal/timeline.py"):
        tree = ast.parse((ROOT / path).read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in higher, f"{path} imports {name}"


def test_every_timeline_kind_has_a_source_and_the_availability_slot_is_kept():
    """Every kind of the filter is fed by at least one app's source; the S9 availability slot
    exists for the desk."""
    fed = {source.kind for source in timeline.sources()}
    assert fed == set(timeline.KIND_LABELS)
    assert timeline.AVAILABILITY in timeline.SLOTS


def test_hours_series_is_the_cumulative_charges_against_the_straight_line_of_time():
    """Pure: weekly points; the cumulative line stops after today; the straight line runs from
    the first day's share to the whole budget on the last day."""
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)
    days, cumulative, straight = hours_series(
        starts_on=start,
        ends_on=end,
        total=Decimal("36.5"),
        charged_by_day={date(2026, 1, 3): Decimal("1.5"), date(2026, 1, 20): Decimal("2")},
        today=date(2026, 1, 22),
    )
    mid_week = hours_series(
        starts_on=start, ends_on=end, total=Decimal("10"), charged_by_day={}, today=date(2026, 1, 3)
    )[0]
    assert mid_week[:3] == [start, date(2026, 1, 3), date(2026, 1, 8)]
    # Weekly from the first day, with today (22 January) among them.
    assert days[:6] == [date(2026, 1, d) for d in (1, 8, 15, 22, 29)] + [date(2026, 2, 5)]
    assert days[-1] == end
    assert cumulative[:4] == [Decimal("0"), Decimal("1.5"), Decimal("1.5"), Decimal("3.5")]
    assert cumulative[4] is None
    assert straight[0] == Decimal("0.10") and straight[-1] == Decimal("36.50")
    assert all(isinstance(value, Decimal) for value in straight)


@pytest.mark.django_db
def test_terms_accepted_by_the_referent_appear_in_the_timeline(tenant_a, cstm):
    """SPEC C4 acceptances are touchpoints: who accepted which document."""
    from django.core.files.base import ContentFile

    from contracts.models import Acceptance, TermsDocument

    document = TermsDocument(kind=TermsDocument.Kind.EULA, version="2026.1")
    document.file.save("eula.pdf", ContentFile(b"%PDF-1.4 eula"), save=True)
    with scopes_disabled():
        Acceptance.objects.create(
            organisation=tenant_a.organisation, document=document, accepted_by=tenant_a.referent
        )
    html = client_for(cstm).get(url(tenant_a, kind=timeline.TERMS)).content.decode()
    assert set(re.findall(r'<li data-kind="([a-z]+)"', html)) == {timeline.TERMS}
    assert "2026.1" in html and tenant_a.referent.display_name in html


@pytest.mark.django_db
def test_a_forged_or_broken_cursor_shows_the_first_page(tenant_a, cstm):
    """``?before=`` is parsed defensively: garbage or a naive time means the first page, never
    an error."""
    client = client_for(cstm)
    for before in ("garbage", "MjAyNi0wMS0wMVQwMDowMDowMHxhfDE", "%%%"):
        assert client.get(url(tenant_a, before=before)).status_code == 200
    assert timeline.Cursor.decode("garbage") is None
