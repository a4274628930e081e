"""Sign-in polish (issue 14): one "forgot password" link, a favicon, recovery codes for staff
after they activate their authenticator, MFA pages in the portal's own styles, the current page
marked in the navigation, a skip link."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.conftest import client_for
from tests.factories import PASSWORD, totp_authenticator

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_has_exactly_one_forgot_password_link():
    """The password field's own help link (allauth's) is not shown beside the page's: a single
    "forgot your password?" link on the sign-in page."""
    html = Client().get(reverse("account_login")).content.decode()
    assert html.count(f'href="{reverse("account_reset_password")}"') == 1


def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(tenant_a):
    """The SVG icon is a static file, linked by every page (the layout) and reached from
    /favicon.ico, where browsers and bookmarks look for it."""
    assert finders.find("favicon.svg")
    for client, url in ((Client(), "account_login"), (client_for(tenant_a.referent), "home")):
        page = client.get(reverse(url)).content.decode()
        assert re.search(r'<link rel="icon" href="/static/favicon\.svg"', page)
    response = Client().get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"


def _code(secret: str) -> str:
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db(transaction=True)  # allauth records the activation after the commit
def test_t4_staff_activating_their_authenticator_get_recovery_codes_to_keep(cstm):
    """A CSTM who sets up the authenticator app (SPEC T4: staff must) is then shown ten
    recovery codes, in the portal's layout, with a download link that gives them as a file."""
    totp_authenticator(cstm).delete()
    client = Client()
    client.post(reverse("account_login"), {"login": cstm.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks again
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = Authenticator.objects.get(user=cstm, type=Authenticator.Type.RECOVERY_CODES)
    unused = codes.wrap().get_unused_codes()
    assert len(unused) == 10
    shown = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert all(code in shown for code in unused)
    assert (
        'class="page allauth-page"' in shown
        and f'href="{reverse("mfa_download_recovery_codes")}"' in shown
    )
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download["Content-Disposition"].startswith("attachment")
    assert all(code in download.content.decode() for code in unused)


@pytest.mark.parametrize(
    "url_name", ["mfa_index", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"]
)
def test_the_mfa_pages_use_the_portals_cards_buttons_and_fields(cstm, url_name):
    """allauth's MFA pages are drawn with the portal's own pieces (the page card, cards for
    each method, buttons, fields), not allauth's bare default elements."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(cstm)
    client = client_for(cstm)
    session = client.session  # the codes pages ask for a recent re-authentication
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    html = client.get(reverse(url_name)).content.decode()
    assert 'class="page allauth-page"' in html
    if url_name == "mfa_index":
        assert html.count('<section class="card">') == 2  # authenticator app, recovery codes
    assert re.search(r'<(a|button)[^>]*class="button', html), html


def test_the_navigation_marks_the_current_page_and_offers_a_skip_link(tenant_a):
    """The link of the page being shown (or of the section it belongs to) carries
    aria-current="page"; no other does; every page starts with "skip to content"."""
    client = client_for(tenant_a.referent)
    for url, label in ((reverse("ticket_list"), "Ticket"), (reverse("home"), "Home")):
        html = client.get(url).content.decode()
        nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
        assert nav.count('aria-current="page"') == 1, url
        assert re.search(rf'href="{re.escape(url)}" aria-current="page">{label}</a>', nav)
        with translation.override("it"):
            skip = gettext("Skip to content")  # "Vai al contenuto"
        assert f'<a class="skip-link" href="#content">{skip}</a>' in html
        assert '<main id="content"' in html
