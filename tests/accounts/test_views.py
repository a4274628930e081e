"""Pages of people and organisations: roles, MFA for staff, languages, constant queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Organisation, SecurityEvent, User
from accounts.roles import Role
from tests.conftest import client_for, make_tenant
from tests.factories import PASSWORD, invite, totp_authenticator

pytestmark = pytest.mark.django_db


def test_provider_staff_without_mfa_are_sent_to_set_it_up(cstm):
    """Staff use MFA: without a TOTP authenticator, every page leads to its set-up."""
    totp_authenticator(cstm).delete()
    response = client_for(cstm).get(reverse("organisation_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_sign_in_asks_for_the_second_factor(cstm):
    client = Client()
    response = client.post(reverse("account_login"), {"login": cstm.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in until the code is given.
    assert client.get(reverse("home")).status_code == 302


def test_customers_sign_in_with_email_and_password(tenant_a):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": tenant_a.referent.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert SecurityEvent.objects.filter(
        user=tenant_a.referent, kind=SecurityEvent.Kind.LOGIN
    ).exists()


def test_a_failed_sign_in_is_recorded_without_the_password(tenant_a):
    Client().post(
        reverse("account_login"), {"login": tenant_a.referent.email, "password": "wrong-guess-123"}
    )
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert event.user == tenant_a.referent
    assert "wrong-guess" not in event.identifier


def test_nobody_can_sign_up_on_their_own(db):
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "intruder@example.test",
            "password1": "a-long-secret-99",
            "password2": "a-long-secret-99",
        },
    )
    assert not User.objects.filter(email="intruder@example.test").exists()
    assert response.status_code == 200  # the "sign-up is closed" page


def test_the_organisation_list_uses_a_constant_number_of_queries(admin_user, provider_org):
    """Pages use a constant number of queries whatever the data size."""
    client = client_for(admin_user)
    url = reverse("organisation_list")
    make_tenant("Uno S.r.l.", "uno.example")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(6):
        make_tenant(f"Org {n} S.r.l.", f"org-{n}.example")
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert b"Org 5 S.r.l." in response.content
    # user, membership (tenancy), MFA check, count, page, current CSTMs (the session is read
    # from the cache: SESSION_ENGINE cached_db, issue 15).
    assert len(large) == len(small) == 6, [q["sql"] for q in large.captured_queries]


def test_organisation_search_answers_htmx_with_the_rows_only(admin_user, tenant_a, tenant_b):
    client = client_for(admin_user)
    response = client.get(reverse("organisation_list"), {"q": "bravo"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    assert tenant_b.organisation.name.encode() in response.content
    assert tenant_a.organisation.name.encode() not in response.content


def test_an_admin_creates_an_organisation_and_bad_input_writes_nothing(admin_user):
    client = client_for(admin_user)
    response = client.post(
        reverse("organisation_create"), {"name": "", "domains": "not a domain", "language": "it"}
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert not Organisation.objects.filter(kind="customer").exists()
    response = client.post(
        reverse("organisation_create"),
        {"name": "Delta S.p.A.", "domains": "delta.example", "language": "es"},
    )
    with scopes_disabled():
        created = Organisation.objects.get(name="Delta S.p.A.")
    assert response["Location"] == reverse("organisation_detail", args=[created.pk])


def test_a_cstm_invites_a_referent_into_an_assigned_organisation(cstm, tenant_a, tenant_b):
    client = client_for(cstm)
    data = {
        "email": "ref2@alfa.example",
        "first_name": "R",
        "last_name": "Due",
        "role": Role.REFERENT,
        "language": "it",
    }
    response = client.post(reverse("person_invite", args=[tenant_a.organisation.pk]), data)
    assert response.status_code == 302
    assert User.objects.filter(email="ref2@alfa.example").exists()
    # Not assigned to B: 404, nothing written.
    data["email"] = "ref2@bravo-segreta.example"
    response = client.post(reverse("person_invite", args=[tenant_b.organisation.pk]), data)
    assert response.status_code == 404
    assert not User.objects.filter(email="ref2@bravo-segreta.example").exists()


def test_invalid_input_is_explained_in_the_users_language(admin_user, tenant_a):
    admin_user.language = "it"
    admin_user.save()
    client = client_for(admin_user)
    data = {
        "email": tenant_a.referent.email,
        "first_name": "X",
        "last_name": "Y",
        "role": Role.REFERENT,
        "language": "it",
    }
    response = client.post(reverse("person_invite", args=[tenant_a.organisation.pk]), data)
    assert response.status_code == 200
    assert "Qualcuno usa già questo indirizzo email." in response.content.decode()


def test_the_language_switcher_becomes_the_users_preference(tenant_a):
    client = client_for(tenant_a.referent)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    tenant_a.referent.refresh_from_db()
    assert tenant_a.referent.language == "fr"
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="fr">' in page


@pytest.mark.parametrize(
    "language, word",
    [
        ("it", "Organizzazioni"),
        ("en", "Organisations"),
        ("fr", "Organisations"),
        ("es", "Organizaciones"),
    ],
)
def test_every_screen_speaks_the_four_languages(admin_user, language, word):
    admin_user.language = language
    admin_user.save()
    response = client_for(admin_user).get(reverse("organisation_list"))
    assert f"<h1>{word}</h1>" in response.content.decode()


def test_a_referent_sees_their_people_and_cstm_but_not_staff_pages(tenant_a, cstm):
    client = client_for(tenant_a.referent)
    home = client.get(reverse("home")).content.decode()
    assert cstm.email in home
    assert client.get(reverse("people_list")).status_code == 404
    assert client.get(reverse("organisation_list")).status_code == 404


def test_django_admin_is_for_provider_admins_only(admin_user, cstm):
    assert client_for(admin_user).get("/admin/").status_code == 200
    assert client_for(cstm).get("/admin/").status_code == 302


def test_repeated_failed_sign_ins_are_rate_limited(tenant_a, settings):
    """Login rate limits: after 5 failures for one address, even the right password is refused."""
    from django.core.cache import cache

    cache.clear()
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,5/5m/key"}
    client = Client()
    for _ in range(5):
        client.post(
            reverse("account_login"), {"login": tenant_a.referent.email, "password": "nope-nope-1"}
        )
    response = client.post(
        reverse("account_login"), {"login": tenant_a.referent.email, "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_a_forgotten_password_is_reset_by_a_mailed_link(tenant_a, mailoutbox):
    response = Client().post(reverse("account_reset_password"), {"email": tenant_a.referent.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert PASSWORD not in mailoutbox[0].body


def test_the_invitation_link_sets_the_password_and_signs_in_once(tenant_a, admin_user):
    _invitation, token = invite(tenant_a.organisation, "new@alfa.example", by=admin_user)
    client = Client()
    url = reverse("invitation_accept", args=[token])
    short = client.post(url, {"password1": "short", "password2": "short"})
    assert short.status_code == 200 and "password1" in short.context["form"].errors
    response = client.post(
        url, {"password1": "a-long-new-secret-42", "password2": "a-long-new-secret-42"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new@alfa.example").pk)
    assert Client().get(url).status_code == 404  # used up
