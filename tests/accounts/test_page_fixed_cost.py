"""The shared cost of every HTML page (issue 15): the base template's navigation worked out once
per process per role and language, the cached template loader in production, and the caches'
invalidation (a role or a language change shows on the next page)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from accounts import services as account_services
from accounts.models import Membership
from accounts.roles import Role
from accounts.tenancy import NOBODY, Tenancy
from tests.conftest import client_for

# The navigation as base.html wrote it before issue 15, one {% nav_link %} per link (``home``
# standing for tenancy.home_organisation_id): the reference the per-process navigation must
# equal, link for link.
REFERENCE = """{% load i18n navigation %}
      {% nav_link "home" _("Home") exact=True %}
      {% if tenancy.is_provider_staff %}
        {% nav_link "organisation_list" _("Organisations") %}
        {% nav_link "contract_list" _("Contracts") %}
        {% nav_link "activity_request_list" _("Activities") %}
        {% nav_link "ticket_list" _("Tickets") %}
        {% nav_link "plan_home" _("Onboarding") %}
        {% nav_link "meeting_list" _("Meetings") %}
      {% elif tenancy.role == "referent" %}
        {% nav_link "hours" _("CSM hours") %}
        {% nav_link "plan_home" _("Onboarding") %}
        {% nav_link "activity_request_list" _("Activities") %}
        {% nav_link "ticket_list" _("Tickets") %}
        {% nav_link "organisation_detail" _("My organisation") home exact=True %}
        {% nav_link "user_list" _("User list") home %}
        {% nav_link "meeting_list" _("Meetings") %}
      {% endif %}
      {% if tenancy.role %}{% nav_link "deliverable_list" _("Deliverables") %}{% endif %}
      {% if tenancy.role %}{% nav_link "siem_workshop_list" _("SIEM workshops") %}{% endif %}
      {% if tenancy.role == "end_user" %}
        {% nav_link "ticket_list" _("Tickets") %}
      {% endif %}
      {% if tenancy.is_admin %}
        {% nav_link "people_list" _("People") %}
      {% endif %}
      {% if tenancy.can_invite %}
        {% nav_link "invitation_list" _("Invitations") %}
      {% endif %}
      {% if tenancy.is_admin %}
        {% nav_link "terms_documents" _("Terms") %}
        <a href="{% url 'admin:index' %}">{% translate "Administration" %}</a>
      {% endif %}"""


def links(html: str) -> list[str]:
    return [line.strip() for line in html.split("\n") if line.strip()]


def tenancy_of(role: str | None, organisation_id: int = 42) -> Tenancy:
    if role is None:
        return NOBODY
    membership = Membership(role=role, organisation_id=organisation_id)
    return Tenancy(membership=membership, organisation_ids=[organisation_id])


@pytest.mark.parametrize("language", ["it", "en", "fr"])
@pytest.mark.parametrize(
    "role",
    [None, Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT, Role.REFERENT, Role.END_USER],
)
def test_the_per_process_navigation_equals_the_per_link_reference(role, language):
    """For every role and language, on every page of the navigation and under it, the
    navigation kept per process renders exactly the links, labels and current-page marks
    (aria-current) of the per-link tags it replaced."""
    engine = engines["django"]
    reference, fast = (
        engine.from_string(REFERENCE),
        engine.from_string("{% load navigation %}{% main_nav %}"),
    )
    tenancy = tenancy_of(role)
    with translation.override(language):
        pages = {"/", "/nowhere/", "/organisations/42/", "/organisations/42/users/7/"}
        base = {"tenancy": tenancy, "home": tenancy.home_organisation_id}
        pages |= {link.split('"')[1] for link in links(reference.render(base))}
        pages |= {page + "7/" for page in list(pages)}
        for page in sorted(pages):
            context = {**base, "request": RequestFactory().get(page)}
            expected = links(reference.render(context))
            assert links(fast.render(context)) == expected, (role, language, page)
            assert len(expected) > 1 or role is None


def test_another_organisation_gets_its_own_links():
    """The referent's own links name their organisation: two referents of two organisations
    never share them."""
    fast = engines["django"].from_string("{% load navigation %}{% main_nav %}")
    request = RequestFactory().get("/")
    first = fast.render({"tenancy": tenancy_of(Role.REFERENT, 1), "request": request})
    second = fast.render({"tenancy": tenancy_of(Role.REFERENT, 2), "request": request})
    assert reverse("organisation_detail", args=[1]) in first
    assert reverse("organisation_detail", args=[2]) in second
    assert reverse("organisation_detail", args=[1]) not in second


def nav_of(client: Client) -> str:
    html = client.get(reverse("profile")).content.decode()
    return html[html.index('<nav class="mainnav"') : html.index("</nav>")]


def test_t1_a_role_change_shows_in_the_navigation_of_the_next_page(transactional_db, tenant_a):
    """The navigation follows the cached tenancy: a referent demoted to end user loses the
    referent's links on the next page (SPEC T1, T2)."""
    client = client_for(tenant_a.referent)
    assert reverse("hours") in nav_of(client)
    assert reverse("hours") in nav_of(client)  # from the caches
    with scopes_disabled():
        membership = Membership.objects.get(user=tenant_a.referent)
    membership.role = Role.END_USER
    membership.save(update_fields=["role"])
    nav = nav_of(client)
    assert reverse("hours") not in nav
    assert reverse("ticket_list") in nav


def test_a_language_change_shows_in_the_navigation_of_the_next_page(transactional_db, tenant_a):
    """The labels are kept per language: the next page after a change of language is in the
    new language."""
    client = client_for(tenant_a.referent)
    with translation.override("it"):
        italian = str(translation.gettext("User list"))
    with translation.override("en"):
        english = str(translation.gettext("User list"))
    assert italian != english
    assert italian in nav_of(client)
    account_services.user_set_language(user=tenant_a.referent, language="en")
    nav = nav_of(client)
    assert english in nav and italian not in nav


def test_production_renders_templates_with_the_cached_loader():
    """Production (DEBUG off) compiles each template once per process: Django's cached loader
    wraps the file-system and app loaders (no `loaders` option overrides it)."""
    code = (
        "import django; django.setup();"
        "from django.template import engines;"
        "print(type(engines['django'].engine.template_loaders[0]).__module__)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csm_portal.settings.production",
        "DJANGO_SECRET_KEY": "deploy-check-only-" + "x" * 50,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "django.template.loaders.cached", result.stderr


def test_the_language_choice_kept_per_process_follows_the_language(transactional_db, tenant_a):
    """The language choice is kept per language: after a change of language, the next page
    marks the new one as chosen."""
    client = client_for(tenant_a.end_user)
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="it" selected>' in page
    account_services.user_set_language(user=tenant_a.end_user, language="fr")
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="fr" selected>' in page and '<option value="it" selected>' not in page


def test_the_fragments_kept_per_process_hold_nothing_of_a_request(transactional_db, cstm):
    """What `{% once %}` keeps is rendered without the request: two people's pages share it,
    while each page's own CSRF tokens (language form, sign-out form, htmx header) stay its own
    and are never inside the kept fragments."""
    signed_in = client_for(cstm)
    pages = [signed_in.get(reverse("profile")), Client().get(reverse("account_login"))]
    fragments = [
        engines["django"].from_string('{% load navigation %}{% once "' + name + '" %}').render()
        for name in ("partials/head.html", "partials/language_choice.html")
    ]
    for response in pages:
        html = response.content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        assert len(token) > 20
        for fragment in fragments:
            assert fragment.strip() in html
            assert token not in fragment and "csrfmiddlewaretoken" not in fragment
            assert "nonce" not in fragment
