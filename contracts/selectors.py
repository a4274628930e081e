"""Reads on contracts and hours, through the scoped managers (SPEC T1). Balances are read from the
running totals stored on each licence year, so pages use a constant number of queries and no
query sums the ledger."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from contracts import domain
from contracts.models import (
    Acceptance,
    CancellationNotice,
    Contract,
    LedgerEntry,
    LicenceYear,
    TermsDocument,
)

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=10, decimal_places=2))


def licence_years_with_balances() -> QuerySet[LicenceYear]:
    """Licence years annotated with ``packs_total`` and ``charged_total`` (charges net of
    reversals), exact decimals (SPEC H9). Both are the running totals PostgreSQL keeps on the
    licence-year row with every pack and ledger write (migration 0006): reading a balance costs
    the same with 10 or 10,000 ledger entries."""
    return LicenceYear.objects.annotate(
        packs_total=F("pack_hours"), charged_total=F("charged_hours")
    ).annotate(remaining_total=F("allocation") + F("pack_hours") - F("charged_hours"))


def balance_of(year: LicenceYear) -> domain.Balance:
    """The balance of a licence year from its stored running totals (the annotations of
    ``licence_years_with_balances`` are the same columns: any licence-year row will do)."""
    return domain.Balance(
        allocation=year.allocation, packs=year.pack_hours, charged=year.charged_hours
    )


def contract_list(
    *, search: str = "", status: str = "", today: date | None = None
) -> QuerySet[Contract]:
    """Contracts in scope, each with its current licence year and balance attached."""
    today = today or timezone.localdate()
    current = LicenceYear.objects.filter(starts_on__lte=today, ends_on__gte=today)
    queryset = (
        Contract.objects.select_related("organisation", "cstm")
        .prefetch_related(Prefetch("licence_years", queryset=current, to_attr="current_years"))
        .order_by("expires_on", "number")
    )
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(
            Q(number__icontains=search)
            | Q(organisation__name__icontains=search)
            | Q(purchase_order__icontains=search)
        )
    return queryset


class IdsFirst:
    """A queryset paged in two steps (issue 15): the page's ids in the list's order, from the
    narrow rows of one table and its index; then those rows with their relations and prefetches.
    Deep pages then never sort the wide joined rows of every contract. Give it to a Paginator."""

    ordered = True

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list:
        ids = list(
            self.queryset.select_related(None)
            .prefetch_related(None)
            .values_list("pk", flat=True)[item]
        )
        rows = {row.pk: row for row in self.queryset.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


def contract_get(*, contract_id: int) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("organisation", "cstm", "renewal_of"), pk=contract_id
    )


def contract_years(*, contract: Contract) -> list[LicenceYear]:
    return list(licence_years_with_balances().filter(contract=contract).order_by("index"))


def ledger_of(*, licence_year: LicenceYear) -> QuerySet[LedgerEntry]:
    """The ledger of a licence year for those who may correct it (each charge knows whether it
    was reversed)."""
    return (
        LedgerEntry.objects.filter(licence_year=licence_year)
        .select_related("created_by", "reverses")
        .prefetch_related("reversed_by")
        .order_by("-occurred_on", "-pk")
    )


LEDGER_ROW_FIELDS = ("pk", "kind", "hours", "description", "explanation", "occurred_on")


def ledger_rows(*, licence_year: LicenceYear) -> QuerySet:
    """The ledger of a licence year as plain rows, for reading only (the referent's hours page,
    issue 15): the columns the page shows, from the ledger table alone, newest first."""
    return (
        LedgerEntry.objects.filter(licence_year=licence_year)
        .order_by("-occurred_on", "-pk")
        .values(*LEDGER_ROW_FIELDS)
    )


def licence_year_get(*, licence_year_id: int) -> LicenceYear:
    return get_object_or_404(
        licence_years_with_balances().select_related("contract", "contract__organisation"),
        pk=licence_year_id,
    )


def ledger_entry_get(*, entry_id: int) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.select_related("licence_year__contract"), pk=entry_id
    )


def hours_overview(*, organisation: Organisation, today: date | None = None) -> list[LicenceYear]:
    """Every licence year of the organisation's contracts (newest first) with its contract; its
    balance is ``balance_of`` (the stored totals)."""
    return list(
        LicenceYear.objects.filter(contract__organisation=organisation)
        .exclude(contract__status=Contract.Status.DRAFT)
        .select_related("contract")
        .order_by("-starts_on", "-pk")
    )


def current_year_of(*, organisation_id: int, today: date) -> dict | None:
    """The licence year open today among the organisation's contracts (not drafts), as a plain
    row with its stored totals: the year ``current_year(hours_overview(...))`` finds, in one
    narrow query (the referent's home, issue 15)."""
    return (
        LicenceYear.objects.filter(
            contract__organisation_id=organisation_id, starts_on__lte=today, ends_on__gte=today
        )
        .exclude(contract__status=Contract.Status.DRAFT)
        .order_by("-starts_on", "-pk")
        .values("pk", "starts_on", "ends_on", "allocation", "pack_hours", "charged_hours")
        .first()
    )


def current_year(years: list[LicenceYear], today: date | None = None) -> LicenceYear | None:
    today = today or timezone.localdate()
    return next((y for y in years if y.is_open_on(today)), None)


def win_back_list() -> QuerySet[CancellationNotice]:
    """Pending win-backs first, then the latest notices (SPEC C6)."""
    pending_first = Case(
        When(outcome=CancellationNotice.Outcome.PENDING, then=Value(0)), default=Value(1)
    )
    return CancellationNotice.objects.select_related(
        "contract", "organisation", "recorded_by", "outcome_recorded_by"
    ).order_by(pending_first, "-notice_on", "-pk")


def terms_documents() -> QuerySet[TermsDocument]:
    return TermsDocument.objects.select_related("uploaded_by").order_by("kind", "-published_at")


def terms_document_get(*, document_id: int) -> TermsDocument:
    return get_object_or_404(TermsDocument.objects.all(), pk=document_id)


def acceptances_of(*, organisation: Organisation) -> list[Acceptance]:
    return list(
        Acceptance.objects.filter(organisation=organisation)
        .select_related("document", "accepted_by")
        .order_by("-accepted_at")
    )


def terms_accepted(organisation: Organisation) -> bool:
    """SPEC C4: has the organisation accepted the latest version of every terms document? Until
    it has, nothing proceeds: no kick-off is scheduled, logged or completed (activities,
    onboarding). With no document published there is nothing to accept. One statement (issue
    15): is there a latest document (no newer one of its kind) the organisation has not
    accepted?"""
    newer = TermsDocument.objects.filter(kind=OuterRef("kind")).filter(
        Q(published_at__gt=OuterRef("published_at"))
        | Q(published_at=OuterRef("published_at"), pk__gt=OuterRef("pk"))
    )
    accepted = Acceptance.objects.filter(organisation=organisation, document=OuterRef("pk"))
    return not (TermsDocument.objects.filter(~Exists(newer)).filter(~Exists(accepted)).exists())


def terms_refusal(organisation: Organisation) -> str:
    """SPEC C4, the one check for everything that proceeds (scheduling, logging, completing,
    meetings and their minutes): "" once the referent accepted the current terms, else why not,
    in the active language."""
    if terms_accepted(organisation):
        return ""
    return _(
        "The referent has not accepted the current terms yet: nothing can be scheduled, "
        "logged or completed until they do."
    )
