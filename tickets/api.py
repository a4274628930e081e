"""API resources of the service desk (issue 7): tickets with their conversation and history,
the triage queue, SLA policies and mailboxes, and the KPIs. Writes go through tickets.desk,
like the pages."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.api import ScopedRelatedField
from accounts.models import Organisation, User
from accounts.roles import PROVIDER_ROLES, AgentLevel, Role
from csm_portal.api import (
    FilterSet,
    IsoDateTimeFilter,
    ModelSerializer,
    PageNumberPagination,
    StrictBooleanField,
    StrictCharField,
)
from csm_portal.api_auth import require_role
from tickets import desk, desk_settings, kpi, selectors, sla, triage
from tickets.models import InboundMessage, SlaPolicy, Ticket, TicketEvent, TicketMessage

DESK = (Role.AGENT, Role.PROVIDER_ADMIN)
EVERYONE = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


class TicketSerializer(ModelSerializer):
    outcome = serializers.ChoiceField(
        choices=Ticket.Outcome.choices, allow_blank=True, read_only=True
    )
    minutes_left = serializers.SerializerMethodField(
        help_text="Support minutes to the deadline that matters now; negative once breached."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "organisation",
            "subject",
            "type",
            "category",
            "priority",
            "level",
            "owner",
            "status",
            "outcome",
            "requester_email",
            "linked_to",
            "activity_request",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_due",
            "resolution_due",
            "paused_since",
            "minutes_left",
        ]
        read_only_fields = fields

    def get_minutes_left(self, ticket: Ticket) -> int | None:
        return sla.clock(ticket, timezone.now())["left"]


# The list's rows without the serializer (issue 15: its per-field copies, lookups and time-zone
# conversions were most of a page's cost). ``ticket_json`` answers exactly what
# ``TicketSerializer`` answers (tests/tickets/test_api_speed.py compares them on random tickets).
def _list_plan() -> tuple[tuple[str, str, bool], ...]:
    """(key, attname, is an instant) of each model field the serializer answers, in its order."""
    plan = []
    for name in TicketSerializer.Meta.fields:
        if name == "minutes_left":
            continue
        field = Ticket._meta.get_field(name)
        plan.append((name, field.attname, isinstance(field, models.DateTimeField)))
    return tuple(plan)


_LIST_PLAN = _list_plan()
# The columns a page reads: the serializer's fields and what the clock (tickets.sla.clock)
# looks at.
LIST_COLUMNS = (
    *(attname for _key, attname, _is_instant in _LIST_PLAN),
    "first_response_warn_at",
    "resolution_warn_at",
)


def _instant(value, zone) -> str | None:
    """DRF's DateTimeField: in the active time zone, ISO 8601, UTC written "Z"."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_json(ticket: Ticket, *, now, zone) -> dict:
    """``TicketSerializer(ticket).data`` at the instant ``now``, built directly, keys in the
    serializer's order."""
    values = ticket.__dict__
    row = {
        key: _instant(values[attname], zone) if instant else values[attname]
        for key, attname, instant in _LIST_PLAN
    }
    row["minutes_left"] = sla.clock(ticket, now)["left"] if ticket.is_open else None
    return row


class TicketMessageSerializer(ModelSerializer):
    class Meta:
        model = TicketMessage
        fields = ["id", "direction", "author", "from_address", "body_text", "created_at"]
        read_only_fields = fields


class TicketEventSerializer(ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "contractual", "actor", "actor_label", "before", "after", "at"]
        read_only_fields = fields


class ReplySerializer(serializers.Serializer):
    body = StrictCharField(max_length=20000)
    internal = StrictBooleanField(default=False, help_text="Agents: an internal note.")
    wait = StrictBooleanField(
        default=False, help_text="Agents: wait on the customer (pauses the SLA clock)."
    )


class AgentField(ScopedRelatedField):
    def get_queryset(self) -> QuerySet:
        return selectors.desk_people()  # active agents and admins (SPEC S6)


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    type = serializers.ChoiceField(choices=Ticket.Type.choices, required=False)
    category = serializers.ChoiceField(choices=Ticket.Category.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    level = serializers.ChoiceField(choices=AgentLevel.choices, required=False)
    owner = AgentField(User, required=False)
    outcome = serializers.ChoiceField(choices=Ticket.Outcome.choices, required=False)


class TicketFilterSet(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    status = filters.ChoiceFilter(choices=Ticket.Status.choices)
    type = filters.ChoiceFilter(choices=Ticket.Type.choices)
    level = filters.ChoiceFilter(choices=AgentLevel.choices)
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Ticket
        fields: list[str] = []


class TicketCursorPagination(PageNumberPagination):
    """Pages of the ticket list by cursor (issue 15): ``?cursor=`` from the ``next`` and
    ``previous`` links, ``?page_size=`` 1 to 200. No count and no OFFSET: every page is one
    read of ``page_size + 1`` rows of the list's index, whatever the size of the desk. A cursor
    is only a place in the list; the tenant scope still decides which tickets there are."""

    cursor_query_param = "cursor"
    page_query_param = None

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.cursor_query_param, "")
        direction, _dot, position = raw.partition(".")
        if raw and (direction not in ("n", "p") or not position):
            raise ValidationError({self.cursor_query_param: [_("This cursor is not valid.")]})
        try:
            self.page = selectors.keyset_page(
                queryset,
                size=size,
                after=position if direction == "n" else "",
                before=position if direction == "p" else "",
            )
        except ValueError:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid.")]}
            ) from None
        return self.page.rows

    def _link(self, direction: str, position: str | None) -> str | None:
        if position is None:
            return None
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, f"{direction}.{position}"
        )

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self._link("n", self.page.after),
                "previous": self._link("p", self.page.before),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The cursor of the next or previous page, from those links.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Number of results per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# The query parameters the list's filter backends read (SearchFilter: ``search``).
_FILTER_PARAMETERS = frozenset((*TicketFilterSet.base_filters, api_settings.SEARCH_PARAM))


@extend_schema_view(
    list=extend_schema(summary="Tickets you can see, nearest deadline first (SPEC S5)"),
    retrieve=extend_schema(summary="One ticket"),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = EVERYONE
    write_roles = EVERYONE
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    pagination_class = TicketCursorPagination
    # The list keeps its own order (nearest deadline first), served by an index: no ?ordering=.
    filter_backends = [DjangoFilterBackend, SearchFilter]
    search_fields = ["number", "subject", "requester_email", "organisation__name"]

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        request = self.request._request
        tickets = selectors.ticket_list(tenancy=request.tenancy, user=request.user, status="")
        if self.action == "reply":
            return tickets.select_related(None).only("id")
        return tickets

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """The filters run when the list is asked for one of them (building the filter form
        was a tenth of a page's cost); a request naming none of them is the whole list."""
        if self.action == "list" and not _FILTER_PARAMETERS.intersection(self.request.query_params):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request: Request, *args, **kwargs) -> Response:
        """The serializer's JSON built directly from the columns it shows (issue 15): no
        joined organisation or owner (only their ids are shown), one clock instant per page."""
        tickets = self.filter_queryset(self.get_queryset()).select_related(None)
        page = self.paginate_queryset(tickets.only(*LIST_COLUMNS))
        now, zone = timezone.now(), timezone.get_current_timezone()
        return self.get_paginated_response([ticket_json(t, now=now, zone=zone) for t in page])

    @extend_schema(responses=TicketMessageSerializer(many=True), summary="The conversation")
    @action(
        detail=True,
        methods=["get"],
        url_path="messages",
        pagination_class=None,
        filter_backends=[],
    )
    def conversation(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        staff = request._request.tenancy.is_provider_staff
        messages = selectors.conversation(ticket, staff=staff)
        return Response(TicketMessageSerializer(messages, many=True).data)

    @extend_schema(responses=TicketEventSerializer(many=True), summary="History (SPEC S7)")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        events = ticket.events.order_by("at", "pk")
        if not request._request.tenancy.is_provider_staff:
            events = events.filter(contractual=True)
        return Response(TicketEventSerializer(events, many=True).data)

    @extend_schema(
        request=ReplySerializer,
        responses={201: TicketMessageSerializer},
        summary="Reply (agents: by mail, threaded; customers: in the portal)",
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        # The scoped lookup decides whether this person may reach the ticket (SPEC T1: a
        # foreign id is a 404); the reply locks and reads the row itself, so the lookup reads
        # its id only, nothing joined (issue 15).
        ticket = self.get_object()
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if request._request.tenancy.role not in DESK:
            data["internal"] = data["wait"] = False
        try:
            message = desk.ticket_reply(ticket=ticket, by=request.user, **data)
        except DjangoPermissionDenied as refusal:  # SPEC C5: expired contract; nothing written
            raise PermissionDenied(str(refusal)) from refusal
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TicketUpdateSerializer,
        responses=TicketSerializer,
        summary="Change status, type, priority, level, owner; close with an outcome (agents)",
    )
    @action(detail=True, methods=["post"], url_path="update")
    def change(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        require_role(request, *DESK)
        serializer = TicketUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            ticket = desk.ticket_update(ticket=ticket, by=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        return Response(TicketSerializer(ticket).data)


class HeldMessageSerializer(ModelSerializer):
    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "from_address",
            "subject",
            "received_at",
            "outcome",
            "reason",
            "organisation",
            "ticket",
        ]
        read_only_fields = fields


class OpenTicketSerializer(serializers.Serializer):
    organisation = ScopedRelatedField(Organisation)
    category = serializers.ChoiceField(choices=Ticket.Category.choices)


class DismissSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


@extend_schema_view(list=extend_schema(summary="Triage queue: messages held with their reason"))
class HeldMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = DESK
    write_roles = DESK
    serializer_class = HeldMessageSerializer

    def get_queryset(self) -> QuerySet[InboundMessage]:
        if getattr(self, "swagger_fake_view", False):
            return InboundMessage.objects.none()
        return selectors.held_messages().order_by("-received_at", "-pk")

    @extend_schema(
        request=OpenTicketSerializer, responses={201: TicketSerializer}, summary="Open a ticket"
    )
    @action(detail=True, methods=["post"], url_path="open-ticket")
    def open_ticket(self, request: Request, pk: str | None = None) -> Response:
        held = self.get_object()
        serializer = OpenTicketSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        ticket = triage.held_to_ticket(inbound=held, by=request.user, **serializer.validated_data)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DismissSerializer, responses=HeldMessageSerializer, summary="Not a ticket"
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        held = self.get_object()
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        held = triage.held_dismiss(
            inbound=held, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(HeldMessageSerializer(held).data)


class SlaPolicySerializer(ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "ticket_type",
            "priority",
            "contract",
            "first_response_minutes",
            "resolution_minutes",
            "warn_before_minutes",
        ]
        read_only_fields = ["id", "contract"]


@extend_schema_view(list=extend_schema(summary="SLA policies (targets in support minutes)"))
class SlaPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = DESK
    write_roles = (Role.PROVIDER_ADMIN,)
    serializer_class = SlaPolicySerializer

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        if getattr(self, "swagger_fake_view", False):
            return SlaPolicy.objects.none()
        return SlaPolicy.objects.filter(contract__isnull=True).order_by("ticket_type", "priority")

    def perform_create(self, serializer: serializers.Serializer) -> None:
        """The portal's rules (tickets.desk_settings.sla_policy_save): admins only, resolution
        not before first response, one general policy per type and priority."""
        data = serializer.validated_data
        serializer.instance = desk_settings.sla_policy_save(
            by=self.request.user,
            name=data["name"],
            ticket_type=data["ticket_type"],
            priority=data["priority"],
            first_response_minutes=data["first_response_minutes"],
            resolution_minutes=data["resolution_minutes"],
            warn_before_minutes=data.get("warn_before_minutes", 60),
        )


class KpiView(APIView):
    """Volumes, backlog and SLA compliance by customer and month (SPEC S9)."""

    read_roles = PROVIDER_ROLES
    write_roles = ()

    @extend_schema(responses={200: dict}, summary="Service-desk KPIs")
    def get(self, request: Request) -> Response:
        data = kpi.overview(months=6)
        for row in data["by_month"]:
            row["month"] = row["month"].isoformat()  # the first day of the month
        return Response(data)
