"""The tenant choke point of the browser (SPEC T3) and the staff MFA requirement."""

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django_scopes import scope

from accounts.tenancy import tenancy_for

# Paths a staff member without MFA may still reach: setting MFA up, signing out, static files.
MFA_SETUP_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/jsi18n/")


class TenantMiddleware:
    """Resolve the user's role and organisations once and run the view inside that scope, so
    every scoped query of the request is filtered to what the user may see."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
