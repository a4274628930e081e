"""The win-back page (SPEC C6: "a cancelled customer is not a lost customer"): cancelled
customers with the reason and the date, the one-hour win-back meeting and its minutes (library
meetings), the outcome. Staff only (CSTMs of the customer, admins), in their scope."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import services as contract_services
from csm_portal.idempotency import already_done_redirects, form_once
from csm_portal.web import NOT_DONE, paginate, role_required, submit
from onboarding.library.forms import attendee_lines
from onboarding.library.selectors import referents_of
from onboarding.siem.access import MANAGERS
from onboarding.winback import selectors, services
from onboarding.winback.forms import OutcomeForm, WinBackMeetingForm


@role_required(*MANAGERS)
def win_back(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notice_list())
    return render(request, "onboarding/winback/list.html", {"page": page})


def _page(request: HttpRequest, notice, outcome_form: OutcomeForm | None = None) -> HttpResponse:
    form = outcome_form or OutcomeForm(
        initial={
            "outcome": notice.outcome,
            "won_back_on": notice.won_back_on,
            "note": notice.win_back_note,
        }
    )
    context = {
        "notice": notice,
        "meetings": list(selectors.meetings_of(notice)),
        "outcome_form": form,
    }
    return render(request, "onboarding/winback/detail.html", context)


@role_required(*MANAGERS)
def win_back_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _page(request, selectors.notice_get(notice_id=notice_id))


@role_required(*MANAGERS)
@require_POST
def win_back_outcome(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notice_get(notice_id=notice_id)
    form = OutcomeForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: contract_services.win_back_record(
            notice=notice,
            outcome=data["outcome"],
            won_back_on=data.get("won_back_on"),
            note=data.get("note", ""),
            by=request.user,
        ),
    )
    if done is NOT_DONE:
        return _page(request, notice, outcome_form=form)
    messages.success(request, _("Win-back outcome recorded."))
    return redirect("win_back_detail", notice_id=notice.pk)


@role_required(*MANAGERS)
@already_done_redirects
def win_back_meeting(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notice_get(notice_id=notice_id)
    me = request.user
    initial = {
        "provider_attendees": f"{me.display_name}, {me.email}",
        "customer_attendees": attendee_lines(
            [
                {"name": r.display_name, "email": r.email, "side": "customer", "role": ""}
                for r in referents_of(notice.organisation)
            ],
            "customer",
        ),
    }
    form = WinBackMeetingForm(request.POST or None, initial=initial)
    meeting = submit(
        request,
        form,
        lambda _data: form_once(
            request,
            lambda: services.win_back_meeting_schedule(
                notice=notice, by=request.user, **form.service_arguments()
            ),
            url_of=lambda _m: reverse("win_back_detail", args=[notice.pk]),
        ),
    )
    if meeting is not NOT_DONE:
        messages.success(request, _("Win-back meeting scheduled: the attendees were invited."))
        return redirect("win_back_detail", notice_id=notice.pk)
    return render(request, "onboarding/winback/meeting_form.html", {"form": form, "notice": notice})
