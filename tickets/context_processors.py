"""The support address on every customer page (issue 14, SPEC S1). It lives here, not in
accounts/context_processors.py: accounts is the base every app builds on and imports none of
them (tests/test_layers.py), while the address belongs to the desk's mailboxes."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tickets import portal


def support(request: HttpRequest) -> dict:
    """For a customer, the address they write to, looked up (from the cache) only when a
    template prints it; staff pages get nothing."""
    tenancy = getattr(request, "tenancy", None)
    if tenancy is None or not tenancy.is_customer:
        return {}
    return {"support_address": SimpleLazyObject(portal.support_address)}
