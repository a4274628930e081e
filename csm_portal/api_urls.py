"""/api/v1/: every app registers its resources on this one router, and every view it serves
documents the error answers of the API frame (csm_portal.api, csm_portal.api_auth)."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from activities import api as activities_api
from contracts import api as contracts_api
from csm_portal import api  # noqa: F401  (registers the token scheme with drf-spectacular)
from onboarding.library import api as library_api
from onboarding.plan import api as plan_api
from onboarding.siem import api as siem_api
from onboarding.siem.charter import api as siem_charter_api
from onboarding.siem.projects import api as siem_projects_api
from onboarding.userlist import api as userlist_api
from onboarding.winback import api as winback_api
from tickets import api as tickets_api

ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request was refused, in the user's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Messages by field; `non_field_errors` for the request as a whole, `detail` when the "
        "body cannot be read. A field of a list or object may hold messages by position or key."
    ),
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}
ERRORS = {
    "400": ("ValidationError", "Invalid input (body or query parameters)."),
    "401": ("Error", "No valid token or session."),
    "403": ("Error", "Your role may not change this (or a session request lacks its CSRF token)."),
    "404": ("Error", "Not found, or not yours (never 403 for somebody else's object)."),
    "415": ("Error", "The body is not JSON."),
    "429": ("Error", "Too many requests for this token; retry after Retry-After seconds."),
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error answers every operation can give: 401 and 429
    always (when authenticated), 404 always (a role without access, a foreign object, a page
    past the end), 400 and 403 on writes, 415 with a body, 400 when it takes query parameters."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = ["404", "429"]
        if {} not in operation.get("security", [{}]):
            codes.append("401")
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            # Any write can be refused by a business rule (e.g. activating an active contract).
            codes += ["400", "403"]
        if "requestBody" in operation:
            codes.append("415")
        if "400" not in codes and any(p["in"] == "query" for p in operation.get("parameters", [])):
            codes.append("400")
        responses = operation["responses"]
        for code in codes:
            name, description = ERRORS[code]
            schema = VALIDATION_ERROR_SCHEMA if name == "ValidationError" else ERROR_SCHEMA
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            self.registry.register_on_missing(component)
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": str(description),
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation


router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.include_root_view = False
router.register("organisations", accounts_api.OrganisationViewSet, basename="organisation")
router.register("people", accounts_api.MembershipViewSet, basename="person")
router.register("cstm-assignments", accounts_api.AssignmentViewSet, basename="assignment")
router.register("tokens", accounts_api.ApiTokenViewSet, basename="token")
router.register("contracts", contracts_api.ContractViewSet, basename="contract")
router.register("licence-years", contracts_api.LicenceYearViewSet, basename="licence-year")
router.register("ledger-entries", contracts_api.LedgerEntryViewSet, basename="ledger-entry")
router.register("onboarding-plans", plan_api.OnboardingPlanViewSet, basename="onboarding-plan")
router.register("plan-steps", plan_api.PlanStepViewSet, basename="plan-step")
router.register("training-progress", plan_api.TrainingProgressViewSet, basename="training-progress")
router.register("terms-documents", contracts_api.TermsDocumentViewSet, basename="terms-document")
router.register("acceptances", contracts_api.AcceptanceViewSet, basename="acceptance")
router.register("activities", activities_api.ActivityViewSet, basename="activity")
router.register(
    "activity-requests", activities_api.ActivityRequestViewSet, basename="activity-request"
)
router.register("work-sessions", activities_api.WorkSessionViewSet, basename="work-session")
router.register("statements", activities_api.StatementViewSet, basename="statement")
router.register("tickets", tickets_api.TicketViewSet, basename="ticket")
router.register("held-messages", tickets_api.HeldMessageViewSet, basename="held-message")
router.register("sla-policies", tickets_api.SlaPolicyViewSet, basename="sla-policy")
router.register(
    "user-list-uploads", userlist_api.UserListUploadViewSet, basename="user-list-upload"
)
router.register("listed-users", userlist_api.ListedUserViewSet, basename="listed-user")
router.register("logos", userlist_api.LogoViewSet, basename="logo")
router.register("whitelisting", userlist_api.WhitelistingViewSet, basename="whitelisting")
router.register("meetings", library_api.MeetingViewSet, basename="meeting")
router.register("deliverables", library_api.DeliverableViewSet, basename="deliverable")
router.register(
    "provider-documents", library_api.ProviderDocumentViewSet, basename="provider-document"
)
router.register(
    "siem-retention-decisions",
    siem_charter_api.RetentionDecisionViewSet,
    basename="siem-retention-decision",
)
router.register("siem-charters", siem_charter_api.SiemCharterViewSet, basename="siem-charter")
router.register("siem-projects", siem_projects_api.SiemProjectViewSet, basename="siem-project")
router.register(
    "siem-deficiencies", siem_projects_api.DeficiencyViewSet, basename="siem-deficiency"
)
router.register(
    "siem-operations", siem_projects_api.OperationsDutyViewSet, basename="siem-operation"
)
router.register(
    "siem-dashboard-offers",
    siem_projects_api.DashboardOfferViewSet,
    basename="siem-dashboard-offer",
)
router.register(
    "siem-dashboard-choices",
    siem_projects_api.DashboardChoiceViewSet,
    basename="siem-dashboard-choice",
)
router.register("win-back", winback_api.WinBackViewSet, basename="win-back")
router.register("siem-workshops", siem_api.SiemWorkshopViewSet, basename="siem-workshop")
router.register(
    "siem-log-source-types", siem_api.LogSourceTypeViewSet, basename="siem-log-source-type"
)

# Every view of the API documents the error answers; a view served outside the router is listed
# here too. (Naming ApiAutoSchema in REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS would do the same.)
API_VIEWS = [
    accounts_api.MeView,
    tickets_api.KpiView,
    *(viewset for _prefix, viewset, _basename in router.registry),
]
for view in API_VIEWS:
    view.schema = ApiAutoSchema()


def not_found(request: HttpRequest, **kwargs: Any) -> JsonResponse:
    """Any other URL under /api/v1/ (e.g. an id the router's pattern refuses, like ``1.5``) gets
    the API's JSON 404, not the site's HTML page. Only URLs ending in a slash: without one,
    CommonMiddleware's redirect to the slashed URL still applies."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("ticket-kpi/", tickets_api.KpiView.as_view(), name="api-ticket-kpi"),
    path("", include(router.urls)),
    re_path(r"^.*/\Z", not_found, name="api-not-found"),
]
