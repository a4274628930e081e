"""API of the onboarding plan (issue 12): plans (read), steps (complete, skip; staff update),
the release plan (read, recompute) and training progress, with the scope and roles of the pages.
Writes go through onboarding.plan.services."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.api import ModelSerializer, StrictCharField
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema
from onboarding.models import OnboardingPlan, PlanStep, ReleaseItem, TrainingProgress
from onboarding.plan import selectors, services

READERS = (*PROVIDER_ROLES, Role.REFERENT)
MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)


class PlanStepSerializer(ModelSerializer):
    class Meta:
        model = PlanStep
        fields = [
            "id",
            "plan",
            "code",
            "year",
            "position",
            "owner",
            "due_on",
            "state",
            "blocked_reason",
            "note",
            "closed_by",
            "closed_at",
            "meeting",
        ]
        read_only_fields = fields


class PlanSerializer(ModelSerializer):
    steps = PlanStepSerializer(many=True, read_only=True)

    class Meta:
        model = OnboardingPlan
        fields = [
            "id",
            "organisation",
            "contract",
            "started_on",
            "target_go_live_on",
            "go_live_on",
            "checklist",
            "steps",
        ]
        read_only_fields = fields


class ReleaseItemSerializer(ModelSerializer):
    class Meta:
        model = ReleaseItem
        fields = [
            "id",
            "position",
            "kind",
            "title",
            "duration_days",
            "interval_days",
            "starts_on",
            "ends_on",
            "needs_decision",
        ]
        read_only_fields = fields


class ReleasePlanSerializer(serializers.Serializer):
    items = ReleaseItemSerializer(many=True)
    explanation = serializers.ListField(child=serializers.CharField())


class StepCloseSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class StepUpdateSerializer(serializers.Serializer):
    due_on = serializers.DateField(required=False)
    blocked_reason = StrictCharField(required=False, allow_blank=True, max_length=300)


class GoLiveSerializer(serializers.Serializer):
    go_live_on = serializers.DateField()


class TrainingProgressSerializer(ModelSerializer):
    module = StrictCharField(max_length=200)
    completed = serializers.IntegerField(min_value=0, max_value=10_000_000)
    total = serializers.IntegerField(min_value=1, max_value=10_000_000)

    class Meta:
        model = TrainingProgress
        fields = ["id", "plan", "module", "completed", "total", "recorded_on", "recorded_by"]
        read_only_fields = ["id", "recorded_on", "recorded_by"]

    def validate_plan(self, plan: OnboardingPlan) -> OnboardingPlan:
        # The scoped manager: another tenant's plan is "does not exist" (T1).
        if not OnboardingPlan.objects.filter(pk=plan.pk).exists():
            raise serializers.ValidationError("Invalid pk - object does not exist.")
        return plan


class OnboardingPlanViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = PlanSerializer

    def get_queryset(self) -> QuerySet[OnboardingPlan]:
        if getattr(self, "swagger_fake_view", False):
            return OnboardingPlan.objects.none()
        return OnboardingPlan.objects.prefetch_related("steps").order_by("pk")

    def _release_answer(self, plan: OnboardingPlan) -> Response:
        result = services.release_plan_of(plan)
        return Response(
            {
                "items": ReleaseItemSerializer(plan.releases.order_by("position"), many=True).data,
                "explanation": selectors.release_explanation(plan, result),
            }
        )

    @extend_schema(responses=ReleasePlanSerializer, summary="The release plan (O3)")
    @action(detail=True, methods=["get"], url_path="release-plan")
    def release_plan(self, request: Request, pk: str | None = None) -> Response:
        return self._release_answer(self.get_object())

    @extend_schema(
        request=None,
        **once_schema(ReleasePlanSerializer),
        summary="Recompute the release plan from go-live to expiry (admins, CSTMs; O3)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def recompute(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        require_role(request, *MANAGERS)
        services.plan_write_refusal(plan.organisation)
        services.release_plan_recompute(plan=plan)
        return self._release_answer(plan)

    @extend_schema(
        request=GoLiveSerializer,
        **once_schema(PlanSerializer),
        summary="Set the go-live date: not before the kick-off (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"], url_path="go-live")
    @idempotent
    def go_live(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        require_role(request, *MANAGERS)
        serializer = GoLiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.plan_go_live_set(plan=plan, by=request.user, **serializer.validated_data)
        return Response(PlanSerializer(self.get_queryset().get(pk=plan.pk)).data)


class PlanStepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = (*MANAGERS, Role.REFERENT)
    serializer_class = PlanStepSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[PlanStep]:
        if getattr(self, "swagger_fake_view", False):
            return PlanStep.objects.none()
        return PlanStep.objects.order_by("plan_id", "position")

    def _answer(self, step: PlanStep) -> Response:
        return Response(PlanStepSerializer(self.get_queryset().get(pk=step.pk)).data)

    @extend_schema(request=StepUpdateSerializer, summary="Move a due date or block (staff)")
    @idempotent
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        step = self.get_object()
        require_role(request, *MANAGERS)
        serializer = StepUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.plan_step_update(step=step, by=request.user, **serializer.validated_data)
        )

    @extend_schema(
        request=StepCloseSerializer,
        **once_schema(PlanStepSerializer),
        summary="Mark a step done (staff; the referent their own steps). Twice is once.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def complete(self, request: Request, pk: str | None = None) -> Response:
        step = self.get_object()
        serializer = StepCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.plan_step_close(step=step, by=request.user, **serializer.validated_data)
        )

    @extend_schema(
        request=StepCloseSerializer,
        **once_schema(PlanStepSerializer),
        summary="Skip a step with a note (admins, CSTMs)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def skip(self, request: Request, pk: str | None = None) -> Response:
        step = self.get_object()
        require_role(request, *MANAGERS)
        serializer = StepCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(
            services.plan_step_close(
                step=step, by=request.user, skip=True, **serializer.validated_data
            )
        )


class TrainingProgressViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = TrainingProgressSerializer

    def get_queryset(self) -> QuerySet[TrainingProgress]:
        if getattr(self, "swagger_fake_view", False):
            return TrainingProgress.objects.none()
        return TrainingProgress.objects.order_by("plan_id", "module", "-recorded_on", "-pk")

    @extend_schema(**once_schema({201: TrainingProgressSerializer}))
    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = TrainingProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = services.training_progress_record(
            plan=data["plan"],
            module=data["module"],
            completed=data["completed"],
            total=data["total"],
            by=request.user,
        )
        return Response(TrainingProgressSerializer(row).data, status=status.HTTP_201_CREATED)
