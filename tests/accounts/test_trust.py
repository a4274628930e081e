"""Issue 11, "Trust": sign-in, tokens, referents' domains, security logs, CSP and customer writes.

Each test is named after the rule (SPEC T4, C5, S3) or the attack it closes and failed before
the fix.
"""

import logging
import re
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import (
    ApiToken,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    SecurityEvent,
    User,
)
from accounts.roles import Role
from tests.conftest import client_for
from tests.factories import PASSWORD, invite, person, totp_authenticator

pytestmark = pytest.mark.django_db

TOKENS_REVOKED = "Your personal API tokens have been revoked"


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def current_code(user: User) -> str:
    secret = totp_authenticator(user).data["secret"]
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def active_tokens(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


# --- T4: the second factor, in this session -------------------------------------------------


def test_t4_admin_login_form_redirects_to_mfa_sign_in(admin_user):
    """Django admin's own form (email + password) gave a full admin session without TOTP and
    without the sign-in rate limit. Now it signs nobody in and sends to the allauth sign-in,
    keeping where the admin wanted to go."""
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/accounts/organisation/",
        {"username": admin_user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("account_login") + "?next=/admin/accounts/organisation/"
    )
    assert "_auth_user_id" not in client.session
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    # A foreign "next" is not kept.
    response = Client().get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == reverse("account_login") + "?next=/admin/"


def test_t4_staff_session_without_mfa_reaches_nothing_staff(admin_user, tenant_a):
    """A staff session that passed the password only (e.g. Django admin's form, a forced login)
    reaches no staff page, no Django admin and no API: pages send to the MFA step, the API
    answers 403 in JSON."""
    User.objects.filter(pk=admin_user.pk).update(language="en")
    client = client_for(admin_user, mfa=False)
    mfa_step = reverse("mfa_reauthenticate")
    for url in ("/", reverse("organisation_list"), "/admin/", reverse("profile")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{mfa_step}?next={url}", url
    for method in ("get", "post"):
        response = getattr(client, method)("/api/v1/organisations/")
        assert response.status_code == 403
        assert "second factor" in response.json()["detail"]
    # Nor can the password alone remove the authenticator (it would open the way to a new one).
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302 and response["Location"].startswith(mfa_step)
    assert client.get(mfa_step).status_code == 200


def test_t4_the_mfa_step_in_this_session_opens_the_staff_pages(admin_user):
    """The way back: the authenticator code given in this session opens the pages."""
    client = client_for(admin_user, mfa=False)
    response = client.post(
        reverse("mfa_reauthenticate") + "?next=/organisations/", {"code": current_code(admin_user)}
    )
    assert response.status_code == 302 and response["Location"] == "/organisations/"
    assert client.get(reverse("organisation_list")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_t4_allauth_sign_in_with_totp_opens_the_staff_pages(cstm):
    """The real allauth flow (password, then the code) records the second factor that the
    portal checks."""
    client = Client()
    client.post(reverse("account_login"), {"login": cstm.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(cstm)})
    assert response.status_code == 302
    assert client.get(reverse("organisation_list")).status_code == 200
    assert client.get("/api/v1/organisations/").status_code == 200


def test_t4_staff_without_an_authenticator_reach_only_the_mfa_set_up(cstm):
    """A new staff member signs in with a password only and may set up TOTP, nothing else."""
    totp_authenticator(cstm).delete()
    client = client_for(cstm)
    assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)
    response = client.get(reverse("organisation_list"))
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get("/api/v1/organisations/").status_code == 403


@pytest.mark.django_db(transaction=True)  # allauth records the activation on commit
def test_t4_activating_totp_counts_as_the_second_factor_of_this_session(cstm):
    """A new staff member who has just set up TOTP (a valid code from the app) is not asked for
    a second code at once: the activation is recorded as this session's MFA step."""
    totp_authenticator(cstm).delete()
    client = client_for(cstm)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks it
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("organisation_list")).status_code == 200


# --- T4: tokens authenticate the API only ---------------------------------------------------


def test_t4_bearer_token_opens_nothing_outside_the_api(admin_user):
    """A personal token opened Django admin and skipped CSRF: an admin POST without a CSRF
    token created an organisation. Outside /api/v1/ the header is now ignored."""
    _token, secret = services.api_token_create(user=admin_user, name="script")
    client = Client(enforce_csrf_checks=True)
    response = client.get("/admin/", **bearer(secret))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get(reverse("organisation_list"), **bearer(secret))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    response = client.post(
        "/admin/accounts/organisation/add/",
        {"name": "Made by a token", "kind": "customer", "language": "it", "access": "full"},
        **bearer(secret),
    )
    assert response.status_code in (302, 403)
    with scopes_disabled():
        assert not Organisation.objects.filter(name="Made by a token").exists()
    # The API still takes it.
    assert Client().get("/api/v1/me/", **bearer(secret)).status_code == 200


# --- T4: tokens die with a password change or reset -----------------------------------------


def test_t4_password_change_revokes_api_tokens_and_the_mail_says_so(tenant_a):
    """A stolen token outlived the password change meant to lock the thief out."""
    referent = tenant_a.referent
    User.objects.filter(pk=referent.pk).update(language="en")
    client = client_for(referent)
    profile = client.get(reverse("profile")).content.decode()
    assert "Changing or resetting your password revokes all your API tokens." in profile
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-secret-42",
            "password2": "a-new-long-secret-42",
        },
    )
    assert response.status_code == 302
    assert active_tokens(referent) == 0
    assert Client().get("/api/v1/me/", **bearer(tenant_a.token_secret)).status_code == 401
    confirmations = [m for m in mail.outbox if referent.email in m.to]
    assert confirmations and TOKENS_REVOKED in confirmations[-1].body


def test_t4_password_reset_revokes_api_tokens_and_the_mail_says_so(tenant_a):
    referent = tenant_a.referent
    User.objects.filter(pk=referent.pk).update(language="en")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": referent.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link is not None
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    response = client.post(
        form_url, {"password1": "a-new-long-secret-42", "password2": "a-new-long-secret-42"}
    )
    assert response.status_code == 302
    assert active_tokens(referent) == 0
    assert TOKENS_REVOKED in mail.outbox[-1].body


def test_t4_admin_set_password_revokes_api_tokens(admin_user, tenant_a):
    referent = tenant_a.referent
    response = client_for(admin_user).post(
        f"/admin/accounts/user/{referent.pk}/password/",
        {
            "usable_password": "true",
            "password1": "a-new-long-secret-42",
            "password2": "a-new-long-secret-42",
        },
    )
    assert response.status_code == 302
    assert active_tokens(referent) == 0


# --- S3 / T1: a referent's address may not sit on another customer's domain -----------------


def test_referent_on_another_customers_domain_is_refused_everywhere(cstm, tenant_a, tenant_b):
    """A CSTM of A invited cfo@<B's domain> as referent of A and so captured B's mail into A.
    The page, the API, the service and the model (Django admin) all refuse it."""
    foreign = "cfo@bravo-segreta.example"
    data = {
        "email": foreign,
        "first_name": "C",
        "last_name": "FO",
        "role": Role.REFERENT,
        "language": "it",
    }
    User.objects.filter(pk=cstm.pk).update(language="en")
    client = client_for(cstm)
    response = client.post(reverse("person_invite", args=[tenant_a.organisation.pk]), data)
    assert response.status_code == 200
    assert "registered to another customer" in response.content.decode()
    response = client.post(
        "/api/v1/people/",
        {**data, "organisation": tenant_a.organisation.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "email" in response.json()
    with pytest.raises(ValidationError):
        invite(tenant_a.organisation, "CFO@Bravo-Segreta.example", by=cstm, role=Role.REFERENT)
    assert not User.objects.filter(email__iexact=foreign).exists()
    # Django admin validates the models: moving B's referent into A, or giving A's referent an
    # address of B's domain, is refused.
    with scopes_disabled():
        membership = Membership.objects.get(user=tenant_b.referent)
        membership.organisation = tenant_a.organisation
        with pytest.raises(ValidationError):
            membership.full_clean()
    referent = User.objects.get(pk=tenant_a.referent.pk)
    referent.email = foreign
    with pytest.raises(ValidationError):
        referent.full_clean()


def test_provider_staff_may_use_any_domain(admin_user, provider_org, tenant_a):
    """The rule is about customers: a provider person keeps whatever address they have."""
    invitation, _token = invite(provider_org, "helper@alfa.example", by=admin_user, role=Role.CSTM)
    assert invitation.user.email == "helper@alfa.example"


def test_a_domain_belongs_to_one_organisation_whatever_its_case(tenant_a, tenant_b):
    with scopes_disabled():
        clash = OrganisationDomain(
            organisation=tenant_a.organisation, domain="BRAVO-Segreta.example"
        )
        with pytest.raises(ValidationError):
            clash.full_clean()


def test_the_migration_keeps_a_duplicated_domain_with_its_oldest_organisation(db, caplog):
    """Domains registered twice in different case before the rule: the oldest row keeps the
    domain, the other is removed and logged, and every domain ends up in lower case."""
    import importlib
    from pathlib import Path

    from django.apps import apps
    from django.db import connection

    import accounts.migrations

    name = next(
        p.stem
        for p in Path(accounts.migrations.__file__).parent.glob("*.py")
        if p.stem.endswith("organisation_domain_unique_any_case")
    )
    migration = importlib.import_module(f"accounts.migrations.{name}")
    first = Organisation.objects.with_scopes_disabled().create(name="Old")
    second = Organisation.objects.with_scopes_disabled().create(name="New")
    constraint = next(
        c for c in OrganisationDomain._meta.constraints if c.name.endswith("any_case")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.remove_constraint(OrganisationDomain, constraint)
    with connection.cursor() as cursor:
        for organisation, domain in ((first, "Dup.example"), (second, "dup.EXAMPLE")):
            cursor.execute(
                "INSERT INTO accounts_organisationdomain (organisation_id, domain) VALUES (%s, %s)",
                [organisation.pk, domain],
            )
    caplog.set_level(logging.WARNING)
    with scopes_disabled():  # a migration's historical models have no scoped manager
        migration.lower_and_deduplicate_domains(apps, None)
    with connection.schema_editor() as editor:
        editor.add_constraint(OrganisationDomain, constraint)
    rows = list(
        OrganisationDomain.objects.with_scopes_disabled().values_list("organisation", "domain")
    )
    assert rows == [(first.pk, "dup.example")]
    assert "duplicate email domain dup.example" in caplog.text


def test_a_domain_used_by_another_customers_people_cannot_be_registered(admin_user, tenant_a):
    """A's referent already writes from newco.example: registering it to another customer
    would put A's person on B's domain."""
    person(tenant_a.organisation, Role.REFERENT, email="boss@newco.example")
    with pytest.raises(ValidationError), scopes_disabled():
        services.organisation_create(name="Newco", domains=["newco.example"], language="it")
    # Django admin's domain inline validates the model the same way.
    with scopes_disabled():
        other = Organisation.objects.create(name="Newco")
    with pytest.raises(ValidationError):
        OrganisationDomain(organisation=other, domain="NewCo.example").full_clean()


# --- Security log lines and retention --------------------------------------------------------


def test_security_log_lines_carry_a_user_id_not_the_email_nor_the_full_ip(tenant_a, caplog):
    """Sign-ins logged the email and IP of everybody at INFO. The log now carries the user id
    and a truncated address; the details stay in the security events."""
    referent = tenant_a.referent
    caplog.set_level(logging.INFO, logger="csm_portal.security")
    client = Client(REMOTE_ADDR="203.0.113.77")
    client.post(reverse("account_login"), {"login": referent.email, "password": "wrong-guess-1"})
    client.post(reverse("account_login"), {"login": referent.email, "password": PASSWORD})
    lines = [r.getMessage() for r in caplog.records if r.name == "csm_portal.security"]
    assert len(lines) >= 2
    for line in lines:
        assert referent.email not in line and "203.0.113.77" not in line, line
    assert any(f"user={referent.pk}" in line for line in lines)
    event = SecurityEvent.objects.filter(user=referent, kind=SecurityEvent.Kind.LOGIN).get()
    assert event.ip_address == "203.0.113.77" and event.identifier == referent.email


def test_security_events_are_purged_after_their_retention(tenant_a, settings):
    """Security events hold addresses and IPs: kept SECURITY_EVENT_RETENTION_DAYS, then gone."""
    from accounts.tasks import security_events_purge

    settings.SECURITY_EVENT_RETENTION_DAYS = 365
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        SecurityEvent.objects.create(kind=SecurityEvent.Kind.LOGIN, user=tenant_a.referent)
    with time_machine.travel(start + timedelta(days=300), tick=False):
        recent = SecurityEvent.objects.create(
            kind=SecurityEvent.Kind.LOGIN_FAILED, identifier="x@y.example"
        )
    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert security_events_purge() == 1
    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [recent.pk]


# --- Content-Security-Policy -----------------------------------------------------------------


def test_pages_and_swagger_ui_are_served_with_a_content_security_policy(admin_user):
    """No inline script runs unless the page gave it this response's nonce."""
    response = Client().get(reverse("account_login"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert b"onchange=" not in response.content
    docs = client_for(admin_user).get("/api/v1/docs/")
    assert docs.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", docs["Content-Security-Policy"]).group(1)
    for tag in re.findall(rb"<(?:script|style)\b[^>]*>", docs.content):
        if b" src=" not in tag:
            assert f'nonce="{nonce}"'.encode() in tag, tag


# --- C5: customer writes in accounts ---------------------------------------------------------


@pytest.mark.parametrize("access", [Organisation.Access.READ_ONLY, Organisation.Access.CLOSED])
def test_c5_no_new_people_for_a_read_only_or_closed_customer(access, cstm, admin_user, tenant_a):
    """After expiry nobody is added to the customer or re-invited (no support owed, SPEC C5):
    one central check, accounts.tenancy.customer_write_refusal."""
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(access=access)
    User.objects.filter(pk=cstm.pk).update(language="en")
    data = {
        "email": "late@alfa.example",
        "first_name": "L",
        "last_name": "Ate",
        "role": Role.END_USER,
        "language": "it",
    }
    client = client_for(cstm)
    response = client.post(reverse("person_invite", args=[tenant_a.organisation.pk]), data)
    assert response.status_code == 200 and b"contract" in response.content
    response = client.post(
        "/api/v1/people/",
        {**data, "organisation": tenant_a.organisation.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    response = client_for(admin_user).post(
        reverse("invitation_resend", args=[tenant_a.invitation.pk])
    )
    assert not User.objects.filter(email="late@alfa.example").exists()
    with scopes_disabled():
        assert tenant_a.invitation.user.invitations.count() == 1


def test_c5_a_closed_customer_cannot_sign_in_through_an_invitation_link(tenant_a):
    """The one-time link signed its holder in directly, past the sign-in's closed-customer check
    (SPEC C5: from day 31 no customer login): the link now refuses, and nothing is written."""
    token = "closed-customer-link"
    with scopes_disabled():
        Invitation.objects.filter(pk=tenant_a.invitation.pk).update(
            token_hash=Invitation.hash_token(token)
        )
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
            access=Organisation.Access.CLOSED
        )
    client = Client()
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"password1": "a-new-long-secret-42", "password2": "a-new-long-secret-42"},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    invited = User.objects.get(pk=tenant_a.invitation.user_id)
    assert not invited.check_password("a-new-long-secret-42")
    assert not SecurityEvent.objects.filter(user=invited).exists()
