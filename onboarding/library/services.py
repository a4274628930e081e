"""Writes of meetings and the deliverables library (SPEC O1, O4, C5, H8, L5).

- Meetings are scheduled by CSTMs and admins with attendees on both sides; every attendee gets
  the invitation (with an .ics file) in their language, once, after the transaction commits.
- The minutes, recorded after the meeting, become a deliverable PDF in the organisation's
  language (a new version when recorded again). At the kick-off the CSTM names or confirms the
  service referent (O1) and the plan's kick-off step is done.
- A meeting is charged on a catalogue activity request of its organisation (H3): staff link an
  open one, or record one agreed in the meeting, which stays "to be formalised" until the
  referent confirms it in writing (H8) — the activities service decides that, not us.
- Deliverables are checked by content (onboarding.library.files) before anything is stored."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from activities.models import Activity, ActivityRequest
from contracts.models import CancellationNotice
from contracts.selectors import terms_refusal
from csm_portal import formatting
from csm_portal.files import delete_file_on_rollback, files_removed_on_failure
from onboarding import steps
from onboarding.library import calendar, files
from onboarding.models import Deliverable, Meeting, ProviderDocument
from onboarding.models.documents import DocumentKind
from onboarding.siem.series import TOPIC_ACTIVITY

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
SIDES = ("provider", "customer")
# The catalogue activity each kind of meeting is charged on (SPEC catalogue table, H3).
KIND_ACTIVITY = {
    Meeting.Kind.KICKOFF: "kickoff",
    Meeting.Kind.PRE_GO_LIVE: "pre-go-live",
    Meeting.Kind.SAL: "sal-review",
}
MINUTES_KIND = {
    Meeting.Kind.KICKOFF: DocumentKind.KICKOFF_MINUTES,
    Meeting.Kind.SAL: DocumentKind.SAL_MINUTES,
}
SCHEDULABLE_KINDS = (
    Meeting.Kind.KICKOFF,
    Meeting.Kind.PRE_GO_LIVE,
    Meeting.Kind.SAL,
    Meeting.Kind.OTHER,
)


def activity_code(kind: str, topic: str = "") -> str | None:
    """The catalogue activity a meeting is charged on: by its kind, or for a SIEM workshop
    meeting by its topic (onboarding.siem.series.TOPIC_ACTIVITY)."""
    if kind == Meeting.Kind.SIEM:
        return TOPIC_ACTIVITY.get(topic)
    return KIND_ACTIVITY.get(kind)


# --------------------------------------------------------------------------- checks


def _check_staff(by: User) -> None:
    if tenancy_for(by).role not in MANAGERS:
        raise ValidationError(_("Only CSTMs and admins can do this."))


def _check_terms(organisation: Organisation, kind: str = "") -> None:
    """SPEC C4: no meeting is scheduled or minuted before the referent accepted the terms.
    A win-back meeting (SPEC C6) is about the contract ending, not about the service: no gate."""
    if kind == Meeting.Kind.WIN_BACK:
        return
    if refusal := terms_refusal(organisation):
        raise ValidationError(refusal)


def _check_writable(organisation: Organisation, kind: str = "") -> None:
    """SPEC C5: staff write nothing new for a customer past expiry (read-only, then closed).
    Except a win-back meeting (SPEC C6): it is held with a cancelled customer, often expired."""
    if organisation.kind != Organisation.Kind.CUSTOMER:
        raise ValidationError(_("Meetings and deliverables belong to a customer organisation."))
    refusal = "" if kind == Meeting.Kind.WIN_BACK else customer_write_refusal(organisation)
    if refusal:
        raise ValidationError(refusal)


def clean_attendees(raw: Any) -> list[dict[str, str]]:
    """A list of ``{"name", "email", "side", "role"}`` with at least one attendee on each side
    and no address twice; raises ValidationError on the ``attendees`` field."""
    problems: list[str] = []
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    if not isinstance(raw, list):
        raise ValidationError({"attendees": [_("Give the attendees as a list.")]})
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(_("Attendee %(n)s: not a person.") % {"n": position})
            continue
        email = str(item.get("email") or "").strip().lower()
        name = str(item.get("name") or "").strip()[:200]
        side = str(item.get("side") or "")
        role = str(item.get("role") or "").strip()[:200]
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                _("Attendee %(n)s: “%(email)s” is not a valid e-mail address.")
                % {"n": position, "email": email[:100]}
            )
            continue
        if side not in SIDES:
            problems.append(
                _("Attendee %(n)s: say whether they attend for the provider or the customer.")
                % {"n": position}
            )
            continue
        if email in seen:
            problems.append(_("%(email)s is listed twice.") % {"email": email})
            continue
        seen.add(email)
        cleaned.append({"name": name or email, "email": email, "side": side, "role": role})
    if not problems:
        for side, message in (
            ("provider", _("Add at least one attendee for the provider.")),
            ("customer", _("Add at least one attendee for the customer.")),
        ):
            if not any(a["side"] == side for a in cleaned):
                problems.append(message)
    if len(cleaned) > 100:
        problems.append(_("At most 100 attendees."))
    if problems:
        raise ValidationError({"attendees": problems})
    return cleaned


def _check_details(
    *,
    kind: str,
    title: str,
    scheduled_at: datetime,
    duration_minutes: int,
    video_link: str,
    now: datetime,
    workshop: Any = None,
    topic: str = "",
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind == Meeting.Kind.SIEM and workshop is not None:
        # A SIEM workshop meeting is scheduled from its workshop, on one topic (SPEC W1–W6).
        if topic not in Meeting.Topic.values:
            errors["topic"] = [_("Choose the topic of the meeting.")]
    elif kind not in (*SCHEDULABLE_KINDS, Meeting.Kind.WIN_BACK):
        errors["kind"] = [_("Choose the kind of meeting.")]
    if not title.strip():
        errors["title"] = [_("Give the meeting a title.")]
    elif len(title.strip()) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if scheduled_at < now:
        errors["scheduled_at"] = [_("The meeting cannot be scheduled in the past.")]
    if not 15 <= duration_minutes <= 8 * 60:
        errors["duration_minutes"] = [_("A meeting lasts from 15 minutes to 8 hours.")]
    if video_link:
        try:
            URLValidator(schemes=["https", "http"])(video_link)
        except ValidationError:
            errors["video_link"] = [_("Give the full link of the video call (https://…).")]
    return errors


def _validated(*, attendees: list[dict], **details: Any) -> list[dict[str, str]]:
    """Every problem of a meeting's details and attendees at once (nothing is written on any);
    the cleaned attendees when there is none."""
    errors = _check_details(**details)
    try:
        cleaned = clean_attendees(attendees)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _request_for(
    *,
    organisation: Organisation,
    kind: str,
    activity_request: ActivityRequest | None,
    record_request: bool,
    title: str,
    scheduled_at: datetime,
    by: User,
    topic: str = "",
) -> ActivityRequest | None:
    """The activity request the meeting is charged on: the one given (of the organisation, for
    the meeting's activity, open), or a new one recorded by staff (to be formalised, H8)."""
    code = activity_code(kind, topic)
    if activity_request is not None:
        if activity_request.organisation_id != organisation.pk:
            raise ValidationError(
                {"activity_request": [_("This request is not of the meeting's organisation.")]}
            )
        if code and activity_request.activity.code != code:
            raise ValidationError(
                {"activity_request": [_("This request is for another activity.")]}
            )
        if not activity_request.is_open:
            raise ValidationError({"activity_request": [_("This request is already closed.")]})
        return activity_request
    if not record_request:
        return None
    if code is None:
        raise ValidationError(
            {"record_request": [_("Link the request of the activity this meeting is for.")]}
        )
    from activities import services as activity_services

    activity = Activity.objects.get(code=code)
    try:
        return activity_services.request_create(
            organisation=organisation,
            activity=activity,
            by=by,
            channel=ActivityRequest.Channel.VIDEO,
            details=title.strip(),
            preferred_on=timezone.localdate(scheduled_at),
        )
    except ValidationError as error:
        raise ValidationError({"record_request": error.messages}) from None


# --------------------------------------------------------------------------- meetings


@transaction.atomic
def meeting_schedule(
    *,
    organisation: Organisation,
    kind: str,
    title: str,
    scheduled_at: datetime,
    attendees: list[dict],
    by: User,
    duration_minutes: int = 60,
    video_link: str = "",
    agenda: str = "",
    activity_request: ActivityRequest | None = None,
    record_request: bool = False,
    cancellation: CancellationNotice | None = None,
    now: datetime | None = None,
    workshop: Any = None,
    topic: str = "",
) -> Meeting:
    """SPEC O1/O4: a CSTM or admin schedules a meeting with attendees on both sides (a meeting
    without them is bad input); each attendee is invited once the transaction commits. A
    win-back meeting (SPEC C6) names the organisation's cancellation notice it is about. A SIEM
    workshop meeting (kind SIEM) names its workshop, of the same organisation, and its topic
    (SPEC W1–W6); it is charged on the topic's catalogue activity."""
    now = now or timezone.now()
    _check_staff(by)
    _check_writable(organisation, kind)
    _check_terms(organisation, kind)
    if kind == Meeting.Kind.WIN_BACK and (
        cancellation is None or cancellation.organisation_id != organisation.pk
    ):
        raise ValidationError(
            {"kind": [_("A win-back meeting is scheduled from the cancellation it is about.")]}
        )
    if kind != Meeting.Kind.WIN_BACK:
        cancellation = None
    if workshop is not None and (
        kind != Meeting.Kind.SIEM or workshop.organisation_id != organisation.pk
    ):
        raise ValidationError(_("This workshop is not of the meeting's organisation."))
    attendees = _validated(
        kind=kind,
        title=title,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        video_link=video_link,
        attendees=attendees,
        now=now,
        workshop=workshop,
        topic=topic,
    )
    linked = _request_for(
        organisation=organisation,
        kind=kind,
        activity_request=activity_request,
        record_request=record_request,
        title=title,
        scheduled_at=scheduled_at,
        by=by,
        topic=topic,
    )
    meeting = Meeting(
        organisation=organisation,
        kind=kind,
        title=title.strip(),
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        video_link=video_link.strip(),
        agenda=agenda.strip(),
        attendees=attendees,
        activity_request=linked,
        cancellation=cancellation,
        created_by=by,
        workshop=workshop,
        topic=topic if workshop is not None else "",
    )
    meeting.full_clean()
    meeting.save()
    transaction.on_commit(lambda: meeting_invitations_send(meeting_id=meeting.pk))
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    scheduled_at: datetime,
    attendees: list[dict],
    duration_minutes: int = 60,
    video_link: str = "",
    agenda: str = "",
    activity_request: ActivityRequest | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Change a planned meeting; every attendee gets the updated invitation (same calendar
    event, next sequence)."""
    now = now or timezone.now()
    _check_staff(by)
    locked = Meeting.objects.select_for_update().select_related("organisation").get(pk=meeting.pk)
    _check_writable(locked.organisation, locked.kind)
    if locked.status != Meeting.Status.PLANNED:
        raise ValidationError(_("Only a planned meeting can be changed."))
    attendees = _validated(
        kind=locked.kind,
        title=title,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        video_link=video_link,
        attendees=attendees,
        now=now,
        workshop=locked.workshop_id,
        topic=locked.topic,
    )
    if activity_request is not None and activity_request.pk != locked.activity_request_id:
        locked.activity_request = _request_for(
            organisation=locked.organisation,
            kind=locked.kind,
            topic=locked.topic,
            activity_request=activity_request,
            record_request=False,
            title=title,
            scheduled_at=scheduled_at,
            by=by,
        )
    locked.title = title.strip()
    locked.scheduled_at = scheduled_at
    locked.duration_minutes = duration_minutes
    locked.video_link = video_link.strip()
    locked.agenda = agenda.strip()
    locked.attendees = attendees
    locked.invitation_sequence += 1
    locked.full_clean()
    locked.save()
    transaction.on_commit(lambda: meeting_invitations_send(meeting_id=locked.pk))
    return locked


def attendee_language(attendee: dict, organisation: Organisation) -> str:
    """The recipient's own language when they are a portal user, else their organisation's
    (the customer's for its side, the portal's default for the provider's)."""
    with scopes_disabled():
        user = User.objects.filter(email__iexact=attendee["email"]).only("language").first()
    if user is not None and user.language:
        return user.language
    if attendee.get("side") == "customer":
        return organisation.language
    return settings.LANGUAGE_CODE


def meeting_invitations_send(*, meeting_id: int) -> int:
    """One e-mail per attendee, in their language, with the calendar file. Called on commit."""
    with scopes_disabled():
        meeting = Meeting.objects.select_related("organisation").get(pk=meeting_id)
    organisation = meeting.organisation
    organiser = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    portal = settings.PORTAL_BASE_URL.rstrip("/") + f"/meetings/{meeting.pk}/"
    sent = 0
    for attendee in meeting.attendees:
        language = attendee_language(attendee, organisation)
        with translation.override(language):
            local = timezone.localtime(meeting.scheduled_at)
            context = {
                "meeting": meeting,
                "organisation": organisation,
                "attendee": attendee,
                "local": local,
                "portal": portal,
            }
            subject = (
                _("Updated invitation: %(title)s")
                if meeting.invitation_sequence
                else _("Invitation: %(title)s")
            ) % {"title": meeting.title}
            body = render_to_string("onboarding/library/email/invitation.txt", context)
            description = render_to_string("onboarding/library/email/ics_description.txt", context)
        invite = calendar.Invite(
            uid=f"meeting-{meeting.pk}@{settings.SUPPORT_MESSAGE_ID_DOMAIN}",
            sequence=meeting.invitation_sequence,
            starts_at=meeting.scheduled_at,
            minutes=meeting.duration_minutes,
            summary=meeting.title,
            description=description,
            location=meeting.video_link,
            organiser=organiser,
            attendees=tuple((a["name"], a["email"]) for a in meeting.attendees),
            stamp=timezone.now(),
        )
        message = EmailMessage(
            subject, body, None, [attendee["email"]], headers={"Content-Language": language}
        )
        message.attach("invite.ics", calendar.ics(invite), "text/calendar; method=REQUEST")
        message.send()
        sent += 1
    return sent


@dataclass(frozen=True)
class NewReferent:
    email: str
    first_name: str
    last_name: str
    language: str


def _named_referent(
    *, organisation: Organisation, referent: User | None, new: NewReferent | None, by: User
) -> User:
    """SPEC O1: at the kick-off the CSTM confirms an existing referent or invites one."""
    if referent is not None and new is not None:
        raise ValidationError(
            {"referent": [_("Choose an existing referent or invite a new one, not both.")]}
        )
    if referent is not None:
        is_referent = (
            Membership.objects.with_scopes_disabled()
            .filter(
                user=referent,
                organisation=organisation,
                role=Role.REFERENT,
                user__is_active=True,
            )
            .exists()
        )
        if not is_referent:
            raise ValidationError(
                {"referent": [_("This person is not a service referent of the organisation.")]}
            )
        return referent
    if new is None:
        raise ValidationError(
            {"referent": [_("Name the service referent: confirm one or invite one (O1).")]}
        )
    from accounts import services as account_services

    try:
        invitation, _token = account_services.person_invite(
            organisation=organisation,
            email=new.email,
            first_name=new.first_name,
            last_name=new.last_name,
            role=Role.REFERENT,
            language=new.language,
            invited_by=by,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError(
                {
                    f"referent_{field}" if field != "__all__" else "referent": messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
        raise ValidationError({"referent": error.messages}) from None
    return invitation.user


def _minutes_pdf(meeting: Meeting) -> bytes:
    from activities.services import render_pdf

    with translation.override(meeting.organisation.language):
        html = render_to_string(
            "onboarding/library/minutes_pdf.html",
            {
                "meeting": meeting,
                "organisation": meeting.organisation,
                "local": timezone.localtime(meeting.scheduled_at),
                "provider": [a for a in meeting.attendees if a.get("side") == "provider"],
                "customer": [a for a in meeting.attendees if a.get("side") == "customer"],
            },
        )
    return render_pdf(html)


def meeting_record_minutes(
    *,
    meeting: Meeting,
    minutes: str,
    by: User,
    referent: User | None = None,
    new_referent: NewReferent | None = None,
    now: datetime | None = None,
) -> Meeting:
    """The minutes of a meeting that took place: the meeting is held, the minutes become a
    deliverable PDF (the next version when recorded again); at the kick-off the referent is
    named (O1) and the plan's kick-off step is done."""
    with files_removed_on_failure(), transaction.atomic():
        now = now or timezone.now()
        _check_staff(by)
        locked = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=meeting.pk)
        )
        organisation = locked.organisation
        _check_writable(organisation, locked.kind)
        _check_terms(organisation, locked.kind)
        if locked.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        if locked.scheduled_at > now:
            raise ValidationError(_("The minutes are recorded once the meeting has started."))
        if not minutes.strip():
            raise ValidationError({"minutes": [_("Write the minutes.")]})
        if locked.kind == Meeting.Kind.KICKOFF:
            locked.named_referent = _named_referent(
                organisation=organisation, referent=referent, new=new_referent, by=by
            )
        locked.minutes = minutes.strip()
        locked.status = Meeting.Status.HELD
        locked.minutes_recorded_by = by
        locked.minutes_recorded_at = now
        locked.save()
        with translation.override(organisation.language):
            title = _("Minutes: %(title)s (%(date)s)") % {
                "title": locked.title,
                "date": formatting.day(locked.scheduled_at),
            }
        pdf = _minutes_pdf(locked)
        _deliverable_add(
            organisation=organisation,
            kind=MINUTES_KIND.get(locked.kind, DocumentKind.MEETING_MINUTES),
            title=title[:200],
            filename=files.clean_filename(f"{title[:140]}.pdf"),
            content_type=files.PDF.content_type,
            data=pdf,
            by=by,
            meeting=locked,
        )
        if locked.kind == Meeting.Kind.KICKOFF:
            steps.step_done(organisation=organisation, code=steps.KICKOFF, by=by)
        return locked


# --------------------------------------------------------------------------- deliverables


def _lock_title(scope: str, kind: str, title: str) -> None:
    """Serialise the versions of one document: two uploads of the same title at once get
    versions n and n + 1, never the same number."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{scope}:{kind}:{title.lower()}"]
        )


def _same_title(queryset: Any, kind: str, title: str) -> tuple[str, int]:
    existing = queryset.filter(kind=kind, title__iexact=title)
    latest = existing.order_by("-version").values_list("title", flat=True).first()
    version = existing.aggregate(v=Max("version"))["v"] or 0
    return (latest or title), version + 1


def _deliverable_add(
    *,
    organisation: Organisation,
    kind: str,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
    by: User,
    meeting: Meeting | None = None,
) -> Deliverable:
    _lock_title(f"org{organisation.pk}", kind, title)
    rows = Deliverable.objects.with_scopes_disabled().filter(organisation=organisation)
    title, version = _same_title(rows, kind, title)
    deliverable = Deliverable(
        organisation=organisation,
        kind=kind,
        title=title,
        version=version,
        filename=filename,
        content_type=content_type,
        size=len(data),
        meeting=meeting,
        published_by=by,
    )
    deliverable.file.save(filename, ContentFile(data), save=False)
    delete_file_on_rollback(deliverable.file)
    deliverable.full_clean()
    deliverable.save()
    return deliverable


def _read_upload(upload: UploadedFile | None) -> tuple[str, files.FileType, bytes]:
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    limit = settings.DELIVERABLE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        # Refused before reading: a 200 MB upload is not read into memory.
        raise ValidationError(
            {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": limit // 2**20}]}
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    try:
        filename, kind = files.check_file(name=upload.name or "", data=data, max_bytes=limit)
    except files.FileRefused as refused:
        raise ValidationError({"file": [str(refused)]}) from None
    return filename, kind, data


def _check_document(kind: str, title: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if not title.strip():
        errors["title"] = [_("Give the document a title.")]
    elif len(title.strip()) > 200:
        errors["title"] = [_("At most 200 characters.")]
    return errors


def deliverable_upload(
    *, organisation: Organisation, kind: str, title: str, file: UploadedFile | None, by: User
) -> Deliverable:
    """SPEC O4: staff add a document to an organisation's library; the same kind and title
    makes the next version. The content is checked (type by magic bytes, size, not empty)
    before anything is stored."""
    with files_removed_on_failure(), transaction.atomic():
        _check_staff(by)
        _check_writable(organisation)
        errors = _check_document(kind, title)
        try:
            filename, file_type, data = _read_upload(file)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        return _deliverable_add(
            organisation=organisation,
            kind=kind,
            title=title.strip(),
            filename=filename,
            content_type=file_type.content_type,
            data=data,
            by=by,
        )


def provider_document_upload(
    *, kind: str, title: str, file: UploadedFile | None, by: User
) -> ProviderDocument:
    """SPEC O4: an admin publishes a document every customer sees at once (manuals, FAQ…)."""
    with files_removed_on_failure(), transaction.atomic():
        if tenancy_for(by).role != Role.PROVIDER_ADMIN:
            raise ValidationError(_("Only admins publish documents for every customer."))
        errors = _check_document(kind, title)
        try:
            filename, file_type, data = _read_upload(file)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        _lock_title("provider", kind, title.strip())
        title, version = _same_title(ProviderDocument.objects.all(), kind, title.strip())
        document = ProviderDocument(
            kind=kind,
            title=title,
            version=version,
            filename=filename,
            content_type=file_type.content_type,
            size=len(data),
            published_by=by,
        )
        document.file.save(filename, ContentFile(data), save=False)
        delete_file_on_rollback(document.file)
        document.full_clean()
        document.save()
        return document
