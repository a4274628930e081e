"""API of meetings and the deliverables library, with the same scope, roles and services as the
pages (SPEC O1, O4, C5, T1, L5): staff schedule, change and record minutes; customers read.
Writes that send mail take an ``Idempotency-Key``. Files are downloaded as attachments only."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.models import Organisation
from accounts.roles import PROVIDER_ROLES, Role
from activities.models import ActivityRequest
from csm_portal.api import FilterSet, ModelSerializer, StrictBooleanField, StrictCharField
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema
from onboarding.library import files, selectors, services
from onboarding.library.views import _file_response
from onboarding.models import Deliverable, Meeting, ProviderDocument
from onboarding.models.documents import DocumentKind

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
READERS = (*PROVIDER_ROLES, Role.REFERENT)
EVERYONE = (*READERS, Role.END_USER)
# A file is served with the type detected from its content (onboarding.library.files).
DOWNLOAD = {(200, kind.content_type): OpenApiTypes.BINARY for kind in files.ALLOWED}


class CustomerField(ScopedRelatedField):
    def get_queryset(self) -> QuerySet:
        return Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER)


class AttendeeSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200, allow_blank=True, required=False, default="")
    email = serializers.EmailField(max_length=254)
    side = serializers.ChoiceField(choices=[("provider", "provider"), ("customer", "customer")])
    role = StrictCharField(max_length=200, allow_blank=True, required=False, default="")


class MeetingSerializer(ModelSerializer):
    attendees = AttendeeSerializer(many=True, read_only=True)
    video_link = serializers.CharField(read_only=True, help_text="Empty when none was given.")
    minutes_deliverable = serializers.SerializerMethodField(
        help_text="Id of the latest minutes PDF in the library, once recorded."
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "organisation",
            "kind",
            "title",
            "scheduled_at",
            "duration_minutes",
            "video_link",
            "agenda",
            "attendees",
            "status",
            "minutes",
            "minutes_recorded_by",
            "minutes_recorded_at",
            "minutes_deliverable",
            "named_referent",
            "activity_request",
            "created_at",
        ]
        read_only_fields = fields

    def get_minutes_deliverable(self, meeting: Meeting) -> int | None:
        document = selectors.minutes_of(meeting)
        return document.pk if document else None


class MeetingChangeSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    scheduled_at = serializers.DateTimeField(help_text="ISO 8601; shown in Europe/Rome time.")
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480, default=60)
    video_link = StrictCharField(max_length=200, allow_blank=True, required=False, default="")
    agenda = StrictCharField(max_length=10000, allow_blank=True, required=False, default="")
    attendees = AttendeeSerializer(
        many=True,
        max_length=100,
        help_text="At least one for the provider and one for the customer.",
    )
    activity_request = ScopedRelatedField(
        ActivityRequest,
        required=False,
        allow_null=True,
        default=None,
        help_text="An open request of the organisation for the meeting's activity.",
    )


class MeetingCreateSerializer(MeetingChangeSerializer):
    organisation = CustomerField(Organisation)
    kind = serializers.ChoiceField(
        choices=Meeting.Kind.choices, help_text="SIEM workshops are not scheduled here."
    )
    record_request = StrictBooleanField(
        required=False,
        default=False,
        help_text=(
            "No request yet: record one agreed in the meeting; it stays to be formalised until "
            "the referent confirms it in writing (H8)."
        ),
    )


class NewReferentSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = StrictCharField(max_length=150, allow_blank=True, required=False, default="")
    last_name = StrictCharField(max_length=150, allow_blank=True, required=False, default="")
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class MinutesSerializer(serializers.Serializer):
    minutes = StrictCharField(max_length=100000)
    referent = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Kick-off: id of the existing service referent confirmed (O1).",
    )
    new_referent = NewReferentSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Kick-off: the service referent to invite instead.",
    )


class MeetingFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    kind = filters.ChoiceFilter(choices=Meeting.Kind.choices)
    status = filters.ChoiceFilter(choices=Meeting.Status.choices)

    class Meta:
        model = Meeting
        fields: list[str] = []


def _referent(meeting: Meeting, referent_id: int | None) -> Any:
    if referent_id is None:
        return None
    found = selectors.referents_of(meeting.organisation).filter(pk=referent_id).first()
    if found is None:
        message = _("This person is not a service referent of the organisation.")
        raise serializers.ValidationError({"referent": [message]})
    return found


@extend_schema_view(
    list=extend_schema(summary="Meetings of the organisations you can see"),
    retrieve=extend_schema(summary="One meeting with agenda, attendees and minutes"),
    create=extend_schema(
        summary="Schedule a meeting and invite the attendees (admins, CSTMs)",
        request=MeetingCreateSerializer,
        **once_schema({201: MeetingSerializer}),
    ),
    partial_update=extend_schema(
        summary="Change a planned meeting and send the update (admins, CSTMs)",
        request=MeetingChangeSerializer,
        **once_schema(MeetingSerializer),
    ),
)
class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    search_fields = ["title"]
    ordering_fields = ["scheduled_at", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return selectors.meeting_list()

    def _answer(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        return Response(MeetingSerializer(selectors.meeting_get(meeting_id=meeting.pk)).data, code)

    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = MeetingCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["attendees"] = [dict(a) for a in data["attendees"]]
        meeting = services.meeting_schedule(by=request.user, **data)
        return self._answer(meeting, status.HTTP_201_CREATED)

    @idempotent
    def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        meeting = self.get_object()
        current = {
            "title": meeting.title,
            "scheduled_at": meeting.scheduled_at,
            "duration_minutes": meeting.duration_minutes,
            "video_link": meeting.video_link,
            "agenda": meeting.agenda,
            "attendees": meeting.attendees,
            "activity_request": meeting.activity_request,
        }
        serializer = MeetingChangeSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = {**current, **serializer.validated_data}
        data["attendees"] = [dict(a) for a in data["attendees"]]
        updated = services.meeting_update(meeting=meeting, by=request.user, **data)
        return self._answer(updated)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=MinutesSerializer,
        **once_schema(MeetingSerializer),
        summary="Record the minutes after the meeting: published as a PDF deliverable "
        "(admins, CSTMs; at the kick-off, name the referent)",
    )
    @action(detail=True, methods=["post"], url_path="record-minutes")
    @idempotent
    def record_minutes(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        require_role(request, *MANAGERS)
        serializer = MinutesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        new = None
        if data["new_referent"]:
            given = data["new_referent"]
            new = services.NewReferent(
                email=given["email"],
                first_name=given["first_name"],
                last_name=given["last_name"],
                language=given.get("language") or meeting.organisation.language,
            )
        recorded = services.meeting_record_minutes(
            meeting=meeting,
            minutes=data["minutes"],
            by=request.user,
            referent=_referent(meeting, data["referent"]),
            new_referent=new,
        )
        return self._answer(recorded)


# --- documents --------------------------------------------------------------------------------


class DocumentFields:
    fields = [
        "id",
        "kind",
        "title",
        "version",
        "filename",
        "content_type",
        "size",
        "published_by",
        "published_at",
    ]


class DeliverableSerializer(ModelSerializer):
    class Meta:
        model = Deliverable
        fields = [*DocumentFields.fields[:1], "organisation", *DocumentFields.fields[1:], "meeting"]
        read_only_fields = fields


class ProviderDocumentSerializer(ModelSerializer):
    class Meta:
        model = ProviderDocument
        fields = DocumentFields.fields
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    title = StrictCharField(
        max_length=200, help_text="The same kind and title make the next version."
    )
    file = serializers.FileField(
        help_text="PDF, DOCX, XLSX, PPTX, PNG, JPEG, TXT, CSV or MD, checked by content."
    )


@extend_schema_field(OpenApiTypes.INT)
class FormCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer organisation in the user's scope, by id; a multipart form sends it as text."""

    def get_queryset(self) -> QuerySet:
        return Organisation.objects.filter(kind=Organisation.Kind.CUSTOMER)


class DeliverableUploadSerializer(UploadSerializer):
    organisation = FormCustomerField()


class DocumentFilter(FilterSet):
    kind = filters.ChoiceFilter(choices=DocumentKind.choices)


class DeliverableFilter(DocumentFilter):
    organisation = filters.NumberFilter(field_name="organisation_id")

    class Meta:
        model = Deliverable
        fields: list[str] = []


class ProviderDocumentFilter(DocumentFilter):
    class Meta:
        model = ProviderDocument
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Deliverables of your organisations: the latest version of each"),
    retrieve=extend_schema(summary="One version of a deliverable"),
    create=extend_schema(
        summary="Upload a deliverable (admins, CSTMs); the same kind and title is a new version",
        request={"multipart/form-data": DeliverableUploadSerializer},
        responses={201: DeliverableSerializer},
    ),
)
class DeliverableViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = DeliverableSerializer
    filterset_class = DeliverableFilter
    parser_classes = [MultiPartParser]
    search_fields = ["title"]
    ordering_fields = ["published_at", "title"]

    def get_queryset(self) -> QuerySet[Deliverable]:
        if getattr(self, "swagger_fake_view", False):
            return Deliverable.objects.none()
        if self.action == "list":
            return selectors.deliverable_list()
        return Deliverable.objects.select_related("organisation").order_by("-published_at", "-pk")

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = DeliverableUploadSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.deliverable_upload(
            organisation=data["organisation"],
            kind=data["kind"],
            title=data["title"],
            file=data["file"],
            by=request.user,
        )
        return Response(DeliverableSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=DeliverableSerializer(many=True), summary="Every version, newest first"
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        deliverable = self.get_object()
        versions = selectors.deliverable_versions(deliverable)
        return Response(DeliverableSerializer(versions, many=True).data)

    @extend_schema(responses=DOWNLOAD, summary="Download the file (as an attachment)")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        return _file_response(self.get_object())


@extend_schema_view(
    list=extend_schema(summary="Documents the provider shares with every customer"),
    retrieve=extend_schema(summary="One version of a provider-wide document"),
    create=extend_schema(
        summary="Publish a document for every customer (admins)",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ProviderDocumentSerializer},
    ),
)
class ProviderDocumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = EVERYONE
    write_roles = (Role.PROVIDER_ADMIN,)
    serializer_class = ProviderDocumentSerializer
    filterset_class = ProviderDocumentFilter
    parser_classes = [MultiPartParser]
    search_fields = ["title"]
    ordering_fields = ["published_at", "title"]

    def get_queryset(self) -> QuerySet[ProviderDocument]:
        if getattr(self, "swagger_fake_view", False):
            return ProviderDocument.objects.none()
        if self.action == "list":
            return selectors.provider_document_list()
        return ProviderDocument.objects.order_by("-published_at", "-pk")

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.provider_document_upload(
            kind=data["kind"], title=data["title"], file=data["file"], by=request.user
        )
        return Response(ProviderDocumentSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=ProviderDocumentSerializer(many=True), summary="Every version, newest first"
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            ProviderDocumentSerializer(
                selectors.provider_document_versions(self.get_object()), many=True
            ).data
        )

    @extend_schema(responses=DOWNLOAD, summary="Download the file (as an attachment)")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        return _file_response(self.get_object())
