"""Accessibility (issue 14): axe-core runs on every page of every role, 0 serious or critical
violations.

The pages are those of tests/browser/walk.py (every GET route of the resolver that answers the
role with HTML, as tests/test_route_walk.py builds them). axe-core is vendored in
tests/browser/vendor/ (see its README) and injected as an init script, which the page's
Content-Security-Policy does not block (the policy stays on). A failure names the URL, the role,
the rule, its impact and the offending elements.
"""

from pathlib import Path

import pytest

from tests.browser.conftest import VIEWPORTS
from tests.browser.walk import ROLES, make_world, pages_for, sign_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Rules of lesser impact that the portal keeps at zero too (issue 14 named them).
ALSO_ENFORCED = ("empty-table-header",)
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html,
                                summary: n.failureSummary})),
  }));
}"""


def describe(url: str, role: str, violation: dict) -> str:
    lines = [f"{url} as {role}: [{violation['impact']}] {violation['id']}: {violation['help']}"]
    for node in violation["nodes"][:5]:
        summary = " ".join((node["summary"] or "").split())[:200]
        lines.append(f"    {node['target']}  {node['html'][:160]}\n      {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def axe_violations(page) -> list[dict]:
    return [
        v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING or v["id"] in ALSO_ENFORCED
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_has_no_serious_accessibility_violation(
    browser, live_server, provider_org, role
):
    """axe-core on every page the role may open, at 1280 px and at 390 px (where the
    navigation is a menu): no serious or critical violation (contrast of badges and pills,
    links told from text only by colour, unlabelled fields…), and no empty table header."""
    world = make_world(provider_org)
    urls = pages_for(world, role)
    assert len(urls) > (3 if role == "anonymous" else 10), urls
    failures: list[str] = []
    for viewport in VIEWPORTS:
        context = browser.new_context(
            base_url=live_server.url,
            locale="it-IT",
            viewport=VIEWPORTS[viewport],
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
        )
        context.add_init_script(path=str(AXE))
        sign_in_context(context, live_server.url, world.people.get(role))
        page = context.new_page()
        page.set_default_timeout(15_000)
        for url in urls:
            page.goto(url)
            for violation in axe_violations(page):
                failures.append(describe(url, f"{role} at {viewport}", violation))
        context.close()
    assert not failures, f"{len(failures)} accessibility violations:\n" + "\n".join(failures)
