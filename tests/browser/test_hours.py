"""Browser journeys of issue 5: the referent's hours page and the CSTM's contract list
(SPEC H1, H9, H10, C2). Screenshots land in test-artifacts/screenshots/."""

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from contracts import services
from contracts.models import Contract
from tests.browser.conftest import open_menu, screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant
from tests.factories import CstmAssignmentFactory, OrganisationFactory, contract_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_referent_sees_remaining_hours_and_why_each_was_charged(page, provider_org):
    tenant = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example")
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    sign_in(page, tenant.referent, staff=False)
    open_menu(page)
    page.get_by_role("link", name="Ore CSM").click()
    page.wait_for_selector("[data-testid=balance]")
    # 20 allocated + 8 pack − 1.5 charged, in Italian notation.
    assert page.inner_text("[data-testid=remaining-hours]") == "26,5"
    ledger = page.inner_text("[data-testid=ledger-table]")
    assert "Kick-off of Alfa" in ledger and "1,5" in ledger
    assert "Bravo" not in page.content()
    years = page.locator("[data-testid=hours-years] tbody tr")
    assert years.count() == 3  # a 3-year contract, past and future years listed
    screenshot(page, "referent-hours")


def test_the_cstm_sees_their_contracts_with_balances_burn_and_expiry(page, provider_org, cstm):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")  # not theirs
    from datetime import date

    charlie = OrganisationFactory(name="Charlie Legacy S.r.l.")
    CstmAssignmentFactory(organisation=charlie, cstm=cstm)
    legacy = contract_for(
        charlie,
        signed_on=date(2023, 6, 1),
        starts_on=date(2023, 7, 1),
        expires_on=date(2027, 6, 30),
        number="LEGACY-1",
    )
    with scopes_disabled():
        Contract.objects.filter(pk=legacy.pk).update(status="active")
        year = alfa.contract.licence_years.get(index=1)
        services.ledger_charge(
            licence_year=year,
            hours=Decimal("12"),
            description="Phishing campaign",
            occurred_on=year.starts_on,
            by=cstm,
        )
    sign_in(page, cstm, staff=True)
    open_menu(page)
    page.locator("nav.mainnav").get_by_text("Contratti", exact=True).click()
    table = page.locator("[data-testid=contract-table]")
    table.wait_for()
    text = table.inner_text()
    assert alfa.contract.number in text and "LEGACY-1" in text
    assert "Bravo" not in page.content()
    row = table.locator("tr", has_text=alfa.contract.number)
    assert row.locator("[data-testid=remaining]").inner_text() == "14,5 / 28 h"
    assert "legacy" in table.locator("tr", has_text="LEGACY-1").inner_text().lower()
    assert row.locator(".burn-used").count() == 1
    page.fill("input[name=q]", "LEGACY")
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings (issue 11).
    expect(page.locator("[data-testid=contract-table] tbody tr")).to_have_count(1)
    screenshot(page, "cstm-contracts")
