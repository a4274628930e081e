"""The tenant choke point of the browser (SPEC T3) and the staff MFA requirement (SPEC T4)."""

from collections.abc import Callable
from urllib.parse import quote

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    _get_user_session_key,
    load_backend,
    logout,
)
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_scopes import scope

from accounts.services import api_token_resolve
from accounts.tenancy import REQUEST_CACHE_ATTRIBUTE, request_tenancy, session_user, tenancy_for

# Paths a staff member without MFA may still reach: setting MFA up, signing out, static files.
MFA_SETUP_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/jsi18n/")
# Personal API tokens authenticate these URLs only (SPEC T4); elsewhere the header is ignored.
API_PREFIX = "/api/v1/"


def staff_lacks_mfa(user: object) -> bool:
    """Asks the database; the middlewares use the request's tenancy (``has_totp``) instead."""
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (SPEC T4): allauth records every
    authentication step of the session; the MFA stage of the sign-in and the MFA
    re-authentication record the method "mfa". A password alone (Django admin's form, a forced
    login) records none."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def mfa_step_paths() -> tuple[str, ...]:
    """What a staff session with an authenticator may reach before passing it in this session:
    the MFA step itself and signing out."""
    return (reverse("mfa_reauthenticate"), reverse("account_logout"))


def get_user(request: HttpRequest) -> object:
    """``django.contrib.auth.get_user`` with one change: the person comes from
    ``accounts.tenancy.session_user`` (the cache, with their tenancy, in one round trip; else the
    session's backend as before). The session-hash check is Django's, unchanged: a session whose
    hash no longer matches the person's password is flushed (a password change signs the other
    sessions out), and a hash made with a fallback secret is renewed."""
    user = None
    try:
        user_id = _get_user_session_key(request)
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            prefetched = getattr(request.session, "prefetched", None)
            user = session_user(load_backend(backend_path), user_id, prefetched)
            if user is not None:
                # What other apps asked to read in the same round trip, for this request only.
                setattr(
                    request, REQUEST_CACHE_ATTRIBUTE, user.__dict__.pop(REQUEST_CACHE_ATTRIBUTE)
                )
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(HASH_SESSION_KEY)
                if not session_hash:
                    session_hash_verified = False
                else:
                    session_auth_hash = user.get_session_auth_hash()
                    session_hash_verified = constant_time_compare(session_hash, session_auth_hash)
                if not session_hash_verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback_auth_hash)
                        for fallback_auth_hash in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[HASH_SESSION_KEY] = session_auth_hash
                    else:
                        request.session.flush()
                        user = None
    return user or AnonymousUser()


def _request_user(request: HttpRequest) -> object:
    if not hasattr(request, "_cached_user"):
        request._cached_user = get_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware (it stays the one Django admin and allauth expect, by
    inheritance), with the signed-in person read from the cache together with their tenancy
    (issue 15: the signed-in fixed cost). ``request.auser`` is Django's own."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _request_user(request))


class ApiTokenMiddleware:
    """Resolve ``Authorization: Bearer csm_…`` before the tenant scope is opened, so that API
    scripts go through the same choke point as the browser. DRF's ApiTokenAuthentication then
    reports the outcome (401 for a bad token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        # Tokens authenticate the API only: elsewhere (pages, Django admin) the header is ignored,
        # so it neither signs anybody in nor lifts the CSRF check (SPEC T4).
        if header.startswith("Bearer ") and request.path.startswith(API_PREFIX):
            token = api_token_resolve(secret=header.removeprefix("Bearer ").strip())
            if token is None:
                request.api_token_error = _("Invalid or revoked token.")  # type: ignore[attr-defined]
            elif (owner := tenancy_for(token.user)).is_closed:
                request.api_token_error = _("The service for your organisation has ended.")  # type: ignore[attr-defined]
            elif owner.is_provider_staff and not owner.has_totp:
                request.api_token_error = _(  # type: ignore[attr-defined]
                    "Provider staff must set up two-factor authentication before using the API."
                )
            else:
                request.user = token.user
                request.api_token = token  # type: ignore[attr-defined]
                # Resolved once: TenantMiddleware takes it as it is (issue 15).
                request.tenancy = owner  # type: ignore[attr-defined]
                # A Bearer header cannot be sent cross-site without CORS, so an API request with
                # a valid token needs no CSRF token, also on the API's plain-Django views (its
                # JSON 404). Pages and Django admin never get here (SPEC T4).
                request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


class TenantMiddleware:
    """Resolve the user's role and organisations once and run the view inside that scope, so
    every scoped query of the request is filtered to what the user may see."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = getattr(request, "tenancy", None)  # a token's owner (ApiTokenMiddleware)
        if tenancy is None:
            tenancy = tenancy_for(request.user)
        if tenancy.is_closed:
            # The organisation closed while this session was open (SPEC C5).
            logout(request)
            tenancy = tenancy_for(request.user)
        request.tenancy = tenancy  # type: ignore[attr-defined]
        if request.user.is_authenticated and request.user.language:
            # The personal preference wins over the browser's and the cookie's.
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = request.user.language
        # The services this request calls with its user get the same tenancy (issue 15).
        with request_tenancy(request.user, tenancy), scope(organisation=tenancy.organisation_ids):
            return self.get_response(request)


class StaffMfaRequiredMiddleware:
    """Provider staff reach nothing staff without the second factor passed in this session
    (SPEC T4). Without an authenticator they may only set one up; with one, a session that has
    not passed it (password only) is sent to the MFA step, and the API answers 403. A token
    request has no session: its owner must have an authenticator (ApiTokenMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = request.tenancy  # type: ignore[attr-defined]
        if not tenancy.is_provider_staff or getattr(request, "api_token", None) is not None:
            return self.get_response(request)
        is_api = request.path.startswith("/api/")
        if not tenancy.has_totp:
            if request.path.startswith(MFA_SETUP_ALLOWED_PREFIXES):
                return self.get_response(request)
            if is_api:
                message = _(
                    "Provider staff must set up two-factor authentication before using the API."
                )
                return JsonResponse({"detail": message}, status=403)
            return redirect("mfa_activate_totp")
        if session_passed_mfa(request) or request.path.startswith((*mfa_step_paths(), "/static/")):
            return self.get_response(request)
        if is_api:
            message = _("Sign in with your second factor (authenticator code) to use the API.")
            return JsonResponse({"detail": message}, status=403)
        step = reverse("mfa_reauthenticate")
        return redirect(f"{step}?next={quote(request.get_full_path())}")
