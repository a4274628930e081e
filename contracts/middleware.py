"""SPEC C4: until the referent has accepted the current EULA, SLA and data-processing
appointment, nothing else proceeds: every page leads to the acceptance page."""

from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
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


# How long "this organisation accepted the current terms" is kept at most; the key carries the
# tenancy generation the fact was checked under, which accounts.signals renews whenever a terms
# document or an acceptance is saved or deleted (issue 15: never at the cost of the check).
ACCEPTED_SECONDS = 300


def _accepted_key(generation: str, organisation_id: int) -> str:
    return f"terms:accepted:{generation}:{organisation_id}"


def terms_pending(tenancy: object) -> bool:
    """Whether the referent's organisation still has current terms to accept (SPEC C4). Only
    "nothing pending" is cached (Redis), under the generation read before the database."""
    organisation = tenancy.membership.organisation  # type: ignore[attr-defined]
    generation = tenancy.generation  # type: ignore[attr-defined]
    if generation and cache.get(_accepted_key(generation, organisation.pk)):
        return False
    if pending_documents(organisation=organisation):
        return True
    if generation and not transaction.get_connection().in_atomic_block:
        cache.set(_accepted_key(generation, organisation.pk), True, ACCEPTED_SECONDS)
    return False


class TermsAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = request.tenancy  # type: ignore[attr-defined]
        if (
            tenancy.role == Role.REFERENT
            and not request.path.startswith(ALLOWED_PREFIXES)
            and terms_pending(tenancy)
        ):
            if request.path.startswith("/api/"):
                message = _("Accept the current terms in the portal first.")
                return JsonResponse({"detail": message}, status=403)
            return redirect("terms")
        return self.get_response(request)
