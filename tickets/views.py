"""Pages of the service desk. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.roles import PROVIDER_ROLES, Role
from accounts.tenancy import customer_write_refusal
from csm_portal import charts
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, add_service_errors, paginate, role_required, submit
from tickets import desk, kpi, portal, selectors, sla
from tickets.forms import (
    AgentReplyForm,
    NewRequestForm,
    ReplyForm,
    TicketUpdateForm,
    TriageForm,
)
from tickets.models import Ticket
from tickets.triage import held_dismiss, held_to_ticket

DESK = (Role.AGENT, Role.PROVIDER_ADMIN)
EVERYONE = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)


@role_required(*EVERYONE)
def ticket_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", selectors.ACTIVE)
    level = request.GET.get("level", "")
    mine = request.GET.get("mine") == "1"
    tickets = selectors.ticket_list(
        tenancy=request.tenancy,
        user=request.user,
        search=search,
        status=status,
        level=level,
        mine=mine,
    )
    page = paginate(request, tickets)
    now = timezone.now()
    rows = [(t, sla.clock(t, now)) for t in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "status": status,
        "level": level,
        "mine": mine,
        "statuses": Ticket.Status.choices,
    }
    template = "tickets/partials/ticket_rows.html" if request.htmx else "tickets/ticket_list.html"
    return render(request, template, context)


@role_required(*EVERYONE)
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(tenancy=request.tenancy, user=request.user, ticket_id=ticket_id)
    staff = request.tenancy.is_provider_staff
    at_desk = request.tenancy.role in DESK
    # SPEC C5: an expired customer reads the ticket; a sentence takes the reply form's place.
    refusal = desk.reply_refusal(ticket=ticket, by=request.user)
    form_class = AgentReplyForm if at_desk else ReplyForm
    reply_form = None if refusal else form_class(request.POST or None)
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
    context = {
        "ticket": ticket,
        "thread": list(selectors.conversation(ticket, staff=staff)),
        "events": list(ticket.events.select_related("actor").order_by("at", "pk")) if staff else [],
        "contractual": list(ticket.events.filter(contractual=True).order_by("at", "pk")),
        "attachments": list(ticket.attachments.order_by("pk")),
        "clock": sla.clock(ticket, timezone.now()),
        "reply_form": reply_form,
        "update_form": TicketUpdateForm(
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
        if at_desk
        else None,
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


@role_required(*DESK)
def triage_item(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = selectors.inbound_get(inbound_id=inbound_id)
    form = TriageForm(request.POST or None, initial={"organisation": inbound.organisation_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["organisation"]:
                ticket = held_to_ticket(
                    inbound=inbound,
                    organisation=data["organisation"],
                    category=data["category"] or Ticket.Category.OTHER,
                    by=request.user,
                )
                messages.success(request, _("Ticket %(n)s opened.") % {"n": ticket.number})
                return redirect(ticket)
            held_dismiss(inbound=inbound, reason=data["reason"], by=request.user)
            messages.success(request, _("Kept as not a ticket."))
            return redirect("triage")
        except ValidationError as error:
            add_service_errors(form, error)
    with inbound.raw.open("rb") as handle:
        from tickets.parsing import parse

        parsed = parse(handle.read())
    return render(
        request,
        "tickets/triage_item.html",
        {"inbound": inbound, "parsed": parsed, "form": form},
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
def kpi_page(request: HttpRequest) -> HttpResponse:
    context = kpi.overview(months=6)
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
