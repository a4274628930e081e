"""API resources of contracts: contracts with their balance, licence years, the hours ledger,
terms documents and acceptances (issue 5). Writes go through contracts.services, like the pages.
"""

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedRelatedField
from accounts.models import Organisation, User
from accounts.roles import PROVIDER_ROLES, Role
from accounts.selectors import cstm_choices
from contracts import selectors, services
from contracts.models import (
    Acceptance,
    Contract,
    HourPack,
    LedgerEntry,
    LicenceYear,
    SalesChannel,
    TermsDocument,
)
from csm_portal.api import FilterSet, ModelSerializer, StrictCharField
from csm_portal.api_auth import require_role
from csm_portal.idempotency import idempotent, once_schema

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
READERS = (*PROVIDER_ROLES, Role.REFERENT)
HOURS = {"max_digits": 8, "decimal_places": 2}


class ServiceLineSerializer(serializers.Serializer):
    name = StrictCharField(max_length=120)
    licences = serializers.IntegerField(min_value=1, max_value=10_000_000)


class ContractSerializer(ModelSerializer):
    services = ServiceLineSerializer(many=True, read_only=True)
    is_legacy = serializers.BooleanField(
        read_only=True, help_text="Signed before 2024-01-01 (SPEC C2)."
    )
    hours_per_year = serializers.DecimalField(**HOURS, coerce_to_string=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "organisation",
            "number",
            "sales_channel",
            "purchase_order",
            "platform_version",
            "signed_on",
            "starts_on",
            "expires_on",
            "hours_per_year",
            "cstm",
            "status",
            "is_legacy",
            "activated_at",
            "renewal_of",
            "created_at",
            "updated_at",
            "services",
        ]
        read_only_fields = fields


class CstmField(ScopedRelatedField):
    def get_queryset(self) -> QuerySet:
        return cstm_choices()


class ContractCreateSerializer(serializers.Serializer):
    organisation = ScopedRelatedField(Organisation)
    number = StrictCharField(max_length=50)
    sales_channel = serializers.ChoiceField(choices=SalesChannel.choices)
    purchase_order = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    platform_version = serializers.ChoiceField(choices=[1, 2], default=2)
    signed_on = serializers.DateField()
    starts_on = serializers.DateField()
    expires_on = serializers.DateField()
    hours_per_year = serializers.DecimalField(**HOURS, min_value=Decimal("0"))
    cstm = CstmField(
        User, required=False, allow_null=True, default=None, help_text="User id of a CSTM."
    )
    services = ServiceLineSerializer(many=True, required=False, default=list)


class RenewalSerializer(serializers.Serializer):
    number = StrictCharField(max_length=50)
    signed_on = serializers.DateField()
    expires_on = serializers.DateField()
    hours_per_year = serializers.DecimalField(**HOURS, min_value=Decimal("0"))
    purchase_order = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class CancellationSerializer(serializers.Serializer):
    notice_on = serializers.DateField()
    reason = StrictCharField(max_length=2000)


class BalanceSerializer(serializers.Serializer):
    licence_year = serializers.IntegerField(allow_null=True, help_text="Id of the licence year.")
    index = serializers.IntegerField(allow_null=True)
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    is_current = serializers.BooleanField()
    allocation = serializers.DecimalField(**HOURS)
    packs = serializers.DecimalField(**HOURS)
    charged = serializers.DecimalField(**HOURS)
    remaining = serializers.DecimalField(**HOURS)
    used_percent = serializers.IntegerField()


class ContractFilter(FilterSet):
    organisation = filters.NumberFilter(field_name="organisation_id")
    status = filters.ChoiceFilter(choices=Contract.Status.choices)
    sales_channel = filters.ChoiceFilter(choices=SalesChannel.choices)

    class Meta:
        model = Contract
        fields: list[str] = []


def _balance_payload(year: LicenceYear | None, today: date) -> dict:
    if year is None:
        zero = Decimal("0")
        return {
            "licence_year": None,
            "index": None,
            "starts_on": None,
            "ends_on": None,
            "is_current": False,
            "allocation": zero,
            "packs": zero,
            "charged": zero,
            "remaining": zero,
            "used_percent": 0,
        }
    balance = selectors.balance_of(year)
    return {
        "licence_year": year.pk,
        "index": year.index,
        "starts_on": year.starts_on,
        "ends_on": year.ends_on,
        "is_current": year.is_open_on(today),
        "allocation": balance.allocation,
        "packs": balance.packs,
        "charged": balance.charged,
        "remaining": balance.remaining,
        "used_percent": balance.used_percent,
    }


_HUNDREDTH = Decimal("0.01")


def balance_json(payload: dict) -> dict:
    """``BalanceSerializer(payload).data`` built directly (issue 15: the serializer's field
    copies and checks were most of this small answer's cost): hours as strings with two
    decimals, dates in ISO 8601, the rest as it is. ``tests/contracts/test_page_scale.py``
    checks both give the same JSON."""
    return {
        key: (
            format(value.quantize(_HUNDREDTH), "f")
            if isinstance(value, Decimal)
            else value.isoformat()
            if isinstance(value, date)
            else value
        )
        for key, value in payload.items()
    }


@extend_schema_view(
    list=extend_schema(summary="Contracts you can see"),
    retrieve=extend_schema(summary="One contract"),
    create=extend_schema(
        summary="Record a contract as a draft (admins, CSTMs)",
        request=ContractCreateSerializer,
        responses={201: ContractSerializer},
    ),
)
class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    search_fields = ["number", "purchase_order", "organisation__name"]
    ordering_fields = ["expires_on", "starts_on", "number", "updated_at"]

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):
            return Contract.objects.none()
        if self.action == "balance":
            # The contract is only looked up (scope, 404): no organisation, no service lines.
            return Contract.objects.only("pk", "organisation_id").order_by("expires_on", "pk")
        return (
            Contract.objects.select_related("organisation")
            .prefetch_related("services")
            .order_by("expires_on", "pk")
        )

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = ContractCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["services"] = [
            services.ServiceLine(s["name"], s["licences"]) for s in data["services"]
        ]
        contract = services.contract_create(**data)
        return Response(
            ContractSerializer(self.get_queryset().get(pk=contract.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        **once_schema(ContractSerializer),
        summary="Activate and email the terms (SPEC C3)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def activate(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        services.contract_activate(contract=contract, by=request.user)
        return Response(ContractSerializer(self.get_queryset().get(pk=contract.pk)).data)

    @extend_schema(
        responses=BalanceSerializer, summary="Hours of the current licence year (SPEC H10)"
    )
    @action(detail=True, methods=["get"])
    def balance(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        today = timezone.localdate()
        years = list(LicenceYear.objects.filter(contract=contract).order_by("index"))
        year = selectors.current_year(years, today) or (years[-1] if years else None)
        return Response(balance_json(_balance_payload(year, today)))

    @extend_schema(
        request=RenewalSerializer, responses={201: ContractSerializer}, summary="Renew (SPEC C5)"
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        serializer = RenewalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        renewal = services.contract_renew(
            contract=contract, by=request.user, **serializer.validated_data
        )
        return Response(
            ContractSerializer(self.get_queryset().get(pk=renewal.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=CancellationSerializer,
        responses={201: CancellationSerializer},
        summary="Cancel (C6)",
    )
    @action(detail=True, methods=["post"])
    def cancellation(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        serializer = CancellationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.cancellation_record(
            contract=contract, by=request.user, **serializer.validated_data
        )
        return Response(
            CancellationSerializer({"notice_on": notice.notice_on, "reason": notice.reason}).data,
            status=status.HTTP_201_CREATED,
        )


class LicenceYearSerializer(ModelSerializer):
    packs = serializers.DecimalField(**HOURS, source="packs_total", read_only=True)
    charged = serializers.DecimalField(**HOURS, source="charged_total", read_only=True)
    remaining = serializers.DecimalField(**HOURS, source="remaining_total", read_only=True)

    class Meta:
        model = LicenceYear
        fields = [
            "id",
            "contract",
            "index",
            "starts_on",
            "ends_on",
            "allocation",
            "packs",
            "charged",
            "remaining",
            "lapsed_at",
        ]
        read_only_fields = fields


class PackSerializer(ModelSerializer):
    hours = serializers.DecimalField(**HOURS, min_value=Decimal("8"))
    purchase_order = StrictCharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        model = HourPack
        fields = ["id", "licence_year", "hours", "purchase_order", "created_at"]
        read_only_fields = ["id", "licence_year", "created_at"]


class LicenceYearFilter(FilterSet):
    contract = filters.NumberFilter(field_name="contract_id")

    class Meta:
        model = LicenceYear
        fields: list[str] = []


@extend_schema_view(list=extend_schema(summary="Licence years with their balances"))
class LicenceYearViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = (Role.PROVIDER_ADMIN,)
    serializer_class = LicenceYearSerializer
    filterset_class = LicenceYearFilter

    def get_queryset(self) -> QuerySet[LicenceYear]:
        if getattr(self, "swagger_fake_view", False):
            return LicenceYear.objects.none()
        return (
            selectors.licence_years_with_balances()
            .exclude(contract__status=Contract.Status.DRAFT)
            .order_by("contract_id", "index")
        )

    @extend_schema(
        request=PackSerializer,
        **once_schema({201: PackSerializer}),
        summary="Add extra hours (admins, H2)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def packs(self, request: Request, pk: str | None = None) -> Response:
        year = self.get_object()
        require_role(request, Role.PROVIDER_ADMIN)
        serializer = PackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pack = services.pack_add(licence_year=year, by=request.user, **serializer.validated_data)
        return Response(PackSerializer(pack).data, status=status.HTTP_201_CREATED)


class LedgerEntrySerializer(ModelSerializer):
    hours = serializers.DecimalField(**HOURS, read_only=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "licence_year",
            "kind",
            "hours",
            "description",
            "explanation",
            "occurred_on",
            "reverses",
            "created_at",
        ]
        read_only_fields = fields


class ReversalSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class LedgerFilter(FilterSet):
    licence_year = filters.NumberFilter(field_name="licence_year_id")
    contract = filters.NumberFilter(field_name="licence_year__contract_id")
    kind = filters.ChoiceFilter(choices=LedgerEntry.Kind.choices)

    class Meta:
        model = LedgerEntry
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="The hours ledger: every charge and correction, and why")
)
class LedgerEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = MANAGERS
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerFilter

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return LedgerEntry.objects.order_by("-occurred_on", "-pk")

    @extend_schema(
        request=ReversalSerializer,
        **once_schema({201: LedgerEntrySerializer}),
        summary="Correct a charge (H9)",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.ledger_reverse(
            entry=entry, reason=serializer.validated_data["reason"], by=request.user
        )
        return Response(LedgerEntrySerializer(reversal).data, status=status.HTTP_201_CREATED)


class TermsDocumentSerializer(ModelSerializer):
    class Meta:
        model = TermsDocument
        fields = ["id", "kind", "version", "published_at"]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="Published EULA, SLA and data-processing versions"))
class TermsDocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_roles = tuple(Role.values)
    write_roles = ()
    serializer_class = TermsDocumentSerializer

    def get_queryset(self) -> QuerySet[TermsDocument]:
        return TermsDocument.objects.order_by("kind", "-published_at", "-pk")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY}, summary="Download the PDF"
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{document.kind}-{document.version}.pdf",
            content_type="application/pdf",
        )


class AcceptanceSerializer(ModelSerializer):
    class Meta:
        model = Acceptance
        fields = ["id", "organisation", "document", "accepted_by", "accepted_at", "ip_address"]
        read_only_fields = fields


class AcceptRequestSerializer(serializers.Serializer):
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=10,
        help_text="Ids of the pending documents you accept: all of them (SPEC C4).",
    )


@extend_schema_view(
    list=extend_schema(summary="Acceptances of the terms (who, when, which versions, from where)"),
    create=extend_schema(
        summary="Accept the pending documents (referents)",
        request=AcceptRequestSerializer,
        responses={201: AcceptanceSerializer(many=True)},
    ),
)
class AcceptanceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    read_roles = READERS
    write_roles = (Role.REFERENT,)
    serializer_class = AcceptanceSerializer

    def get_queryset(self) -> QuerySet[Acceptance]:
        if getattr(self, "swagger_fake_view", False):
            return Acceptance.objects.none()
        return Acceptance.objects.order_by("-accepted_at", "-pk")

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = AcceptRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = request._request.tenancy.membership.organisation
        pending = services.pending_documents(organisation=organisation)
        if sorted(d.pk for d in pending) != sorted(set(serializer.validated_data["documents"])):
            message = _("Accept exactly the documents still pending for your organisation.")
            raise serializers.ValidationError({"documents": [message]})
        accepted = services.terms_accept(
            organisation=organisation,
            documents=pending,
            user=request.user,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response(
            AcceptanceSerializer(accepted, many=True).data, status=status.HTTP_201_CREATED
        )
