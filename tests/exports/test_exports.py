"""CSV and Excel exports of the lists (issue 14): scope (SPEC T1–T3), the page's filters,
formula injection, streaming, typed Excel cells — one shared helper for every list."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from contracts import services as contract_services
from csm_portal import exports
from tests.conftest import client_for
from tests.customer360.objects import add_touchpoints

INJECTION = '=HYPERLINK("http://evil.example","click")'


def csv_rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def excel_rows(response) -> list[list]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def charge(tenant, description: str, hours: str = "2.25") -> None:
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        contract_services.ledger_charge(
            licence_year=year,
            hours=Decimal(hours),
            description=description,
            occurred_on=year.starts_on,
            by=None,
        )


# --------------------------------------------------------------------------- the helper


def test_formula_injection_is_neutralised_in_text_cells_only():
    """OWASP CSV injection: text starting with = + - @ tab or CR gets a leading apostrophe;
    numbers (a negative reversal) and dates are left alone."""
    for text in ("=1+1", "+39 02 1234", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert exports.csv_cell(text) == "'" + text
        assert exports.excel_cell(text) == "'" + text
    assert exports.csv_cell("Kick-off") == "Kick-off"
    assert exports.csv_cell(Decimal("-1.50")) == "-1.50"
    assert exports.excel_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert exports.csv_cell(date(2026, 11, 26)) == "2026-11-26"


# --------------------------------------------------------------------------- the ledger


@pytest.mark.django_db
def test_ledger_csv_streams_utf8_with_bom_and_neutralises_formulas(tenant_a, cstm):
    """The ledger export streams (StreamingHttpResponse), is UTF-8 with a BOM, comma-separated,
    hours as exact decimals, and a description written as a formula is neutralised."""
    charge(tenant_a, INJECTION)
    response = client_for(cstm).get(
        reverse("ledger_export", args=[tenant_a.contract.pk]), {"format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        f'filename="ledger-{tenant_a.contract.number}-{today}.csv"'
        in (response["Content-Disposition"])
    )
    rows = csv_rows(response)
    descriptions = [row[3] for row in rows[1:]]
    assert "'" + INJECTION in descriptions
    assert INJECTION not in descriptions
    assert {row[5] for row in rows[1:]} == {"2.25", "1.50"}


@pytest.mark.django_db
def test_ledger_excel_opens_with_openpyxl_with_numbers_and_dates_typed(tenant_a, cstm):
    """Excel: the workbook opens; hours are numbers, dates are dates, a formula is text."""
    charge(tenant_a, INJECTION)
    response = client_for(cstm).get(
        reverse("ledger_export", args=[tenant_a.contract.pk]), {"format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{timezone.localdate().isoformat()}.xlsx"')
    header, *rows = excel_rows(response)
    assert header[5] == "Hours" or header[5] == "Ore"
    by_description = {row[3]: row for row in rows}
    injected = by_description["'" + INJECTION]
    assert isinstance(injected[5], int | float) and injected[5] == 2.25
    assert isinstance(injected[0], datetime)  # openpyxl reads a date cell back as a datetime
    assert isinstance(injected[6], datetime)


@pytest.mark.django_db
def test_t1_a_referent_cannot_export_another_organisations_ledger_by_id(tenant_a, tenant_b):
    """SPEC T1: B's contract id in A's referent's hands is a 404, in both formats."""
    client = client_for(tenant_a.referent)
    for kind in ("csv", "xlsx"):
        url = reverse("ledger_export", args=[tenant_b.contract.pk])
        assert client.get(url, {"format": kind}).status_code == 404
    own = client.get(reverse("ledger_export", args=[tenant_a.contract.pk]))
    assert own.status_code == 200


@pytest.mark.django_db
def test_the_ledger_export_keeps_the_licence_year_asked(tenant_a, cstm):
    """``?year=`` (the index, as on the contract page) keeps that licence year's entries."""
    response = client_for(cstm).get(
        reverse("ledger_export", args=[tenant_a.contract.pk]), {"year": "2"}
    )
    assert csv_rows(response)[1:] == []


@pytest.mark.django_db
def test_an_unknown_export_format_is_a_404(tenant_a, cstm):
    url = reverse("ledger_export", args=[tenant_a.contract.pk])
    assert client_for(cstm).get(url, {"format": "pdf"}).status_code == 404


# --------------------------------------------------------------------------- the lists


@pytest.mark.django_db
def test_t2_a_cstm_exports_only_their_customers_contracts(tenant_a, tenant_b, cstm):
    """SPEC T2: another customer's contract never appears in a CSTM's export."""
    rows = csv_rows(client_for(cstm).get(reverse("contract_export")))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {tenant_a.contract.number}


@pytest.mark.django_db
def test_the_contracts_export_honours_the_search_and_status_filters(tenant_a, tenant_b, admin_user):
    """The page's ``q`` and ``status`` filters apply to the export."""
    client = client_for(admin_user)
    rows = csv_rows(client.get(reverse("contract_export"), {"q": "Bravo"}))
    assert [row[1] for row in rows[1:]] == [tenant_b.organisation.name]
    rows = csv_rows(client.get(reverse("contract_export"), {"status": "draft"}))
    assert rows[1:] == []
    typed = excel_rows(client.get(reverse("contract_export"), {"format": "xlsx"}))
    assert all(isinstance(row[8], int | float) for row in typed[1:])  # hours per year


@pytest.mark.django_db
def test_t1_a_referent_exports_only_their_organisations_requests_and_statements(tenant_a, tenant_b):
    """SPEC T1: A's referent's request and statement exports hold none of B's rows."""
    add_touchpoints(tenant_a, label="Alfa ")
    add_touchpoints(tenant_b, label="Bravo ")
    client = client_for(tenant_a.referent)
    requests = csv_rows(client.get(reverse("activity_request_export"), {"status": "open"}))
    assert requests[1:] and {row[2] for row in requests[1:]} == {tenant_a.organisation.name}
    statements = csv_rows(
        client.get(reverse("statement_export"), {"organisation": tenant_b.organisation.pk})
    )
    assert statements[1:] == []


@pytest.mark.django_db
def test_the_tickets_export_honours_the_filters_and_the_scope(tenant_a, tenant_b, cstm, agent):
    """The desk's filters apply; a CSTM gets their customers' tickets only."""
    add_touchpoints(tenant_a, copies=2, label="Alfa ")
    add_touchpoints(tenant_b, copies=2, label="Bravo ")
    subjects = {row[1] for row in csv_rows(client_for(cstm).get(reverse("ticket_export")))[1:]}
    assert subjects == {"Alfa ticket 0", "Alfa ticket 1"}
    found = csv_rows(client_for(agent).get(reverse("ticket_export"), {"q": "Bravo ticket 1"}))
    assert [row[1] for row in found[1:]] == ["Bravo ticket 1"]
    closed = csv_rows(client_for(agent).get(reverse("ticket_export"), {"status": "closed"}))
    assert closed[1:] == []


@pytest.mark.django_db
def test_people_exports_keep_to_the_scope_and_the_role_filter(tenant_a, tenant_b, admin_user):
    """Admins export everybody with the page's filters; a referent exports their own
    organisation's people and gets a 404 for another's."""
    rows = csv_rows(client_for(admin_user).get(reverse("people_export"), {"role": "referent"}))
    assert {row[2] for row in rows[1:]} == {tenant_a.referent.email, tenant_b.referent.email}
    referent = client_for(tenant_a.referent)
    own = csv_rows(
        referent.get(reverse("organisation_people_export", args=[tenant_a.organisation.pk]))
    )
    assert {row[3] for row in own[1:]} == {tenant_a.organisation.name}
    other = reverse("organisation_people_export", args=[tenant_b.organisation.pk])
    assert referent.get(other).status_code == 404
    assert referent.get(reverse("people_export")).status_code == 404


@pytest.mark.django_db
def test_each_list_has_export_buttons_that_keep_the_filters(tenant_a, cstm, admin_user):
    """The list pages carry "Export CSV / Excel" links with the current filters (not the page
    number)."""
    client = client_for(cstm)
    html = client.get(reverse("contract_list"), {"q": "Alfa", "page": "1"}).content.decode()
    assert f"{reverse('contract_export')}?q=Alfa&amp;format=xlsx" in html
    html = client.get(reverse("ticket_list"), {"status": "closed"}).content.decode()
    assert f"{reverse('ticket_export')}?status=closed&amp;format=csv" in html
    html = client.get(reverse("activity_request_list"), {"status": "open"}).content.decode()
    assert f"{reverse('activity_request_export')}?status=open&amp;format=csv" in html
    html = client_for(admin_user).get(reverse("people_list"), {"role": "cstm"}).content.decode()
    assert f"{reverse('people_export')}?role=cstm&amp;format=csv" in html
    html = client_for(tenant_a.referent).get(reverse("hours")).content.decode()
    assert f"{reverse('ledger_export', args=[tenant_a.contract.pk])}?year=1&amp;format=csv" in html


@pytest.mark.django_db
def test_t3_the_streamed_body_is_read_in_the_scope_of_the_request(tenant_a, tenant_b):
    """SPEC T3: a CSV body is produced after the view returned, outside the middleware's
    scope; the helper opens the same scope again, so a query made while streaming still sees
    only the user's organisations (and does not fail for want of a scope)."""
    from django_scopes import scope

    from accounts.models import Organisation

    def rows():
        yield from Organisation.objects.order_by("name")

    with scope(organisation=[tenant_a.organisation.pk]):
        response = exports.csv_response(
            rows=rows(), columns=(exports.Column("Name", lambda o: o.name),), name="test"
        )
    assert [row[0] for row in csv_rows(response)[1:]] == [tenant_a.organisation.name]


@pytest.mark.django_db
def test_a_contract_number_with_odd_characters_makes_a_safe_file_and_sheet_name(tenant_a, cstm):
    """A contract number with a slash and a quote gives a plain file name and a valid Excel
    sheet title (openpyxl refuses "/" in titles)."""
    with scopes_disabled():
        type(tenant_a.contract).objects.filter(pk=tenant_a.contract.pk).update(number='2026/"7"')
    url = reverse("ledger_export", args=[tenant_a.contract.pk])
    response = client_for(cstm).get(url, {"format": "xlsx"})
    assert response.status_code == 200
    day = timezone.localdate().isoformat()
    assert f'filename="ledger-2026-7-{day}.xlsx"' in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).sheetnames == [
        "ledger-2026-7"
    ]
