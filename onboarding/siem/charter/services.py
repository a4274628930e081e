"""Writes of the workshop's purpose, retention decision, charter and documents (SPEC W1, W3, W5,
O4, C5, L5).

- Only CSTMs (of the customer) and admins write; the referent and the customer's people read.
  Nothing is written for a read-only or closed customer (C5).
- A retention decision freezes what it was based on — sources, constants, prices, currency,
  tiers and the whole 1–60 month curve — so a later change of prices or sources rewrites no
  history. Bad input (retention 0 or over 60 months, no sources, hot and warm days beyond the
  retention) is refused with a message in the user's language and nothing is saved.
- The sizing sheet and the charter are PDFs in the referent's language, published as
  deliverables: publishing again makes the next version (onboarding.library)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from csm_portal.files import files_removed_on_failure
from onboarding.library import files
from onboarding.library.services import _deliverable_add
from onboarding.models import Deliverable, Meeting, RetentionDecision, SiemPricing, SiemWorkshop
from onboarding.models.documents import DocumentKind
from onboarding.siem import sizing
from onboarding.siem.access import check_staff as _check_staff
from onboarding.siem.access import check_writable as _check_writable
from onboarding.siem.access import locked_workshop as _locked
from onboarding.siem.charter import frozen, pdf, selectors
from onboarding.siem.charter.sections import (
    CHARTER_KEYS,
    CHARTER_REQUIRED,
    CHARTER_SECTIONS,
    PURPOSE_KEYS,
    TEXT_MAX,
)
from onboarding.siem.inputs import constants_of, sources_of

ATTENDEES_MAX = 50
NOTE_MAX = 5_000


# --------------------------------------------------------------------------- W5 retention


def clean_attendees(raw: Any) -> list[str]:
    """Who took part in the decision: one person a line (name, role), at least one."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        raise ValidationError({"attendees": [_("Give the attendees as a list.")]})
    people = [" ".join(str(item).split()) for item in raw if str(item).strip()]
    if not people:
        raise ValidationError({"attendees": [_("Say who took part in the decision.")]})
    if len(people) > ATTENDEES_MAX:
        raise ValidationError({"attendees": [_("At most %(n)s attendees.") % {"n": ATTENDEES_MAX}]})
    if any(len(person) > 200 for person in people):
        raise ValidationError({"attendees": [_("At most 200 characters a person.")]})
    return people


def _decision_errors(
    *,
    workshop: SiemWorkshop,
    months: Any,
    decided_on: Any,
    meeting: Meeting | None,
    note: str,
    today: date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    whole = isinstance(months, int) and not isinstance(months, bool)
    if not whole or not 1 <= months <= sizing.MAX_RETENTION_MONTHS:
        errors["months"] = [
            _("Retention must be between 1 and %(max)s months.")
            % {"max": sizing.MAX_RETENTION_MONTHS}
        ]
    sources = sources_of(workshop)
    if not sources:
        errors["__all__"] = [
            _(
                "Enter the customer's log sources in the sizing first: the decision is based "
                "on them."
            )
        ]
    if whole and not errors.get("months"):
        problems = sizing.validate(
            sources,
            retention_months=months,
            hot_days=workshop.hot_days,
            warm_days=workshop.warm_days,
            replicas=workshop.replicas,
        )
        if problems.get("hot_days"):
            errors["months"] = [
                _(
                    "%(hot)s hot days and %(warm)s warm days do not fit in a retention of "
                    "%(months)s months: choose a longer retention or change the tiers."
                )
                % {"hot": workshop.hot_days, "warm": workshop.warm_days, "months": months}
            ]
        for field, messages in problems.items():
            if field != "hot_days":
                errors.setdefault("__all__", []).extend(messages)
    if not isinstance(decided_on, date):
        errors["decided_on"] = [_("Give the date of the decision.")]
    elif decided_on > today:
        errors["decided_on"] = [_("The decision cannot be dated in the future.")]
    if meeting is not None and meeting.workshop_id != workshop.pk:
        errors["meeting"] = [_("This meeting is not of this workshop.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)s characters.") % {"n": NOTE_MAX}]
    return errors


@transaction.atomic
def retention_decision_record(
    *,
    workshop: SiemWorkshop,
    months: int,
    decided_on: date,
    attendees: Any,
    by: User,
    meeting: Meeting | None = None,
    note: str = "",
    now: datetime | None = None,
) -> RetentionDecision:
    """SPEC W5: record the customer's choice of retention with its date and attendees, frozen
    with the inputs and the whole 1–60 month curve it was based on."""
    now = now or timezone.now()
    _check_staff(by)
    locked = _locked(workshop)
    _check_writable(locked)
    note = (note or "").strip()
    errors = _decision_errors(
        workshop=locked,
        months=months,
        decided_on=decided_on,
        meeting=meeting,
        note=note,
        today=timezone.localdate(now),
    )
    try:
        people = clean_attendees(attendees)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    pricing = SiemPricing.current()
    sources, constants = sources_of(locked), constants_of(locked)
    curve = sizing.retention_curve(
        sources,
        hot_days=locked.hot_days,
        warm_days=locked.warm_days,
        price_per_gb_month=pricing.prices(),
        constants=constants,
    )
    decision = RetentionDecision(
        organisation=locked.organisation,
        workshop=locked,
        months=months,
        decided_on=decided_on,
        attendees=people,
        meeting=meeting,
        note=note,
        inputs=frozen.inputs_of(
            sources=sources,
            constants=constants,
            prices=pricing.prices(),
            currency=pricing.currency,
            hot_days=locked.hot_days,
            warm_days=locked.warm_days,
        ),
        curve=frozen.curve_of(curve),
        recorded_by=by,
        recorded_at=now,
    )
    decision.full_clean()
    decision.save()
    # The retention discussed from now on is the one decided.
    SiemWorkshop.objects.filter(pk=locked.pk).update(retention_months=months)
    return decision


# --------------------------------------------------------------------------- W1, W3 texts


def _clean_texts(
    given: dict[str, Any], keys: tuple[str, ...], current: dict[str, Any]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(given, dict):
        return {}, {"__all__": [_("Give the answers by question.")]}
    for key in given:
        if key not in keys:
            errors[str(key)[:50]] = [_("Unknown question or section.")]
    texts = {}
    for key in keys:
        value = given.get(key, current.get(key, ""))
        if not isinstance(value, str):
            errors[key] = [_("Write a text.")]
            continue
        value = value.strip()
        if len(value) > TEXT_MAX:
            errors[key] = [_("At most %(n)s characters.") % {"n": TEXT_MAX}]
        texts[key] = value
    return texts, errors


@transaction.atomic
def workshop_purpose_record(
    *, workshop: SiemWorkshop, answers: dict[str, Any], by: User, now: datetime | None = None
) -> SiemWorkshop:
    """SPEC W1: the answers of the purpose meeting, written by the CSTM during the meeting.
    Questions not given keep their answer."""
    _check_staff(by)
    locked = _locked(workshop)
    _check_writable(locked)
    texts, errors = _clean_texts(answers, PURPOSE_KEYS, locked.purpose or {})
    if not errors and not any(texts.values()):
        errors["__all__"] = [_("Answer at least one question.")]
    if errors:
        raise ValidationError(errors)
    locked.purpose = texts
    locked.purpose_recorded_at = now or timezone.now()
    locked.save(update_fields=["purpose", "purpose_recorded_at", "updated_at"])
    return locked


@transaction.atomic
def workshop_charter_record(
    *, workshop: SiemWorkshop, sections: dict[str, Any], by: User, now: datetime | None = None
) -> SiemWorkshop:
    """SPEC W3: the alignment charter's eleven sections; the scope is stated both ways, what is
    in and, explicitly, what is out. Sections not given keep their text."""
    _check_staff(by)
    locked = _locked(workshop)
    _check_writable(locked)
    texts, errors = _clean_texts(sections, CHARTER_KEYS, locked.charter or {})
    labels = dict(CHARTER_SECTIONS)
    for key in CHARTER_REQUIRED:
        if key in texts and not texts[key] and key not in errors:
            errors[key] = [_("Write the section “%(section)s”.") % {"section": labels[key]}]
    if errors:
        raise ValidationError(errors)
    locked.charter = texts
    locked.charter_recorded_at = now or timezone.now()
    locked.save(update_fields=["charter", "charter_recorded_at", "updated_at"])
    return locked


# --------------------------------------------------------------------------- documents (PDF)


def document_title(kind: str, workshop: SiemWorkshop, language: str) -> str:
    with translation.override(language):
        if kind == DocumentKind.SIZING_SHEET:
            title = _("SIEM sizing sheet: %(title)s") % {"title": workshop.title}
        else:
            title = _("Alignment charter: %(title)s") % {"title": workshop.title}
    return title[:200]


def _publish(*, workshop: SiemWorkshop, kind: str, by: User) -> Deliverable:
    with files_removed_on_failure(), transaction.atomic():
        _check_staff(by)
        locked = _locked(workshop)
        _check_writable(locked)
        if not sources_of(locked):
            raise ValidationError(
                _("Enter the customer's log sources in the sizing first: the documents show them.")
            )
        if kind == DocumentKind.ALIGNMENT_CHARTER and locked.charter_recorded_at is None:
            raise ValidationError(_("Write the alignment charter before publishing it."))
        language = selectors.referent_language(locked)
        render = pdf.sizing_sheet_html if kind == DocumentKind.SIZING_SHEET else pdf.charter_html
        html = render(locked, language=language)
        title = document_title(kind, locked, language)
        return _deliverable_add(
            organisation=locked.organisation,
            kind=kind,
            title=title,
            filename=files.clean_filename(f"{title[:140]}.pdf"),
            content_type=files.PDF.content_type,
            data=pdf.pdf_of(html),
            by=by,
        )


def sizing_sheet_publish(*, workshop: SiemWorkshop, by: User) -> Deliverable:
    """SPEC W2/W3: the sizing sheet as a PDF in the referent's language, the next version of
    the same document when published again."""
    return _publish(workshop=workshop, kind=DocumentKind.SIZING_SHEET, by=by)


def charter_publish(*, workshop: SiemWorkshop, by: User) -> Deliverable:
    """SPEC W3: the alignment charter (with the sizing summary and the retention decision) as
    a PDF in the referent's language, published as the next version."""
    return _publish(workshop=workshop, kind=DocumentKind.ALIGNMENT_CHARTER, by=by)
