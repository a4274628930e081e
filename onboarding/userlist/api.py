"""API of the customer prerequisites (SPEC O2): user-list uploads (validate / upload with its
diff / apply), the current list, the logos and the whitelisting confirmation. Same scope and
roles as the pages; writes go through onboarding.userlist.services. Files travel as base64 in
JSON (the API takes JSON only) and come back as attachments."""

import base64
import binascii
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.models import Organisation
from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.api import ModelSerializer, StrictBooleanField, StrictCharField
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema
from onboarding.models import ListedUser, Logo, UserListUpload, WhitelistingConfirmation
from onboarding.userlist import logos as logo_rules
from onboarding.userlist import selectors, services, validator

READERS = (*PROVIDER_ROLES, Role.REFERENT)
WRITERS = (Role.PROVIDER_ADMIN, Role.CSTM, Role.REFERENT)


def _organisation(request: Request, data: dict) -> Organisation:
    """Staff name the organisation; a referent writes for their own."""
    tenancy = request._request.tenancy
    if tenancy.is_provider_staff:
        if data.get("organisation") is None:
            raise serializers.ValidationError(
                {"organisation": [str(serializers.Field.default_error_messages["required"])]}
            )
        return data["organisation"]
    return tenancy.membership.organisation


class FileInSerializer(serializers.Serializer):
    organisation = ScopedRelatedField(
        Organisation, required=False, help_text="Staff only: the customer organisation."
    )
    filename = StrictCharField(max_length=255)
    content = StrictCharField(
        help_text="The file, base64-encoded.", trim_whitespace=False, allow_blank=True
    )

    def __init__(self, *args: Any, max_bytes: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def validate_content(self, value: str) -> str:
        # The size is checked on the encoded text first: nothing over the cap is decoded.
        if len(value) > (self.max_bytes + 2) // 3 * 4 + 4:
            raise serializers.ValidationError(
                _("The file is larger than %(kb)s KB.") % {"kb": self.max_bytes // 1024}
            )
        return value

    def decoded(self) -> ContentFile:
        try:
            data = base64.b64decode(self.validated_data["content"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise serializers.ValidationError({"content": [_("Not valid base64.")]}) from error
        return ContentFile(data, name=self.validated_data["filename"])


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row (1 = header); 0: the whole file.")
    column = serializers.CharField(help_text="Column name; empty for the whole row or file.")
    message = serializers.CharField()


class CheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    rows = serializers.IntegerField()
    encoding = serializers.CharField()
    delimiter = serializers.CharField()
    problems = ProblemSerializer(many=True)


def _problems_error(result: validator.Result) -> serializers.ValidationError:
    """Every problem, by row then column: {"problems": {"3": {"email": ["…"]}, "0": {…}}}."""
    by_row: dict[str, dict[str, list[str]]] = {}
    for problem in result.problems:
        by_row.setdefault(str(problem.row), {}).setdefault(problem.column or "row", []).append(
            problem.message
        )
    return serializers.ValidationError({"problems": by_row})


class UserListUploadSerializer(ModelSerializer):
    class Meta:
        model = UserListUpload
        fields = [
            "id",
            "organisation",
            "status",
            "filename",
            "size",
            "encoding",
            "delimiter",
            "rows",
            "added",
            "changed",
            "removed",
            "unchanged",
            "uploaded_by",
            "uploaded_at",
            "applied_by",
            "applied_at",
            "effective_on",
            "is_first",
        ]
        read_only_fields = fields


class DiffSerializer(serializers.Serializer):
    valid = serializers.BooleanField(
        help_text="False when the file no longer passes (the organisation's domains or licences "
        "changed since the upload): then nothing can be applied and the lists are empty."
    )
    problems = ProblemSerializer(many=True)
    added = serializers.ListField(child=serializers.CharField(), help_text="E-mail addresses.")
    changed = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.IntegerField()


class UserListUploadViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_roles = READERS
    write_roles = WRITERS
    serializer_class = UserListUploadSerializer
    ordering_fields = ["uploaded_at"]

    def get_queryset(self) -> QuerySet[UserListUpload]:
        if getattr(self, "swagger_fake_view", False):
            return UserListUpload.objects.none()
        return UserListUpload.objects.order_by("-uploaded_at", "-pk")

    def _file(self, request: Request) -> tuple[Organisation, ContentFile]:
        serializer = FileInSerializer(data=request.data, max_bytes=services.max_bytes())
        serializer.is_valid(raise_exception=True)
        return _organisation(request, serializer.validated_data), serializer.decoded()

    @extend_schema(
        request=FileInSerializer,
        responses=CheckSerializer,
        summary="Check a user-list file without storing it (every problem by row and column)",
    )
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        organisation, upload = self._file(request)
        result, _data = services.user_list_check(organisation=organisation, upload=upload)
        return Response(
            {
                "valid": result.ok,
                "rows": len(result.rows),
                "encoding": result.encoding,
                "delimiter": result.delimiter,
                "problems": [
                    {"row": p.row, "column": p.column, "message": p.message}
                    for p in result.problems
                ],
            }
        )

    @extend_schema(
        request=FileInSerializer,
        **once_schema({201: UserListUploadSerializer}),
        summary="Upload a valid user list (kept with its diff, to be applied); a file with "
        "problems is refused whole",
    )
    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        organisation, upload = self._file(request)
        try:
            created = services.user_list_upload(
                organisation=organisation, upload=upload, by=request.user
            )
        except services.InvalidUserList as invalid:
            raise _problems_error(invalid.result) from invalid
        return Response(UserListUploadSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DiffSerializer, summary="What applying the upload would change")
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        with upload.file.open("rb") as stored:
            result = validator.validate(
                stored.read(),
                services.user_list_context(upload.organisation, timezone.localdate()),
            )
        change = (
            validator.diff(result.rows, selectors.current_list(organisation=upload.organisation))
            if result.ok
            else validator.Diff()
        )
        return Response(
            {
                "valid": result.ok,
                "problems": [
                    {"row": p.row, "column": p.column, "message": p.message}
                    for p in result.problems
                ],
                "added": [row["email"] for row in change.added],
                "changed": [new["email"] for _old, new in change.changed],
                "removed": [row["email"] for row in change.removed],
                "unchanged": change.unchanged,
            }
        )

    @extend_schema(
        request=None,
        **once_schema(UserListUploadSerializer),
        summary="Apply the upload: the first list at once; later ones once a month, taking "
        "effect five working days later",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        require_role(request, *WRITERS)
        try:
            applied = services.user_list_apply(upload=upload, by=request.user)
        except services.InvalidUserList as invalid:
            raise _problems_error(invalid.result) from invalid
        return Response(UserListUploadSerializer(applied).data)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY}, summary="Download the original file"
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        upload = self.get_object()
        return FileResponse(
            upload.file.open("rb"),
            as_attachment=True,
            filename=upload.filename,
            content_type="text/csv",
        )


class ListedUserSerializer(ModelSerializer):
    class Meta:
        model = ListedUser
        fields = ["id", "organisation", *validator.NAMES]
        read_only_fields = fields


class ListedUserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = ()
    serializer_class = ListedUserSerializer
    search_fields = ["email", "first_name", "last_name", "department"]
    ordering_fields = ["email", "last_name"]

    def get_queryset(self) -> QuerySet[ListedUser]:
        if getattr(self, "swagger_fake_view", False):
            return ListedUser.objects.none()
        return ListedUser.objects.order_by("organisation_id", "last_name", "first_name", "pk")


class LogoSerializer(ModelSerializer):
    class Meta:
        model = Logo
        fields = [
            "id",
            "organisation",
            "variant",
            "filename",
            "content_type",
            "size",
            "width",
            "height",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class LogoInSerializer(FileInSerializer):
    variant = serializers.ChoiceField(choices=Logo.Variant.choices)


class LogoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = WRITERS
    serializer_class = LogoSerializer

    def get_queryset(self) -> QuerySet[Logo]:
        if getattr(self, "swagger_fake_view", False):
            return Logo.objects.none()
        return Logo.objects.order_by("organisation_id", "variant", "pk")

    @extend_schema(
        request=LogoInSerializer,
        **once_schema({201: LogoSerializer}),
        summary="Upload a logo (PNG, JPEG or SVG): it replaces the one of that background",
    )
    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = LogoInSerializer(data=request.data, max_bytes=logo_rules.MAX_BYTES)
        serializer.is_valid(raise_exception=True)
        organisation = _organisation(request, serializer.validated_data)
        logo = services.logo_upload(
            organisation=organisation,
            variant=serializer.validated_data["variant"],
            upload=serializer.decoded(),
            by=request.user,
        )
        return Response(LogoSerializer(logo).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download the logo",
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        logo = self.get_object()
        return FileResponse(
            logo.file.open("rb"),
            as_attachment=True,
            filename=logo.filename,
            content_type="application/octet-stream",
        )


class WhitelistingSerializer(ModelSerializer):
    class Meta:
        model = WhitelistingConfirmation
        fields = [
            "id",
            "organisation",
            *services.CHECKS,
            "note",
            "confirmed_by",
            "confirmed_at",
            "technical_notes",
            "technical_notes_at",
        ]
        read_only_fields = fields


class WhitelistingInSerializer(serializers.Serializer):
    organisation = ScopedRelatedField(
        Organisation, required=False, help_text="Staff only: the customer organisation."
    )
    phishing_mail = StrictBooleanField()
    awareness_mail = StrictBooleanField()
    channel_mail = StrictBooleanField()
    videos_play = StrictBooleanField()
    note = StrictCharField(required=False, allow_blank=True, max_length=2000)


class WhitelistingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_roles = READERS
    write_roles = WRITERS
    serializer_class = WhitelistingSerializer

    def get_queryset(self) -> QuerySet[WhitelistingConfirmation]:
        if getattr(self, "swagger_fake_view", False):
            return WhitelistingConfirmation.objects.none()
        return WhitelistingConfirmation.objects.order_by("organisation_id")

    @extend_schema(
        request=WhitelistingInSerializer,
        **once_schema({201: WhitelistingSerializer}),
        summary="Confirm the whitelisting: all four checks must be true",
    )
    @idempotent
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = WhitelistingInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = _organisation(request, data)
        data.pop("organisation", None)
        confirmation = services.whitelisting_confirm(
            organisation=organisation, by=request.user, **data
        )
        return Response(WhitelistingSerializer(confirmation).data, status=status.HTTP_201_CREATED)
