from django.contrib import admin
from django.urls import include, path

from csm_portal.admin_site import restrict_admin_to_provider_admins

restrict_admin_to_provider_admins(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("csm_portal.api_urls")),
    path("", include("accounts.urls")),
    path("", include("contracts.urls")),
    path("", include("activities.urls")),
    path("", include("tickets.urls")),
]
