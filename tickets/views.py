"""Pages of the service desk. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal import charts, request_scope
from csm_portal.db_router import reads_from_replica
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, PAGE_SIZE, add_service_errors, paginate, role_required, submit
from tickets import desk, desk_settings, kpi, outages, portal, reference, selectors, sla
from tickets.forms import (
    AgentReplyForm,
    CannedResponseForm,
    NewRequestForm,
    OutageForm,
    ReplyForm,
    SlaPolicyForm,
    TicketUpdateForm,
    TriageDismissForm,
    TriageOpenForm,
)
from tickets.models import CannedResponse, SlaPolicy, Ticket
from tickets.triage import held_dismiss, held_to_ticket

DESK = (Role.AGENT, Role.PROVIDER_ADMIN)
EVERYONE = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


@role_required(*EVERYONE)
def ticket_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", selectors.ACTIVE)
    level = request.GET.get("level", "")
    mine = request.GET.get("mine") == "1"
    sla_filter = request.GET.get("sla", "")
    tickets = selectors.ticket_list(
        tenancy=request.tenancy,
        user=request.user,
        search=search,
        status=status,
        level=level,
        mine=mine,
        sla=sla_filter,
    )
    scope = request_scope.context(request)  # issue 14: the referent's mine / organisation's
    tickets = portal.requests_in_scope(tickets, user=request.user, scope=scope["scope"])
    # Keyset pages (issue 15): "next" and "previous" from the rows shown, no count, no OFFSET.
    order = selectors.ticket_list_order(tenancy=request.tenancy, sla=sla_filter)
    try:
        page = selectors.keyset_page(
            tickets,
            size=PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            order=order,
        )
    except ValueError:
        page = selectors.keyset_page(tickets, size=PAGE_SIZE, order=order)
    rows = _list_rows(page.rows, timezone.now())
    context = {
        "rows": rows,
        "next_url": _page_url(request, after=page.after) if page.after else "",
        "previous_url": _page_url(request, before=page.before) if page.before else "",
        "search": search,
        "status": status,
        "level": level,
        "mine": mine,
        "sla": sla_filter,
        "statuses": Ticket.Status.choices,
        **scope,
    }
    template = "tickets/partials/ticket_rows.html" if request.htmx else "tickets/ticket_list.html"
    return render(request, template, context)


_LABELS = {
    "type": Ticket.Type.choices,
    "category": Ticket.Category.choices,
    "priority": Ticket.Priority.choices,
    "status": Ticket.Status.choices,
}


def _list_rows(tickets: list[Ticket], now) -> list[tuple[Ticket, dict]]:
    """Each row's ticket and SLA badge, with what the row shows computed once here (issue 15:
    no ``get_*_display``, URL reversal or badge sub-template per row): ``t.url``,
    ``t.labels`` (type, category, priority, status in the reader's language)."""
    labels = {
        name: {value: str(label) for value, label in choices} for name, choices in _LABELS.items()
    }
    head, tail = reverse("ticket_detail", args=[0]).rsplit("0", 1)
    rows = []
    for ticket in tickets:
        ticket.url = f"{head}{ticket.pk}{tail}"
        ticket.labels = {name: labels[name].get(getattr(ticket, name), "") for name in labels}
        rows.append((ticket, sla.clock_text(sla.clock(ticket, now))))
    return rows


def _update_form(ticket: Ticket) -> TicketUpdateForm:
    """The desk's update form for the ticket, its owner choices from the cache (issue 15; the
    POST's form still validates the owner against the database)."""
    form = TicketUpdateForm(
        initial={
            "status": ticket.status,
            "type": ticket.type,
            "category": ticket.category,
            "priority": ticket.priority,
            "level": ticket.level,
            "owner": ticket.owner_id,
            "outcome": ticket.outcome,
        }
    )
    owner = form.fields["owner"]
    owner.widget.choices = reference.owner_choices(owner)
    return form


def _page_url(request: HttpRequest, **position: str) -> str:
    """The list's address with its filters and the new position (``after`` or ``before``)."""
    query = request.GET.copy()
    for name in ("after", "before", "page"):
        query.pop(name, None)
    query.update(position)
    return f"{request.path}?{query.urlencode()}"


@role_required(*EVERYONE)
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    staff = request.tenancy.is_provider_staff
    at_desk = request.tenancy.role in DESK
    # SPEC C5: an expired customer reads the ticket; a sentence takes the reply form's place.
    refusal = desk.reply_refusal(ticket=ticket, by=request.user)
    if refusal:
        reply_form = None
    elif at_desk:
        reply_form = AgentReplyForm(request.POST or None, request.FILES or None)
    else:
        reply_form = ReplyForm(request.POST or None)
    if request.method == "POST" and reply_form is not None:
        try:
            done = submit(
                request,
                reply_form,
                lambda data: desk.ticket_reply(ticket=ticket, by=request.user, **data),
            )
        except PermissionDenied as error:  # the contract expired while the page was open
            refusal, reply_form = str(error), None
        else:
            if done is not NOT_DONE:
                messages.success(request, _("Reply recorded."))
                return redirect(ticket)
    # Staff read the whole history once; its contractual events are a part of it (issue 15).
    events = list(ticket.events.select_related("actor").order_by("at", "pk")) if staff else []
    contractual = (
        [e for e in events if e.contractual]
        if staff
        else list(ticket.events.filter(contractual=True).order_by("at", "pk"))
    )
    context = {
        "ticket": ticket,
        "thread": list(selectors.conversation(ticket, staff=staff)),
        "events": events,
        "contractual": contractual,
        "attachments": list(selectors.ticket_attachments(ticket, staff=staff)),
        "clock": sla.clock_text(sla.clock(ticket, timezone.now())),
        "canned": reference.canned_picker() if at_desk else [],
        "outages": list(selectors.outages_of(ticket)) if staff else [],
        "outage_form": OutageForm() if at_desk and ticket.type == Ticket.Type.INCIDENT else None,
        "reply_form": reply_form,
        "update_form": _update_form(ticket) if at_desk else None,
        "desk": at_desk,
        "reply_refusal": refusal,
    }
    # A refused write answers 403 (nothing was written), with the page and its sentence.
    status = 403 if refusal and request.method == "POST" else 200
    return render(request, "tickets/ticket_detail.html", context, status=status)


@role_required(*DESK)
def ticket_update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    form = TicketUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            desk.ticket_update(ticket=ticket, by=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Ticket updated."))
    return redirect(ticket)


@role_required(*DESK)
def triage(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tickets/triage.html",
        {
            "page": paginate(request, selectors.held_messages()),
            "failed": paginate(request, selectors.failed_messages())
            if request.tenancy.is_admin
            else None,
        },
    )


TRIAGE_OPEN, TRIAGE_DISMISS = "open", "dismiss"


@role_required(*DESK)
def triage_item(request: HttpRequest, inbound_id: int) -> HttpResponse:
    """Two distinct actions, each its own form and button: open a ticket for a customer, or
    keep the message as not a ticket because of a reason (required). A POST names its action;
    one without a known action changes nothing."""
    inbound = selectors.inbound_get(inbound_id=inbound_id)
    action = request.POST.get("action") if request.method == "POST" else None
    open_form = TriageOpenForm(
        request.POST if action == TRIAGE_OPEN else None,
        initial={"organisation": inbound.organisation_id, "category": Ticket.Category.OTHER},
        prefix=TRIAGE_OPEN,
    )
    dismiss_form = TriageDismissForm(
        request.POST if action == TRIAGE_DISMISS else None, prefix=TRIAGE_DISMISS
    )
    status = 200
    if request.method == "POST" and action not in (TRIAGE_OPEN, TRIAGE_DISMISS):
        messages.error(request, _("Choose one of the two actions."))
        status = 400
    elif action == TRIAGE_OPEN:
        ticket = submit(
            request,
            open_form,
            lambda data: held_to_ticket(
                inbound=inbound,
                organisation=data["organisation"],
                category=data["category"],
                by=request.user,
            ),
        )
        if ticket is not NOT_DONE:
            messages.success(request, _("Ticket %(n)s opened.") % {"n": ticket.number})
            return redirect(ticket)
    elif action == TRIAGE_DISMISS:
        done = submit(
            request,
            dismiss_form,
            lambda data: held_dismiss(inbound=inbound, reason=data["reason"], by=request.user),
        )
        if done is not NOT_DONE:
            messages.success(request, _("Kept as not a ticket."))
            return redirect("triage")
    with inbound.raw.open("rb") as handle:
        from tickets.parsing import parse

        parsed = parse(handle.read())
    return render(
        request,
        "tickets/triage_item.html",
        {
            "inbound": inbound,
            "parsed": parsed,
            "open_form": open_form,
            "dismiss_form": dismiss_form,
        },
        status=status,
    )


@role_required(*EVERYONE)
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_get(
        tenancy=request.tenancy, user=request.user, attachment_id=attachment_id
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )


@role_required(*PROVIDER_ROLES)
@reads_from_replica  # read-only and heavy: the replica when one is configured (scale-out)
def kpi_page(request: HttpRequest) -> HttpResponse:
    context = kpi.overview(months=6)
    context["availability"] = selectors.availability_overview(months=3)
    rows = context["by_month"]
    context["month_chart"] = charts.bars_and_line(
        labels=[date_format(row["month"], "F Y") for row in rows],
        bars=[row["opened"] for row in rows],
        bar_label=_("Opened"),
        line=[row["compliance"] for row in rows],
        line_label=_("SLA met (%)"),
        line_max=100,
    )
    return render(request, "tickets/kpi.html", context)


@role_required(Role.REFERENT, Role.END_USER)
@already_done_redirects
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A customer opens a request in the portal (SPEC S2, S3, C5); the same rules as by mail."""
    sender = portal.sender_of(request.user)
    refusal = customer_write_refusal(sender.organisation)
    form = NewRequestForm(
        request.POST or None, request.FILES or None, categories=portal.categories_for(sender)
    )
    ticket = NOT_DONE
    if not refusal:
        ticket = submit(
            request,
            form,
            lambda data: form_once(
                request,
                lambda: portal.ticket_open(by=request.user, **data),
                url_of=lambda opened: opened.get_absolute_url(),
            ),
        )
    if ticket is not NOT_DONE:
        messages.success(
            request,
            _("Request %(number)s recorded: we confirmed it by e-mail to %(email)s.")
            % {"number": ticket.number, "email": request.user.email},
        )
        return redirect(ticket)
    context = {"form": form, "refusal": refusal, "support_address": portal.support_address()}
    # A refused write (C5) is a 403 with the reason on the page; nothing was written.
    status = 403 if refusal and request.method == "POST" else 200
    return render(request, "tickets/ticket_new.html", context, status=status)


# --------------------------------------------------------------------------- canned responses


@role_required(*DESK)
@require_GET
def canned_insert(request: HttpRequest, ticket_id: int, canned_id: int) -> JsonResponse:
    """The canned response for this ticket: in its requester's language, placeholders filled.
    The reply box's script asks for it (static JS, no inline script under the CSP)."""
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    canned = selectors.canned_response_get(canned_id=canned_id)
    return JsonResponse(
        {"text": desk_settings.canned_text(canned, ticket=ticket, agent=request.user)}
    )


@role_required(Role.PROVIDER_ADMIN)
def canned_list(request: HttpRequest) -> HttpResponse:
    responses = CannedResponse.objects.order_by("-active", "title_it", "pk")
    return render(request, "tickets/canned_list.html", {"responses": responses})


@role_required(Role.PROVIDER_ADMIN)
def canned_edit(request: HttpRequest, canned_id: int | None = None) -> HttpResponse:
    canned = (
        selectors.canned_response_get(canned_id=canned_id, active_only=False)
        if canned_id is not None
        else None
    )
    initial = (
        {
            field: getattr(canned, field)
            for field in CannedResponseForm.base_fields
            if hasattr(canned, field)
        }
        if canned
        else {"active": True}
    )
    form = CannedResponseForm(request.POST or None, initial=initial)
    saved = submit(
        request,
        form,
        lambda data: desk_settings.canned_response_save(by=request.user, canned=canned, **data),
    )
    if saved is not NOT_DONE:
        messages.success(request, _("Canned response saved."))
        return redirect("canned_list")
    return render(request, "tickets/canned_edit.html", {"form": form, "canned": canned})


# --------------------------------------------------------------------------- SLA policies


@role_required(Role.PROVIDER_ADMIN)
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    policies = SlaPolicy.objects.select_related("contract__organisation").order_by(
        "contract__organisation__name", "contract__number", "ticket_type", "priority"
    )
    return render(request, "tickets/sla_policy_list.html", {"policies": policies})


@role_required(Role.PROVIDER_ADMIN)
def sla_policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=policy_id) if policy_id is not None else None
    initial = (
        {
            "name": policy.name,
            "ticket_type": policy.ticket_type,
            "priority": policy.priority,
            "contract": policy.contract_id,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "warn_before_minutes": policy.warn_before_minutes,
            "availability_target": policy.availability_target,
        }
        if policy
        else {"warn_before_minutes": 60}
    )
    form = SlaPolicyForm(request.POST or None, initial=initial)
    saved = submit(
        request,
        form,
        lambda data: desk_settings.sla_policy_save(by=request.user, policy=policy, **data),
    )
    if saved is not NOT_DONE:
        messages.success(request, _("SLA policy saved."))
        return redirect("sla_policy_list")
    return render(request, "tickets/sla_policy_edit.html", {"form": form, "policy": policy})


# --------------------------------------------------------------------------- outages (S9)


@role_required(*DESK)
@require_POST
def outage_add(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    form = OutageForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: outages.outage_record(
            ticket=ticket, by=request.user, **form.service_arguments()
        ),
    )
    if done is NOT_DONE:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(problems) or _("The outage was not recorded."))
    else:
        messages.success(request, _("Outage recorded."))
    return redirect(ticket)


@role_required(*DESK)
@require_POST
def outage_close(request: HttpRequest, ticket_id: int, outage_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    outage = get_object_or_404(ticket.outages, pk=outage_id)
    form = OutageForm(
        {
            "service": outage.service,
            "start_date": timezone.localtime(outage.started_at).date().isoformat(),
            "start_time": timezone.localtime(outage.started_at).strftime("%H:%M"),
            "end_date": request.POST.get("end_date", ""),
            "end_time": request.POST.get("end_time", ""),
        }
    )
    done = submit(
        request,
        form,
        lambda data: outages.outage_end(outage=outage, by=request.user, ended_at=data["ended_at"]),
    )
    if done is NOT_DONE:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(problems) or _("The end was not recorded."))
    else:
        messages.success(request, _("End of the outage recorded."))
    return redirect(ticket)
