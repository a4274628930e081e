from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from activities import services
from activities.models import Activity, ActivityRequest


def activity(code: str) -> Activity:
    return Activity.objects.get(code=code)


def requested(tenant, code: str, **kwargs) -> ActivityRequest:
    """A request made by the tenant's referent in the portal."""
    with scopes_disabled():
        return services.request_create(
            organisation=tenant.organisation, activity=activity(code), by=tenant.referent, **kwargs
        )


def log(req, by, minutes, *, caused=False, reason="", on=None):
    with scopes_disabled():
        req = ActivityRequest.objects.get(pk=req.pk)
        return services.work_log(
            request=req,
            worked_on=on or timezone.localdate(),
            minutes=minutes,
            customer_caused=caused,
            overrun_reason=reason,
            by=by,
        )


def complete(req, by):
    with scopes_disabled():
        return services.request_complete(request=ActivityRequest.objects.get(pk=req.pk), by=by)


def fresh(req) -> ActivityRequest:
    with scopes_disabled():
        return ActivityRequest.objects.get(pk=req.pk)


@pytest.fixture
def kicked_off(tenant_a, cstm):
    """Tenant A after its kick-off meeting (SPEC O1): 1 h charged for it."""
    kickoff = requested(tenant_a, "kickoff")
    log(kickoff, cstm, 50)
    complete(kickoff, cstm)
    return tenant_a


def remaining(tenant) -> Decimal:
    from contracts.services import year_remaining

    with scopes_disabled():
        year = tenant.contract.licence_years.get(index=1)
        return year_remaining(year)


def once(data: dict | None = None) -> dict:
    """Form data with the one-time token a rendered form carries (SPEC L5)."""
    from csm_portal.idempotency import FORM_FIELD, new_form_token

    return {**(data or {}), FORM_FIELD: new_form_token()}
