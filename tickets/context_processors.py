"""The support address on every customer page (issue 14, SPEC S1). It lives here, not in
accounts/context_processors.py: accounts is the base every app builds on and imports none of
them (tests/test_layers.py), while the address belongs to the desk's mailboxes."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.tenancy import register_request_key, request_cache_get
from tickets import portal

# Read with the person in the request's one round trip (issue 15): a customer page asks Redis
# nothing more for it. Only customers see it, and they never change a mailbox, so the value
# read at the start of their request is the one its page would have read.
register_request_key("support-address", lambda user_id: portal.support_address_key())


def _address(request: HttpRequest) -> str:
    address = request_cache_get(request, portal.support_address_key())
    return address if isinstance(address, str) else portal.support_address()


def support(request: HttpRequest) -> dict:
    """For a customer, the address they write to, looked up (from the cache, read with the
    person) only when a template prints it; staff pages get nothing."""
    tenancy = getattr(request, "tenancy", None)
    if tenancy is None or not tenancy.is_customer:
        return {}
    return {"support_address": SimpleLazyObject(lambda: _address(request))}
