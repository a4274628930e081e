from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from csm_portal.admin_site import restrict_admin_to_provider_admins

restrict_admin_to_provider_admins(admin.site)


@csrf_exempt  # signs nobody in: a POST is answered like a GET
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's own sign-in form would give a full admin session on a password alone,
    without the second factor and the sign-in rate limit (SPEC T4). The only way in is the
    portal's (allauth) sign-in, which keeps where the admin wanted to go."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    return redirect_to_login(next_url)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmarks ask for /favicon.ico: the portal's SVG icon (static files)."""
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    # Before Django admin's own login view, which it replaces.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("csm_portal.api_urls")),
    path("", include("accounts.urls")),
    path("", include("contracts.urls")),
    path("", include("activities.urls")),
    path("", include("tickets.urls")),
    path("", include("onboarding.urls")),
]
