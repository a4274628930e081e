"""API of the SIEM workshops' hub and sizing, with the same scope, roles and services as the
pages (SPEC W2, T1, C4, C5): staff create workshops, save the sizing and schedule the series'
meetings; customers (referent and licensed end users) read. Figures are strings of Decimals."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organisation
from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.api import (
    FilterSet,
    ModelSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
)
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema
from onboarding.library.api import CustomerField, MeetingChangeSerializer, MeetingSerializer
from onboarding.library.selectors import meeting_get
from onboarding.models import LogSourceType, Meeting, SiemLogSource, SiemPricing, SiemWorkshop
from onboarding.siem import inputs, report, selectors, services
from onboarding.siem.access import MANAGERS
from onboarding.siem.sizing import CONSTANT_DEFAULTS

READERS = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)
NUMBER = {"max_digits": 18, "decimal_places": 4, "coerce_to_string": True}


class LogSourceTypeSerializer(ModelSerializer):
    class Meta:
        model = LogSourceType
        fields = [
            "id",
            "name",
            "description",
            "typical_eps_per_device",
            "average_event_bytes",
            "position",
            "active",
        ]
        read_only_fields = fields


class LogSourceSerializer(ModelSerializer):
    class Meta:
        model = SiemLogSource
        fields = ["id", "source_type", "name", "devices", "eps_per_device", "event_bytes"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "object",
        "properties": {name: {"type": "string"} for name in CONSTANT_DEFAULTS},
        "description": "Every constant of the calculation, as a string of its Decimal.",
    }
)
class ConstantsField(serializers.Field):
    def to_representation(self, workshop: SiemWorkshop) -> dict[str, str]:
        return {name: str(getattr(workshop, name)) for name in CONSTANT_DEFAULTS}


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "held": {"type": "integer"},
            "planned": {"type": "integer"},
            "total": {"type": "integer"},
            "current": {"type": "integer"},
        },
        "description": "Where the customer is in the series: meeting `current` of `total`.",
    }
)
class ProgressField(serializers.Field):
    def to_representation(self, workshop: SiemWorkshop) -> dict[str, int]:
        progress = selectors.workshop_progress(list(selectors.workshop_meetings(workshop)))
        return {
            "held": progress.held,
            "planned": progress.planned,
            "total": progress.total,
            "current": progress.current,
        }


class WorkshopSerializer(ModelSerializer):
    sources = LogSourceSerializer(many=True, read_only=True)
    constants = ConstantsField(source="*", read_only=True)
    progress = ProgressField(source="*", read_only=True)

    class Meta:
        model = SiemWorkshop
        fields = [
            "id",
            "organisation",
            "title",
            "status",
            "retention_months",
            "hot_days",
            "warm_days",
            "constants",
            "sources",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WorkshopCreateSerializer(serializers.Serializer):
    organisation = CustomerField(Organisation)
    title = StrictCharField(max_length=200)


class SourceInputSerializer(serializers.Serializer):
    source_type = StrictPrimaryKeyRelatedField(
        queryset=LogSourceType.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="A type of the catalogue; its typical figures fill what is left out.",
    )
    name = StrictCharField(max_length=120, allow_blank=True, required=False, default="")
    devices = serializers.DecimalField(**NUMBER)
    eps_per_device = serializers.DecimalField(
        **NUMBER, required=False, allow_null=True, default=None
    )
    event_bytes = serializers.DecimalField(**NUMBER, required=False, allow_null=True, default=None)


class SizingInputSerializer(serializers.Serializer):
    sources = SourceInputSerializer(many=True, max_length=services.MAX_SOURCES)
    constants = serializers.DictField(
        child=serializers.DecimalField(**NUMBER),
        required=False,
        default=dict,
        help_text="Constants to change (names as in `constants` of the workshop); the others "
        "keep the workshop's values.",
    )
    retention_months = serializers.DecimalField(**NUMBER, required=False)
    hot_days = serializers.DecimalField(**NUMBER, required=False)
    warm_days = serializers.DecimalField(**NUMBER, required=False)

    def validate_constants(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(CONSTANT_DEFAULTS))
        if unknown:
            raise serializers.ValidationError(f"Unknown constants: {', '.join(unknown)}.")
        return value

    def arguments(self, workshop: SiemWorkshop) -> dict[str, Any]:
        data = self.validated_data
        return {
            "sources": [dict(row) for row in data["sources"]],
            "constants": {
                **{name: getattr(workshop, name) for name in CONSTANT_DEFAULTS},
                **data["constants"],
            },
            "retention_months": data.get("retention_months", workshop.retention_months),
            "hot_days": data.get("hot_days", workshop.hot_days),
            "warm_days": data.get("warm_days", workshop.warm_days),
        }


class TierSerializer(serializers.Serializer):
    days = serializers.CharField()
    data_gb = serializers.CharField()
    storage_gb = serializers.CharField()
    nodes = serializers.IntegerField()


class SizingResultSerializer(serializers.Serializer):
    sustained_eps = serializers.CharField()
    peak_eps = serializers.CharField()
    raw_gb_per_day = serializers.CharField()
    indexed_gb_per_day = serializers.CharField()
    retention_months = serializers.IntegerField()
    retention_days = serializers.CharField()
    tiers = serializers.DictField(child=TierSerializer())
    data_gb = serializers.CharField()
    storage_gb = serializers.CharField()
    headroom_gb = serializers.CharField()
    failover_node = serializers.BooleanField()
    data_nodes = serializers.IntegerField()
    splunk_storage_gb = serializers.CharField()
    licence_metric = serializers.CharField()
    licence_unit = serializers.CharField()
    licences = serializers.IntegerField()


class WorkshopMeetingSerializer(MeetingChangeSerializer):
    topic = serializers.ChoiceField(choices=Meeting.Topic.choices)
    record_request = StrictBooleanField(
        required=False,
        default=False,
        help_text=(
            "No request yet: record one for the topic's activity, agreed in the meeting; it "
            "stays to be formalised until the referent confirms it in writing (H8)."
        ),
    )


class WorkshopFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    status = filters.ChoiceFilter(choices=SiemWorkshop.Status.choices)

    class Meta:
        model = SiemWorkshop
        fields: list[str] = []


def _result(valid: services.SizingInput) -> dict:
    pricing = SiemPricing.current()
    return report.as_strings(
        report.build(
            valid.sources,
            constants=valid.calculator_constants(),
            retention_months=valid.retention_months,
            hot_days=valid.hot_days,
            warm_days=valid.warm_days,
            metric=pricing.licence_metric,
            unit=pricing.licence_unit,
        )
    )


def _saved(workshop: SiemWorkshop) -> services.SizingInput:
    return services.SizingInput(
        sources=inputs.sources_of(workshop),
        types=[],
        constants={name: Decimal(getattr(workshop, name)) for name in CONSTANT_DEFAULTS},
        retention_months=workshop.retention_months,
        hot_days=workshop.hot_days,
        warm_days=workshop.warm_days,
    )


@extend_schema_view(
    list=extend_schema(summary="SIEM workshops of the organisations you can see"),
    retrieve=extend_schema(
        summary="One SIEM workshop: constants, log sources, where it is in the series"
    ),
    create=extend_schema(
        summary="Open a SIEM workshop for a customer (admins, CSTMs)",
        request=WorkshopCreateSerializer,
        **once_schema({201: WorkshopSerializer}),
    ),
)
class SiemWorkshopViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = WorkshopSerializer
    filterset_class = WorkshopFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "title"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[SiemWorkshop]:
        if getattr(self, "swagger_fake_view", False):
            return SiemWorkshop.objects.none()
        return SiemWorkshop.objects.select_related("organisation").prefetch_related("sources")

    def _answer(self, workshop: SiemWorkshop, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=workshop.pk)
        return Response(WorkshopSerializer(fresh).data, code)

    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = WorkshopCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        workshop = services.workshop_create(by=request.user, **serializer.validated_data)
        return self._answer(workshop, status.HTTP_201_CREATED)

    @extend_schema(
        request=SizingInputSerializer,
        responses=WorkshopSerializer,
        summary="Save the sizing: log sources (replacing them), constants, retention and tiers "
        "(admins, CSTMs); nothing is saved on any error",
    )
    @action(detail=True, methods=["post"])
    def sizing(self, request: Request, pk: str | None = None) -> Response:
        workshop = self.get_object()
        require_role(request, *MANAGERS)
        serializer = SizingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.workshop_sizing_save(
            workshop=workshop, by=request.user, **serializer.arguments(workshop)
        )
        return self._answer(saved)

    @extend_schema(
        methods=["GET"],
        responses=SizingResultSerializer,
        summary="The sizing of what is saved, every figure a string of its Decimal",
    )
    @extend_schema(
        methods=["POST"],
        request=SizingInputSerializer,
        responses=SizingResultSerializer,
        summary="The sizing of the inputs given, nothing saved (admins, CSTMs)",
    )
    @action(detail=True, methods=["get", "post"])
    def calculate(self, request: Request, pk: str | None = None) -> Response:
        workshop = self.get_object()
        if request.method == "GET":
            return Response(_result(_saved(workshop)))
        require_role(request, *MANAGERS)
        serializer = SizingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        valid = services.sizing_input(**serializer.arguments(workshop))
        return Response(_result(valid))

    @extend_schema(
        request=WorkshopMeetingSerializer,
        **once_schema({201: MeetingSerializer}),
        summary="Schedule a meeting of the workshop's series on a topic and invite the "
        "attendees (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"], url_path="schedule-meeting")
    @idempotent
    def schedule_meeting(self, request: Request, pk: str | None = None) -> Response:
        workshop = self.get_object()
        require_role(request, *MANAGERS)
        serializer = WorkshopMeetingSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["attendees"] = [dict(a) for a in data["attendees"]]
        meeting = services.workshop_meeting_schedule(workshop=workshop, by=request.user, **data)
        return Response(
            MeetingSerializer(meeting_get(meeting_id=meeting.pk)).data, status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(summary="The catalogue of log-source types offered, with typical figures"),
    retrieve=extend_schema(summary="One log-source type"),
)
class LogSourceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    read_roles = READERS
    write_roles = ()
    serializer_class = LogSourceTypeSerializer
    search_fields = ["name"]
    ordering_fields = ["position", "name"]

    def get_queryset(self) -> QuerySet[LogSourceType]:
        return LogSourceType.objects.filter(active=True)
