"""SPEC C5: after expiry a customer keeps read-only access; no new requests, no confirmations,
no estimate decisions. Every customer write on activities goes through the one check
``accounts.tenancy.customer_write_refusal``, in the portal and the API."""

from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_scopes import scopes_disabled

from accounts.models import Organisation
from accounts.tenancy import customer_write_refusal
from activities import services
from activities.models import ActivityRequest, Statement
from tests.activities.conftest import activity, fresh, log, once, requested
from tests.activities.test_api import REQUESTS, api, post
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

Status = ActivityRequest.Status


def read_only(tenant) -> str:
    """Put the tenant in its 30 read-only days; the refusal the referent reads (Italian)."""
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant.organisation.pk).update(
            access=Organisation.Access.READ_ONLY
        )
        tenant.organisation.refresh_from_db()
    with translation.override("it"):
        return escape(customer_write_refusal(tenant.organisation))


@pytest.fixture
def pending(kicked_off, cstm):
    """A request agreed by phone (to be formalised) and one whose estimate awaits the referent."""
    with scopes_disabled():
        phoned = services.request_create(
            organisation=kicked_off.organisation,
            activity=activity("sal-review"),
            by=cstm,
            channel=ActivityRequest.Channel.PHONE,
        )
    estimated = requested(kicked_off, "custom-reports")
    log(estimated, cstm, 45)
    with scopes_disabled():
        services.estimate_record(
            request=fresh(estimated), hours=Decimal("6"), note="Two reports", by=cstm
        )
    mail.outbox.clear()
    return phoned, estimated


def test_c5_a_read_only_referent_cannot_formalise_decide_an_estimate_or_cancel(kicked_off, pending):
    """The services refuse the read-only referent's confirmation, estimate decisions and
    cancellation with the central reason; nothing changes, no statement, no mail."""
    phoned, estimated = pending
    reason = unescape(read_only(kicked_off))
    referent = kicked_off.referent
    calls = [
        lambda: services.request_formalise(request=fresh(phoned), by=referent),
        lambda: services.estimate_decide(request=fresh(estimated), accept=True, by=referent),
        lambda: services.estimate_decide(request=fresh(estimated), accept=False, by=referent),
        lambda: services.request_cancel(request=fresh(phoned), by=referent),
    ]
    for call in calls:
        with scopes_disabled(), translation.override("it"), pytest.raises(ValidationError) as e:
            call()
        assert e.value.messages == [reason]
    assert fresh(phoned).status == Status.TO_BE_FORMALISED
    assert fresh(estimated).status == Status.ESTIMATE_SENT
    with scopes_disabled():
        assert not Statement.objects.filter(request=estimated).exists()
    assert mail.outbox == []


def test_c5_a_read_only_referent_is_refused_by_the_api_too(kicked_off, pending):
    """The API gives the same central reason (400) for a new request, a confirmation and an
    estimate decision, and writes nothing."""
    phoned, estimated = pending
    reason = unescape(read_only(kicked_off))
    client = api(kicked_off.referent)
    answers = [
        post(client, REQUESTS, {"activity": activity("sal-review").pk}),
        post(client, f"{REQUESTS}{phoned.pk}/formalise/"),
        post(client, f"{REQUESTS}{estimated.pk}/accept-estimate/"),
        post(client, f"{REQUESTS}{estimated.pk}/decline-estimate/"),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"non_field_errors": [reason]}
    assert fresh(phoned).status == Status.TO_BE_FORMALISED
    assert fresh(estimated).status == Status.ESTIMATE_SENT


def test_c5_a_read_only_referent_sees_requests_without_write_buttons_and_a_clear_sentence(
    kicked_off, pending
):
    """The pages show the requests without the buttons to request, confirm, decide or cancel,
    and say why; a posted confirmation is refused all the same."""
    phoned, estimated = pending
    reason = read_only(kicked_off)
    client = client_for(kicked_off.referent)
    for req in (phoned, estimated):
        page = client.get(req.get_absolute_url()).content.decode()
        assert reason in page
        assert 'data-testid="write-refusal"' in page
        for transition in ("formalise", "accept-estimate", "decline-estimate", "cancel"):
            assert f"/do/{transition}/" not in page
    listing = client.get(reverse("activity_request_list")).content.decode()
    assert reverse("activity_request_create") not in listing and reason in listing
    form_page = client.get(reverse("activity_request_create")).content.decode()
    assert reason in form_page and 'name="activity"' not in form_page
    client.post(reverse("activity_request_transition", args=[phoned.pk, "formalise"]), once())
    assert fresh(phoned).status == Status.TO_BE_FORMALISED
