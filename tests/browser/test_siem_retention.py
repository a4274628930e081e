"""Browser journey of the retention decision and the charter (issue 13, SPEC W5, W3), in
Italian: with a workshop of three log sources, the CSTM sees the chart of cost and storage
drawn, moves the retention control to 13 months and sees the readout follow, records the
decision, writes and publishes the charter; the referent sees the decision (13 months, its
date) and downloads the charter PDF. Selectors use test ids: the new texts are translated at
merge."""

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from onboarding.models import Deliverable, RetentionDecision
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant
from tests.onboarding.siem.charter.objects import workshop_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_w5_cstm_moves_the_retention_to_13_months_records_it_and_the_referent_downloads_the_charter(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    workshop = workshop_of(alfa, retention_months=6)
    today = timezone.localdate()

    # The CSTM opens the retention page: Chart.js draws the curve from our own static files.
    sign_in(page, cstm, staff=True)
    page.goto(f"/siem/workshops/{workshop.pk}/retention/")
    canvas = page.locator("canvas[data-chart=retention-chart]")
    expect(canvas).to_have_attribute("data-drawn", "1")
    readout = page.locator("[data-testid=retention-readout]")
    expect(readout).to_have_attribute("data-months", "6")
    before = readout.inner_text()
    screenshot(page, "siem-retention-chart")

    # The range control moves the readout (and the marker) to 13 months.
    page.locator("[data-testid=retention-range]").fill("13")
    expect(readout).to_have_attribute("data-months", "13")
    expect(readout).to_contain_text("13 ")
    assert readout.inner_text() != before
    assert page.input_value("[data-testid=decision-form] input[name=months]") == "13"
    page.fill(
        "[data-testid=decision-form] textarea[name=attendees]",
        "Carla Rossi, CSTM\nRita Bianchi, referente",
    )
    page.fill("[data-testid=decision-form] textarea[name=note]", "Scelta in base al grafico.")
    screenshot(page, "siem-retention-13-months")
    page.locator("[data-testid=decision-form] button[type=submit]").click()
    expect(page.locator("[data-testid=decision]")).to_have_attribute("data-months", "13")
    expect(page.locator("canvas[data-chart=decision-chart]")).to_have_attribute("data-drawn", "1")
    with scopes_disabled():
        decision = RetentionDecision.objects.get()
        assert (decision.months, decision.decided_on) == (13, today)
    screenshot(page, "siem-decision-recorded")

    # The CSTM writes the charter (a draft from the sizing and the decision) and publishes it.
    page.goto(f"/siem/workshops/{workshop.pk}/charter/")
    expect(page.locator("textarea[name=economics]")).to_contain_text("13")
    page.fill("textarea[name=scope_out]", "Nessun monitoraggio degli impianti OT.")
    page.locator("[data-testid=charter-form] button[type=submit]").click()
    page.locator("[data-testid=publish-charter]").click()
    expect(page.locator("[data-testid=charter-download]")).to_be_visible()
    with scopes_disabled():
        assert Deliverable.objects.get().kind == "alignment_charter"
    screenshot(page, "siem-charter-published")

    # The referent sees the decision and downloads the charter.
    referent = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    referent.viewport_name = page.viewport_name
    sign_in(referent, alfa.referent, staff=False)
    referent.goto(f"/siem/workshops/{workshop.pk}/retention/")
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
