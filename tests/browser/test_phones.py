"""Phones (issue 14): every page of every role is usable at 390 px.

The same pages as the accessibility walk (tests/browser/walk.py: every GET route of the resolver
that answers the role with HTML). On each, nothing is wider than the screen (a phone user never
scrolls sideways: tables scroll inside themselves, long words wrap, forms stack); a failure names
the URL and the elements that stick out. The navigation folds behind a "Menu" button that opens
and closes it (static JavaScript, no inline script under the CSP).
"""

import pytest

from accounts.roles import Role
from tests.browser.conftest import OVERFLOW, VIEWPORTS, screenshot
from tests.browser.walk import ROLES, make_world, pages_for, sign_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone_context(browser, live_server):
    return browser.new_context(
        base_url=live_server.url,
        locale="it-IT",
        viewport=VIEWPORTS["phone"],
        is_mobile=True,
        has_touch=True,
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_fits_a_390_px_phone(browser, live_server, provider_org, role):
    """At 390 px no page of any role is wider than the screen (document scrollWidth ≤ the
    viewport): the failure lists each URL with the elements that stick out."""
    world = make_world(provider_org)
    urls = pages_for(world, role)
    context = phone_context(browser, live_server)
    sign_in_context(context, live_server.url, world.people.get(role))
    page = context.new_page()
    page.set_default_timeout(15_000)
    failures: list[str] = []
    for url in urls:
        page.goto(url)
        found = page.evaluate(OVERFLOW)
        if found["scrollWidth"] > VIEWPORTS["phone"]["width"]:
            failures.append(
                f"{url} as {role}: {found['scrollWidth']}px wide on a "
                f"{found['width']}px screen; sticking out: {', '.join(found['culprits'])}"
            )
    context.close()
    assert not failures, f"{len(failures)} pages too wide for a phone:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    browser, live_server, provider_org, role
):
    """At 390 px the main navigation is hidden behind "Menu" (aria-expanded tells its state),
    opens with a tap, shows the current page marked (aria-current) and closes again."""
    world = make_world(provider_org)
    context = phone_context(browser, live_server)
    sign_in_context(context, live_server.url, world.people[role])
    page = context.new_page()
    page.viewport_name = "phone"
    page.goto("/tickets/")
    toggle = page.get_by_role("button", name="Menu")
    nav = page.locator("nav.mainnav")
    assert toggle.is_visible() and not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.tap()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    current = nav.locator("[aria-current=page]")
    assert current.count() == 1 and current.inner_text() == "Ticket"
    screenshot(page, f"phone-menu-open-{role}")
    toggle.tap()
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    context.close()


CARD_LISTS = {
    "/hours/": ["ledger-table", "statements"],
    "/activities/": ["request-table"],
    "/tickets/": ["ticket-table"],
}
CARD_STATE = """(testid) => {
  const table = document.querySelector(`[data-testid="${testid}"]`);
  if (!table) return null;
  const cell = table.querySelector("tbody td[data-label]");
  const head = table.querySelector("thead");
  return {
    cell: getComputedStyle(cell).display,
    label: getComputedStyle(cell, "::before").content,
    expected: cell.dataset.label,
    headHeight: head.getBoundingClientRect().height,
    scrolls: table.scrollWidth > table.clientWidth + 1,
  };
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_on_a_phone_the_referents_lists_become_cards(browser, live_server, provider_org, viewport):
    """Issue 14: at 390 px the referent's hours ledger, statements, requests and tickets are
    cards (each cell a line after its column's name, nothing scrolls sideways inside them); at
    1280 px they are still tables."""
    world = make_world(provider_org)
    context = browser.new_context(
        base_url=live_server.url,
        locale="it-IT",
        viewport=VIEWPORTS[viewport],
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    sign_in_context(context, live_server.url, world.people[Role.REFERENT])
    page = context.new_page()
    page.viewport_name = viewport
    for url, tables in CARD_LISTS.items():
        page.goto(url)
        for testid in tables:
            state = page.evaluate(CARD_STATE, testid)
            assert state is not None, f"{url}: no {testid}"
            if viewport == "phone":
                assert state["cell"] == "grid", (url, testid, state)
                assert state["label"] == f'"{state["expected"]}"', (url, testid, state)
                assert state["headHeight"] <= 1 and not state["scrolls"], (url, testid, state)
            else:
                assert state["cell"] == "table-cell" and state["label"] == "none", state
        screenshot(page, f"cards{url.replace('/', '-').rstrip('-')}")
    context.close()
