"""Pages of the customer prerequisites (SPEC O2, C5): the user list (template, upload, problems,
diff, apply), the logos and the whitelisting confirmation. Thin: parse, call a selector or a
service, render. The referent writes for their organisation; the CSTM (or an admin) for theirs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.models import Organisation
from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import add_service_errors, paginate, role_required
from onboarding.models import Logo, UserListUpload
from onboarding.userlist import logos as rules
from onboarding.userlist import selectors, services, validator
from onboarding.userlist.forms import (
    LogoForm,
    UserListUploadForm,
    WhitelistingForm,
    WhitelistingInstructionsForm,
)

READERS = (*PROVIDER_ROLES, Role.REFERENT)
WRITERS = (Role.PROVIDER_ADMIN, Role.CSTM, Role.REFERENT)
MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)
SHOWN_PROBLEMS = 500


def _organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    """The organisation if the user may see it (404 otherwise, SPEC T1); only customers."""
    organisation = account_selectors.organisation_get(organisation_id=organisation_id)
    if organisation.kind != Organisation.Kind.CUSTOMER:
        raise Http404
    return organisation


def _can_write(request: HttpRequest, organisation: Organisation) -> tuple[bool, str]:
    """(may this user write here, the reason shown when the organisation may not)."""
    refusal = customer_write_refusal(organisation)
    return request.tenancy.role in WRITERS and not refusal, refusal


def _list_context(request: HttpRequest, organisation: Organisation) -> dict:
    can_write, refusal = _can_write(request, organisation)
    today = timezone.localdate()
    return {
        "organisation": organisation,
        "columns": validator.COLUMNS,
        "page": paginate(request, selectors.listed_users(organisation=organisation)),
        "uploads": selectors.uploads(organisation=organisation)[:10],
        "can_write": can_write,
        "write_refusal": refusal,
        "max_mb": services.max_bytes() // (1024 * 1024),
        "licences": services.licences_bought(organisation, today),
        "next_change": services.user_list_next_change(organisation, today),
    }


@role_required(*READERS)
def user_list(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    context = _list_context(request, organisation)
    form = UserListUploadForm()
    if request.method == "POST":
        form = UserListUploadForm(request.POST, request.FILES)
        if not context["can_write"]:
            messages.error(request, context["write_refusal"] or _("You may not change this list."))
        elif form.is_valid():
            try:
                upload = services.user_list_upload(
                    organisation=organisation, upload=form.cleaned_data["file"], by=request.user
                )
            except services.InvalidUserList as invalid:
                context["problems"] = invalid.result.problems[:SHOWN_PROBLEMS]
                context["problem_count"] = len(invalid.result.problems)
                context["detected"] = {
                    "encoding": validator.encoding_label(invalid.result.encoding),
                    "delimiter": validator.delimiter_label(invalid.result.delimiter),
                }
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("user_list_upload", upload_id=upload.pk)
    context["form"] = form
    return render(request, "onboarding/userlist/user_list.html", context, status=200)


def _label(result: UserListUpload) -> dict:
    return {
        "encoding": validator.encoding_label(result.encoding),
        "delimiter": validator.delimiter_label(result.delimiter),
    }


@role_required(*READERS)
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = selectors.upload_get(upload_id=upload_id)
    organisation = upload.organisation
    can_write, refusal = _can_write(request, organisation)
    change = None
    problems: tuple = ()
    if upload.status == UserListUpload.Status.PENDING:
        with upload.file.open("rb") as stored:
            data = stored.read()
        result = validator.validate(
            data, services.user_list_context(organisation, timezone.localdate())
        )
        if result.ok:
            change = validator.diff(result.rows, selectors.current_list(organisation=organisation))
        else:
            # The domains or the licences changed since the upload: it can no longer apply.
            problems = result.problems
    today = timezone.localdate()
    first = (
        not selectors.uploads(organisation=organisation)
        .filter(status=UserListUpload.Status.APPLIED)
        .exists()
    )
    return render(
        request,
        "onboarding/userlist/upload_detail.html",
        {
            "upload": upload,
            "organisation": organisation,
            "labels": _label(upload),
            "change": change,
            "problems": problems,
            "shown": 200,
            "can_write": can_write,
            "write_refusal": refusal,
            "first": first,
            "next_change": None if first else services.user_list_next_change(organisation, today),
            "effective_on": today
            if first
            else services.add_working_days(today, services.NOTICE_WORKING_DAYS),
        },
    )


@role_required(*WRITERS)
@require_POST
@already_done_redirects
def upload_apply(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = selectors.upload_get(upload_id=upload_id)
    try:
        applied = form_once(
            request,
            lambda: services.user_list_apply(upload=upload, by=request.user),
            url_of=lambda u: reverse("user_list_upload", args=[u.pk]),
        )
    except services.InvalidUserList as invalid:
        for problem in invalid.result.problems[:20]:
            messages.error(request, problem.message)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("User list applied: it takes effect on %(date)s.")
            % {"date": applied.effective_on.strftime("%d/%m/%Y")},
        )
    return redirect("user_list_upload", upload_id=upload.pk)


@role_required(*READERS)
def upload_file(request: HttpRequest, upload_id: int) -> FileResponse:
    """The original file, to its organisation only, as an attachment."""
    upload = selectors.upload_get(upload_id=upload_id)
    return FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=upload.filename,
        content_type="text/csv",
    )


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(("\ufeff" + text).encode("utf-8"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(*READERS)
def template_download(request: HttpRequest) -> HttpResponse:
    """The provider's template: the header and two example rows (UTF-8 with BOM, which Excel
    opens correctly)."""
    return _csv_response(validator.template_csv(), "user-list-template.csv")


@role_required(*READERS)
def user_list_export(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The current list in the template's format; formula-like cells are neutralised."""
    organisation = _organisation(request, organisation_id)
    rows = selectors.current_list(organisation=organisation).values()
    return _csv_response(validator.to_csv(rows), "user-list.csv")


# --------------------------------------------------------------------------- logos


@role_required(*READERS)
def logos(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    can_write, refusal = _can_write(request, organisation)
    form = LogoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_write:
            messages.error(request, refusal or _("You may not change the logos."))
        elif form.is_valid():
            try:
                services.logo_upload(
                    organisation=organisation,
                    variant=form.cleaned_data["variant"],
                    upload=form.cleaned_data["file"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Logo saved."))
                return redirect("onboarding_logos", organisation_id=organisation.pk)
    current = selectors.logos(organisation=organisation)
    return render(
        request,
        "onboarding/userlist/logos.html",
        {
            "organisation": organisation,
            "form": form,
            "variants": [
                (value, label, current.get(value)) for value, label in Logo.Variant.choices
            ],
            "can_write": can_write,
            "write_refusal": refusal,
            "rules": rules,
            "max_kb": rules.MAX_BYTES // 1024,
        },
    )


@role_required(*READERS)
def logo_file(request: HttpRequest, logo_id: int) -> FileResponse:
    logo = selectors.logo_get(logo_id=logo_id)
    response = FileResponse(
        logo.file.open("rb"),
        as_attachment=True,
        filename=logo.filename,
        content_type=logo.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --------------------------------------------------------------------------- whitelisting


@role_required(*READERS)
def whitelisting(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    can_write, refusal = _can_write(request, organisation)
    current = selectors.whitelisting(organisation=organisation)
    initial = (
        {name: getattr(current, name) for name in (*services.CHECKS, "note")} if current else {}
    )
    staff = request.tenancy.role in MANAGERS
    form = WhitelistingForm(initial=initial)
    instructions = WhitelistingInstructionsForm(
        initial={"technical_notes": current.technical_notes if current else ""}
    )
    if request.method == "POST":
        if not can_write:
            messages.error(request, refusal or _("You may not change this."))
        elif request.POST.get("form") == "instructions" and staff:
            instructions = WhitelistingInstructionsForm(request.POST)
            if instructions.is_valid():
                try:
                    services.whitelisting_instructions(
                        organisation=organisation, by=request.user, **instructions.cleaned_data
                    )
                except ValidationError as error:
                    add_service_errors(instructions, error)
                else:
                    messages.success(request, _("Instructions saved."))
                    return redirect("onboarding_whitelisting", organisation_id=organisation.pk)
        else:
            form = WhitelistingForm(request.POST)
            if form.is_valid():
                try:
                    services.whitelisting_confirm(
                        organisation=organisation, by=request.user, **form.cleaned_data
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, _("Whitelisting confirmed. Thank you."))
                    return redirect("onboarding_whitelisting", organisation_id=organisation.pk)
    return render(
        request,
        "onboarding/userlist/whitelisting.html",
        {
            "organisation": organisation,
            "current": current,
            "form": form,
            "instructions": instructions,
            "staff": staff,
            "can_write": can_write,
            "write_refusal": refusal,
        },
    )
