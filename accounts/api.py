"""API resources of accounts: the current user, organisations, people, CSTM assignments, tokens.

Serializers only shape data; writes go through accounts.services like the pages do.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import ApiToken, CstmAssignment, Membership, Organisation
from accounts.roles import INVITER_ROLES, PROVIDER_ROLES, AgentLevel, Role
from csm_portal.api import (
    BooleanFilter,
    FilterSet,
    IsoDateTimeFilter,
    ModelSerializer,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
)

ALL_ROLES = tuple(Role.values)
ADMIN = (Role.PROVIDER_ADMIN,)


@extend_schema_field(OpenApiTypes.INT)
class ScopedRelatedField(StrictPrimaryKeyRelatedField):
    """A related id looked up in the request's tenant scope: a foreign id is "does not exist"."""

    def __init__(self, model: type, **kwargs: object) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.all()


# --- the current user -------------------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = StrictCharField(max_length=150, allow_blank=True)
    last_name = StrictCharField(max_length=150, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    role = serializers.CharField(read_only=True, allow_null=True)
    agent_level = serializers.CharField(read_only=True, allow_blank=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)


class MeView(APIView):
    """The signed-in person: who they are, their role and organisation; they may change their
    names and language."""

    read_roles = ALL_ROLES
    write_roles = ALL_ROLES

    def _payload(self, request: Request) -> dict:
        user = request.user
        membership = request._request.tenancy.membership
        organisation = None
        if membership is not None:
            organisation = {"id": membership.organisation_id, "name": membership.organisation.name}
        return {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "role": membership.role if membership else None,
            "agent_level": membership.agent_level if membership else "",
            "organisation": organisation,
        }

    @extend_schema(responses=MeSerializer, summary="You")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(self._payload(request)).data)

    @extend_schema(
        request=MeSerializer, responses=MeSerializer, summary="Change your names or language"
    )
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user
        data = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        }
        data.update(serializer.validated_data)
        services.user_update_profile(user=user, **data)
        return Response(MeSerializer(self._payload(request)).data)


# --- organisations ----------------------------------------------------------------------------


class CstmRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="cstm.pk")
    name = serializers.CharField(source="cstm.display_name")
    email = serializers.EmailField(source="cstm.email")
    kind = serializers.CharField()


class DomainListField(serializers.ListField):
    """Email domains in and out as plain strings."""

    child = StrictCharField(max_length=253)

    def to_representation(self, value: QuerySet) -> list[str]:
        return [d.domain for d in value.all()]


class OrganisationSerializer(ModelSerializer):
    domains = DomainListField(required=False)
    people_count = serializers.IntegerField(read_only=True)
    current_cstms = CstmRefSerializer(source="current_assignments", many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "language",
            "is_active",
            "notes",
            "domains",
            "people_count",
            "current_cstms",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["kind", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is the service's rule

    def to_representation(self, instance: Organisation) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request._request.tenancy.is_provider_staff:
            data.pop("notes")  # internal notes of the provider
        return data


# Filters are declared, not generated from Meta.fields: django-filter would query the scoped
# managers at import time, outside any tenant scope.
class OrganisationFilter(FilterSet):
    is_active = BooleanFilter()
    language = filters.ChoiceFilter(choices=settings.LANGUAGES)
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Organisation
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Organisations you can see"),
    retrieve=extend_schema(summary="One organisation"),
    create=extend_schema(summary="Create a customer organisation (admins)"),
    partial_update=extend_schema(summary="Change an organisation (admins)"),
)
class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = (*PROVIDER_ROLES, Role.REFERENT)
    write_roles = ADMIN
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    search_fields = ["name", "domains__domain"]
    ordering_fields = ["name", "updated_at", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant scope
            return Organisation.objects.none()
        return selectors.organisation_list(kind=Organisation.Kind.CUSTOMER).prefetch_related(
            "domains"
        )

    def perform_create(self, serializer: OrganisationSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.organisation_create(
            name=data["name"],
            domains=data.get("domains", []),
            language=data.get("language", "it"),
            notes=data.get("notes", ""),
        )

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        organisation = self.get_object()
        serializer = self.get_serializer(organisation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {
            "name": organisation.name,
            "domains": [d.domain for d in organisation.domains.all()],
            "language": organisation.language,
            "notes": organisation.notes,
            "is_active": organisation.is_active,
        }
        current.update(serializer.validated_data)
        services.organisation_update(organisation=organisation, **current)
        return Response(self.get_serializer(self.get_queryset().get(pk=organisation.pk)).data)


# --- people (memberships) ---------------------------------------------------------------------


class PersonUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    is_active = serializers.BooleanField()


class MembershipSerializer(ModelSerializer):
    user = PersonUserSerializer(read_only=True)
    # Declared: the generated field would document the level as always one of L1-L3.
    agent_level = serializers.ChoiceField(
        choices=AgentLevel.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Membership
        fields = ["id", "user", "organisation", "role", "agent_level", "created_at", "updated_at"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    organisation = ScopedRelatedField(Organisation)
    email = serializers.EmailField()
    first_name = StrictCharField(max_length=150)
    last_name = StrictCharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    agent_level = serializers.ChoiceField(
        choices=AgentLevel.choices, required=False, allow_blank=True, default=""
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default="it")


class MembershipFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    role = filters.ChoiceFilter(choices=Role.choices)
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Membership
        fields: list[str] = []


class AssignmentFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    kind = filters.ChoiceFilter(choices=CstmAssignment.Kind.choices)

    class Meta:
        model = CstmAssignment
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="People you can see, with their organisation and role"),
    retrieve=extend_schema(summary="One person"),
    create=extend_schema(
        summary="Invite a person (admins; CSTMs into their customers)",
        request=InviteSerializer,
        responses={201: MembershipSerializer},
    ),
)
class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = (*PROVIDER_ROLES, Role.REFERENT)
    write_roles = INVITER_ROLES
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return selectors.membership_list()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return InviteSerializer if self.action == "create" else MembershipSerializer

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = InviteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data["organisation"].is_provider and not request._request.tenancy.is_admin:
            return Response(
                {
                    "organisation": [
                        str(
                            serializers.PrimaryKeyRelatedField.default_error_messages[
                                "does_not_exist"
                            ]
                        ).format(pk_value=data["organisation"].pk)
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        invitation, _token = services.person_invite(invited_by=request.user, **data)
        membership = self.get_queryset().get(user=invitation.user)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


# --- CSTM assignments -------------------------------------------------------------------------


class AssignmentSerializer(ModelSerializer):
    cstm = ScopedRelatedField(Membership, write_only=True, help_text="The membership id of a CSTM.")
    cstm_user = PersonUserSerializer(source="cstm", read_only=True)
    organisation = ScopedRelatedField(Organisation)

    class Meta:
        model = CstmAssignment
        fields = [
            "id",
            "organisation",
            "cstm",
            "cstm_user",
            "kind",
            "starts_on",
            "ends_on",
            "note",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # A permanent assignment closes the previous one the day before it starts, which does
        # not exist for the first day of the calendar.
        extra_kwargs = {"starts_on": {"validators": [MinValueValidator(date.min + timedelta(1))]}}


@extend_schema_view(
    create=extend_schema(summary="Assign a CSTM to a customer for a date range (admins)")
)
class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = PROVIDER_ROLES
    write_roles = ADMIN
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self) -> QuerySet[CstmAssignment]:
        if getattr(self, "swagger_fake_view", False):
            return CstmAssignment.objects.none()
        return CstmAssignment.objects.select_related("cstm", "organisation").order_by(
            "-starts_on", "-pk"
        )

    def perform_create(self, serializer: AssignmentSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.cstm_assign(
            organisation=data["organisation"],
            cstm=data["cstm"].user,
            starts_on=data["starts_on"],
            # Optional in the contract, required keywords of the service.
            ends_on=data.get("ends_on"),
            kind=data.get("kind", CstmAssignment.Kind.PERMANENT),
            note=data.get("note", ""),
        )


# --- personal API tokens ----------------------------------------------------------------------


class ApiTokenSerializer(ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["hint", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once: store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


@extend_schema_view(
    create=extend_schema(
        responses={201: ApiTokenCreatedSerializer}, summary="Create a token (shown once)"
    ),
    destroy=extend_schema(summary="Revoke a token"),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own tokens. A token cannot be read back: only its hint and dates."""

    read_roles = ALL_ROLES
    write_roles = ALL_ROLES
    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user, revoked_at__isnull=True)

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_create(
            user=request.user, name=serializer.validated_data["name"]
        )
        token.token = secret  # type: ignore[attr-defined]
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.api_token_revoke(token=instance)
