"""Browser journey of the library (issue 12, SPEC O1, O4, H8), in Italian: the CSTM schedules the
kick-off with attendees on both sides (the invitation goes to each), records the minutes after
the meeting confirming the service referent; the referent sees the meeting and downloads the
minutes PDF. Selectors use names and test ids: the new texts are translated at merge."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from activities.models import ActivityRequest
from onboarding.models import Deliverable, Meeting
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cstm_schedules_the_kickoff_records_minutes_and_the_referent_downloads_them(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    tomorrow = timezone.localdate() + timedelta(days=1)

    # The CSTM schedules the kick-off; no request yet: one is recorded, to be formalised (H8).
    sign_in(page, cstm, staff=True)
    page.goto(f"/meetings/new/?organisation={alfa.organisation.pk}&kind=kickoff")
    page.select_option("select[name=organisation]", str(alfa.organisation.pk))
    page.fill("input[name=title]", "Kick-off Alfa Assicurazioni")
    page.fill("input[name=date]", tomorrow.isoformat())
    page.fill("input[name=time]", "10:30")
    page.fill("input[name=video_link]", "https://meet.example/alfa-kickoff")
    page.fill("textarea[name=agenda]", "Presentazioni\nPiano di onboarding\nProssimi passi")
    page.fill("textarea[name=provider_attendees]", f"Carla Rossi, {cstm.email}, CSTM")
    page.fill(
        "textarea[name=customer_attendees]",
        f"Referente Alfa, {alfa.referent.email}, referente del servizio\n"
        "Marco Bianchi, marco.bianchi@alfa.example, IT",
    )
    page.check("input[name=record_request]")
    screenshot(page, "cstm-schedule-kickoff")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-testid=meeting-status]")).to_be_visible()
    expect(page.locator("[data-testid=attendees-customer]")).to_contain_text("Marco Bianchi")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cstm.email, alfa.referent.email, "marco.bianchi@alfa.example"]
    )
    with scopes_disabled():
        meeting = Meeting.objects.get()
        assert meeting.activity_request.status == ActivityRequest.Status.TO_BE_FORMALISED
    # One click from the meeting to the log form of its request.
    expect(page.locator("[data-testid=log-time]")).to_have_attribute(
        "href", f"/activities/{meeting.activity_request_id}/log/"
    )
    screenshot(page, "cstm-kickoff-scheduled")

    # The meeting took place: the CSTM records the minutes and confirms the referent (O1).
    with scopes_disabled():
        Meeting.objects.filter(pk=meeting.pk).update(
            scheduled_at=timezone.now() - timedelta(hours=1)
        )
    page.goto(f"/meetings/{meeting.pk}/minutes/")
    page.fill("textarea[name=minutes]", "Concordato il piano. Referente confermato.")
    assert page.input_value("select[name=referent]") == str(alfa.referent.pk)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("[data-testid=named-referent]")).to_contain_text(alfa.referent.email)
    expect(page.locator("[data-testid=minutes-download]")).to_be_visible()
    with scopes_disabled():
        assert Deliverable.objects.get().kind == "kickoff_minutes"
    screenshot(page, "cstm-kickoff-minutes")

    # The referent sees the meeting (read only) and downloads the minutes PDF.
    referent = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    referent.viewport_name = page.viewport_name
    sign_in(referent, alfa.referent, staff=False)
    referent.goto("/meetings/")
    referent.get_by_role("link", name="Kick-off Alfa Assicurazioni").click()
    expect(referent.locator("[data-testid=meeting-agenda]")).to_contain_text("Piano di onboarding")
    expect(referent.locator("[data-testid=meeting-minutes]")).to_contain_text("Concordato")
    assert referent.locator(f"a[href='/meetings/{meeting.pk}/minutes/']").count() == 0
    assert "Bravo" not in referent.content()
    screenshot(referent, "referent-kickoff-minutes")
    with referent.expect_download() as download:
        referent.locator("[data-testid=minutes-download]").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    referent.goto("/library/")
    expect(referent.locator("[data-testid=deliverable-table]")).to_contain_text(
        "Kick-off Alfa Assicurazioni"
    )
    screenshot(referent, "referent-library")
