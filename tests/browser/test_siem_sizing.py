"""Browser journey of the SIEM sizing workshop (issue 13, SPEC W2), in Italian, on a desktop and
a phone: a CSTM opens a workshop for the customer, enters three log-source types (the catalogue
fills in the typical figures, one is overridden), sees the sizing update live (computed on the
server; checked here against a hand computation) and saves it. Screenshots kept."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from onboarding.models import SiemLogSource, SiemWorkshop
from onboarding.siem import services
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_type(page, row: int, name: str, devices: int) -> None:
    page.select_option(f"select[name=sources-{row}-source_type]", label=name)
    page.fill(f"input[name=sources-{row}-devices]", str(devices))


def test_w2_a_cstm_enters_three_log_sources_sees_the_sizing_live_and_saves_it(
    page, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    services.log_source_types_seed()

    sign_in(page, cstm, staff=True)
    page.goto(f"/siem/new/?organisation={alfa.organisation.pk}")
    page.fill("input[name=title]", "SIEM Alfa 2027")
    page.click("[data-testid=workshop-save]")
    expect(page.locator("[data-testid=workshop-title]")).to_have_text("SIEM Alfa 2027")
    expect(page.locator("[data-testid=series-progress]")).to_contain_text("1")
    screenshot(page, "siem-workshop-hub")

    page.click("[data-testid=open-sizing]")
    expect(page.locator("[data-testid=sizing-form]")).to_be_visible()
    # Firewalls: the catalogue's 50 EPS × 500 bytes are filled in when the type is chosen.
    choose_type(page, 0, "Firewall", 100)
    expect(page.locator("input[name=sources-0-eps_per_device]")).to_have_value("50")
    expect(page.locator("input[name=sources-0-event_bytes]")).to_have_value("500")
    page.click("[data-testid=add-source]")
    choose_type(page, 1, "Windows server", 20)  # 5 EPS × 1,200 bytes
    page.click("[data-testid=add-source]")
    choose_type(page, 2, "Domain controller", 4)  # 40 EPS × 1,500 bytes, measured 30 EPS:
    page.fill("input[name=sources-2-eps_per_device]", "30")

    # By hand: EPS 100 × 50 + 20 × 5 + 4 × 30 = 5,000 + 100 + 120 = 5,220 (peak × 2 = 10,440);
    # raw (100 × 50 × 500 + 20 × 5 × 1,200 + 4 × 30 × 1,500) × 86,400 / 10^9
    #   = (2,500,000 + 120,000 + 180,000) × 86,400 / 10^9 = 241.92 GB/day. Italian format.
    expect(page.locator("[data-testid=sustained-eps]")).to_have_text("5.220")
    expect(page.locator("[data-testid=peak-eps]")).to_have_text("10.440")
    expect(page.locator("[data-testid=raw-gb-day]")).to_have_text("241,92")
    expect(page.locator("[data-testid=formulas]")).to_contain_text(
        "100 × 50 + 20 × 5 + 4 × 30 = 5.220"
    )
    screenshot(page, "siem-sizing-live")

    page.click("[data-testid=sizing-save]")
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator("[data-testid=sustained-eps]")).to_have_text("5.220")
    with scopes_disabled():
        workshop = SiemWorkshop.objects.get(organisation=alfa.organisation)
        saved = list(
            SiemLogSource.objects.filter(workshop=workshop).values_list(
                "name", "devices", "eps_per_device"
            )
        )
    assert [(name, devices, int(eps)) for name, devices, eps in saved] == [
        ("Firewall", 100, 50),
        ("Windows server", 20, 5),
        ("Domain controller", 4, 30),
    ]
    screenshot(page, "siem-sizing-saved")
