"""Browser journey of issue 12 (the plan, in Italian, on desktop and phone): the referent sees
the plan with the current step highlighted and what comes next in plain words; the CSTM closes
the kick-off step and sees the plan move on (SPEC O1)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from contracts.models import Contract
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_o1_referent_sees_whats_next_and_the_cstm_closes_a_step_and_the_plan_moves_on(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    with scopes_disabled():
        Contract.objects.filter(pk=alfa.contract.pk).update(
            activated_at=timezone.now() - timedelta(days=4)
        )

    # The referent: the plan, the kick-off as the current step, what's next in a sentence.
    referent = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    sign_in(referent, alfa.referent, staff=False)
    referent.goto("/onboarding/plan/")
    kickoff = referent.locator("[data-testid=step-kickoff]")
    expect(kickoff).to_have_attribute("aria-current", "step")
    expect(referent.locator("[data-testid=next-sentence]")).not_to_be_empty()
    expect(referent.locator("[data-testid=step-activation]")).to_have_attribute(
        "data-state", "done"
    )
    expect(referent.locator("[data-testid=complete-kickoff]")).to_have_count(0)
    expect(referent.get_by_text("Bravo Banca Segreta")).to_have_count(0)
    referent.set_viewport_size(page.viewport_size)
    referent.viewport_name = page.viewport_name
    screenshot(referent, "onboarding-plan-referent")

    # The CSTM closes the kick-off step; the plan moves on to the logos.
    sign_in(page, cstm, staff=True)
    page.goto("/onboarding/plan/")
    page.locator(f"[data-testid=plan-row-{alfa.organisation.pk}] a").first.click()
    page.locator("[data-testid=complete-kickoff]").click()
    expect(page.locator("[data-testid=step-kickoff]")).to_have_attribute("data-state", "done")
    expect(page.locator("[data-testid=step-logos]")).to_have_attribute("aria-current", "step")
    expect(page.locator("[data-testid=step-kickoff] [data-testid=closed-by]")).to_contain_text(
        cstm.display_name
    )
    screenshot(page, "onboarding-plan-cstm")

    # The referent reloads: the current step is now theirs.
    referent.reload()
    expect(referent.locator("[data-testid=step-logos]")).to_have_attribute("aria-current", "step")
