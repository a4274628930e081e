"""Browser journey of the SIEM workshop (issue 13, SPEC W2, W5, W3), in Italian, on a desktop and
a phone: a CSTM opens a workshop for the customer, enters three log-source types (the catalogue
fills in the typical figures, one is overridden), sees the sizing update live (computed on the
server; checked here against a hand computation) and saves it; from the workshop's page opens
the retention chart, moves the control to 13 months, records the decision, writes and publishes
the alignment charter; the referent sees the decision (13 months, its date) and downloads the
charter PDF. Screenshots kept."""

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from onboarding.models import Deliverable, RetentionDecision, SiemLogSource, SiemWorkshop
from onboarding.siem import services
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_type(page, row: int, name: str, devices: int) -> None:
    page.select_option(f"select[name=sources-{row}-source_type]", label=name)
    page.fill(f"input[name=sources-{row}-devices]", str(devices))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_w2_w5_a_cstm_sizes_three_log_sources_records_13_months_and_the_referent_gets_the_charter(
    page, browser, live_server, provider_org, cstm
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
    page.wait_for_load_state("load")  # the page's script (deferred) fills rows from then on
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

    # W5: from the workshop's page to the retention chart (Chart.js, our own static files).
    page.click("text=Torna al workshop")
    page.click("[data-testid=panel-retention]")
    canvas = page.locator("canvas[data-chart=retention-chart]")
    expect(canvas).to_have_attribute("data-drawn", "1")
    readout = page.locator("[data-testid=retention-readout]")
    # The control moves the readout: 24 months hold more storage than 13, at a higher cost.
    page.locator("[data-testid=retention-range]").fill("24")
    expect(readout).to_have_attribute("data-months", "24")
    at_24 = readout.inner_text()
    page.locator("[data-testid=retention-range]").fill("13")
    expect(readout).to_have_attribute("data-months", "13")
    expect(readout).to_contain_text("13 ")
    assert readout.inner_text() != at_24
    assert page.input_value("[data-testid=decision-form] input[name=months]") == "13"
    page.fill(
        "[data-testid=decision-form] textarea[name=attendees]",
        "Carla Rossi, CSTM\nRita Bianchi, referente",
    )
    screenshot(page, "siem-retention-13-months")
    page.locator("[data-testid=decision-form] button[type=submit]").click()
    expect(page.locator("[data-testid=decision]")).to_have_attribute("data-months", "13")
    expect(page.locator("canvas[data-chart=decision-chart]")).to_have_attribute("data-drawn", "1")
    today = timezone.localdate()
    with scopes_disabled():
        decision = RetentionDecision.objects.get(workshop=workshop)
        assert (decision.months, decision.decided_on) == (13, today)
        # The decision froze the sources it was based on: the three entered above.
        assert [s["name"] for s in decision.inputs["sources"]] == [
            "Firewall",
            "Windows server",
            "Domain controller",
        ]
    screenshot(page, "siem-decision-recorded")

    # W3: the charter, drafted from the sizing and the decision, published as a PDF deliverable.
    page.goto(f"/siem/workshops/{workshop.pk}/charter/")
    expect(page.locator("textarea[name=economics]")).to_contain_text("13")
    page.fill("textarea[name=scope_out]", "Nessun monitoraggio degli impianti OT.")
    page.locator("[data-testid=charter-form] button[type=submit]").click()
    page.locator("[data-testid=publish-charter]").click()
    expect(page.locator("[data-testid=charter-download]")).to_be_visible()
    with scopes_disabled():
        assert Deliverable.objects.get().kind == "alignment_charter"
    screenshot(page, "siem-charter-published")

    # The referent sees the decision and downloads the charter; nothing of another customer.
    referent = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    referent.viewport_name = page.viewport_name
    sign_in(referent, alfa.referent, staff=False)
    referent.goto(f"/siem/{workshop.pk}/")
    referent.click("[data-testid=panel-retention]")
    decision_box = referent.locator("[data-testid=decision]")
    expect(decision_box).to_have_attribute("data-months", "13")
    expect(decision_box).to_have_attribute("data-decided-on", today.isoformat())
    expect(decision_box).to_contain_text("13")
    assert referent.locator("[data-testid=decision-form]").count() == 0
    assert "Bravo" not in referent.content()
    screenshot(referent, "siem-referent-decision")
    referent.goto(f"/siem/workshops/{workshop.pk}/charter/")
    expect(referent.locator("[data-testid=charter-sections]")).to_contain_text("impianti OT")
    with referent.expect_download() as download:
        referent.locator("[data-testid=charter-download]").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    screenshot(referent, "siem-referent-charter")
