"""Browser journey of issue 6: the referent requests an activity, the CSTM logs 75 minutes with
a documented customer-caused overrun, the referent sees 1.5 h charged, why, and the new balance;
completion sends the statement with its PDF (SPEC H3, H4, H5, H7, H8, H10)."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from activities import services
from activities.models import Activity, ActivityRequest, Statement
from tests.browser.conftest import open_menu, screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cstm_logs_75_minutes_and_the_referent_sees_1_5_hours_and_the_statement(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    with scopes_disabled():  # the kick-off comes first (SPEC O1): done and charged 1 h
        kickoff = services.request_create(
            organisation=alfa.organisation,
            activity=Activity.objects.get(code="kickoff"),
            by=alfa.referent,
        )
        services.work_log(request=kickoff, worked_on=timezone.localdate(), minutes=60, by=cstm)
        services.request_complete(request=ActivityRequest.objects.get(pk=kickoff.pk), by=cstm)
    # 20 h + 8 h pack − 1.5 h − 1 h kick-off.
    balance_before = Decimal("25.5")

    # The referent requests platform-use support in the portal (SPEC H8).
    referent = browser.new_context(base_url=live_server.url, locale="it-IT").new_page()
    sign_in(referent, alfa.referent, staff=False)
    open_menu(referent)
    referent.locator("nav.mainnav").get_by_text("Attività", exact=True).click()
    referent.get_by_role("link", name="Richiedi un'attività").first.click()
    support = Activity.objects.get(code="platform-support")
    referent.select_option("select[name=activity]", str(support.pk))
    referent.fill("textarea[name=details]", "Aiuto con i report dei gruppi")
    referent.get_by_role("button", name="Invia la richiesta").click()
    referent.wait_for_selector("[data-testid=request-status]")
    request_url = referent.url

    # The CSTM logs 10:00–11:15 with a documented customer-caused overrun; the charge shows first.
    sign_in(page, cstm, staff=True)
    page.goto(request_url)
    page.get_by_role("link", name="Registra tempo").click()
    # The date input is pre-filled with today in Italian too: an ISO value, not 26/11/2026,
    # which the browser would drop (issue 11, date inputs).
    assert page.input_value("input[name=worked_on]") == timezone.localdate().isoformat()
    page.fill("input[name=starts_at]", "10:00")
    page.fill("input[name=ends_at]", "11:15")
    page.check("input[name=customer_caused]")
    page.fill("textarea[name=overrun_reason]", "Il referente ha chiesto di rivedere tre gruppi")
    preview = page.locator("[data-testid=charge-preview]")
    preview.wait_for()
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings (issue 11).
    expect(preview).to_contain_text("1,5 h")
    assert "24" in preview.inner_text()  # remaining after: 25.5 − 1.5 = 24
    screenshot(page, "cstm-log-time")
    page.get_by_role("button", name="Salva").click()
    page.wait_for_selector("[data-testid=request-charged]")
    assert page.inner_text("[data-testid=request-charged]") == "1,5 h"

    # The referent sees 1.5 h charged, why, and the new balance (SPEC H10).
    open_menu(referent)
    referent.locator("nav.mainnav").get_by_text("Ore CSM", exact=True).click()
    referent.wait_for_selector("[data-testid=balance]")
    assert referent.inner_text("[data-testid=remaining-hours]") == "24"
    ledger = referent.inner_text("[data-testid=ledger-table]")
    assert "1,5" in ledger
    assert "Il referente ha chiesto di rivedere tre gruppi" in ledger
    assert "(H4, H5)" not in ledger  # why, in words: customers never see rule codes
    assert "Bravo" not in referent.content()
    screenshot(referent, "referent-hours-after-charge")

    # Completion sends the statement by email with its PDF, and lists it (SPEC H7).
    mail.outbox.clear()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Completa e invia il rendiconto").click()
    page.wait_for_selector("[data-testid=statement-link]")
    with scopes_disabled():
        statement = Statement.objects.get(request__activity=support)
    assert statement.hours_charged == Decimal("1.5")
    assert statement.remaining_after == balance_before - Decimal("1.5")
    (message,) = [m for m in mail.outbox if alfa.referent.email in m.to]
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{statement.number}.pdf", "application/pdf")
    assert content[:5] == b"%PDF-"
    referent.reload()
    statements = referent.inner_text("[data-testid=statements]")
    assert statement.number in statements
    with referent.expect_download() as download:
        referent.get_by_role("link", name=statement.number).click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    screenshot(referent, "referent-statements")
