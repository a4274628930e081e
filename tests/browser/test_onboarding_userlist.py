"""Browser journey of issue 12 (SPEC O2, O3), in Italian at 1280 and 390 px: the referent
uploads a user list with three errors, sees all three with their rows and columns (nothing
loaded), fixes the file, sees the diff against the current list and applies it; the CSTM sees
the user-list step of the plan done."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from contracts.models import Contract
from onboarding.models import ListedUser, UserListUpload
from onboarding.userlist import services
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in import sign_in
from tests.conftest import make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "email;first_name;last_name;department"
CURRENT = [HEADER, "anna@alfa.example;Anna;Verdi;Vendite", "luca@alfa.example;Luca;Neri;IT"]
BROKEN = [
    HEADER,
    "anna@alfa.example;Anna;Verdi;Marketing",
    "mario.rossi-at-alfa.example;Mario;Rossi;IT",  # row 3: not an address
    "giulia@alfa.example;Giulia;;IT",  # row 4: last name missing
    "spia@bravo-segreta.example;Spia;Esterna;IT",  # row 5: another customer's domain
]
FIXED = [
    HEADER,
    "anna@alfa.example;Anna;Verdi;Marketing",
    "mario.rossi@alfa.example;Mario;Rossi;IT",
    "giulia@alfa.example;Giulia;Bianchi;IT",
]


def csv_upload(lines: list[str]) -> dict:
    # A European spreadsheet's "CSV UTF-8": BOM, semicolons, CRLF.
    data = b"\xef\xbb\xbf" + "\r\n".join(lines).encode()
    return {"name": "utenti.csv", "mimeType": "text/csv", "buffer": data}


def test_o2_referent_fixes_a_user_list_with_three_errors_sees_the_diff_and_applies_it(
    page, browser, live_server, provider_org, cstm
):
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")
    with scopes_disabled():  # activated four days ago: the plan exists
        Contract.objects.filter(pk=alfa.contract.pk).update(
            activated_at=timezone.now() - timedelta(days=4)
        )
    with scopes_disabled():  # the first list, applied at the kick-off
        first = services.user_list_upload(
            organisation=alfa.organisation,
            upload=ContentFile("\n".join(CURRENT).encode(), name="prima.csv"),
            by=alfa.referent,
        )
        first = services.user_list_apply(upload=first, by=alfa.referent)
    sign_in(page, alfa.referent, staff=False)
    page.goto(f"/organisations/{alfa.organisation.pk}/user-list/")
    expect(page.locator("[data-testid=template-columns]")).to_contain_text("first_name")

    page.set_input_files("input[name=file]", files=[csv_upload(BROKEN)])
    page.locator("[data-testid=upload]").click()
    problems = page.locator("[data-testid=problem]")
    expect(problems).to_have_count(3)
    cells = [problems.nth(i).locator("td").all_inner_texts()[:2] for i in range(3)]
    assert cells == [["3", "email"], ["4", "last_name"], ["5", "email"]]
    expect(problems.nth(2)).to_contain_text("bravo-segreta.example")
    screenshot(page, "userlist-three-errors")
    with scopes_disabled():
        assert UserListUpload.objects.count() == 1 and ListedUser.objects.count() == 2

    page.set_input_files("input[name=file]", files=[csv_upload(FIXED)])
    page.locator("[data-testid=upload]").click()
    diff = page.locator("[data-testid=diff]")
    expect(page.locator("[data-testid=diff-added]")).to_contain_text("2")
    expect(page.locator("[data-testid=diff-changed]")).to_contain_text("1")
    expect(page.locator("[data-testid=diff-removed]")).to_contain_text("1")
    expect(diff).to_contain_text("luca@alfa.example")
    screenshot(page, "userlist-diff")

    page.locator("[data-testid=apply]").click()
    expect(page.locator("[data-testid=effective-on]")).to_be_visible()
    screenshot(page, "userlist-applied")
    with scopes_disabled():
        emails = set(ListedUser.objects.values_list("email", flat=True))
        applied = UserListUpload.objects.get(status="applied", is_first=False)
    assert emails == {"anna@alfa.example", "mario.rossi@alfa.example", "giulia@alfa.example"}
    assert applied.encoding == "utf-8-sig" and applied.delimiter == ";"
    assert applied.effective_on > first.effective_on

    # The CSTM sees the user-list step of the shared plan done, and the plan moved past it.
    staff = browser.new_context(
        base_url=live_server.url, locale="it-IT", viewport=page.viewport_size
    ).new_page()
    staff.viewport_name = page.viewport_name
    sign_in(staff, cstm, staff=True)
    staff.goto("/onboarding/plan/")
    staff.locator(f"[data-testid=plan-row-{alfa.organisation.pk}] a").first.click()
    expect(staff.locator("[data-testid=step-user_list]")).to_have_attribute("data-state", "done")
    expect(staff.locator("[data-testid=step-user_list]")).not_to_have_attribute(
        "aria-current", "step"
    )
    screenshot(staff, "userlist-plan-step-done")
