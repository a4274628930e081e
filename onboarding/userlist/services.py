"""Writes of the customer prerequisites (SPEC O2, C5): user-list uploads and their application,
the logos, the whitelisting confirmation. Each validates everything first; bad input writes
nothing (an invalid user list is not even stored).

The monthly-change rule (the catalogue's "user-list change": at most once a month, five working
days' notice) applies to the list too. The first list is applied as soon as it is confirmed and
takes effect the same day. A later list is applied at most once per calendar month (the first
list does not count) and takes effect on the platform five working days (Italian calendar,
``csm_portal.business_calendar``) after the day it is applied: the portal's list changes at once,
the page and the upload record say from when the platform uses it."""

from datetime import date
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.tenancy import customer_write_refusal
from activities.services import running_contract
from csm_portal.business_calendar import add_working_days
from csm_portal.files import delete_file_on_rollback, files_removed_on_failure
from onboarding import steps
from onboarding.models import ListedUser, Logo, UserListUpload, WhitelistingConfirmation
from onboarding.userlist import logos as logo_rules
from onboarding.userlist import selectors, validator

NOTICE_WORKING_DAYS = 5


class Upload(Protocol):
    """An uploaded file: Django's UploadedFile, or a ContentFile with a name."""

    name: str | None
    size: int

    def read(self, size: int = -1) -> bytes: ...


class InvalidUserList(ValidationError):
    """The file has problems: nothing was stored. ``result`` lists them by row and column."""

    def __init__(self, result: validator.Result) -> None:
        super().__init__([problem.message for problem in result.problems])
        self.result = result


def max_bytes() -> int:
    return int(getattr(settings, "USER_LIST_MAX_BYTES", validator.DEFAULT_MAX_BYTES))


def _refuse_write(organisation: Organisation) -> None:
    """SPEC C5: a read-only or closed customer may view and download, not write; staff writes
    for such an organisation are refused the same way."""
    refusal = customer_write_refusal(organisation)
    if refusal:
        raise ValidationError(refusal)


def licences_bought(organisation: Organisation, today: date) -> int | None:
    """The licences of the running contract: the largest service line (every listed person
    takes one licence of each service bought). ``None`` without a running contract."""
    contract = running_contract(organisation, today)
    if contract is None:
        return None
    counts = [line.licences for line in contract.services.all()]
    return max(counts) if counts else None


def user_list_context(organisation: Organisation, today: date) -> validator.Context:
    return validator.Context(
        domains=tuple(organisation.domains.values_list("domain", flat=True)),
        licences=licences_bought(organisation, today),
        max_bytes=max_bytes(),
    )


def _read_capped(upload: Upload, cap: int) -> bytes | None:
    """The file's bytes, or ``None`` when it is over the cap: its declared size is checked
    first, and at most cap + 1 bytes are ever read (a lying size cannot fill memory)."""
    if upload.size is not None and upload.size > cap:
        return None
    data = upload.read(cap + 1)
    return None if len(data) > cap else data


def _too_big() -> validator.Result:
    return validator.Result(
        problems=(
            validator.Problem(
                0,
                "",
                _("The file is larger than %(mb)s MB: split it or remove unused columns.")
                % {"mb": max_bytes() // (1024 * 1024)},
            ),
        )
    )


def user_list_check(
    *, organisation: Organisation, upload: Upload, today: date | None = None
) -> tuple[validator.Result, bytes]:
    """Validate a file without storing anything (SPEC O2)."""
    today = today or timezone.localdate()
    if running_contract(organisation, today) is None:
        raise ValidationError(_("There is no active contract: a user list cannot be loaded."))
    data = _read_capped(upload, max_bytes())
    if data is None:
        return _too_big(), b""
    return validator.validate(data, user_list_context(organisation, today)), data


@transaction.atomic
def _store(
    *, organisation: Organisation, by: User, name: str, data: bytes, result: validator.Result
) -> UserListUpload:
    change = validator.diff(result.rows, selectors.current_list(organisation=organisation))
    upload = UserListUpload(
        organisation=organisation,
        filename=(name or "user-list.csv")[:255],
        size=len(data),
        encoding=result.encoding,
        delimiter=result.delimiter,
        rows=len(result.rows),
        added=len(change.added),
        changed=len(change.changed),
        removed=len(change.removed),
        unchanged=change.unchanged,
        uploaded_by=by,
    )
    upload.file.save("list.csv", ContentFile(data), save=False)
    delete_file_on_rollback(upload.file)
    upload.full_clean()
    upload.save()
    return upload


def user_list_upload(
    *, organisation: Organisation, upload: Upload, by: User, today: date | None = None
) -> UserListUpload:
    """SPEC O2: validate the whole file; with any problem raise :class:`InvalidUserList` and
    store nothing; else keep the file (random name) with its diff against the current list, to
    be applied once confirmed."""
    _refuse_write(organisation)
    result, data = user_list_check(organisation=organisation, upload=upload, today=today)
    if not result.ok:
        raise InvalidUserList(result)
    with files_removed_on_failure():
        return _store(
            organisation=organisation, by=by, name=upload.name or "", data=data, result=result
        )


def user_list_next_change(organisation: Organisation, today: date) -> date | None:
    """The first day a later list may be applied, when this month's change is used up."""
    used = UserListUpload.objects.filter(
        organisation=organisation,
        status=UserListUpload.Status.APPLIED,
        is_first=False,
        applied_at__date__year=today.year,
        applied_at__date__month=today.month,
    ).exists()
    if not used:
        return None
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


@transaction.atomic
def user_list_apply(
    *, upload: UserListUpload, by: User, today: date | None = None
) -> UserListUpload:
    """SPEC O2, O3: replace the organisation's list with the upload's rows in one transaction
    (a constant number of queries, whatever the size). The first list takes effect today; a
    later one at most once per calendar month, five working days after it is applied."""
    today = today or timezone.localdate()
    organisation = upload.organisation
    _refuse_write(organisation)
    upload = UserListUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != UserListUpload.Status.PENDING:
        raise ValidationError(
            _("This file was already applied or replaced: upload it again to apply it.")
        )
    first = not UserListUpload.objects.filter(
        organisation=organisation, status=UserListUpload.Status.APPLIED
    ).exists()
    if not first and (next_day := user_list_next_change(organisation, today)):
        raise ValidationError(
            _(
                "The user list was already changed this month: a change can be applied once a "
                "month. Apply this file from %(date)s."
            )
            % {"date": next_day.strftime("%d/%m/%Y")}
        )
    with upload.file.open("rb") as stored:
        data = stored.read()
    result = validator.validate(data, user_list_context(organisation, today))
    if not result.ok:
        # The domains or the licences changed since the upload.
        raise InvalidUserList(result)
    change = validator.diff(result.rows, selectors.current_list(organisation=organisation))
    ListedUser.objects.filter(organisation=organisation).delete()
    ListedUser.objects.bulk_create(
        [ListedUser(organisation=organisation, upload=upload, **row) for row in result.rows]
    )
    UserListUpload.objects.filter(
        organisation=organisation, status=UserListUpload.Status.PENDING
    ).exclude(pk=upload.pk).update(status=UserListUpload.Status.SUPERSEDED)
    upload.status = UserListUpload.Status.APPLIED
    upload.applied_by = by
    upload.applied_at = timezone.now()
    upload.is_first = first
    upload.effective_on = today if first else add_working_days(today, NOTICE_WORKING_DAYS)
    upload.added, upload.changed = len(change.added), len(change.changed)
    upload.removed, upload.unchanged = len(change.removed), change.unchanged
    upload.rows = len(result.rows)
    upload.save()
    steps.step_done(organisation=organisation, code=steps.USER_LIST, by=by)
    return upload


# --------------------------------------------------------------------------- logos


def logo_upload(*, organisation: Organisation, variant: str, upload: Upload, by: User) -> Logo:
    """SPEC O2: one of the two logos, checked by content (type, size, dimensions, an SVG's
    safety); it replaces the previous logo of that variant. Both logos in: the step is done."""
    _refuse_write(organisation)
    if variant not in Logo.Variant.values:
        raise ValidationError({"variant": _("Choose the background the logo is for.")})
    data = _read_capped(upload, logo_rules.MAX_BYTES)
    if data is None:
        raise ValidationError(
            {"file": _("The logo is larger than %(kb)s KB.") % {"kb": logo_rules.MAX_BYTES // 1024}}
        )
    check = logo_rules.check_logo(data)
    if check.problem:
        raise ValidationError({"file": check.problem})
    with files_removed_on_failure(), transaction.atomic():
        old = (
            Logo.objects.select_for_update()
            .filter(organisation=organisation, variant=variant)
            .first()
        )
        old_name = old.file.name if old else ""
        logo = old or Logo(organisation=organisation, variant=variant)
        logo.filename = (upload.name or "logo")[:255]
        logo.content_type = check.content_type
        logo.size = len(data)
        logo.width, logo.height = check.width, check.height
        logo.uploaded_by, logo.uploaded_at = by, timezone.now()
        logo.file.save(
            f"logo{logo_rules.EXTENSIONS[check.content_type]}", ContentFile(data), save=False
        )
        delete_file_on_rollback(logo.file)
        logo.full_clean()
        logo.save()
        if old_name:
            storage = logo.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
        if Logo.objects.filter(organisation=organisation).count() == len(Logo.Variant.values):
            steps.step_done(organisation=organisation, code=steps.LOGOS, by=by)
    return logo


# --------------------------------------------------------------------------- whitelisting

CHECKS = ("phishing_mail", "awareness_mail", "channel_mail", "videos_play")


@transaction.atomic
def whitelisting_confirm(
    *,
    organisation: Organisation,
    by: User,
    phishing_mail: bool,
    awareness_mail: bool,
    channel_mail: bool,
    videos_play: bool,
    note: str = "",
) -> WhitelistingConfirmation:
    """SPEC O2: the referent (or the CSTM for them) confirms that the provider's phishing,
    awareness and channel mail arrive and that the videos play: all four, or nothing is
    confirmed."""
    _refuse_write(organisation)
    values = {
        "phishing_mail": phishing_mail,
        "awareness_mail": awareness_mail,
        "channel_mail": channel_mail,
        "videos_play": videos_play,
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValidationError(
            {
                name: _("Check this once it works: the whitelisting is confirmed when all four do.")
                for name in missing
            }
        )
    confirmation, _created = WhitelistingConfirmation.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    for name, value in values.items():
        setattr(confirmation, name, value)
    confirmation.note = note.strip()
    confirmation.confirmed_by, confirmation.confirmed_at = by, timezone.now()
    confirmation.full_clean()
    confirmation.save()
    steps.step_done(organisation=organisation, code=steps.WHITELISTING, by=by)
    return confirmation


@transaction.atomic
def whitelisting_instructions(
    *, organisation: Organisation, by: User, technical_notes: str
) -> WhitelistingConfirmation:
    """The CSTM's technical instructions for the whitelisting (addresses, IPs, links to the
    technical configuration deliverables)."""
    _refuse_write(organisation)
    confirmation, _created = WhitelistingConfirmation.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    confirmation.technical_notes = technical_notes.strip()
    confirmation.technical_notes_by, confirmation.technical_notes_at = by, timezone.now()
    confirmation.full_clean()
    confirmation.save()
    return confirmation
