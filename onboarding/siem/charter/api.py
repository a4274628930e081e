"""API of the workshop's purpose, charter, retention curve and decisions, with the same scope,
roles and services as the pages (SPEC W1, W3, W5, O4, C5, T1, L5): CSTMs and admins write;
the referent reads the purpose and the charter; the organisation's users read the decisions.
Figures are decimal strings, never numbers."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.api import FilterSet, ModelSerializer, StrictCharField
from csm_portal.idempotency import idempotent, once_schema
from onboarding.library.api import DeliverableSerializer
from onboarding.models import Meeting, RetentionDecision, SiemWorkshop
from onboarding.siem.access import MANAGERS
from onboarding.siem.charter import frozen, selectors, services
from onboarding.siem.charter.sections import CHARTER_SECTIONS, PURPOSE_QUESTIONS, TEXT_MAX
from onboarding.siem.sizing import MAX_RETENTION_MONTHS

READERS = (*PROVIDER_ROLES, Role.REFERENT)
EVERYONE = (*READERS, Role.END_USER)


def _texts_serializer(name: str, questions: tuple) -> type[serializers.Serializer]:
    fields = {
        key: StrictCharField(
            max_length=TEXT_MAX, allow_blank=True, required=False, help_text=str(label)
        )
        for key, label in questions
    }
    return type(name, (serializers.Serializer,), fields)


PurposeSerializer = _texts_serializer("SiemPurposeSerializer", PURPOSE_QUESTIONS)
CharterTextsSerializer = _texts_serializer("SiemCharterTextsSerializer", CHARTER_SECTIONS)


class RetentionPointSerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=MAX_RETENTION_MONTHS)
    storage_gb = serializers.CharField(help_text="Decimal string: GB of storage held.")
    monthly_cost = serializers.CharField(help_text="Decimal string, in the currency given.")


class RetentionCurveSerializer(serializers.Serializer):
    currency = serializers.CharField()
    hot_days = serializers.IntegerField()
    warm_days = serializers.IntegerField()
    prices = serializers.DictField(child=serializers.CharField(), help_text="Per GB-month by tier.")
    curve = RetentionPointSerializer(many=True, help_text="Empty while there are no sources.")


class SiemCharterSerializer(ModelSerializer):
    purpose = PurposeSerializer(read_only=True)
    charter = CharterTextsSerializer(read_only=True)

    class Meta:
        model = SiemWorkshop
        fields = [
            "id",
            "organisation",
            "title",
            "purpose",
            "purpose_recorded_at",
            "charter",
            "charter_recorded_at",
        ]
        read_only_fields = fields


class SiemCharterChangeSerializer(serializers.Serializer):
    purpose = PurposeSerializer(
        required=False, help_text="Answers of the purpose meeting (W1); those left out stay."
    )
    charter = CharterTextsSerializer(
        required=False,
        help_text="Sections of the alignment charter (W3); scope in and out cannot be empty.",
    )


class RetentionDecisionSerializer(ModelSerializer):
    attendees = serializers.ListField(child=serializers.CharField(), read_only=True)
    curve = RetentionPointSerializer(many=True, read_only=True)
    inputs = serializers.JSONField(
        read_only=True,
        help_text="Sources, constants, prices, currency and tiers as they were (decimal strings).",
    )
    currency = serializers.SerializerMethodField()
    storage_gb = serializers.SerializerMethodField(help_text="At the retention chosen.")
    monthly_cost = serializers.SerializerMethodField(help_text="At the retention chosen.")

    class Meta:
        model = RetentionDecision
        fields = [
            "id",
            "organisation",
            "workshop",
            "months",
            "decided_on",
            "attendees",
            "meeting",
            "note",
            "currency",
            "storage_gb",
            "monthly_cost",
            "inputs",
            "curve",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def _point(self, decision: RetentionDecision) -> dict:
        return frozen.point_at(decision.curve, decision.months) or {}

    def get_currency(self, decision: RetentionDecision) -> str:
        return str(decision.inputs.get("currency", ""))

    def get_storage_gb(self, decision: RetentionDecision) -> str:
        return str(self._point(decision).get("storage_gb", ""))

    def get_monthly_cost(self, decision: RetentionDecision) -> str:
        return str(self._point(decision).get("monthly_cost", ""))


class RetentionDecisionCreateSerializer(serializers.Serializer):
    workshop = ScopedRelatedField(SiemWorkshop)
    months = serializers.IntegerField(help_text="1 to 60.")
    decided_on = serializers.DateField()
    attendees = serializers.ListField(
        child=StrictCharField(max_length=200), max_length=50, help_text="Who took part."
    )
    meeting = ScopedRelatedField(
        Meeting,
        required=False,
        allow_null=True,
        default=None,
        help_text="A meeting of the workshop.",
    )
    note = StrictCharField(max_length=5000, allow_blank=True, required=False, default="")


class DecisionFilter(FilterSet):
    workshop = filters.NumberFilter(field_name="workshop_id")

    class Meta:
        model = RetentionDecision
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Retention decisions of the workshops you can see, newest first"),
    retrieve=extend_schema(summary="One retention decision, frozen as it was taken (W5)"),
    create=extend_schema(
        summary="Record the customer's retention decision (admins, CSTMs)",
        request=RetentionDecisionCreateSerializer,
        **once_schema({201: RetentionDecisionSerializer}),
    ),
)
class RetentionDecisionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = EVERYONE
    write_roles = MANAGERS
    serializer_class = RetentionDecisionSerializer
    filterset_class = DecisionFilter
    ordering_fields = ["recorded_at", "decided_on"]

    def get_queryset(self) -> QuerySet[RetentionDecision]:
        if getattr(self, "swagger_fake_view", False):
            return RetentionDecision.objects.none()
        return selectors.decision_list()

    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = RetentionDecisionCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        decision = services.retention_decision_record(
            by=request.user, **{**data, "attendees": list(data["attendees"])}
        )
        answer = RetentionDecisionSerializer(selectors.decision_get(decision_id=decision.pk))
        return Response(answer.data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Purpose and charter of the SIEM workshops you can see"),
    retrieve=extend_schema(summary="A workshop's purpose answers (W1) and charter (W3)"),
    partial_update=extend_schema(
        summary="Write the purpose answers and/or the charter (admins, CSTMs)",
        request=SiemCharterChangeSerializer,
    ),
)
class SiemCharterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """One resource a workshop (the same id as the workshop): its texts and documents."""

    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = SiemCharterSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[SiemWorkshop]:
        if getattr(self, "swagger_fake_view", False):
            return SiemWorkshop.objects.none()
        return SiemWorkshop.objects.select_related("organisation").order_by("-created_at", "-pk")

    def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        workshop = self.get_object()
        serializer = SiemCharterChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "purpose" not in data and "charter" not in data:
            message = _("Give the purpose answers or the charter sections to change.")
            raise serializers.ValidationError({"non_field_errors": [message]})
        if "purpose" in data:
            workshop = services.workshop_purpose_record(
                workshop=workshop, answers=dict(data["purpose"]), by=request.user
            )
        if "charter" in data:
            workshop = services.workshop_charter_record(
                workshop=workshop, sections=dict(data["charter"]), by=request.user
            )
        return Response(SiemCharterSerializer(selectors.workshop_get(workshop_id=workshop.pk)).data)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        responses=RetentionCurveSerializer,
        summary="Storage and monthly cost for 1–60 months at today's sources and prices (W5)",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="retention-curve",
        pagination_class=None,
        filter_backends=[],
    )
    def retention_curve(self, request: Request, pk: str | None = None) -> Response:
        workshop = self.get_object()
        points, pricing = selectors.live_curve(workshop)
        return Response(
            {
                "currency": pricing.currency,
                "hot_days": workshop.hot_days,
                "warm_days": workshop.warm_days,
                "prices": {k: frozen.decimal_text(v) for k, v in pricing.prices().items()},
                "curve": frozen.curve_of(points),
            }
        )

    @extend_schema(
        request=None,
        **once_schema({201: DeliverableSerializer}),
        summary="Publish the sizing sheet PDF in the referent's language (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"], url_path="publish-sizing-sheet")
    @idempotent
    def publish_sizing_sheet(self, request: Request, pk: str | None = None) -> Response:
        document = services.sizing_sheet_publish(workshop=self.get_object(), by=request.user)
        return Response(DeliverableSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        **once_schema({201: DeliverableSerializer}),
        summary="Publish the alignment charter PDF in the referent's language (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"], url_path="publish-charter")
    @idempotent
    def publish_charter(self, request: Request, pk: str | None = None) -> Response:
        document = services.charter_publish(workshop=self.get_object(), by=request.user)
        return Response(DeliverableSerializer(document).data, status=status.HTTP_201_CREATED)
