"""Browser journeys of issue 14, home pages that are dashboards: the referent's burn bar and
remaining hours, the CSTM's alert past 95 % followed to where it is resolved, the agent's counts,
the admin's cockpit and job health. Italian and English, on a desktop and a phone (the page
fixture); a screenshot of each role's home is kept in test-artifacts/screenshots/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.roles import AgentLevel, Role
from contracts import services as contract_services
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant
from tests.factories import person
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["it", "en"]


def speaking(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def charge(tenant, hours: str) -> None:
    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        contract_services.ledger_charge(
            licence_year=year,
            hours=Decimal(hours),
            description="Campagna di phishing",
            occurred_on=timezone.localdate(),
            by=None,
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_referent_home_shows_the_burn_bar_and_remaining_hours(page, provider_org, language):
    """SPEC H10: the referent's home shows the hours left of the current licence year, the
    burn bar (hours used against time elapsed) with its legend, their tickets and the support
    address, in their language and on a phone."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example")
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    charge(alfa, "12")
    sign_in(page, speaking(alfa.referent, language), staff=False)
    expect(page.locator("[data-testid=remaining-hours]")).to_have_text(
        "14,5" if language == "it" else "14.5"
    )
    expect(page.locator("[data-testid=burn-bar] .meter-used")).to_have_count(1)
    expect(page.locator("[data-testid=burn-bar] .meter-time")).to_have_count(1)
    legend = page.locator("[data-testid=burn-legend] li")
    expect(legend).to_have_count(2)
    expect(legend.first).to_contain_text("48%")  # 13,5 of 28 h
    expect(page.locator("[data-testid=support-address]")).to_be_visible()
    assert "Bravo" not in page.content()
    assert page.locator("html").get_attribute("lang") == language
    screenshot(page, f"home-referent-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_cstm_sees_the_95_percent_alert_and_follows_it(page, provider_org, cstm, language):
    """SPEC H10: a customer past 95 % of its hours is a critical alert on the CSTM's cockpit,
    with its health and reasons; the alert's link opens the contract at that licence year;
    once a pack is added the alert is gone."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Charlie Calma S.r.l.", "charlie.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")  # not theirs
    charge(alfa, "25.5")  # 27 of 28 h
    sign_in(page, speaking(cstm, language), staff=True)
    card = page.locator(f"[data-testid=customer-{alfa.organisation.pk}]")
    expect(card.locator("[data-testid=health]")).to_have_class("health health-critical")
    alert = card.locator("li[data-code=balance_95] a")
    expect(alert).to_contain_text("96%")
    assert "Bravo" not in page.content()
    # The customer needing attention comes first.
    expect(page.locator(".customer-card").first).to_have_attribute(
        "data-testid", f"customer-{alfa.organisation.pk}"
    )
    screenshot(page, f"home-cstm-{language}")
    alert.click()
    page.wait_for_url(f"**/contracts/{alfa.contract.pk}/?year=1")
    expect(page.locator("h1")).to_contain_text(alfa.contract.number)
    # An admin adds the pack the CSTM offered: back home, the alert is gone.
    with scopes_disabled():
        year = alfa.contract.licence_years.get(index=1)
        contract_services.pack_add(licence_year=year, hours=Decimal("16"), by=None)
    page.goto("/")
    expect(card.locator("[data-testid=health]")).to_be_visible()
    expect(card.locator("li[data-code=balance_95]")).to_have_count(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_home_shows_the_desk_counts(page, provider_org, language):
    """SPEC S6, L2: the agent's home counts their open tickets, the unassigned, the breaching
    soon, the overdue and those waiting on the customer; an L2 agent also their escalations."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example")
    agent = person(provider_org, Role.AGENT, level=AgentLevel.L2, email="l2@provider.example")
    now = timezone.now()
    with scopes_disabled():
        for index, values in enumerate(
            [
                {"owner": agent},
                {"owner": agent, "status": Ticket.Status.WAITING},
                {"first_response_due": now - timedelta(minutes=30)},
                {"level": AgentLevel.L2},
            ]
        ):
            Ticket.objects.create(
                organisation=alfa.organisation,
                number=f"T{20000000 + index}",
                subject=f"Richiesta {index}",
                type=Ticket.Type.INCIDENT,
                category=Ticket.Category.MALFUNCTION,
                requester_email=alfa.referent.email,
                **values,
            )
    sign_in(page, speaking(agent, language), staff=True)
    expect(page.locator("[data-testid=count-mine] .big")).to_have_text("2")
    expect(page.locator("[data-testid=count-unassigned] .big")).to_have_text("2")
    expect(page.locator("[data-testid=count-overdue] .big")).to_have_text("1")
    expect(page.locator("[data-testid=count-waiting] .big")).to_have_text("1")
    expect(page.locator("[data-testid=count-escalations] .big")).to_have_text("1")
    expect(page.locator("[data-testid=desk-urgent] li")).to_have_count(1)
    screenshot(page, f"home-agent-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_and_end_user_homes(page, provider_org, admin_user, language):
    """The admin's cockpit across every customer with the health of the jobs; the licensed end
    user's reduced home (their tickets and the support address)."""
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example")
    bravo = make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    sign_in(page, speaking(admin_user, language), staff=True)
    expect(page.locator(f"[data-testid=customer-{alfa.organisation.pk}]")).to_be_visible()
    expect(page.locator(f"[data-testid=customer-{bravo.organisation.pk}]")).to_be_visible()
    expect(page.locator("[data-testid=jobs]")).to_be_visible()
    expect(page.locator("[data-testid=home-mailboxes]")).to_be_visible()
    screenshot(page, f"home-admin-{language}")
    page.context.clear_cookies()
    sign_in(page, speaking(alfa.end_user, language), staff=False)
    expect(page.locator("[data-testid=support-address]")).to_be_visible()
    expect(page.locator("[data-testid=home-hours]")).to_have_count(0)
    screenshot(page, f"home-end-user-{language}")
