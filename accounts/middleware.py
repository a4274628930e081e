"""The tenant choke point of the browser (SPEC T3) and the staff MFA requirement."""

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope

from accounts.services import api_token_resolve
from accounts.tenancy import tenancy_for

# Paths a staff member without MFA may still reach: setting MFA up, signing out, static files.
MFA_SETUP_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/jsi18n/")


def staff_lacks_mfa(user: object) -> bool:
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class ApiTokenMiddleware:
    """Resolve ``Authorization: Bearer csm_…`` before the tenant scope is opened, so that API
    scripts go through the same choke point as the browser. DRF's ApiTokenAuthentication then
    reports the outcome (401 for a bad token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            token = api_token_resolve(secret=header.removeprefix("Bearer ").strip())
            if token is None:
                request.api_token_error = _("Invalid or revoked token.")  # type: ignore[attr-defined]
            elif (owner := tenancy_for(token.user)).is_closed:
                request.api_token_error = _("The service for your organisation has ended.")  # type: ignore[attr-defined]
            elif owner.is_provider_staff and staff_lacks_mfa(token.user):
                request.api_token_error = _(  # type: ignore[attr-defined]
                    "Provider staff must set up two-factor authentication before using the API."
                )
            else:
                request.user = token.user
                request.api_token = token  # type: ignore[attr-defined]
                request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


class TenantMiddleware:
    """Resolve the user's role and organisations once and run the view inside that scope, so
    every scoped query of the request is filtered to what the user may see."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
        with scope(organisation=tenancy.organisation_ids):
            return self.get_response(request)


class StaffMfaRequiredMiddleware:
    """Provider staff must have a TOTP authenticator before they can use the portal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = request.tenancy  # type: ignore[attr-defined]
        if (
            tenancy.is_provider_staff
            and not request.path.startswith(MFA_SETUP_ALLOWED_PREFIXES)
            and staff_lacks_mfa(request.user)
        ):
            if request.path.startswith("/api/"):
                message = _(
                    "Provider staff must set up two-factor authentication before using the API."
                )
                return JsonResponse({"detail": message}, status=403)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
