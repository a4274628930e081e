"""Browser journey of the readable desk (issue 14, SPEC S5, S8), in Italian at 1280 and 390 px:
an agent filters the tickets breaching soon, opens one, inserts a canned response (the text in
the requester's language with their name and the ticket number, put in by the static script
under the CSP), attaches a file and sends; the mail carries the file. Selectors use test ids:
the new texts are translated at merge."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.roles import AgentLevel, Role
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import CSP_WATCH, sign_in
from tests.conftest import make_tenant
from tests.factories import person
from tests.tickets.conftest import local_mailbox, message
from tickets import desk_settings
from tickets.ingest import ingest
from tickets.models import Attachment, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_filters_breaching_soon_inserts_a_canned_response_attaches_a_file_and_sends(
    page, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    agent = person(provider_org, Role.AGENT, level=AgentLevel.L1, email="l1@provider.example")
    admin = person(provider_org, Role.PROVIDER_ADMIN, email="admin@provider.example")
    box = local_mailbox()
    at_risk, _ = ingest(box, message("referent@alfa.example", "Errore: report non generato"))
    calm, _ = ingest(box, message("referent@alfa.example", "Errore: logo sbagliato"))
    now = timezone.now()
    with scopes_disabled():
        # Real time runs in the live server: the first ticket is past its policy's warning
        # instant and not yet due, the second far from it.
        Ticket.objects.filter(pk=at_risk.ticket_id).update(
            first_response_warn_at=now - timedelta(minutes=10),
            first_response_due=now + timedelta(days=2),
        )
        Ticket.objects.filter(pk=calm.ticket_id).update(
            first_response_warn_at=now + timedelta(days=5),
            first_response_due=now + timedelta(days=6),
            resolution_warn_at=now + timedelta(days=7),
        )
        ticket = Ticket.objects.get(pk=at_risk.ticket_id)
        other = Ticket.objects.get(pk=calm.ticket_id)
        desk_settings.canned_response_save(
            by=admin,
            title_it="Presa in carico",
            body_it="Gentile {name}, la richiesta {number} è presa in carico.",
            title_en="Taken in charge",
            body_en="Dear {name}, request {number} is being handled.",
        )
    name = alfa.referent.get_full_name() or alfa.referent.email

    sign_in(page, agent, staff=True)
    page.context.add_init_script(CSP_WATCH)
    page.goto("/tickets/")
    expect(page.locator("[data-testid=ticket-table]")).to_contain_text(other.number)
    page.select_option("[data-testid=sla-filter]", "soon")
    expect(page.locator("[data-testid=ticket-table]")).not_to_contain_text(other.number)
    row = page.locator("[data-testid=ticket-table] tr", has_text=ticket.number)
    expect(row.locator("[data-testid=sla-clock]")).to_have_attribute("data-sla-state", "soon")
    screenshot(page, "agent-breaching-soon")

    row.get_by_role("link", name=ticket.number).click()
    page.wait_for_selector("[data-testid=thread]")
    page.select_option("[data-testid=canned-choice]", label="Presa in carico")
    page.click("[data-testid=canned-insert]")
    expect(page.locator("textarea[name=body]")).to_have_value(
        f"Gentile {name}, la richiesta {ticket.number} è presa in carico."
    )
    page.set_input_files(
        "input[name=attachments]",
        files=[{"name": "guida.txt", "mimeType": "text/plain", "buffer": b"Passi da seguire"}],
    )
    screenshot(page, "agent-reply-canned-and-file")
    mail.outbox.clear()
    page.locator("[data-testid=reply-form] button[type=submit]").click()
    expect(page.locator("[data-direction=out] [data-testid=message-attachments]")).to_contain_text(
        "guida.txt"
    )
    assert page.evaluate("window.__cspViolations") == []
    screenshot(page, "agent-reply-sent-with-file")
    (sent,) = [m for m in mail.outbox if m.to == ["referent@alfa.example"]]
    assert sent.subject.startswith(f"[{ticket.number}]")
    # Django hands a text/* attachment over as text.
    assert [(n, c) for n, c, _t in sent.attachments] == [("guida.txt", "Passi da seguire")]
    with scopes_disabled():
        assert Attachment.objects.filter(ticket=ticket, message__isnull=False).count() == 1
