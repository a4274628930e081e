"""API of the win-back of cancelled customers (SPEC C6), with the page's scope and roles (CSTMs
of the customer, admins): the cancellations with their win-back meetings, the outcome, and the
one-hour win-back meeting (invitations sent: ``Idempotency-Key`` makes it happen once)."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import services as contract_services
from contracts.models import CancellationNotice
from csm_portal.api import ModelSerializer, StrictCharField
from csm_portal.idempotency import idempotent, once_schema
from onboarding.library.api import AttendeeSerializer, MeetingSerializer
from onboarding.siem.access import MANAGERS
from onboarding.winback import selectors, services


class WinBackSerializer(ModelSerializer):
    meetings = serializers.SerializerMethodField(help_text="Ids of its win-back meetings.")

    class Meta:
        model = CancellationNotice
        fields = [
            "id",
            "organisation",
            "contract",
            "notice_on",
            "reason",
            "recorded_by",
            "outcome",
            "won_back_on",
            "win_back_note",
            "outcome_recorded_by",
            "outcome_recorded_at",
            "meetings",
        ]
        read_only_fields = fields

    def get_meetings(self, notice: CancellationNotice) -> list[int]:
        return list(selectors.meetings_of(notice).values_list("pk", flat=True))


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CancellationNotice.Outcome.choices)
    won_back_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Required when won back."
    )
    note = StrictCharField(
        max_length=10000,
        allow_blank=True,
        required=False,
        default=None,
        allow_null=True,
        help_text="The win-back notes; left as they are when absent.",
    )


class WinBackMeetingSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(help_text="ISO 8601; the meeting lasts one hour.")
    video_link = StrictCharField(max_length=200, allow_blank=True, required=False, default="")
    agenda = StrictCharField(max_length=10000, allow_blank=True, required=False, default="")
    attendees = AttendeeSerializer(
        many=True,
        max_length=100,
        help_text="At least one for the provider and one for the customer.",
    )


@extend_schema_view(
    list=extend_schema(summary="Cancelled customers to win back (C6; admins, CSTMs)"),
    retrieve=extend_schema(summary="One cancellation with its win-back outcome and meetings"),
)
class WinBackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = MANAGERS
    write_roles = MANAGERS
    serializer_class = WinBackSerializer

    def get_queryset(self) -> QuerySet[CancellationNotice]:
        if getattr(self, "swagger_fake_view", False):
            return CancellationNotice.objects.none()
        return selectors.notice_list()

    @extend_schema(
        request=OutcomeSerializer,
        responses=WinBackSerializer,
        summary="Record the outcome: won back (with its date), not won back, pending",
    )
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = contract_services.win_back_record(
            notice=notice, by=request.user, **serializer.validated_data
        )
        return Response(WinBackSerializer(self.get_queryset().get(pk=recorded.pk)).data)

    @extend_schema(
        request=WinBackMeetingSerializer,
        **once_schema({201: MeetingSerializer}),
        summary="Schedule the one-hour win-back meeting and invite the attendees",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def meeting(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        serializer = WinBackMeetingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["attendees"] = [dict(a) for a in data["attendees"]]
        meeting = services.win_back_meeting_schedule(notice=notice, by=request.user, **data)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)
