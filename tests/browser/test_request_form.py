"""The request form in Chromium, in Italian, on a desktop and a phone (SPEC H3, H6, H10, O1):
choosing an activity shows its minimum, notice and estimate-first, and how much of the
remaining hours it uses; changing the activity updates them; the done kick-off is not offered."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from activities import services
from activities.models import Activity, ActivityRequest
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def italian(message: str, **values) -> str:
    with translation.override("it"):
        return _(message) % values if values else _(message)


def test_h10_the_request_form_shows_what_the_chosen_activity_uses(page, provider_org, cstm):
    """The facts follow the select, computed from the server's sentences (no inline script)."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    with scopes_disabled():  # the kick-off done: 1 h; 20 h + 8 h − 1,5 h − 1 h = 25,5 h left
        kickoff = services.request_create(
            organisation=alfa.organisation,
            activity=Activity.objects.get(code="kickoff"),
            by=alfa.referent,
        )
        services.work_log(request=kickoff, worked_on=timezone.localdate(), minutes=60, by=cstm)
        services.request_complete(request=ActivityRequest.objects.get(pk=kickoff.pk), by=cstm)
    sign_in(page, alfa.referent, staff=False)
    page.goto(reverse("activity_request_create"))
    panel = page.locator("[data-testid=activity-facts]")
    uses = page.locator("[data-testid=activity-uses]")
    kickoff_option = page.locator(
        f"select[name=activity] option[value='{Activity.objects.get(code='kickoff').pk}']"
    )
    expect(kickoff_option).to_have_count(0)  # SPEC O1: done, not offered again

    template = Activity.objects.get(code="phishing-template")
    page.select_option("select[name=activity]", str(template.pk))
    expect(uses).to_have_text(
        italian(
            "This uses at least %(minimum)s h of your %(remaining)s h.",
            minimum="4",
            remaining="25,5",
        )
    )
    expect(panel).to_contain_text(italian("Minimum charged: %(hours)s h per request.", hours="4"))
    screenshot(page, "request-form-facts")

    by_cst = Activity.objects.get(code="user-list-by-cst")
    page.select_option("select[name=activity]", str(by_cst.pk))
    with translation.override("it"):
        notice = ngettext(
            "It needs %(days)s working day of notice.",
            "It needs %(days)s working days of notice.",
            5,
        ) % {"days": 5}
    expect(panel).to_contain_text(notice)
    expect(uses).to_contain_text("3 h")

    ldap = Activity.objects.get(code="ldap")
    page.select_option("select[name=activity]", str(ldap.pk))
    expect(panel).to_contain_text(
        italian(
            "An estimate comes first: the feasibility analysis is charged %(hours)s h whatever "
            "its outcome, and the work starts only after you confirm the estimate.",
            hours="8",
        )
    )
    expect(uses).to_contain_text("8 h")
