"""Writes of the SIEM workshops' hub and sizing (SPEC W2, C4, C5): thin wrappers that check who
writes and for which customer, validate everything first and write in one transaction.

- Workshops are created by CSTMs and admins for a customer that may still be written for (C5).
- The sizing (log sources, constants, retention and tiers) is saved whole: every problem is
  reported at once in the user's language and nothing is written on any (SPEC W2 bad input).
- Workshop meetings are ordinary meetings of kind SIEM scheduled through the library's service,
  so invitations, minutes and the activity request they are charged on work as for the kick-off.
- The log-source catalogue and the pricing are provider-wide, edited by admins only."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from activities.models import ActivityRequest
from onboarding.library import services as library
from onboarding.models import LogSourceType, Meeting, SiemLogSource, SiemPricing, SiemWorkshop
from onboarding.siem import sizing
from onboarding.siem.access import MANAGERS
from onboarding.siem.catalogue_seed import rows as seed_rows

MAX_SOURCES = 200
MAX_DEVICES = 2_000_000
MAX_FIGURE = Decimal("9999999999")  # what the database keeps (14 digits, 4 decimals)


def _check_manager(by: User) -> None:
    if tenancy_for(by).role not in MANAGERS:
        raise ValidationError(_("Only CSTMs and admins can do this."))


def _check_admin(by: User) -> None:
    if tenancy_for(by).role != Role.PROVIDER_ADMIN:
        raise ValidationError(_("Only admins can change the SIEM catalogue and prices."))


def _check_writable(organisation: Organisation) -> None:
    """SPEC C5: nothing new for a customer past expiry (read-only, then closed)."""
    if organisation.kind != Organisation.Kind.CUSTOMER:
        raise ValidationError(_("SIEM workshops belong to a customer organisation."))
    if refusal := customer_write_refusal(organisation):
        raise ValidationError(refusal)


# --------------------------------------------------------------------------- workshops


@transaction.atomic
def workshop_create(*, organisation: Organisation, title: str, by: User) -> SiemWorkshop:
    """A CSTM or admin opens a SIEM onboarding workshop for a customer, with the documented
    default constants (SPEC W1–W6)."""
    _check_manager(by)
    _check_writable(organisation)
    title = title.strip()
    if not title:
        raise ValidationError({"title": [_("Give the workshop a title.")]})
    if len(title) > 200:
        raise ValidationError({"title": [_("At most 200 characters.")]})
    workshop = SiemWorkshop(organisation=organisation, title=title, created_by=by)
    workshop.full_clean()
    workshop.save()
    return workshop


# --------------------------------------------------------------------------- sizing


@dataclass(frozen=True)
class SizingInput:
    """What the sizing form or the API gives, validated: the sources for the calculator (and
    their catalogue type), the constants and the retention."""

    sources: list[sizing.LogSource]
    types: list[LogSourceType | None]
    constants: dict[str, Decimal]
    retention_months: int
    hot_days: int
    warm_days: int

    def calculator_constants(self) -> sizing.Constants:
        return sizing.constants_from(self.constants)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def sizing_input(
    *,
    sources: list[dict],
    constants: dict[str, Any],
    retention_months: Any,
    hot_days: Any,
    warm_days: Any,
) -> SizingInput:
    """Check every input of the sizing (SPEC W2): negative counts, zero event sizes, retention
    0 or over 60 months, hot and warm days beyond the retention, constants that are no number
    or not whole where they must be. Raises one ValidationError with every message by field
    (``sources.<n>``, the constant's name…); an EPS or event size left blank takes the type's
    typical figure."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if len(sources) > MAX_SOURCES:
        add("sources", _("At most %(n)s log sources.") % {"n": MAX_SOURCES})
    calculator_sources: list[sizing.LogSource] = []
    types: list[LogSourceType | None] = []
    for index, row in enumerate(sources[:MAX_SOURCES]):
        where = f"sources.{index}"
        kind = row.get("source_type")
        name = str(row.get("name") or "").strip() or (kind.name if kind else "")
        label = name or _("Row %(n)s") % {"n": index + 1}
        if not name:
            add(where, _("%(name)s: choose the type of log source or name it.") % {"name": label})
        elif len(name) > 120:
            add(where, _("%(name)s: at most 120 characters.") % {"name": label[:40]})
        devices = _number(row.get("devices"))
        eps = _number(row.get("eps_per_device"))
        size = _number(row.get("event_bytes"))
        if eps is None and row.get("eps_per_device") in (None, "") and kind is not None:
            eps = kind.typical_eps_per_device
        if size is None and row.get("event_bytes") in (None, "") and kind is not None:
            size = kind.average_event_bytes
        problems = [
            (devices, _("%(name)s: give the number of devices.")),
            (eps, _("%(name)s: give the events per second per device.")),
            (size, _("%(name)s: give the event size in bytes.")),
        ]
        if any(value is None for value, _message in problems):
            for value, message in problems:
                if value is None:
                    add(where, message % {"name": label})
            continue
        if devices != devices.to_integral_value():
            message = _("%(name)s: the number of devices must be a whole number.")
            add(where, message % {"name": label})
            continue
        if devices > MAX_DEVICES or eps > MAX_FIGURE or size > MAX_FIGURE:
            add(where, _("%(name)s: this figure is too large.") % {"name": label})
            continue
        calculator_sources.append(
            sizing.LogSource(name=name, devices=int(devices), eps_per_device=eps, event_bytes=size)
        )
        types.append(kind)
    values = {name: _number(constants.get(name)) for name in sizing.CONSTANT_DEFAULTS}
    for name, message in sizing.validate_constants(
        {k: v for k, v in values.items() if v is not None}
    ).items():
        errors.setdefault(name, []).extend(message)
    for name, value in values.items():
        if value is not None and abs(value) > MAX_FIGURE:
            add(name, _("This figure is too large."))
    retention, hot, warm = (_number(v) for v in (retention_months, hot_days, warm_days))
    for field, value in (("retention_months", retention), ("hot_days", hot), ("warm_days", warm)):
        if value is None:
            add(field, _("Give a number."))
        elif value != value.to_integral_value():
            add(field, _("This must be a whole number."))
    if "retention_months" in errors or "hot_days" in errors or "warm_days" in errors:
        retention = hot = warm = None
    if (
        retention is not None
        and hot is not None
        and warm is not None
        and (abs(hot) > 100_000 or abs(warm) > 100_000)
    ):
        add("hot_days", _("This figure is too large."))
    if (
        retention is not None
        and hot is not None
        and warm is not None
        and not errors.get("hot_days")
    ):
        for name, messages in sizing.validate(
            calculator_sources,
            retention_months=int(retention),
            hot_days=int(hot),
            warm_days=int(warm),
            replicas=values["replicas"] if values["replicas"] is not None else Decimal(1),
        ).items():
            if name.startswith("sources.") or name not in errors:
                errors.setdefault(name, []).extend(
                    m for m in messages if m not in errors.get(name, [])
                )
    if errors:
        raise ValidationError(errors)
    return SizingInput(
        sources=calculator_sources,
        types=types,
        constants={k: v for k, v in values.items() if v is not None},
        retention_months=int(retention),
        hot_days=int(hot),
        warm_days=int(warm),
    )


@transaction.atomic
def workshop_sizing_save(
    *,
    workshop: SiemWorkshop,
    sources: list[dict],
    constants: dict[str, Any],
    retention_months: Any,
    hot_days: Any,
    warm_days: Any,
    by: User,
) -> SiemWorkshop:
    """SPEC W2: the customer's log sources, the constants and the retention being discussed,
    saved whole in one transaction after every check (nothing is written on any error). Saving
    the same twice leaves the same rows (a double submit changes nothing)."""
    _check_manager(by)
    locked = (
        SiemWorkshop.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=workshop.pk)
    )
    _check_writable(locked.organisation)
    valid = sizing_input(
        sources=sources,
        constants=constants,
        retention_months=retention_months,
        hot_days=hot_days,
        warm_days=warm_days,
    )
    for name, value in valid.constants.items():
        setattr(locked, name, int(value) if name in sizing.WHOLE_CONSTANTS else value)
    locked.retention_months = valid.retention_months
    locked.hot_days = valid.hot_days
    locked.warm_days = valid.warm_days
    locked.full_clean()
    locked.save()
    SiemLogSource.objects.filter(workshop=locked).delete()
    SiemLogSource.objects.bulk_create(
        SiemLogSource(
            organisation=locked.organisation,
            workshop=locked,
            source_type=kind,
            name=source.name,
            devices=source.devices,
            eps_per_device=source.eps_per_device,
            event_bytes=source.event_bytes,
            position=position,
        )
        for position, (source, kind) in enumerate(zip(valid.sources, valid.types, strict=True))
    )
    return locked


# --------------------------------------------------------------------------- meetings


def workshop_meeting_schedule(
    *,
    workshop: SiemWorkshop,
    topic: str,
    title: str,
    scheduled_at: datetime,
    attendees: list[dict],
    by: User,
    duration_minutes: int = 60,
    video_link: str = "",
    agenda: str = "",
    activity_request: ActivityRequest | None = None,
    record_request: bool = False,
    now: datetime | None = None,
) -> Meeting:
    """A meeting of the workshop's series (SPEC W1–W6), on one topic: the library's meeting
    (invitations, minutes → PDF deliverable), charged on the topic's catalogue activity (H3),
    refused before the terms are accepted (C4) and for a read-only or closed customer (C5)."""
    return library.meeting_schedule(
        organisation=workshop.organisation,
        kind=Meeting.Kind.SIEM,
        workshop=workshop,
        topic=topic,
        title=title,
        scheduled_at=scheduled_at,
        attendees=attendees,
        by=by,
        duration_minutes=duration_minutes,
        video_link=video_link,
        agenda=agenda,
        activity_request=activity_request,
        record_request=record_request,
        now=now,
    )


# --------------------------------------------------------------------------- catalogue


@transaction.atomic
def log_source_type_save(*, log_source_type: LogSourceType, by: User) -> LogSourceType:
    """An admin adds or edits a type of the log-source catalogue (SPEC W2): workshops keep the
    figures they copied."""
    _check_admin(by)
    log_source_type.name = log_source_type.name.strip()
    log_source_type.full_clean()
    log_source_type.save()
    return log_source_type


@transaction.atomic
def siem_pricing_save(*, pricing: SiemPricing, by: User) -> SiemPricing:
    """An admin sets the licence metric and the storage prices (SPEC W2, W5); decisions already
    recorded keep the prices they used."""
    _check_admin(by)
    pricing.pk = 1
    pricing.full_clean(validate_unique=False)
    pricing.save()
    return pricing


def log_source_types_seed() -> int:
    """Add the seeded log-source types that are missing (by name); returns how many. The data
    migration seeds a new database; tests that flush tables call this again."""
    existing = set(LogSourceType.objects.values_list("name", flat=True))
    missing = [LogSourceType(**row) for row in seed_rows() if row["name"] not in existing]
    LogSourceType.objects.bulk_create(missing)
    return len(missing)
