"""The bench's URLconf (csm_portal.settings.bench only): every real route, plus a view that
answers a constant JSON through the whole middleware stack, the floor the pages are measured
against (issue 15). The production URLconf (csm_portal.urls) never includes it."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from csm_portal.urls import urlpatterns as portal_urlpatterns

CONSTANT = {"ok": True, "bench": "constant"}


def constant(request: HttpRequest) -> JsonResponse:
    """Nothing but the middleware: session, user, tenancy, MFA and terms checks for a signed-in
    request; none for an anonymous one."""
    return JsonResponse(CONSTANT)


urlpatterns = [path("bench/constant/", constant, name="bench_constant"), *portal_urlpatterns]
