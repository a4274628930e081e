"""The request form tells the referent what the chosen activity costs and needs before they send
it (SPEC H3, H6, H10, O1): its minimum hours, its notice in working days, whether an estimate
comes first, and how much of the remaining hours it uses; a completed kick-off is not offered
nor accepted again."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from activities import services
from activities.models import ActivityRequest
from tests.activities.conftest import activity, once, requested
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def italian(message: str, **values) -> str:
    with translation.override("it"):
        return _(message) % values if values else _(message)


def facts_of(html: str) -> dict:
    """The data the page's script reads (json_script: no inline code, SPEC CSP)."""
    match = re.search(r'<script id="activity-facts" type="application/json">(.*?)</script>', html)
    assert match, "the page carries the activities' facts"
    return json.loads(match.group(1))


def test_h3_h6_the_request_form_carries_minimum_notice_and_estimate_of_each_activity(kicked_off):
    """Every activity offered comes with its minimum hours, its notice in working days and
    whether an estimate comes first, as sentences in the referent's language."""
    response = client_for(kicked_off.referent).get(reverse("activity_request_create"))
    html = response.content.decode()
    facts = facts_of(html)
    by_cst = facts[str(activity("user-list-by-cst").pk)]
    assert italian("Minimum charged: %(hours)s h per request.", hours="3") in by_cst["facts"]
    with translation.override("it"):
        notice = ngettext(
            "It needs %(days)s working day of notice.",
            "It needs %(days)s working days of notice.",
            5,
        ) % {"days": 5}
    assert notice in by_cst["facts"]
    estimate = (
        "An estimate comes first: the feasibility analysis is charged %(hours)s h whatever its "
        "outcome, and the work starts only after you confirm the estimate."
    )
    assert italian(estimate, hours="8") in facts[str(activity("ldap").pk)]["facts"]
    assert len(by_cst["facts"]) == 2  # its minimum and its notice: no estimate first
    assert 'src="/static/js/request_form.js"' in html or "js/request_form.js" in html
    assert "<script>" not in html  # no inline code: the CSP forbids it


def test_h10_the_request_form_confirms_the_hours_used_of_the_remaining_balance(kicked_off):
    """ "This uses at least 3 h of your 25,5 h": the minimum against the remaining hours of
    the current licence year (20 h + 8 h pack − 1,5 h − 1 h kick-off), in Italian figures."""
    page = client_for(kicked_off.referent).get(reverse("activity_request_create"))
    facts = facts_of(page.content.decode())
    uses = facts[str(activity("user-list-by-cst").pk)]["uses"]
    assert uses == italian(
        "This uses at least %(minimum)s h of your %(remaining)s h.", minimum="3", remaining="25,5"
    )


def test_h10_the_page_shown_again_after_an_error_shows_the_chosen_activitys_facts(kicked_off):
    """Without script, the facts of the chosen activity are on the page shown again with its
    errors (a preferred date in the past)."""
    response = client_for(kicked_off.referent).post(
        reverse("activity_request_create"),
        once({"activity": activity("phishing-template").pk, "preferred_on": "2000-01-01"}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    panel = re.search(r'data-testid="activity-facts".*?</section>', html, re.S).group(0)
    assert italian(
        "This uses at least %(minimum)s h of your %(remaining)s h.", minimum="4", remaining="25,5"
    ) in panel.replace("&#x27;", "'")


def test_o1_a_completed_kickoff_is_not_offered_nor_accepted_again(kicked_off, cstm):
    """The kick-off done, the form no longer offers it, the service refuses it with a clear
    message (also when staff record it), and the API answers the same; nothing is written."""
    kickoff = activity("kickoff")
    html = client_for(kicked_off.referent).get(reverse("activity_request_create")).content.decode()
    assert f'value="{kickoff.pk}"' not in html
    assert str(kickoff.pk) not in facts_of(html)
    with scopes_disabled():
        before = ActivityRequest.objects.count()
    reason = italian("The kick-off meeting has already taken place: it is not requested again.")
    response = client_for(kicked_off.referent).post(
        reverse("activity_request_create"), once({"activity": kickoff.pk})
    )
    assert response.status_code == 200  # refused by the form: not a choice
    with translation.override("it"), pytest.raises(Exception) as error:
        requested(kicked_off, "kickoff")
    assert reason in " ".join(error.value.messages)
    with translation.override("it"), scopes_disabled(), pytest.raises(Exception) as by_staff:
        services.request_create(
            organisation=kicked_off.organisation, activity=kickoff, by=cstm, channel="phone"
        )
    assert reason in " ".join(by_staff.value.messages)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {kicked_off.token_secret}")
    answer = api.post(
        "/api/v1/activity-requests/",
        {"activity": kickoff.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="it",
        HTTP_IDEMPOTENCY_KEY="kickoff-again-1",
    )
    assert answer.status_code == 400
    assert reason in json.dumps(answer.json(), ensure_ascii=False)
    with scopes_disabled():
        assert ActivityRequest.objects.count() == before


def test_o1_staff_may_record_the_kickoff_while_it_is_not_done(tenant_a, cstm):
    """Before the kick-off, it is offered and accepted (the refusal is only for a done one)."""
    html = client_for(tenant_a.referent).get(reverse("activity_request_create")).content.decode()
    assert f'value="{activity("kickoff").pk}"' in html
    req = requested(tenant_a, "kickoff")
    assert req.status == ActivityRequest.Status.REQUESTED
