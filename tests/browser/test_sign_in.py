"""Each role signs in through the real browser and sees what it should (foundation; SPEC T1, T2).

Screenshots land in test-artifacts/screenshots/.
"""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from accounts.roles import AgentLevel, Role
from tests.browser.conftest import open_menu, screenshot
from tests.conftest import make_tenant
from tests.factories import PASSWORD, person, totp_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_code(user) -> str:
    secret = totp_authenticator(user).data["secret"]  # the default MFA adapter stores it as is
    # A code read in the last seconds of its 30-second window may reach the server in the next
    # one, which refuses it (no tolerance, as in production): wait for a fresh window then.
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, user, *, staff: bool) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    if staff:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.fill("input[name=code]", current_code(user))
        page.press("input[name=code]", "Enter")
    page.wait_for_selector("[data-testid=current-user]")


@pytest.fixture
def world(provider_org):
    cstm = person(provider_org, Role.CSTM, email="cstm@provider.example")
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    bravo = make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    return {
        Role.PROVIDER_ADMIN: person(
            provider_org, Role.PROVIDER_ADMIN, email="admin@provider.example"
        ),
        Role.CSTM: cstm,
        Role.AGENT: person(
            provider_org, Role.AGENT, level=AgentLevel.L1, email="l1@provider.example"
        ),
        Role.REFERENT: alfa.referent,
        Role.END_USER: alfa.end_user,
        "alfa": alfa.organisation.name,
        "bravo": bravo.organisation.name,
    }


# role → (menu entries that must show, menu entries that must not, organisations visible at home)
EXPECTED = {
    Role.PROVIDER_ADMIN: (
        ["Organizzazioni", "Persone", "Inviti", "Amministrazione"],
        [],
        ["alfa", "bravo"],
    ),
    Role.CSTM: (["Organizzazioni", "Inviti"], ["Persone", "Amministrazione"], ["alfa"]),
    # The agent's home is the desk (their tickets, unassigned, breaching soon): no customer
    # is named on it while nobody has written in.
    Role.AGENT: (["Organizzazioni"], ["Persone", "Inviti", "Amministrazione"], []),
    Role.REFERENT: (
        ["La mia organizzazione"],
        ["Organizzazioni", "Persone", "Amministrazione"],
        [],
    ),
    Role.END_USER: ([], ["Organizzazioni", "La mia organizzazione", "Persone"], []),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_signs_in_and_sees_its_own_portal(page, world, role):
    user = world[role]
    staff = role in (Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT)
    sign_in(page, user, staff=staff)
    shown, hidden, organisations = EXPECTED[role]
    nav = page.locator("nav.mainnav")
    for label in shown:
        assert nav.get_by_text(label, exact=True).count() == 1, f"{role} should see {label}"
    for label in hidden:
        assert nav.get_by_text(label, exact=True).count() == 0, f"{role} should not see {label}"
    body = page.content()
    if staff:
        for key in ("alfa", "bravo"):
            assert (world[key] in body) == (key in organisations), f"{role} and {world[key]}"
    else:
        assert world["alfa"] in body  # their own organisation
        assert world["bravo"] not in body
    screenshot(page, f"home-{role}")


def test_the_referent_sees_the_people_of_their_organisation(page, world):
    sign_in(page, world[Role.REFERENT], staff=False)
    open_menu(page)
    page.get_by_text("La mia organizzazione", exact=True).click()
    table = page.locator("[data-testid=people-table]")
    assert world[Role.END_USER].email in table.inner_text()
    screenshot(page, "referent-organisation")


def test_an_admin_switches_the_language_and_it_sticks(page, world):
    admin = world[Role.PROVIDER_ADMIN]
    sign_in(page, admin, staff=True)
    page.wait_for_load_state("load")  # the switcher's script (deferred) listens from then on
    page.select_option("#language-select", "en")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("nav.mainnav").get_by_text("Organisations", exact=True).count() == 1
    admin.refresh_from_db()
    assert admin.language == "en"
    screenshot(page, "admin-english")


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_pages_and_swagger_ui_work_under_the_content_security_policy(page, world):
    """Content-Security-Policy (issue 11): the portal's pages (htmx, the language switcher),
    Django admin and Swagger UI load and run in Chromium with no CSP violation reported, neither
    as an event nor in the console."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_init_script(CSP_WATCH)
    admin = world[Role.PROVIDER_ADMIN]
    sign_in(page, admin, staff=True)
    violations: list[str] = []
    response = page.goto("/organisations/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=q]", "bravo")  # htmx search swaps the rows in
    expect(page.locator("#organisation-rows")).not_to_contain_text(world["alfa"])
    expect(page.locator("#organisation-rows")).to_contain_text(world["bravo"])
    violations += page.evaluate("window.__cspViolations")
    page.select_option("#language-select", "en")  # the switcher's script is a static file
    page.wait_for_selector("html[lang=en]")
    violations += page.evaluate("window.__cspViolations")
    page.goto("/admin/accounts/organisation/add/")  # Django admin's own scripts (inlines)
    page.get_by_text("Add another Email domain").click()
    expect(page.locator("input[name='domains-0-domain']")).to_be_visible()
    violations += page.evaluate("window.__cspViolations")
    response = page.goto("/api/v1/docs/")
    assert "'nonce-" in response.headers["content-security-policy"]
    # Swagger UI draws the operations tag by tag: wait until the first tags' operations are
    # drawn (the page's CSP forbids evaluating a string, so no wait_for_function).
    expect(page.locator(".swagger-ui .opblock").nth(5)).to_be_attached(timeout=30_000)
    violations += page.evaluate("window.__cspViolations")
    screenshot(page, "swagger-ui-under-csp")
    assert violations == []
    assert not [m for m in console if "Content Security Policy" in m], console
