"""SPEC C4: until the referent has accepted the current EULA, SLA and data-processing
appointment, nothing else proceeds: every page leads to the acceptance page."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.roles import Role
from contracts.services import pending_documents

# The acceptance itself, the documents to read, and who is signed in stay reachable.
ALLOWED_PREFIXES = (
    "/terms/",
    "/accounts/",
    "/static/",
    "/language/",
    "/i18n/",
    "/api/v1/acceptances/",
    "/api/v1/terms-documents/",
    "/api/v1/me/",
)


class TermsAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = request.tenancy  # type: ignore[attr-defined]
        if (
            tenancy.role == Role.REFERENT
            and not request.path.startswith(ALLOWED_PREFIXES)
            and pending_documents(organisation=tenancy.membership.organisation)
        ):
            if request.path.startswith("/api/"):
                message = _("Accept the current terms in the portal first.")
                return JsonResponse({"detail": message}, status=403)
            return redirect("terms")
        return self.get_response(request)
