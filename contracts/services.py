"""Writes on contracts, hours and terms. Each service validates first and changes everything in
one transaction, so bad input writes nothing."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from contracts import domain
from contracts.models import (
    MINIMUM_PACK_HOURS,
    Acceptance,
    CancellationNotice,
    Contract,
    ContractService,
    HourPack,
    IdempotencyKey,
    LedgerEntry,
    LicenceYear,
    SalesChannel,
    TermsDocument,
)
from csm_portal import formatting

# Plausible contract dates; anything else is a typing error (and would make thousands of years).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_CONTRACT_DAYS = 10 * 366


@dataclass(frozen=True)
class ServiceLine:
    name: str
    licences: int


def _validate_terms(
    *,
    organisation: Organisation,
    number: str,
    sales_channel: str,
    signed_on: date,
    starts_on: date,
    expires_on: date,
    hours_per_year: Decimal,
    cstm: User | None,
    services: list[ServiceLine],
    contract: Contract | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    for field, day in (
        ("signed_on", signed_on),
        ("starts_on", starts_on),
        ("expires_on", expires_on),
    ):
        if not EARLIEST <= day <= LATEST:
            errors.setdefault(field, []).append(
                _("Give a date between %(start)s and %(end)s.")
                % {"start": EARLIEST.year, "end": LATEST.year}
            )
    if (expires_on - starts_on).days > MAX_CONTRACT_DAYS:
        errors.setdefault("expires_on", []).append(_("A contract lasts at most ten years."))
    if organisation.is_provider:
        errors.setdefault("organisation", []).append(
            _("Contracts belong to customer organisations.")
        )
    if expires_on <= starts_on:
        errors.setdefault("expires_on", []).append(
            _("The expiry date must come after the activation date.")
        )
    if signed_on > starts_on:
        errors.setdefault("signed_on", []).append(_("A contract is signed before it is activated."))
    if hours_per_year < 0:
        errors.setdefault("hours_per_year", []).append(_("Hours cannot be negative."))
    if sales_channel == SalesChannel.MSP and hours_per_year != 0:
        # SPEC C2: MSP-partner contracts have no CSM hours.
        errors.setdefault("hours_per_year", []).append(
            _("MSP-partner contracts have no CSM hours.")
        )
    duplicate = Contract.objects.with_scopes_disabled().filter(number__iexact=number.strip())
    if contract is not None:
        duplicate = duplicate.exclude(pk=contract.pk)
    if not number.strip():
        errors.setdefault("number", []).append(_("The contract number is required."))
    elif duplicate.exists():
        errors.setdefault("number", []).append(_("Another contract has this number."))
    if cstm is not None:
        membership = Membership.objects.with_scopes_disabled().filter(user=cstm).first()
        if membership is None or membership.role != Role.CSTM:
            errors.setdefault("cstm", []).append(_("Choose a CSTM."))
    if hours_per_year > 0 and expires_on > starts_on:
        # Two budgets running at once would make "the current licence year" ambiguous (H1, H10).
        clash = (
            Contract.objects.with_scopes_disabled()
            .filter(
                organisation=organisation,
                hours_per_year__gt=0,
                starts_on__lte=expires_on,
                expires_on__gte=starts_on,
            )
            .exclude(status=Contract.Status.CLOSED)
        )
        if contract is not None:
            clash = clash.exclude(pk=contract.pk)
        other = clash.values_list("number", flat=True).first()
        if other:
            errors.setdefault("starts_on", []).append(
                _("These dates overlap the licence years of contract %(number)s.")
                % {"number": other}
            )
    for line in services:
        if not line.name.strip() or line.licences < 1:
            errors.setdefault("services", []).append(
                _("Each service needs a name and at least one licence.")
            )
            break
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contract_create(
    *,
    organisation: Organisation,
    number: str,
    sales_channel: str,
    signed_on: date,
    starts_on: date,
    expires_on: date,
    hours_per_year: Decimal,
    purchase_order: str = "",
    platform_version: int = 2,
    cstm: User | None = None,
    services: list[ServiceLine] | None = None,
    renewal_of: Contract | None = None,
    notes: str = "",
) -> Contract:
    """Record a contract (SPEC C1) with its licence years, each with its allocation (H1).
    Legacy contracts (signed before 2024) keep exactly the terms recorded here (C2)."""
    services = services or []
    hours_per_year = Decimal(hours_per_year)
    _validate_terms(
        organisation=organisation,
        number=number,
        sales_channel=sales_channel,
        signed_on=signed_on,
        starts_on=starts_on,
        expires_on=expires_on,
        hours_per_year=hours_per_year,
        cstm=cstm,
        services=services,
    )
    if renewal_of is not None:
        _validate_renewal(renewal_of=renewal_of, organisation=organisation, starts_on=starts_on)
    contract = Contract(
        organisation=organisation,
        number=number.strip(),
        sales_channel=sales_channel,
        purchase_order=purchase_order.strip(),
        platform_version=platform_version,
        signed_on=signed_on,
        starts_on=starts_on,
        expires_on=expires_on,
        hours_per_year=hours_per_year,
        cstm=cstm,
        renewal_of=renewal_of,
        notes=notes,
    )
    contract.full_clean(validate_unique=False)
    contract.save()
    ContractService.objects.bulk_create(
        ContractService(
            contract=contract, organisation=organisation, name=s.name.strip(), licences=s.licences
        )
        for s in services
    )
    _create_licence_years(contract)
    return contract


def _create_licence_years(contract: Contract) -> None:
    periods = domain.licence_year_periods(contract.starts_on, contract.expires_on)
    if domain.periods_overlap(periods):  # cannot happen with computed periods; guards edits
        raise ValidationError(_("Licence years must not overlap."))
    LicenceYear.objects.bulk_create(
        LicenceYear(
            contract=contract,
            organisation=contract.organisation,
            index=i,
            starts_on=start,
            ends_on=end,
            allocation=contract.hours_per_year,
        )
        for i, (start, end) in enumerate(periods, start=1)
    )


def _validate_renewal(*, renewal_of: Contract, organisation: Organisation, starts_on: date) -> None:
    if renewal_of.organisation_id != organisation.pk:
        raise ValidationError({"renewal_of": _("A renewal belongs to the same organisation.")})
    if hasattr(renewal_of, "renewal") and renewal_of.renewal is not None:
        raise ValidationError({"renewal_of": _("This contract was already renewed.")})
    if renewal_of.status in (Contract.Status.CLOSED,):
        raise ValidationError(
            {"renewal_of": _("A closed contract cannot be renewed; record a new contract.")}
        )


@transaction.atomic
def contract_renew(
    *,
    contract: Contract,
    number: str,
    signed_on: date,
    expires_on: date,
    hours_per_year: Decimal,
    purchase_order: str = "",
    by: User | None = None,
) -> Contract:
    """A renewal continues from the day after expiry with no gap (SPEC C5), same services."""
    from datetime import timedelta

    services = [ServiceLine(s.name, s.licences) for s in contract.services.all()]
    return contract_create(
        organisation=contract.organisation,
        number=number,
        sales_channel=contract.sales_channel,
        signed_on=signed_on,
        starts_on=contract.expires_on + timedelta(days=1),
        expires_on=expires_on,
        hours_per_year=hours_per_year,
        purchase_order=purchase_order,
        platform_version=contract.platform_version,
        cstm=contract.cstm,
        services=services,
        renewal_of=contract,
    )


def referent_of(organisation: Organisation) -> User | None:
    membership = (
        Membership.objects.with_scopes_disabled()
        .select_related("user")
        .filter(organisation=organisation, role=Role.REFERENT, user__is_active=True)
        .order_by("created_at")
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def contract_activate(*, contract: Contract, by: User | None) -> Contract:
    """Activate a contract and email its terms to the referent (SPEC C3): activation and
    expiry dates, CSM hours, purchase order, services and licences, the portal link; never a
    password, only a one-time link to set one when the referent has none yet."""
    from accounts.services import issue_set_password_link

    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != Contract.Status.DRAFT:
        raise ValidationError(_("Only a draft contract can be activated."))
    referent = referent_of(locked.organisation)
    if referent is None:
        raise ValidationError(
            _("Invite the organisation's service referent before activating the contract.")
        )
    locked.status = Contract.Status.ACTIVE
    locked.activated_at = timezone.now()
    locked.save(update_fields=["status", "activated_at", "updated_at"])
    set_password_link = ""
    if not referent.has_usable_password():
        set_password_link = issue_set_password_link(
            user=referent, organisation=locked.organisation, by=by
        )
    years = list(locked.licence_years.all())
    services = list(locked.services.all())
    portal = settings.PORTAL_BASE_URL.rstrip("/") + reverse("home")

    def send() -> None:
        with translation.override(referent.language):
            context = {
                "contract": locked,
                "referent": referent,
                "years": years,
                "services": services,
                "portal": portal,
                "set_password_link": set_password_link,
            }
            subject = _("Your contract %(number)s is active") % {"number": locked.number}
            body = render_to_string("contracts/email/activation.txt", context)
        send_mail(subject, body, None, [referent.email])

    transaction.on_commit(send)
    return locked


@transaction.atomic
def pack_add(
    *, licence_year: LicenceYear, hours: Decimal, purchase_order: str = "", by: User | None
) -> HourPack:
    """Extra hours for one licence year, at least 8 (SPEC H2)."""
    hours = Decimal(hours)
    if hours < MINIMUM_PACK_HOURS:
        raise ValidationError(
            {"hours": _("A pack has at least %(min)s hours.") % {"min": MINIMUM_PACK_HOURS}}
        )
    year = (
        LicenceYear.objects.select_for_update().select_related("contract").get(pk=licence_year.pk)
    )
    if year.lapsed_at is not None or year.ends_on < timezone.localdate():
        raise ValidationError(_("This licence year has ended: its hours have lapsed."))
    if not year.contract.has_csm_hours and year.contract.sales_channel == SalesChannel.MSP:
        raise ValidationError(_("MSP-partner contracts have no CSM hours."))
    return HourPack.objects.create(
        licence_year=year,
        organisation=year.organisation,
        hours=hours,
        purchase_order=purchase_order.strip(),
        added_by=by,
    )


def _check_year_open(year: LicenceYear, occurred_on: date) -> None:
    if year.contract.status not in (Contract.Status.ACTIVE, Contract.Status.RENEWED):
        raise ValidationError(_("Hours can only be charged on an active contract."))
    if year.lapsed_at is not None or not year.is_open_on(occurred_on):
        raise ValidationError(
            _("This licence year is closed: charge the year the work belongs to.")
        )


@transaction.atomic
def ledger_charge(
    *,
    licence_year: LicenceYear,
    hours: Decimal,
    description: str,
    occurred_on: date,
    explanation: str = "",
    by: User | None,
    overdraft_allowed: Decimal | None = Decimal("0"),
) -> LedgerEntry:
    """Append a charge to the ledger (SPEC H9). The licence-year row is locked so concurrent
    charges see each other's effect: a charge that would take the year below
    ``-overdraft_allowed`` hours is refused (``None``: no check, for recording past work)."""
    hours = Decimal(hours)
    if hours <= 0:
        raise ValidationError({"hours": _("Charged hours must be more than zero.")})
    year = (
        LicenceYear.objects.select_for_update().select_related("contract").get(pk=licence_year.pk)
    )
    _check_year_open(year, occurred_on)
    if not year.contract.has_csm_hours:
        raise ValidationError(_("This contract has no CSM hours to charge."))
    if overdraft_allowed is not None:
        # The row was just read under its lock: its stored totals are current (issue 15).
        remaining = year.allocation + year.pack_hours - year.charged_hours
        if remaining - hours < -overdraft_allowed:
            raise ValidationError(
                _(
                    "This charge of %(hours)s h would take the licence year to %(after)s h. "
                    "An admin must approve the overrun, or a pack of hours must be added first."
                )
                % {"hours": formatting.hours(hours), "after": formatting.hours(remaining - hours)}
            )
    return LedgerEntry.objects.create(
        licence_year=year,
        organisation_id=year.organisation_id,
        kind=LedgerEntry.Kind.CHARGE,
        hours=hours,
        description=description,
        explanation=explanation,
        occurred_on=occurred_on,
        created_by=by,
    )


def year_remaining(year: LicenceYear) -> Decimal:
    """Allocation + packs − net charges of one licence year, read now (call under its lock)."""
    from contracts.selectors import licence_years_with_balances

    return licence_years_with_balances().get(pk=year.pk).remaining_total


@transaction.atomic
def ledger_reverse(*, entry: LedgerEntry, reason: str, by: User | None) -> LedgerEntry:
    """Correct a charge with a reversing entry, never by editing it (SPEC H9)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the charge is corrected.")})
    original = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if original.kind != LedgerEntry.Kind.CHARGE:
        raise ValidationError(_("Only a charge can be reversed."))
    if LedgerEntry.objects.filter(reverses=original).exists():
        raise ValidationError(_("This charge was already reversed."))
    return LedgerEntry.objects.create(
        licence_year=original.licence_year,
        organisation=original.organisation,
        kind=LedgerEntry.Kind.REVERSAL,
        hours=-original.hours,
        description=original.description,
        explanation=reason.strip(),
        occurred_on=timezone.localdate(),
        reverses=original,
        created_by=by,
    )


@transaction.atomic
def terms_document_publish(
    *, kind: str, version: str, file: UploadedFile, by: User | None
) -> TermsDocument:
    """A new version of the EULA, SLA or data-processing appointment: referents must accept it
    before anything else proceeds (SPEC C4). Only real PDFs up to 10 MB are kept (the model
    field's validator, ``contracts.models.validate_pdf``, which Django admin runs too)."""
    errors: dict[str, list[str]] = {}
    if kind not in TermsDocument.Kind.values:
        errors["kind"] = [_("Choose the document.")]
    if not version.strip():
        errors["version"] = [_("Give the version.")]
    elif TermsDocument.objects.filter(kind=kind, version=version.strip()).exists():
        errors["version"] = [_("This version was already published.")]
    document = TermsDocument(kind=kind, version=version.strip(), file=file, uploaded_by=by)
    try:
        document.full_clean(exclude=[*errors], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    document.save()
    return document


def current_documents() -> list[TermsDocument]:
    """The latest version of each kind of document."""
    latest: dict[str, TermsDocument] = {}
    for document in TermsDocument.objects.order_by("kind", "-published_at", "-pk"):
        latest.setdefault(document.kind, document)
    return list(latest.values())


def pending_documents(*, organisation: Organisation) -> list[TermsDocument]:
    accepted = set(
        Acceptance.objects.filter(organisation=organisation).values_list("document_id", flat=True)
    )
    return [d for d in current_documents() if d.pk not in accepted]


@transaction.atomic
def terms_accept(
    *,
    organisation: Organisation,
    documents: list[TermsDocument],
    user: User,
    ip_address: str | None,
    user_agent: str = "",
) -> list[Acceptance]:
    """Record the referent's acceptance of the current versions (SPEC C4)."""
    if not documents:
        raise ValidationError(_("There is nothing to accept."))
    already = Acceptance.objects.filter(organisation=organisation, document__in=documents)
    if already.exists():
        raise ValidationError(_("These terms were already accepted."))
    return [
        Acceptance.objects.create(
            organisation=organisation,
            document=document,
            accepted_by=user,
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
        for document in documents
    ]


@transaction.atomic
def cancellation_record(
    *, contract: Contract, notice_on: date, reason: str, by: User | None
) -> CancellationNotice:
    """Record a cancellation notice; the customer joins the win-back list (SPEC C6)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Record the reason for the cancellation.")})
    if CancellationNotice.objects.filter(contract=contract).exists():
        raise ValidationError(_("A cancellation notice is already recorded for this contract."))
    return CancellationNotice.objects.create(
        contract=contract,
        organisation=contract.organisation,
        notice_on=notice_on,
        reason=reason.strip(),
        recorded_by=by,
    )


@transaction.atomic
def win_back_record(
    *,
    notice: CancellationNotice,
    outcome: str,
    by: User,
    won_back_on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> CancellationNotice:
    """SPEC C6: the outcome of the win-back of a cancelled customer (pending, won back, not won
    back). "Won back" needs the day it happened: not in the future, not before the notice. The
    notes are kept as they are when ``note`` is None. Staff may record it whatever the state of
    the contract: a cancelled customer is often expired or closed, and that is the point."""
    from accounts.tenancy import tenancy_for

    if tenancy_for(by).role not in (Role.PROVIDER_ADMIN, Role.CSTM):
        raise ValidationError(_("Only CSTMs and admins can do this."))
    today = today or timezone.localdate()
    locked = CancellationNotice.objects.select_for_update().get(pk=notice.pk)
    errors: dict[str, list[str]] = {}
    if outcome not in CancellationNotice.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if outcome == CancellationNotice.Outcome.WON_BACK:
        if won_back_on is None:
            errors["won_back_on"] = [_("Give the day the customer was won back.")]
        elif won_back_on > today:
            errors["won_back_on"] = [
                _("The day the customer was won back cannot be in the future.")
            ]
        elif won_back_on < locked.notice_on:
            errors["won_back_on"] = [
                _("The customer cannot be won back before the cancellation notice (%(day)s).")
                % {"day": locked.notice_on.isoformat()}
            ]
    elif won_back_on is not None:
        errors["won_back_on"] = [_("A date is recorded only when the customer is won back.")]
    if note is not None and len(note) > 10000:
        errors["note"] = [_("At most %(n)s characters.") % {"n": 10000}]
    if errors:
        raise ValidationError(errors)
    locked.outcome = outcome
    locked.won_back_on = won_back_on if outcome == CancellationNotice.Outcome.WON_BACK else None
    if note is not None:
        locked.win_back_note = note.strip()
    locked.outcome_recorded_by = by
    locked.outcome_recorded_at = timezone.now()
    locked.save()
    return locked


IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """SPEC L5: the keys that make a write happen once are kept 24 hours, then deleted (daily).
    Safe to run twice or concurrently: it only deletes what is old enough."""
    now = now or timezone.now()
    deleted, _counts = IdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_KEY_LIFETIME
    ).delete()
    return deleted
