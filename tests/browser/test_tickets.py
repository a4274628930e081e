"""Browser journey of issue 7: a message in the real support mailbox becomes a ticket; an agent
sees it with its SLA countdown and replies; the referent sees the reply (SPEC S1, S5, S6)."""

import pytest
from django.core import mail
from django.utils import translation
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.roles import AgentLevel, Role
from tests.browser.conftest import open_menu, screenshot
from tests.browser.test_sign_in import CSP_WATCH, sign_in
from tests.conftest import make_tenant
from tests.factories import person
from tests.tickets.conftest import authenticated, deliver, make_mailbox, sla_policy
from tickets.mailbox import poll
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sees_the_new_ticket_with_its_countdown_and_the_referent_sees_the_reply(
    page, browser, live_server, provider_org, cstm
):
    from dataclasses import replace

    from tests.bootstrap import ensure_imap, imap_create_user

    user, password = imap_create_user()  # an empty mailbox of its own
    server = replace(ensure_imap(), user=user, password=password)
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    agent = person(provider_org, Role.AGENT, level=AgentLevel.L1, email="l1@provider.example")
    sla_policy(
        name="Incident normal",
        ticket_type="incident",
        priority="normal",
        first_response_minutes=120,
        resolution_minutes=16 * 60,
    )
    mailbox = make_mailbox(server)
    deliver(
        server,
        authenticated("referent@alfa.example").encode()
        + b"From: Referente <referent@alfa.example>\r\nTo: support@csm-test.example\r\n"
        b"Subject: =?UTF-8?Q?Errore:_la_piattaforma_non_funziona_pi=C3=B9?=\r\n"
        b"Message-ID: <browser-1@alfa.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Da stamattina compare un errore 500 sulla dashboard.\r\n",
    )
    assert poll(mailbox).new == 1
    with scopes_disabled():
        ticket = Ticket.objects.get()
    assert ticket.type == "incident" and ticket.first_response_due is not None

    sign_in(page, agent, staff=True)
    open_menu(page)
    page.locator("nav.mainnav").get_by_text("Ticket", exact=True).click()
    row = page.locator("[data-testid=ticket-table] tr", has_text=ticket.number)
    row.wait_for()
    clock = row.locator("[data-testid=sla-clock]").inner_text()
    assert "entro" in clock and "min" in clock and "ritardo" not in clock  # due, not breached
    assert "Bravo" not in page.content()
    screenshot(page, "agent-ticket-list")
    row.get_by_role("link", name=ticket.number).click()
    page.wait_for_selector("[data-testid=thread]")
    assert "errore 500" in page.inner_text("[data-testid=thread]")
    mail.outbox.clear()
    page.fill("textarea[name=body]", "Abbiamo riavviato il servizio: può riprovare?")
    page.get_by_role("button", name="Invia").click()
    page.wait_for_selector("[data-direction=out]")
    screenshot(page, "agent-ticket-reply")
    # S9: the KPI chart is drawn by Chart.js from our own static files, under the CSP.
    page.context.add_init_script(CSP_WATCH)
    page.goto("/tickets/kpi/")
    expect(page.locator("canvas[data-chart][data-drawn='1']")).to_have_count(1)
    assert page.locator("canvas[data-chart]").bounding_box()["height"] > 100
    assert page.evaluate("window.__cspViolations") == []
    screenshot(page, "agent-kpi-chart")
    (sent,) = [m for m in mail.outbox if m.to == ["referent@alfa.example"]]
    assert sent.subject.startswith(f"[{ticket.number}]")  # S1: the number in every reply
    assert sent.extra_headers["In-Reply-To"] == "<browser-1@alfa.example>"

    referent = browser.new_context(base_url=live_server.url, locale="it-IT").new_page()
    sign_in(referent, alfa.referent, staff=False)
    open_menu(referent)
    referent.locator("nav.mainnav").get_by_text("Ticket", exact=True).click()
    referent.get_by_role("link", name=ticket.number).click()
    thread = referent.locator("[data-testid=thread]")
    thread.wait_for()
    assert "Abbiamo riavviato il servizio" in thread.inner_text()
    screenshot(referent, "referent-ticket")


# Issue 14, done when: per role (the referent, a licensed end user), in Italian and English.
OPENERS = {Role.REFERENT: "configuration", Role.END_USER: "password_reset"}
SHOT_NAMES = {"it": "schermata.png", "en": "screenshot.png"}


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("role", list(OPENERS))
def test_a_customer_opens_a_request_in_the_portal_with_a_screenshot(
    page, live_server, cstm, tmp_path, role, language
):
    """Issue 14: the referent and a licensed end user, each in Italian and in English, open a
    request from the ticket list with a screenshot attached and land on the new ticket with its
    number; a missing subject is reported first in their language and nothing is written
    (SPEC S2, S3, S8); the support address is at the foot of every page."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    user = alfa.referent if role == Role.REFERENT else alfa.end_user
    user.language = language
    user.save(update_fields=["language"])
    with translation.override(language):
        words = {
            key: translation.gettext(msgid)
            for key, msgid in {
                "tickets": "Tickets",
                "new": "New request",
                "send": "Send request",
                "required": "Write a subject.",
            }.items()
        }
    shot = tmp_path / SHOT_NAMES[language]
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    sign_in(page, user, staff=False)
    assert page.locator("html").get_attribute("lang") == language
    open_menu(page)
    page.locator("nav.mainnav").get_by_text(words["tickets"], exact=True).click()
    page.get_by_test_id("new-request").click()
    expect(page.locator("h1")).to_have_text(words["new"])
    page.select_option("select[name=category]", OPENERS[role])
    page.fill("textarea[name=description]", f"{language}: the details of the request.")
    page.set_input_files("input[name=attachments]", str(shot))
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator(".field.has-error")).to_have_count(1)  # the subject is missing
    assert words["required"] in page.locator(".field.has-error").inner_text()
    with scopes_disabled():
        assert not Ticket.objects.exists()
    screenshot(page, f"{role}-new-request-error-{language}")
    page.fill("input[name=subject]", f"Request of the {role} ({language})")
    page.set_input_files("input[name=attachments]", str(shot))
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_selector("[data-testid=thread]")
    with scopes_disabled():
        ticket = Ticket.objects.get()
    assert ticket.requester_id == user.pk and ticket.category == OPENERS[role]
    assert ticket.number in page.inner_text("h1")
    assert SHOT_NAMES[language] in page.content()
    with translation.override(language):
        recorded = translation.gettext(
            "Request %(number)s recorded: we confirmed it by e-mail to %(email)s."
        ) % {"number": ticket.number, "email": user.email}
    assert recorded in page.locator(".messages").inner_text()
    expect(page.get_by_test_id("support-footer")).to_contain_text("@")
    screenshot(page, f"{role}-new-request-{language}")
