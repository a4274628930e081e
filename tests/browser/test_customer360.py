"""Browser journey of issue 14: a CSTM opens a customer's 360 from the organisation list, sees
the hours chart drawn (Chart.js from our static files, no inline script) and the timeline of
touchpoints, on a desktop and on a phone. Screenshots land in test-artifacts/screenshots/."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant
from tests.customer360.objects import add_touchpoints

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_cstm_opens_the_360_of_a_customer_with_the_hours_chart_and_timeline(
    page, provider_org, cstm, language
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")  # not theirs
    add_touchpoints(alfa, copies=3, label="Alfa ")
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    cstm.language = language
    cstm.save(update_fields=["language"])
    sign_in(page, cstm, staff=True)
    page.goto("/organisations/")
    assert page.locator("html").get_attribute("lang") == language
    row = page.locator("[data-testid=organisation-table] tr", has_text="Alfa Assicurazioni")
    row.get_by_role("link", name="360").click()
    expect(page.locator("[data-testid=c360-contract]")).to_contain_text(alfa.contract.number)
    # The chart is drawn by static/js/charts.js from the server-built configuration.
    expect(page.locator("[data-testid=c360-hours] canvas[data-drawn='1']").first).to_be_visible()
    timeline = page.locator("[data-testid=timeline-items] li")
    expect(timeline.first).to_be_visible()
    assert timeline.count() >= 10
    expect(page.locator("[data-testid=c360-tickets]")).to_contain_text("Alfa ticket 0")
    expect(page.locator("[data-testid=c360-people]")).to_contain_text(alfa.referent.email)
    assert "Bravo" not in page.content()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    screenshot(page, f"cstm-customer-360-{language}")
    # Filter the timeline to the meetings only.
    page.select_option("select[name=kind]", "meetings")
    page.locator("[data-testid=c360-timeline] button[type=submit]").click()
    expect(page.locator("[data-testid=timeline-items] li")).to_have_count(3)
    expect(page.locator("[data-testid=timeline-items] li").first).to_contain_text("Alfa meeting")
