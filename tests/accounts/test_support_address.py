"""Issue 14: the support address is printed on every customer page and in every notification
e-mail; the lookup is cached (no query per page once warm) and forgotten when the mailbox
changes (SPEC S1, S8)."""

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from tests.conftest import client_for
from tests.test_route_walk import ADMIN_PREFIX, build_url, routes, with_activity
from tickets import portal
from tickets.mailbox import Mailbox, mailbox_save

ADDRESS = "aiuto@supporto-provider.example"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def support_mailbox(db) -> Mailbox:
    with scopes_disabled():
        return Mailbox.objects.create(
            name="Supporto", address=ADDRESS, host="127.0.0.1", username="s"
        )


def full_pages_of(user, tenant) -> dict[str, bytes]:
    """Every page (a whole HTML document) this customer reaches with a GET, their own
    organisation's ids filled in: the walk of tests/test_route_walk.py, from the inside."""
    pages = {}
    for route in routes():
        if route.startswith((ADMIN_PREFIX, "api/")):
            continue
        url, _ = build_url(route, tenant)
        response = client_for(user).get(url)
        if response.status_code != 200 or response.streaming:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if b"<html" not in response.content:
            continue  # an htmx fragment: it is shown inside a page that has the footer
        pages[url] = response.content
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["referent", "end_user"])
def test_support_address_on_every_customer_page(role, support_mailbox, tenant_b):
    """Issue 14 (S1): the referent and the end user find the support address on every page
    they reach, not only on the home and new-request pages."""
    with_activity(tenant_b)
    user = getattr(tenant_b, role)
    pages = full_pages_of(user, tenant_b)
    assert len(pages) > (15 if role == "referent" else 8), sorted(pages)
    missing = [url for url, body in pages.items() if ADDRESS.encode() not in body]
    assert not missing, f"no support address on {missing}"


@pytest.mark.django_db
def test_support_address_is_not_printed_for_staff(support_mailbox, agent, tenant_a):
    """The footer is for customers: a staff page does not carry it (nor look it up)."""
    body = client_for(agent).get("/tickets/").content
    assert b'data-testid="support-footer"' not in body


# --- the e-mails --------------------------------------------------------------------------

# Not mail bodies: the description inside the calendar file of an invitation.
NOT_A_MAIL = {"onboarding/library/email/ics_description.txt"}


def project_mail_templates() -> list[str]:
    found = sorted(
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").glob("**/email/*.txt")
        if not path.name.endswith("_subject.txt")
    )
    return [name for name in found if name not in NOT_A_MAIL]


def allauth_mail_templates() -> list[str]:
    import allauth

    base = Path(allauth.__file__).parent / "templates"
    return sorted(
        str(path.relative_to(base))
        for path in (base / "account" / "email").glob("*_message.txt")
        if path.name not in ("base_message.txt",)
    )


def mail_context() -> dict:
    """Enough of every notification's context for it to render."""
    today = timezone.localdate()
    balance = SimpleNamespace(
        remaining=Decimal("3.5"), total=Decimal("20"), charged=Decimal("16.5")
    )
    person = SimpleNamespace(first_name="Anna", email="anna@alfa.example", display_name="Anna")
    organisation = SimpleNamespace(name="Alfa", language="it")
    contract = SimpleNamespace(
        number="C-1",
        organisation=organisation,
        expires_on=today,
        starts_on=today,
        has_csm_hours=True,
        hours_per_year=Decimal("20"),
    )
    return {
        "user": person,
        "referent": person,
        "person": person,
        "cstm": person,
        "attendee": SimpleNamespace(name="Anna"),
        "organisation": organisation,
        "contract": contract,
        "year": SimpleNamespace(organisation=organisation, contract=contract, ends_on=today),
        "balance": balance,
        "request": SimpleNamespace(
            activity=SimpleNamespace(name="Kick-off"),
            estimate_hours=Decimal("4"),
            created_at=today,
        ),
        "ticket": SimpleNamespace(number="T-1", subject="Errore", organisation=organisation),
        "plan": SimpleNamespace(organisation=organisation, target_go_live_on=today),
        "meeting": SimpleNamespace(title="Kick-off", duration_minutes=60, attendees=[]),
        "days": 30,
        "percent": 80,
        "hours_charged": Decimal("4"),
        "expires_at": timezone.now(),
        "local": timezone.now(),
        "due": timezone.now(),
        "link": "https://portal.example/x",
        "portal": "https://portal.example/",
        "password_reset_url": "https://portal.example/reset",
        "activate_url": "https://portal.example/confirm",
        "code": "123456",
        "current_site": SimpleNamespace(name="CSM Portal", domain="portal.example"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["it", "en"])
def test_support_address_in_every_notification_mail(language, support_mailbox):
    """Issue 14 (S1, S8): every notification e-mail (the project's templates/**/email/* and
    allauth's account mails, which go out through the project's base) ends with the support
    address, in the recipient's language."""
    names = project_mail_templates() + allauth_mail_templates()
    assert len(names) > 20
    missing = []
    with translation.override(language):
        for name in names:
            body = render_to_string(name, mail_context())
            if ADDRESS not in body:
                missing.append(name)
    assert not missing, f"no support address in {missing}"


# --- the cache ----------------------------------------------------------------------------


def mailbox_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "tickets_mailbox" in q["sql"]]


@pytest.mark.django_db
def test_support_address_adds_no_query_with_a_warm_cache(support_mailbox, tenant_a):
    """Issue 15 convention: with a warm cache a customer page costs no query for the address,
    and exactly as many queries as before the footer existed (the lookup is the only change)."""
    portal.support_address_forget()
    client = client_for(tenant_a.referent)
    with CaptureQueriesContext(connection) as cold:
        assert ADDRESS.encode() in client.get("/hours/").content
    assert len(mailbox_queries(cold.captured_queries)) == 1
    with CaptureQueriesContext(connection) as warm:
        assert ADDRESS.encode() in client.get("/hours/").content
    assert mailbox_queries(warm.captured_queries) == []
    assert len(warm.captured_queries) == len(cold.captured_queries) - 1


@pytest.mark.django_db
def test_support_address_cache_forgotten_when_the_mailbox_changes(support_mailbox, tenant_a):
    """Invalidation: a new address, a deactivated mailbox and a deleted one show at once."""
    client = client_for(tenant_a.end_user)
    assert ADDRESS.encode() in client.get("/tickets/").content  # cached now
    with scopes_disabled():
        support_mailbox.address = "nuovo@supporto-provider.example"
        mailbox_save(mailbox=support_mailbox)
    assert b"nuovo@supporto-provider.example" in client.get("/tickets/").content
    assert portal.support_address() == "nuovo@supporto-provider.example"
    with scopes_disabled():
        second = Mailbox.objects.create(
            name="Secondo", address="secondo@supporto-provider.example", host="h", username="u"
        )
        support_mailbox.active = False
        support_mailbox.save()
    assert portal.support_address() == second.address
    with scopes_disabled():
        second.delete()
    assert portal.support_address() == settings.DEFAULT_FROM_EMAIL
