"""Pages of meetings and the deliverables library (SPEC O1, O4, C5). Thin: parse, call a
selector or a service, render. Who sees what:

- CSTMs (their organisations), admins and agents (all): meetings and every library; CSTMs and
  admins schedule, record minutes and upload; admins publish provider-wide documents.
- The referent: the organisation's meetings (read only), its deliverables and the provider's
  documents, downloads included, also in the 30 read-only days (C5).
- Licensed end users: the provider's documents only (manuals and FAQ are written for them);
  nothing of the organisation's meetings or deliverables, which are the referent's business."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, add_service_errors, paginate, role_required, submit
from onboarding.library import selectors, services
from onboarding.library.forms import (
    DeliverableForm,
    DocumentForm,
    MeetingForm,
    MinutesForm,
    meeting_initial,
)
from onboarding.models import Deliverable, Meeting, ProviderDocument
from onboarding.models.documents import DocumentKind

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
READERS = (*PROVIDER_ROLES, Role.REFERENT)
EVERYONE = (*READERS, Role.END_USER)


def _meeting_url(meeting: Meeting) -> str:
    return reverse("meeting_detail", args=[meeting.pk])


def _file_response(document: Deliverable | ProviderDocument) -> FileResponse:
    """Always a download, never shown inline, with the type we detected (never the browser's):
    an HTML or SVG file cannot run in the portal's origin."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- meetings


@role_required(*READERS)
def meeting_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    when = request.GET.get("when", "")
    page = paginate(request, selectors.meeting_list(when=when, search=search))
    return render(
        request,
        "onboarding/library/meeting_list.html",
        {"page": page, "search": search, "when": when},
    )


@role_required(*MANAGERS)
@already_done_redirects
def meeting_create(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", Meeting.Kind.KICKOFF)
    form = MeetingForm(
        request.POST or None,
        initial={
            "organisation": request.GET.get("organisation"),
            "kind": kind,
            "title": dict(Meeting.Kind.choices).get(kind, ""),
        },
    )
    meeting = submit(
        request,
        form,
        lambda _data: form_once(
            request,
            lambda: services.meeting_schedule(by=request.user, **form.service_arguments()),
            url_of=_meeting_url,
        ),
    )
    if meeting is not NOT_DONE:
        messages.success(request, _("Meeting scheduled: the attendees were invited."))
        return redirect(_meeting_url(meeting))
    return render(request, "onboarding/library/meeting_form.html", {"form": form, "meeting": None})


@role_required(*READERS)
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(meeting_id=meeting_id)
    context = {
        "meeting": meeting,
        "provider": [a for a in meeting.attendees if a.get("side") == "provider"],
        "customer": [a for a in meeting.attendees if a.get("side") == "customer"],
        "minutes_document": selectors.minutes_of(meeting),
        # A win-back meeting (SPEC C6) is held with a cancelled customer, expired or not.
        "write_refusal": ""
        if meeting.kind == Meeting.Kind.WIN_BACK
        else customer_write_refusal(meeting.organisation),
    }
    return render(request, "onboarding/library/meeting_detail.html", context)


@role_required(*MANAGERS)
@already_done_redirects
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(meeting_id=meeting_id)
    form = MeetingForm(request.POST or None, meeting=meeting, initial=meeting_initial(meeting))
    done = submit(
        request,
        form,
        lambda _data: form_once(
            request,
            lambda: services.meeting_update(
                meeting=meeting, by=request.user, **form.service_arguments()
            ),
            url_of=_meeting_url,
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Meeting changed: the attendees received the update."))
        return redirect(_meeting_url(meeting))
    return render(
        request, "onboarding/library/meeting_form.html", {"form": form, "meeting": meeting}
    )


@role_required(*MANAGERS)
@already_done_redirects
def meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.meeting_get(meeting_id=meeting_id)
    form = MinutesForm(request.POST or None, meeting=meeting)

    def record(data: dict) -> Meeting:
        new = None
        if data.get("referent_email"):
            new = services.NewReferent(
                email=data["referent_email"],
                first_name=data.get("referent_first_name", ""),
                last_name=data.get("referent_last_name", ""),
                language=data.get("referent_language") or meeting.organisation.language,
            )
        referent = data.get("referent") if new is None else None
        return services.meeting_record_minutes(
            meeting=meeting,
            minutes=data["minutes"],
            by=request.user,
            referent=referent,
            new_referent=new,
        )

    done = submit(
        request,
        form,
        lambda data: form_once(request, lambda: record(data), url_of=_meeting_url),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Minutes recorded and published in the library."))
        return redirect(_meeting_url(meeting))
    return render(
        request, "onboarding/library/minutes_form.html", {"form": form, "meeting": meeting}
    )


# --------------------------------------------------------------------------- library


@role_required(*EVERYONE)
def deliverable_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    if kind not in DocumentKind.values:
        kind = ""
    own = None
    if request.tenancy.role != Role.END_USER:
        own = paginate(request, selectors.deliverable_list(search=search, kind=kind))
    provider = selectors.provider_document_list(search=search, kind=kind)
    context = {
        "page": own,
        "provider_documents": provider,
        "search": search,
        "kind": kind,
        "kinds": DocumentKind.choices,
        "filtered": bool(search or kind),
    }
    return render(request, "onboarding/library/deliverable_list.html", context)


@role_required(*READERS)
def deliverable_detail(request: HttpRequest, deliverable_id: int) -> HttpResponse:
    deliverable = selectors.deliverable_get(deliverable_id=deliverable_id)
    return render(
        request,
        "onboarding/library/document_detail.html",
        {
            "document": deliverable,
            "versions": selectors.deliverable_versions(deliverable),
            "download": "deliverable_download",
        },
    )


@role_required(*READERS)
def deliverable_download(request: HttpRequest, deliverable_id: int) -> FileResponse:
    return _file_response(selectors.deliverable_get(deliverable_id=deliverable_id))


@role_required(*EVERYONE)
def provider_document_detail(request: HttpRequest, provider_document_id: int) -> HttpResponse:
    document = selectors.provider_document_get(document_id=provider_document_id)
    return render(
        request,
        "onboarding/library/document_detail.html",
        {
            "document": document,
            "versions": selectors.provider_document_versions(document),
            "download": "provider_document_download",
            "provider_wide": True,
        },
    )


@role_required(*EVERYONE)
def provider_document_download(request: HttpRequest, provider_document_id: int) -> FileResponse:
    return _file_response(selectors.provider_document_get(document_id=provider_document_id))


def _upload(request: HttpRequest, form: DocumentForm, action) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        document = action(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(
        request,
        _("Published: %(title)s, version %(version)s.")
        % {"title": document.title, "version": document.version},
    )
    return redirect("deliverable_list")


@role_required(*MANAGERS)
def deliverable_upload(request: HttpRequest) -> HttpResponse:
    form = DeliverableForm(
        request.POST or None,
        request.FILES or None,
        initial={"organisation": request.GET.get("organisation")},
    )
    done = _upload(
        request,
        form,
        lambda data: services.deliverable_upload(
            organisation=data["organisation"],
            kind=data["kind"],
            title=data["title"],
            file=data["file"],
            by=request.user,
        ),
    )
    return done or render(
        request,
        "onboarding/library/upload_form.html",
        {"form": form, "title": _("Add a deliverable")},
    )


@role_required(Role.PROVIDER_ADMIN)
def provider_document_upload(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST or None, request.FILES or None)
    done = _upload(
        request,
        form,
        lambda data: services.provider_document_upload(
            kind=data["kind"], title=data["title"], file=data["file"], by=request.user
        ),
    )
    return done or render(
        request,
        "onboarding/library/upload_form.html",
        {"form": form, "title": _("Publish a document for every customer")},
    )
