"""Issue 14: "my requests / my organisation's requests", the referent's switch on the tickets
and activity requests lists. Only a referent may widen it; an end user's list stays theirs
whatever the URL says (SPEC T1), and provider staff get no switch (T2)."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

MINE = "mine"
ORGANISATION = "organisation"
CHOICES = ((MINE, _("My requests")), (ORGANISATION, _("My organisation's requests")))


def chosen(request: HttpRequest) -> str:
    """``MINE`` or ``ORGANISATION`` for a customer (the referent chooses, default ``MINE``; any
    other customer always ``MINE``); "" for provider staff, whose lists are not narrowed."""
    tenancy = request.tenancy
    if not tenancy.is_customer:
        return ""
    if tenancy.role == Role.REFERENT and request.GET.get("scope") == ORGANISATION:
        return ORGANISATION
    return MINE


def context(request: HttpRequest) -> dict:
    """What ``templates/tickets/portal_scope.html`` needs: the choice, and the choices only for
    the referent (the one who may switch)."""
    scope = chosen(request)
    offered = CHOICES if request.tenancy.role == Role.REFERENT else ()
    return {"scope": scope, "scope_choices": offered}
