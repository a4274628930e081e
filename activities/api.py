"""API resources of activities: the catalogue, activity requests with their transitions and the
charge preview, work sessions and statements (SPEC H3–H8, O1). Writes go through
activities.services, like the pages, so the API and the pages refuse the same input."""

from decimal import Decimal
from typing import Any

from django.core.validators import validate_slug
from django.db.models import QuerySet
from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.models import Organisation
from accounts.roles import PROVIDER_ROLES, Role
from activities import domain, selectors, services
from activities.models import Activity, ActivityRequest, Statement, WorkSession
from csm_portal.api import (
    BooleanFilter,
    FilterSet,
    IsoDateTimeFilter,
    ModelSerializer,
    StrictBooleanField,
    StrictCharField,
)
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema

ADMIN = (Role.PROVIDER_ADMIN,)
MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
READERS = (*PROVIDER_ROLES, Role.REFERENT)
HOURS = {"max_digits": 8, "decimal_places": 2}
# Sums over a request or a licence year: wider than one entry.
TOTAL = {"max_digits": 10, "decimal_places": 2}
LANGUAGE_FIELDS = [
    f"{field}_{code}" for field in ("name", "description") for code in ("it", "en", "fr", "es")
]
RULES = [
    domain.Rule.MINIMUM,
    domain.Rule.OVERRUN_CUSTOMER,
    domain.Rule.OVERRUN_ABSORBED,
    domain.Rule.LEGACY,
    domain.Rule.FEASIBILITY,
]
# Written channels a member of staff records a request from (H8); the portal is the referent's.
STAFF_CHANNELS = (*services.STAFF_CHANNELS, ActivityRequest.Channel.EMAIL)


class StrictDecimalField(serializers.DecimalField):
    """A decimal string ("1.50"), as the contract says: DRF would also take the JSON number 1.5
    (a float, SPEC H9)."""

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- the catalogue ----------------------------------------------------------------------------


class CatalogueActivitySerializer(ModelSerializer):
    code = StrictCharField(max_length=60, validators=[validate_slug])
    minimum_hours = StrictDecimalField(
        **HOURS, min_value=Decimal("0.5"), help_text="Charged at least, per request (H3)."
    )
    name = serializers.CharField(read_only=True, help_text="In the language of the request.")
    description = serializers.CharField(read_only=True, help_text="In the language of the request.")

    class Meta:
        model = Activity
        fields = [
            "id",
            "code",
            "position",
            "name",
            "description",
            *LANGUAGE_FIELDS,
            "phase",
            "obligation",
            "minimum_hours",
            "estimate_first",
            "is_kickoff",
            "lead_time_working_days",
            "frequency",
            "active",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class ActivityFilter(FilterSet):
    phase = filters.ChoiceFilter(choices=Activity.Phase.choices)
    active = BooleanFilter()

    class Meta:
        model = Activity
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="The activity catalogue with the minimum hours of each (H3)"),
    retrieve=extend_schema(summary="One activity of the catalogue"),
    create=extend_schema(summary="Add an activity to the catalogue (admins)"),
    partial_update=extend_schema(
        summary="Change an activity (admins; requests already made keep their minimum)"
    ),
)
class ActivityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = ADMIN
    serializer_class = CatalogueActivitySerializer
    filterset_class = ActivityFilter
    search_fields = ["code", *(f"name_{code}" for code in ("it", "en", "fr", "es"))]
    ordering_fields = ["position", "minimum_hours", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Activity]:
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        # Activities no longer offered are the admins' business, as on the catalogue page.
        return selectors.catalogue(include_inactive=self.request._request.tenancy.is_admin)

    def perform_create(self, serializer: CatalogueActivitySerializer) -> None:
        serializer.instance = services.activity_save(activity=Activity(**serializer.validated_data))

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        activity = self.get_object()
        serializer = self.get_serializer(activity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        for field, value in serializer.validated_data.items():
            setattr(activity, field, value)
        services.activity_save(activity=activity)
        return Response(self.get_serializer(activity).data)


# --- activity requests ------------------------------------------------------------------------


class ActivityRequestSerializer(ModelSerializer):
    activity_name = serializers.CharField(source="activity.name", read_only=True)
    charged_total = serializers.DecimalField(
        **TOTAL, read_only=True, help_text="Hours charged so far, net of reversals (H9)."
    )
    statement = serializers.IntegerField(
        source="statement.pk",
        read_only=True,
        allow_null=True,
        help_text="Id of the statement, once the request is completed (H7).",
    )

    class Meta:
        model = ActivityRequest
        fields = [
            "id",
            "organisation",
            "contract",
            "activity",
            "activity_name",
            "status",
            "channel",
            "details",
            "preferred_on",
            "scheduled_on",
            "requested_by",
            "recorded_by",
            "formalised_at",
            "minimum_hours",
            "estimate_first",
            "estimate_hours",
            "estimate_note",
            "estimate_decided_at",
            "customer_caused",
            "overrun_reason",
            "overdraft_allowed_hours",
            "charged_total",
            "statement",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerField(ScopedRelatedField):
    """A customer organisation in the user's scope (the provider requests nothing of itself)."""

    def get_queryset(self) -> QuerySet:
        return Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER)


class ActivityRequestCreateSerializer(serializers.Serializer):
    organisation = CustomerField(
        Organisation,
        required=False,
        help_text="Required for provider staff; a referent requests for their own organisation.",
    )
    activity = ScopedRelatedField(Activity)
    channel = serializers.ChoiceField(
        choices=ActivityRequest.Channel.choices,
        required=False,
        help_text=(
            "Referents: `portal` (default) or `email`. Staff: `phone`, `video` or `email`; "
            "agreed by phone or video, the request is to be formalised by the referent (H8)."
        ),
    )
    details = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    preferred_on = serializers.DateField(required=False, allow_null=True, default=None)
    ticket_number = StrictCharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Staff, channel `email`: the number of the referent's ticket the email came in on; "
            "the request is linked to it. Without it the request is to be formalised (H8)."
        ),
    )


class ScheduleSerializer(serializers.Serializer):
    scheduled_on = serializers.DateField()


class EstimateSerializer(serializers.Serializer):
    hours = StrictDecimalField(
        **HOURS, min_value=Decimal("0.5"), help_text="Estimated hours of work, in half hours."
    )
    note = StrictCharField(max_length=5000, help_text="What the estimate covers.")


class OverdraftSerializer(serializers.Serializer):
    hours = StrictDecimalField(
        **HOURS, min_value=Decimal("0"), help_text="Hours the balance may go below zero."
    )


class WorkInputSerializer(serializers.Serializer):
    """A work session: start and end, or a duration; whether an overrun comes from the customer
    and why (H5)."""

    worked_on = serializers.DateField()
    starts_at = serializers.TimeField(required=False, allow_null=True, default=None)
    ends_at = serializers.TimeField(required=False, allow_null=True, default=None)
    minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=domain.MINUTES_PER_DAY,
        help_text="The duration, when no start and end are given.",
    )
    notes = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    customer_caused = StrictBooleanField(required=False, default=False)
    overrun_reason = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when customer_caused: shown to the referent.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs["minutes"] = services.minutes_from(
            attrs["starts_at"], attrs["ends_at"], attrs["minutes"]
        )
        return attrs


class ChargeSerializer(serializers.Serializer):
    """What logging the session charges (or would charge) the request (H3–H6)."""

    stage = serializers.ChoiceField(choices=WorkSession.Stage.choices)
    minutes_total = serializers.IntegerField(
        help_text="Minutes of the stage's sessions, this one included."
    )
    hours = serializers.DecimalField(**HOURS, help_text="The request's charge for the stage.")
    rule = serializers.ChoiceField(
        choices=RULES,
        help_text=(
            "`minimum`: at or below the minimum, the minimum (H3); `overrun_customer`: a "
            "documented customer-caused overrun, rounded up to the half hour (H4, H5); "
            "`overrun_absorbed`: the minimum, the provider absorbs the rest (H5); `legacy`: the "
            "actual time (C2); `feasibility`: the predetermined hours (H6)."
        ),
    )
    already = serializers.DecimalField(**HOURS, help_text="Charged for the stage before.")
    delta = serializers.DecimalField(**HOURS, help_text="What this session adds to the ledger.")
    remaining_before = serializers.DecimalField(**TOTAL)
    remaining_after = serializers.DecimalField(**TOTAL)
    explanation = serializers.CharField()
    overdrawn = serializers.BooleanField(
        help_text="The licence year would go below zero beyond what an admin approved."
    )


def _charge_payload(plan: services.WorkPlan, req: ActivityRequest) -> dict:
    return {
        "stage": plan.stage,
        "minutes_total": plan.minutes_total,
        "hours": plan.charge.hours,
        "rule": plan.charge.rule,
        "already": plan.already,
        "delta": plan.delta,
        "remaining_before": plan.remaining_before,
        "remaining_after": plan.remaining_after,
        "explanation": plan.explanation,
        "overdrawn": plan.remaining_after < -req.overdraft_allowed_hours,
    }


class ActivityRequestFilter(FilterSet):
    status = filters.ChoiceFilter(
        choices=[("open", "open"), *ActivityRequest.Status.choices],
        method="filter_status",
        help_text="A status, or `open` for any open one.",
    )
    activity = filters.NumberFilter(field_name="activity_id")
    organisation = filters.NumberFilter(field_name="organisation_id")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = ActivityRequest
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.filter(status__in=ActivityRequest.OPEN_STATUSES)
        return queryset.filter(status=value)


@extend_schema_view(
    list=extend_schema(summary="Activity requests you can see, with the hours charged"),
    retrieve=extend_schema(summary="One activity request"),
    create=extend_schema(
        summary="Request an activity (referents; staff record one agreed by phone, video or email)",
        request=ActivityRequestCreateSerializer,
        **once_schema({201: ActivityRequestSerializer}),
    ),
)
class ActivityRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = (*MANAGERS, Role.REFERENT)
    serializer_class = ActivityRequestSerializer
    filterset_class = ActivityRequestFilter
    search_fields = [
        "details",
        "organisation__name",
        *(f"activity__name_{code}" for code in ("it", "en", "fr", "es")),
    ]
    ordering_fields = ["created_at", "updated_at", "scheduled_on"]

    def get_queryset(self) -> QuerySet[ActivityRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ActivityRequest.objects.none()
        return selectors.with_charged(selectors.request_list()).select_related("statement")

    def _answer(self, req: ActivityRequest, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            ActivityRequestSerializer(self.get_queryset().get(pk=req.pk)).data, status=code
        )

    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = ActivityRequestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        tenancy = request._request.tenancy
        channel = data.pop("channel", None)
        if tenancy.is_provider_staff:
            required = str(serializers.Field.default_error_messages["required"])
            errors = {}
            if "organisation" not in data:
                errors["organisation"] = [required]
            if channel is None:
                errors["channel"] = [required]
            elif channel not in STAFF_CHANNELS:
                invalid = serializers.ChoiceField.default_error_messages["invalid_choice"]
                errors["channel"] = [str(invalid).format(input=channel)]
            if errors:
                raise serializers.ValidationError(errors)
        else:
            data.setdefault("organisation", tenancy.membership.organisation)
            channel = channel or ActivityRequest.Channel.PORTAL
        created = services.request_create(by=request.user, channel=channel, **data)
        return self._answer(created, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        **once_schema(ActivityRequestSerializer),
        summary="Confirm in writing a request agreed by phone or video (the referent, H8)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def formalise(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, Role.REFERENT)
        return self._answer(services.request_formalise(request=req, by=request.user))

    @extend_schema(
        request=ScheduleSerializer,
        **once_schema(ActivityRequestSerializer),
        summary="Schedule the activity (admins, CSTMs; the kick-off comes first, O1)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *MANAGERS)
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.request_schedule(request=req, by=request.user, **serializer.validated_data)
        )

    @extend_schema(
        request=EstimateSerializer,
        **once_schema(ActivityRequestSerializer),
        summary="Send the estimate after the feasibility analysis (admins, CSTMs; H6)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def estimate(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *MANAGERS)
        serializer = EstimateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.estimate_record(request=req, by=request.user, **serializer.validated_data)
        )

    @extend_schema(
        request=None,
        **once_schema(ActivityRequestSerializer),
        summary="Confirm the estimate: the work starts (the referent, H6)",
    )
    @action(detail=True, methods=["post"], url_path="accept-estimate")
    @idempotent
    def accept_estimate(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, Role.REFERENT)
        return self._answer(services.estimate_decide(request=req, accept=True, by=request.user))

    @extend_schema(
        request=None,
        **once_schema(ActivityRequestSerializer),
        summary="Decline the estimate: only the feasibility is charged (the referent, H6)",
    )
    @action(detail=True, methods=["post"], url_path="decline-estimate")
    @idempotent
    def decline_estimate(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, Role.REFERENT)
        return self._answer(services.estimate_decide(request=req, accept=False, by=request.user))

    @extend_schema(
        request=None,
        **once_schema(ActivityRequestSerializer),
        summary="Complete the request and send the statement (admins, CSTMs; H7)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def complete(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *MANAGERS)
        return self._answer(services.request_complete(request=req, by=request.user))

    @extend_schema(
        request=None,
        **once_schema(ActivityRequestSerializer),
        summary="Cancel an open request with nothing charged yet",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *MANAGERS, Role.REFERENT)
        return self._answer(services.request_cancel(request=req, by=request.user))

    @extend_schema(
        request=OverdraftSerializer,
        **once_schema(ActivityRequestSerializer),
        summary="Let this request take the licence year below zero (admins)",
    )
    @action(detail=True, methods=["post"], url_path="approve-overdraft")
    @idempotent
    def approve_overdraft(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *ADMIN)
        serializer = OverdraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.overdraft_approve(request=req, by=request.user, **serializer.validated_data)
        )

    @extend_schema(
        request=WorkInputSerializer,
        responses=ChargeSerializer,
        summary="The charge a work session would make, without logging it (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"], url_path="charge-preview")
    def charge_preview(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        require_role(request, *MANAGERS)
        serializer = WorkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = services.work_plan(
            request=req,
            worked_on=data["worked_on"],
            minutes=data["minutes"],
            customer_caused=data["customer_caused"],
            overrun_reason=data["overrun_reason"],
            by=request.user,
        )
        return Response(ChargeSerializer(_charge_payload(plan, req)).data)


# --- work sessions ----------------------------------------------------------------------------


class WorkSessionSerializer(ModelSerializer):
    class Meta:
        model = WorkSession
        fields = [
            "id",
            "request",
            "organisation",
            "stage",
            "worked_by",
            "worked_on",
            "starts_at",
            "ends_at",
            "minutes",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class WorkLogSerializer(WorkInputSerializer):
    request = ScopedRelatedField(ActivityRequest, help_text="Id of the activity request.")


class WorkLoggedSerializer(serializers.Serializer):
    session = WorkSessionSerializer()
    charge = ChargeSerializer()


class WorkSessionFilter(FilterSet):
    request = filters.NumberFilter(field_name="request_id")
    organisation = filters.NumberFilter(field_name="organisation_id")
    stage = filters.ChoiceFilter(choices=WorkSession.Stage.choices)

    class Meta:
        model = WorkSession
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Time logged on activity requests (provider staff)"),
    retrieve=extend_schema(summary="One work session"),
    create=extend_schema(
        summary="Log time on a request and charge it (admins, CSTMs; H3–H5)",
        request=WorkLogSerializer,
        **once_schema({201: WorkLoggedSerializer}),
    ),
)
class WorkSessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The provider's internal record of time: customers see the charges and statements."""

    read_roles = PROVIDER_ROLES
    write_roles = MANAGERS
    serializer_class = WorkSessionSerializer
    filterset_class = WorkSessionFilter
    ordering_fields = ["worked_on", "created_at"]

    def get_queryset(self) -> QuerySet[WorkSession]:
        if getattr(self, "swagger_fake_view", False):
            return WorkSession.objects.none()
        return WorkSession.objects.order_by("-worked_on", "-pk")

    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = WorkLogSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        req = data.pop("request")
        session, plan = services.work_log(request=req, by=request.user, **data)
        payload = {"session": session, "charge": _charge_payload(plan, req)}
        return Response(WorkLoggedSerializer(payload).data, status=status.HTTP_201_CREATED)


# --- statements -------------------------------------------------------------------------------


class StatementSerializer(ModelSerializer):
    activity_name = serializers.CharField(source="request.activity.name", read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "number",
            "request",
            "activity_name",
            "organisation",
            "licence_year",
            "hours_charged",
            "explanation",
            "remaining_after",
            "issued_at",
            "emailed_to",
        ]
        read_only_fields = fields


class StatementFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    request = filters.NumberFilter(field_name="request_id")

    class Meta:
        model = Statement
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Statements of completed activities (H7)"),
    retrieve=extend_schema(summary="One statement"),
)
class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = ()
    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    search_fields = ["number"]
    ordering_fields = ["issued_at"]

    def get_queryset(self) -> QuerySet[Statement]:
        if getattr(self, "swagger_fake_view", False):
            return Statement.objects.none()
        return Statement.objects.select_related("request__activity").order_by("-issued_at", "-pk")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY}, summary="Download the PDF"
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        statement = self.get_object()
        return FileResponse(
            statement.pdf.open("rb"),
            as_attachment=True,
            filename=f"{statement.number}.pdf",
            content_type="application/pdf",
        )
