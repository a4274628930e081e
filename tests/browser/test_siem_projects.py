"""Browser journey of SIEM projects, the operations model and the dashboards (SPEC W4, W6), in
Italian: the CSTM proposes the standard operations model, starts a project, is refused a project
of three months and one day, adds a deficiency and closes the project with its evaluation; the
referent steps in on a task (with a confirmation) and ticks the dashboards wanted. Selectors use
names and test ids: the new texts are translated at merge."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from onboarding.models import DashboardChoice, DashboardOffer, OperationsDuty, SiemWorkshop
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cstm_runs_a_project_and_the_referent_steps_in_and_ticks_dashboards(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    with scopes_disabled():
        workshop = SiemWorkshop.objects.create(organisation=alfa.organisation, title="SIEM Alfa")
        # Transactional tests flush the seeded catalogue: two offers of the admin's.
        overview = DashboardOffer.objects.create(kind="dashboard", name="Panoramica sicurezza")
        monthly = DashboardOffer.objects.create(kind="report", name="Report mensile direzione")

    sign_in(page, cstm, staff=True)
    page.goto(f"/siem/workshops/{workshop.pk}/operations/")
    page.locator("[data-testid=propose-standard]").click()
    expect(page.locator("[data-testid=operations-table]")).to_be_visible()
    screenshot(page, "siem-operations-proposed")

    page.goto(f"/siem/workshops/{workshop.pk}/projects/")
    page.locator("[data-testid=project-new]").click()
    page.fill("input[name=title]", "Raccolta dei log")
    page.fill("textarea[name=goals]", "Raccogliere i log di firewall e AD")
    page.fill("input[name=starts_on]", "2026-11-30")
    page.fill("input[name=ends_on]", "2027-03-01")  # 3 months + 1 day: refused
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".field.has-error")).to_contain_text("2027-02-28")
    page.fill("input[name=ends_on]", "2027-02-28")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-testid=project-goals]")).to_contain_text("firewall")
    page.fill("input[name=description]", "Parser DNS incompleto")
    page.fill("input[name=owner]", "Rita (cliente)")
    page.locator("[data-testid=deficiency-form] button[type=submit]").click()
    expect(page.locator("[data-testid=deficiency-table]")).to_contain_text("Parser DNS")
    screenshot(page, "siem-project-open")
    page.locator("[data-testid=project-close]").click()
    page.fill("textarea[name=went_well]", "Collaborazione rapida")
    page.fill("textarea[name=to_improve]", "Più sorgenti testate prima")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-testid=to-improve]")).to_contain_text("Più sorgenti")
    screenshot(page, "siem-project-closed")

    referent = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    referent.viewport_name = page.viewport_name
    sign_in(referent, alfa.referent, staff=False)
    with scopes_disabled():
        duty = OperationsDuty.objects.filter(workshop=workshop, customer="C").first()
    referent.goto(f"/siem/workshops/{workshop.pk}/operations/")
    referent.locator(f"[data-testid=step-in-{duty.pk}]").click()
    referent.locator("[data-testid=confirm-step]").click()
    expect(referent.locator(f"[data-testid=duty-{duty.pk}]")).to_contain_text(
        alfa.referent.display_name
    )
    screenshot(referent, "siem-referent-stepped-in")
    with scopes_disabled():
        assert OperationsDuty.objects.get(pk=duty.pk).customer == "R"

    referent.goto(f"/siem/workshops/{workshop.pk}/dashboards/")
    referent.check(f"#offer-{overview.pk}")
    referent.check(f"#offer-{monthly.pk}")
    referent.locator("[data-testid=dashboards-save]").click()
    expect(referent.locator(f"[data-testid=chosen-{monthly.pk}]")).to_contain_text(
        alfa.referent.display_name
    )
    screenshot(referent, "siem-referent-dashboards")
    with scopes_disabled():
        assert DashboardChoice.objects.filter(workshop=workshop).count() == 2
