"""API of SIEM projects (SPEC W4), the operations model and the dashboards and reports chosen
(SPEC W6), with the scope, roles and services of the pages: staff write projects, deficiencies
and any operations line; the referent steps in and out and ticks dashboards; the organisation's
people read. A foreign id is a 404 (SPEC T1)."""

from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.api import (
    FilterSet,
    ModelSerializer,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
)
from csm_portal.api_auth import require_role
from onboarding.models import (
    DashboardChoice,
    DashboardOffer,
    Deficiency,
    OperationsDuty,
    SiemProject,
    SiemWorkshop,
)
from onboarding.siem.access import MANAGERS
from onboarding.siem.projects import domain, selectors, services

CUSTOMER_SIDE = (*MANAGERS, Role.REFERENT)
READERS = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


# --- projects and deficiencies ----------------------------------------------------------------


class DeficiencySerializer(ModelSerializer):
    class Meta:
        model = Deficiency
        fields = ["id", "project", "description", "owner", "status", "created_at"]
        read_only_fields = fields


class ProjectSerializer(ModelSerializer):
    next = serializers.SerializerMethodField(help_text="Id of the project that followed this one.")
    days_elapsed = serializers.SerializerMethodField()
    days_total = serializers.SerializerMethodField()
    deficiencies = DeficiencySerializer(many=True, read_only=True)

    class Meta:
        model = SiemProject
        fields = [
            "id",
            "organisation",
            "workshop",
            "previous",
            "next",
            "title",
            "goals",
            "starts_on",
            "ends_on",
            "days_elapsed",
            "days_total",
            "status",
            "went_well",
            "to_improve",
            "closed_at",
            "closed_by",
            "created_at",
            "deficiencies",
        ]
        read_only_fields = fields

    def _progress(self, project: SiemProject) -> domain.Progress:
        return domain.progress(project.starts_on, project.ends_on, timezone.localdate())

    def get_next(self, project: SiemProject) -> int | None:
        following = selectors.next_of(project)
        return following.pk if following else None

    def get_days_elapsed(self, project: SiemProject) -> int:
        return self._progress(project).elapsed_days

    def get_days_total(self, project: SiemProject) -> int:
        return self._progress(project).total_days


class ProjectCreateSerializer(serializers.Serializer):
    workshop = ScopedRelatedField(SiemWorkshop)
    title = StrictCharField(max_length=200)
    goals = StrictCharField(max_length=5000, help_text="Not the previous project's goals again.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="At most three calendar months after the start.")


class CloseSerializer(serializers.Serializer):
    went_well = StrictCharField(max_length=10000, allow_blank=True, required=False, default="")
    to_improve = StrictCharField(max_length=10000, allow_blank=True, required=False, default="")


class ProjectFilter(FilterSet):
    workshop = filters.NumberFilter(field_name="workshop_id")
    status = filters.ChoiceFilter(choices=SiemProject.Status.choices)

    class Meta:
        model = SiemProject
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="SIEM projects of the workshops you can see (W4)"),
    retrieve=extend_schema(summary="One project with its deficiency list and evaluation"),
    create=extend_schema(
        summary="Start a project of at most three months (admins, CSTMs)",
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer},
    ),
)
class SiemProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["starts_on", "created_at"]

    def get_queryset(self) -> QuerySet[SiemProject]:
        if getattr(self, "swagger_fake_view", False):
            return SiemProject.objects.none()
        return selectors.project_list().prefetch_related("deficiencies")

    def _answer(self, project: SiemProject, code: int = status.HTTP_200_OK) -> Response:
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data, code)

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = ProjectCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        project = services.project_create(by=request.user, **serializer.validated_data)
        return self._answer(project, status.HTTP_201_CREATED)

    @extend_schema(
        request=CloseSerializer,
        responses=ProjectSerializer,
        summary="Close the project with its evaluation; it needs at least one deficiency "
        "(admins, CSTMs)",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        require_role(request, *MANAGERS)
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closed = services.project_close(
            project=project, by=request.user, **serializer.validated_data
        )
        return self._answer(closed)


class DeficiencyCreateSerializer(serializers.Serializer):
    project = ScopedRelatedField(SiemProject)
    description = StrictCharField(max_length=300)
    owner = StrictCharField(max_length=120)
    status = serializers.ChoiceField(choices=Deficiency.Status.choices, default="open")


class DeficiencyStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Deficiency.Status.choices)


class DeficiencyFilter(FilterSet):
    project = filters.NumberFilter(field_name="project_id")
    status = filters.ChoiceFilter(choices=Deficiency.Status.choices)

    class Meta:
        model = Deficiency
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Deficiency items of the projects you can see (W4)"),
    retrieve=extend_schema(summary="One deficiency item"),
    create=extend_schema(
        summary="Add a deficiency to an open project (admins, CSTMs)",
        request=DeficiencyCreateSerializer,
        responses={201: DeficiencySerializer},
    ),
    partial_update=extend_schema(
        summary="Change the status of a deficiency (admins, CSTMs)",
        request=DeficiencyStatusSerializer,
        responses=DeficiencySerializer,
    ),
)
class DeficiencyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = DeficiencySerializer
    filterset_class = DeficiencyFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Deficiency]:
        if getattr(self, "swagger_fake_view", False):
            return Deficiency.objects.none()
        return selectors.deficiency_list()

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = DeficiencyCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        item = services.deficiency_add(by=request.user, **serializer.validated_data)
        return Response(DeficiencySerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        item = self.get_object()
        serializer = DeficiencyStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.deficiency_set_status(
            deficiency=item, status=serializer.validated_data["status"], by=request.user
        )
        return Response(DeficiencySerializer(changed).data)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        return self.partial_update(request, *args, **kwargs)


# --- operations model -------------------------------------------------------------------------


class DutySerializer(ModelSerializer):
    class Meta:
        model = OperationsDuty
        fields = [
            "id",
            "organisation",
            "workshop",
            "task",
            "provider",
            "customer",
            "position",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class DutyChangeSerializer(serializers.Serializer):
    task = StrictCharField(max_length=200)
    provider = serializers.ChoiceField(choices=OperationsDuty.Raci.choices)
    customer = serializers.ChoiceField(choices=OperationsDuty.Raci.choices)


class DutyCreateSerializer(DutyChangeSerializer):
    workshop = ScopedRelatedField(SiemWorkshop)


class ProposeSerializer(serializers.Serializer):
    workshop = ScopedRelatedField(SiemWorkshop)


class ProposedSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Tasks added (0 when all were there already).")


class DutyFilter(FilterSet):
    workshop = filters.NumberFilter(field_name="workshop_id")

    class Meta:
        model = OperationsDuty
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Lines of the operations model, who runs what (W6)"),
    retrieve=extend_schema(summary="One line of the operations model"),
    create=extend_schema(
        summary="Add a line (admins, CSTMs)",
        request=DutyCreateSerializer,
        responses={201: DutySerializer},
    ),
    partial_update=extend_schema(
        summary="Change any line (admins, CSTMs)",
        request=DutyChangeSerializer,
        responses=DutySerializer,
    ),
)
class OperationsDutyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = CUSTOMER_SIDE  # the referent steps in and out; the rest is staff's
    serializer_class = DutySerializer
    filterset_class = DutyFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[OperationsDuty]:
        if getattr(self, "swagger_fake_view", False):
            return OperationsDuty.objects.none()
        return selectors.duty_list()

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_role(request, *MANAGERS)
        serializer = DutyCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        duty = services.duty_add(by=request.user, **serializer.validated_data)
        return Response(DutySerializer(duty).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        duty = self.get_object()
        require_role(request, *MANAGERS)
        serializer = DutyChangeSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = {
            "task": duty.task,
            "provider": duty.provider,
            "customer": duty.customer,
            **serializer.validated_data,
        }
        changed = services.duty_update(duty=duty, by=request.user, **data)
        return Response(DutySerializer(changed).data)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=DutySerializer,
        summary="The customer takes the task on: customer R, provider C (referent, staff)",
    )
    @action(detail=True, methods=["post"], url_path="step-in")
    def step_in(self, request: Request, pk: str | None = None) -> Response:
        duty = self.get_object()
        return Response(DutySerializer(services.duty_step_in(duty=duty, by=request.user)).data)

    @extend_schema(
        request=None,
        responses=DutySerializer,
        summary="The customer hands the task back: provider R, customer I (referent, staff)",
    )
    @action(detail=True, methods=["post"], url_path="step-out")
    def step_out(self, request: Request, pk: str | None = None) -> Response:
        duty = self.get_object()
        return Response(DutySerializer(services.duty_step_out(duty=duty, by=request.user)).data)

    @extend_schema(
        request=ProposeSerializer,
        responses=ProposedSerializer,
        summary="Add the standard operations model's missing tasks (admins, CSTMs)",
    )
    @action(detail=False, methods=["post"], url_path="propose-standard")
    def propose_standard(self, request: Request) -> Response:
        require_role(request, *MANAGERS)
        serializer = ProposeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        added = services.operations_propose_standard(
            workshop=serializer.validated_data["workshop"], by=request.user
        )
        return Response({"added": added})


# --- dashboards and reports -------------------------------------------------------------------


class OfferSerializer(ModelSerializer):
    class Meta:
        model = DashboardOffer
        fields = ["id", "kind", "name", "description", "position", "active"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Dashboards and reports the provider offers (W6)"),
    retrieve=extend_schema(summary="One dashboard or report offered"),
)
class DashboardOfferViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_roles = READERS
    write_roles = ()
    serializer_class = OfferSerializer
    search_fields = ["name"]

    def get_queryset(self) -> QuerySet[DashboardOffer]:
        return selectors.offers_offered()


class ChoiceSerializer(ModelSerializer):
    class Meta:
        model = DashboardChoice
        fields = ["id", "organisation", "workshop", "offer", "chosen_by", "chosen_at"]
        read_only_fields = fields


class ChoiceCreateSerializer(serializers.Serializer):
    workshop = ScopedRelatedField(SiemWorkshop)
    offer = StrictPrimaryKeyRelatedField(queryset=DashboardOffer.objects.filter(active=True))


class ChoiceFilter(FilterSet):
    workshop = filters.NumberFilter(field_name="workshop_id")

    class Meta:
        model = DashboardChoice
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Dashboards and reports the customers ticked (W6)"),
    retrieve=extend_schema(summary="One dashboard or report ticked, by whom and when"),
    create=extend_schema(
        summary="Tick a dashboard or report (referent, staff)",
        request=ChoiceCreateSerializer,
        responses={201: ChoiceSerializer},
    ),
    destroy=extend_schema(summary="Untick it (referent, staff)"),
)
class DashboardChoiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = CUSTOMER_SIDE
    serializer_class = ChoiceSerializer
    filterset_class = ChoiceFilter

    def get_queryset(self) -> QuerySet[DashboardChoice]:
        if getattr(self, "swagger_fake_view", False):
            return DashboardChoice.objects.none()
        return selectors.choice_list()

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = ChoiceCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        workshop = serializer.validated_data["workshop"]
        offer = serializer.validated_data["offer"]
        current = [c.offer for c in selectors.choice_list(workshop=workshop)]
        choices = services.dashboards_choose(
            workshop=workshop, offers=[*current, offer], by=request.user
        )
        chosen = next(c for c in choices if c.offer_id == offer.pk)
        return Response(ChoiceSerializer(chosen).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        choice = self.get_object()
        remaining = [
            c.offer for c in selectors.choice_list(workshop=choice.workshop) if c.pk != choice.pk
        ]
        services.dashboards_choose(workshop=choice.workshop, offers=remaining, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
