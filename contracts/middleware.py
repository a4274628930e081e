"""SPEC C4: until the referent has accepted the current EULA, SLA and data-processing
appointment, nothing else proceeds: every page leads to the acceptance page."""

from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.tenancy import cache_namespace, register_request_key, request_cache_get
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


# How long "this referent's organisation accepted the current terms" is kept at most. The value
# is the tenancy generation the fact was checked under, which accounts.signals renews whenever a
# terms document, an acceptance, a membership or an organisation is saved or deleted: the fact
# holds only while the request's generation is that one (issue 15: never at the cost of the
# check). Kept per person so that it is read in the request's one round trip with the person
# (accounts.tenancy.register_request_key).
ACCEPTED_SECONDS = 300


def _accepted_key(user_id: int) -> str:
    return f"terms:accepted:{cache_namespace()}:user:{user_id}"


register_request_key("terms-accepted", _accepted_key)


def terms_pending(tenancy: object, request: object = None) -> bool:
    """Whether the referent's organisation still has current terms to accept (SPEC C4). Only
    "nothing pending" is cached (Redis), under the generation read before the database."""
    membership = tenancy.membership  # type: ignore[attr-defined]
    generation = tenancy.generation  # type: ignore[attr-defined]
    key = _accepted_key(membership.user_id)
    if generation and request_cache_get(request, key) == generation:
        return False
    if pending_documents(organisation=membership.organisation):
        return True
    if generation and not transaction.get_connection().in_atomic_block:
        cache.set(key, generation, ACCEPTED_SECONDS)
    return False


class TermsAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenancy = request.tenancy  # type: ignore[attr-defined]
        if (
            tenancy.role == Role.REFERENT
            and not request.path.startswith(ALLOWED_PREFIXES)
            and terms_pending(tenancy, request)
        ):
            if request.path.startswith("/api/"):
                message = _("Accept the current terms in the portal first.")
                return JsonResponse({"detail": message}, status=403)
            return redirect("terms")
        return self.get_response(request)
