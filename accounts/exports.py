"""CSV / Excel exports of people lists (issue 14): everybody (admins, with the page's filters)
and one organisation's people (staff in scope, the referent their own), through the scoped
selectors (SPEC T1–T3); ``csm_portal.exports`` does the rest."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.roles import PROVIDER_ROLES, Role
from csm_portal.exports import DATETIME, Column, export
from csm_portal.web import role_required

PEOPLE_COLUMNS = (
    Column(_("Last name"), lambda m: m.user.last_name),
    Column(_("First name"), lambda m: m.user.first_name),
    Column(_("Email"), lambda m: m.user.email),
    Column(_("Organisation"), lambda m: m.organisation.name),
    Column(_("Role"), lambda m: m.get_role_display()),
    Column(_("Agent level"), lambda m: m.agent_level),
    Column(_("Active"), lambda m: m.user.is_active),
    Column(_("Last sign-in"), lambda m: m.user.last_login, DATETIME),
    Column(_("Since"), lambda m: m.created_at, DATETIME),
)


@role_required(Role.PROVIDER_ADMIN)
def people_export(request: HttpRequest) -> HttpResponseBase:
    """The people list with the page's filters (``q``, ``role``)."""
    people = selectors.membership_list(
        search=request.GET.get("q", "").strip(), role=request.GET.get("role", "")
    )
    return export(request, rows=people, columns=PEOPLE_COLUMNS, name="people")


@role_required(*PROVIDER_ROLES, Role.REFERENT)
def organisation_people_export(request: HttpRequest, organisation_id: int) -> HttpResponseBase:
    """One organisation's people, as on its page; another organisation is a 404."""
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    people = selectors.organisation_people(organisation=organisation).select_related("organisation")
    return export(request, rows=people, columns=PEOPLE_COLUMNS, name="people")
