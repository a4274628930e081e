"""Playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from tests.bootstrap import ensure_chromium

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every journey runs on a desktop and on a phone (Italian, the portal's default language).
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="it-IT",
        viewport=VIEWPORTS[request.param],
        is_mobile=request.param == "phone",
        has_touch=request.param == "phone",
    )
    page = context.new_page()
    page.viewport_name = request.param
    page.set_default_timeout(15_000)
    yield page
    context.close()


# Where a page gets wider than the screen: the elements that end beyond its right edge while their
# parent does not (not those inside a container that scrolls by itself), as "tag.class#id (px)".
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (p === document.documentElement || p === document.body) return false;
      if (/(auto|scroll|hidden)/.test(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    // Only where the overflow starts: the element sticks out, its parent does not.
    if (box.width && box.right > width + 1 && parent.right <= width + 1 && !scrolls(el)) {
      const cls = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      const id = el.id ? "#" + el.id : "";
      out.push(`${el.tagName.toLowerCase()}${cls}${id} (${Math.round(box.right)}px)`);
    }
  }
  if (!out.length) {  // positioned elements escape their scrolling container
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && /(absolute|fixed)/.test(getComputedStyle(el).position)) {
        const right = Math.round(box.right);
        out.push(`${el.tagName.toLowerCase()}.${el.className} (positioned, ${right}px)`);
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, culprits: out.slice(-6)};
}"""


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{getattr(page, 'viewport_name', 'desktop')}.png"
    # Nothing wider than the screen: a phone user never scrolls sideways to read a page.
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= page.viewport_size["width"], (
        f"{name} ({page.url}): {found['scrollWidth']}px wide; sticking out: "
        + ", ".join(found["culprits"])
    )
    page.screenshot(path=str(path), full_page=True)
    return path


def open_menu(page) -> None:
    """On a phone the main navigation folds behind "Menu" (issue 14): open it before clicking
    one of its links. Nothing to do on a desktop or when it is already open."""
    # The menu button shows once the deferred portal.js has run: wait for it, or the menu
    # may fold after this looked and found nothing to open.
    page.wait_for_load_state("load")
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        page.locator("nav.mainnav.open").wait_for(state="visible")
