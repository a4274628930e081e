"""The log form's live charge preview in Chromium, in Italian, on a desktop and a phone
(SPEC H3–H5): each invalid combination shows its reason as it is typed, a valid one shows the
hours charged, and after a server-side error the preview is still there."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from activities import services
from activities.models import Activity, ActivityRequest, WorkSession
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def italian(message: str) -> str:
    with translation.override("it"):
        return str(_(message))


# (what is typed, the reason the preview gives)
INVALID = [
    ({"starts_at": "11:00", "ends_at": "10:00"}, "The end must be after the start."),
    ({"minutes": "-30"}, "The duration must be more than zero."),
    ({"minutes": "5000"}, "A session cannot last more than 24 hours."),
    ({"starts_at": "10:00"}, "Give the end time too, or only the duration."),
    (
        {"starts_at": "10:00", "ends_at": "11:00", "minutes": "60"},
        "Give either the start and end times or the duration, not both.",
    ),
    (
        {"minutes": "90", "customer_caused": True},
        "Document the customer-side cause of the overrun.",
    ),
]


def enter(page, values: dict) -> None:
    """Clear the time fields, then type ``values`` as a user would."""
    for name in ("starts_at", "ends_at", "minutes"):
        page.fill(f"input[name={name}]", "")
    page.set_checked("input[name=customer_caused]", False)
    for name, value in values.items():
        if name == "customer_caused":
            page.set_checked("input[name=customer_caused]", True)
        else:
            page.fill(f"input[name={name}]", value)


def test_h3_h5_the_charge_preview_answers_every_input_and_survives_a_server_error(
    page, live_server, provider_org, cstm
):
    """Every invalid combination shows its reason in the preview, a valid one shows the charged
    hours highlighted, and the page re-rendered after a refusal keeps the preview."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    with scopes_disabled():  # the kick-off comes first (SPEC O1)
        kickoff = services.request_create(
            organisation=alfa.organisation,
            activity=Activity.objects.get(code="kickoff"),
            by=alfa.referent,
        )
        services.work_log(request=kickoff, worked_on=timezone.localdate(), minutes=60, by=cstm)
        services.request_complete(request=ActivityRequest.objects.get(pk=kickoff.pk), by=cstm)
        support = services.request_create(
            organisation=alfa.organisation,
            activity=Activity.objects.get(code="platform-support"),
            by=alfa.referent,
        )
    sign_in(page, cstm, staff=True)
    page.goto(reverse("work_log", args=[support.pk]))
    preview = page.locator("#charge-preview")
    problems = page.locator("[data-testid=charge-problems]")

    for values, reason in INVALID:
        enter(page, values)
        expect(problems).to_contain_text(italian(reason))
        expect(page.locator("[data-testid=charged-hours]")).to_have_count(0)
    screenshot(page, "charge-preview-invalid")

    # Valid: 10:00–10:20 is within the minimum of 1 h, which is charged (H3), highlighted.
    enter(page, {"starts_at": "10:00", "ends_at": "10:20"})
    charged = page.locator("[data-testid=charged-hours]")
    expect(charged).to_have_text("1 h")
    assert charged.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    expect(problems).to_have_count(0)
    screenshot(page, "charge-preview-valid")

    # A server-side refusal (an undocumented customer-caused overrun): the page comes back with
    # the errors and the preview of the submitted values, not the empty hint.
    enter(page, {"minutes": "90", "customer_caused": True})
    expect(problems).to_be_visible()
    page.get_by_role("button", name="Salva").click()
    page.wait_for_load_state()
    expect(page.locator(".field .error").first).to_be_visible()
    expect(preview.locator("[data-testid=charge-problems]")).to_contain_text(
        italian("Document the customer-side cause of the overrun.")
    )
    assert page.input_value("input[name=minutes]") == "90"
    with scopes_disabled():
        assert not WorkSession.objects.filter(request=support).exists()
    screenshot(page, "charge-preview-after-error")

    # The cause documented, the same values are charged: 1.5 h (H4, H5).
    page.fill("textarea[name=overrun_reason]", "Il referente ha cambiato i gruppi durante la call")
    expect(charged).to_have_text("1,5 h")
