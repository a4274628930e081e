"""The customer-360 (issue 14): one page per organisation for provider staff — contract and
renewal, hours used per licence year, open tickets, recent activities and statements, people and
their CSTM, and the timeline of every touchpoint.

accounts is the base every app builds on and imports none of them: the blocks and the timeline
come from the registries of ``csm_portal.timeline``, which each app fills from its ``ready()``.
Every panel and every timeline source costs a constant number of queries, so the page's cost does
not grow with the customer's history. Customers never reach it (404, SPEC T1)."""

from datetime import date

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope
from django_scopes.state import get_scope

from accounts import selectors
from accounts.roles import PROVIDER_ROLES
from csm_portal import timeline
from csm_portal.forms import DateInput
from csm_portal.web import role_required


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Every touchpoint")), *timeline.KIND_LABELS.items()],
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


@role_required(*PROVIDER_ROLES)
def customer_360(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    if organisation.is_provider:
        raise Http404
    # Issue 15: the page reads one organisation, which the scoped lookup above has just proved
    # visible. Narrow the scope to it: every query below says "organisation = this one" instead
    # of repeating the CSTM's whole list of customers (hundreds of ids parsed, sent and planned
    # per query). A subset of the request's scope, never more (SPEC T1, T2).
    visible = get_scope().get("organisation")
    if visible is not None and organisation.pk not in visible:
        raise Http404
    with scope(organisation=organisation.pk):
        return _page(request, organisation)


def _page(request: HttpRequest, organisation: object) -> HttpResponse:
    today = timezone.localdate()
    form = TimelineFilterForm(request.GET or None)
    kind, since, until = "", None, None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    cursor = timeline.Cursor.decode(request.GET.get("before", ""))
    page = timeline.timeline(
        organisation_id=organisation.pk,
        kinds=[kind] if kind else None,
        since=since,
        until=until,
        before=cursor,
    )
    blocks = [
        {"template": panel.template, **panel.context(organisation=organisation, today=today)}
        for panel in timeline.panels()
    ]
    scripts: list[str] = []
    for panel in timeline.panels():
        scripts.extend(s for s in panel.scripts if s not in scripts)
    context = {
        "organisation": organisation,
        "today": today,
        "people": list(selectors.organisation_people(organisation=organisation)),
        "cstms": _current_cstms(organisation, today),
        "blocks": blocks,
        "scripts": scripts,
        "form": form,
        "timeline": page,
        "next_query": _next_query(request, page.next_cursor),
        "first_page": cursor is None,
    }
    return render(request, "accounts/customer360/page.html", context)


def _current_cstms(organisation: object, today: date) -> list:
    return [
        assignment
        for assignment in selectors.organisation_assignments(organisation=organisation)
        if assignment.is_active_on(today)
    ]


def _next_query(request: HttpRequest, cursor: timeline.Cursor | None) -> str:
    """The query string of the next (older) page: the same filters, the new cursor."""
    if cursor is None:
        return ""
    query = request.GET.copy()
    query["before"] = cursor.encode()
    return query.urlencode()
