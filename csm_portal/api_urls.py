"""/api/v1/: every app registers its resources on this one router."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from csm_portal import api  # noqa: F401  (registers the token scheme with drf-spectacular)

router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.include_root_view = False
router.register("organisations", accounts_api.OrganisationViewSet, basename="organisation")
router.register("people", accounts_api.MembershipViewSet, basename="person")
router.register("cstm-assignments", accounts_api.AssignmentViewSet, basename="assignment")
router.register("tokens", accounts_api.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
]
