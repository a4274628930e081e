"""Pages of contracts, hours and terms. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.roles import PROVIDER_ROLES, Role
from accounts.selectors import organisation_get
from activities.selectors import statement_rows
from contracts import selectors, services
from contracts.forms import (
    CancellationForm,
    ContractForm,
    PackForm,
    RenewalForm,
    ReversalForm,
    TermsDocumentForm,
)
from contracts.models import MINIMUM_PACK_HOURS, Contract
from contracts.templatetags.hours import hours as hours_text
from contracts.templatetags.hours import percent_of
from contracts.templatetags.links import id_url
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, paginate, role_required, submit

MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)


@role_required(*PROVIDER_ROLES)
def contract_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    today = timezone.localdate()
    page = paginate(
        request,
        selectors.IdsFirst(selectors.contract_list(search=search, status=status, today=today)),
    )
    detail = id_url("contract_detail")
    rows = [_contract_row(contract, today, detail=detail) for contract in page]
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "status": status,
        "statuses": Contract.Status.choices,
    }
    template = (
        "contracts/partials/contract_rows.html" if request.htmx else "contracts/contract_list.html"
    )
    return render(request, template, context)


def _contract_row(contract: Contract, today: object, *, detail: object) -> dict:
    """One row of the contract list with its figures and sentences ready (issue 15): the
    template only places them, instead of a dozen filters and translations per row."""
    year = contract.current_years[0] if contract.current_years else None
    row: dict = {
        "contract": contract,
        "url": detail(contract.pk),
        "status_label": contract.get_status_display(),
        "year": year,
        "balance": None,
        "days_left": (contract.expires_on - today).days,
    }
    if year is not None:
        balance = selectors.balance_of(year)
        elapsed = selectors.domain.elapsed_fraction(year.starts_on, year.ends_on, today)
        burn = selectors.domain.burn_ratio(balance, year.starts_on, year.ends_on, today)
        elapsed_width = percent_of(elapsed, 1)
        used = balance.used_percent
        row.update(
            balance=balance,
            elapsed=elapsed,
            burn=burn,
            remaining=f"{hours_text(balance.remaining)} / {hours_text(balance.total)} h",
            used_width=percent_of(balance.charged, balance.total),
            elapsed_width=elapsed_width,
            over=bool(burn and burn > 1),
            # Only integers go into these sentences: nothing to escape.
            burn_title=mark_safe(_("%(used)s%% of the hours used") % {"used": used}),  # noqa: S308
            burn_caption=mark_safe(  # noqa: S308
                _("%(used)s%% used · %(elapsed)s%% of the year")
                % {"used": used, "elapsed": elapsed_width}
            ),
        )
    days = row["days_left"]
    if 0 <= days <= 60 and contract.status == Contract.Status.ACTIVE:
        row["expiry_badge"] = mark_safe(  # noqa: S308
            ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}
        )
    return row


@role_required(*MANAGERS)
def contract_create(request: HttpRequest) -> HttpResponse:
    form = ContractForm(
        request.POST or None, initial={"organisation": request.GET.get("organisation")}
    )
    contract = submit(request, form, lambda data: services.contract_create(**data))
    if contract is not NOT_DONE:
        messages.success(
            request, _("Contract %(number)s recorded as a draft.") % {"number": contract.number}
        )
        return redirect("contract_detail", contract_id=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form})


@role_required(*PROVIDER_ROLES)
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get(contract_id=contract_id)
    years = selectors.contract_years(contract=contract)
    today = timezone.localdate()
    selected = _selected_year(request, years, today, by="index")
    context = {
        "contract": contract,
        "services": list(contract.services.all()),
        "years": [(y, selectors.balance_of(y)) for y in years],
        "selected": selected,
        "balance": selectors.balance_of(selected) if selected else None,
        "entries": paginate(request, selectors.ledger_of(licence_year=selected))
        if selected
        else None,
        "today": today,
        "cancellation": getattr(contract, "cancellation", None),
        "renewal": Contract.objects.filter(renewal_of=contract).first(),
    }
    return render(request, "contracts/contract_detail.html", context)


def _selected_year(request: HttpRequest, years: list, today: object, *, by: str) -> object:
    """The licence year named by ``?year=`` (its ``by`` attribute: index or pk), else the current
    one, else the most recent."""
    wanted = request.GET.get("year")
    if wanted:
        found = next((y for y in years if str(getattr(y, by)) == wanted), None)
        if found is not None:
            return found
    current = selectors.current_year(years, today)
    if current is not None or not years:
        return current
    return max(years, key=lambda y: y.starts_on)


@require_POST
@role_required(*MANAGERS)
@already_done_redirects
def contract_activate(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get(contract_id=contract_id)
    try:
        form_once(
            request,
            lambda: services.contract_activate(contract=contract, by=request.user),
            url_of=lambda c: c.get_absolute_url(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Contract activated: the referent received its terms by email.")
        )
    return redirect("contract_detail", contract_id=contract.pk)


@role_required(*MANAGERS)
def contract_renew(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get(contract_id=contract_id)
    form = RenewalForm(
        request.POST or None,
        initial={"hours_per_year": contract.hours_per_year, "signed_on": timezone.localdate()},
    )
    renewal = submit(
        request,
        form,
        lambda data: services.contract_renew(contract=contract, by=request.user, **data),
    )
    if renewal is not NOT_DONE:
        messages.success(request, _("Renewal %(number)s recorded.") % {"number": renewal.number})
        return redirect("contract_detail", contract_id=renewal.pk)
    return render(request, "contracts/contract_renew.html", {"form": form, "contract": contract})


@role_required(Role.PROVIDER_ADMIN)
@already_done_redirects
def pack_add(request: HttpRequest, licence_year_id: int) -> HttpResponse:
    year = selectors.licence_year_get(licence_year_id=licence_year_id)
    form = PackForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: services.pack_add(licence_year=year, by=request.user, **data),
            url_of=lambda _pack: f"{year.contract.get_absolute_url()}?year={year.index}",
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Hours added to licence year %(n)s.") % {"n": year.index})
        return redirect(f"{year.contract.get_absolute_url()}?year={year.index}")
    context = {"form": form, "year": year, "minimum_hours": MINIMUM_PACK_HOURS}
    return render(request, "contracts/pack_form.html", context)


@role_required(*MANAGERS)
@already_done_redirects
def ledger_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.ledger_entry_get(entry_id=entry_id)
    form = ReversalForm(request.POST or None)
    year = entry.licence_year
    done = submit(
        request,
        form,
        lambda data: form_once(
            request,
            lambda: services.ledger_reverse(entry=entry, reason=data["reason"], by=request.user),
            url_of=lambda _e: f"{year.contract.get_absolute_url()}?year={year.index}",
        ),
    )
    if done is not NOT_DONE:
        messages.success(request, _("The charge was corrected with a reversing entry."))
        contract = entry.licence_year.contract
        return redirect(f"{contract.get_absolute_url()}?year={entry.licence_year.index}")
    return render(request, "contracts/reversal_form.html", {"form": form, "entry": entry})


@role_required(*MANAGERS)
def cancellation_record(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get(contract_id=contract_id)
    form = CancellationForm(request.POST or None, initial={"notice_on": timezone.localdate()})
    done = submit(
        request,
        form,
        lambda data: services.cancellation_record(contract=contract, by=request.user, **data),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Cancellation recorded: the customer is on the win-back list."))
        return redirect("contract_detail", contract_id=contract.pk)
    return render(request, "contracts/cancellation_form.html", {"form": form, "contract": contract})


@role_required(*PROVIDER_ROLES, Role.REFERENT)
def hours(request: HttpRequest, organisation_id: int | None = None) -> HttpResponse:
    """The live balance of the current licence year, every charge and why, past years (H10)."""
    tenancy = request.tenancy
    if organisation_id is None:
        if tenancy.role != Role.REFERENT:
            raise Http404
        organisation_id = tenancy.home_organisation_id
    organisation = organisation_get(organisation_id=organisation_id)
    today = timezone.localdate()
    years = selectors.hours_overview(organisation=organisation, today=today)
    selected = _selected_year(request, years, today, by="pk")
    context = {
        "organisation": organisation,
        "years": [(y, selectors.balance_of(y)) for y in years],
        "selected": selected,
        "balance": selectors.balance_of(selected) if selected else None,
        "elapsed": selectors.domain.elapsed_fraction(selected.starts_on, selected.ends_on, today)
        if selected
        else None,
        # Read-only rows (issue 15): no correction links here, so no model instances.
        "entries": _ledger_page(request, selected) if selected else None,
        "today": today,
        "statements": statement_rows(organisation_id=organisation.pk, limit=20),
    }
    return render(request, "contracts/hours.html", context)


def _ledger_page(request: HttpRequest, year: object) -> object:
    """A page of the licence year's ledger as plain rows with their date, hours and explanation
    already written (issue 15): the template only places them."""
    page = paginate(request, selectors.ledger_rows(licence_year=year))
    page.object_list = [
        {
            **row,
            "day": formats.date_format(row["occurred_on"], "SHORT_DATE_FORMAT"),
            "hours_text": hours_text(row["hours"]),
            "explanation_html": linebreaksbr(row["explanation"], autoescape=True),
        }
        for row in page.object_list
    ]
    return page


@role_required(Role.REFERENT)
def terms(request: HttpRequest) -> HttpResponse:
    """SPEC C4: the referent accepts the current EULA, SLA and data-processing appointment."""
    organisation = request.tenancy.membership.organisation
    pending = services.pending_documents(organisation=organisation)
    if request.method == "POST":
        if request.POST.get("accept") != "yes":
            messages.error(request, _("Tick the box to accept the documents."))
        else:
            try:
                services.terms_accept(
                    organisation=organisation,
                    documents=pending,
                    user=request.user,
                    ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Thank you: your acceptance is recorded."))
                return redirect("home")
    accepted = selectors.acceptances_of(organisation=organisation)
    return render(request, "contracts/terms.html", {"pending": pending, "accepted": accepted})


@role_required(Role.PROVIDER_ADMIN)
def terms_documents(request: HttpRequest) -> HttpResponse:
    form = TermsDocumentForm(request.POST or None, request.FILES or None)
    document = submit(
        request, form, lambda data: services.terms_document_publish(by=request.user, **data)
    )
    if document is not NOT_DONE:
        messages.success(
            request,
            _("%(doc)s published: referents will be asked to accept it.") % {"doc": document},
        )
        return redirect("terms_documents")
    return render(
        request,
        "contracts/terms_documents.html",
        {"form": form, "documents": selectors.terms_documents()},
    )


@role_required()
def terms_document_download(request: HttpRequest, document_id: int) -> FileResponse:
    """Documents are served through this signed-in view, never from a public media URL."""
    document = selectors.terms_document_get(document_id=document_id)
    filename = f"{document.kind}-{document.version}.pdf"
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )
