"""The main navigation's links, with the current page marked (issue 14, accessibility).

`{% main_nav %}` renders the whole navigation of the request's tenancy: on the page a link leads
to, or on a page under it (/contracts/7/ under /contracts/), the link carries
`aria-current="page"` (read out by screen readers, and underlined in bold by the stylesheet);
Home, whose address "/" is under every page, is marked on itself only.

Issue 15 (the shared cost of every page): which links a role sees, their addresses and their
translated labels are the same for every request of that role in that language, so they are
worked out once per process for each (role, home organisation, language, URLconf, script
prefix) and only the current page's mark is decided per request. Nothing per request (CSRF
token, CSP nonce, the person's name) is ever part of what is kept.

`{% nav_link "contract_list" _("Contracts") %}` renders one such link on its own.

`{% once "partials/head.html" %}` renders a fragment that is the same on every page in a
language (the style sheet and scripts, the language choice) once per process for each
(language, URLconf, script prefix): it is rendered without the request, so a CSRF token, a CSP
nonce or anything of the person cannot end up in what is kept.
"""

from dataclasses import dataclass
from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.roles import INVITER_ROLES, PROVIDER_ROLES, Role

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, *args: object, exact: bool = False) -> str:
    url = reverse(url_name, args=args)
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if exact else path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@dataclass(frozen=True)
class Link:
    """One link of the navigation, both ways it may be rendered."""

    url: str
    exact: bool  # marked on its own page only (Home, the organisation's own page)
    marks: bool  # False: never marked (Django admin's link)
    plain: SafeString
    current: SafeString

    def render(self, path: str) -> SafeString:
        if self.marks and (path == self.url if self.exact else path.startswith(self.url)):
            return self.current
        return self.plain


def menu(role: str | None, home_organisation_id: int | None) -> list[tuple]:
    """The links a role sees, in order: (URL name, label, URL arguments, exact, marks)."""
    links: list[tuple] = [("home", _("Home"), (), True, True)]
    if role in PROVIDER_ROLES:
        links += [
            ("organisation_list", _("Organisations"), (), False, True),
            ("contract_list", _("Contracts"), (), False, True),
            ("activity_request_list", _("Activities"), (), False, True),
            ("ticket_list", _("Tickets"), (), False, True),
            ("plan_home", _("Onboarding"), (), False, True),
            ("meeting_list", _("Meetings"), (), False, True),
        ]
    elif role == Role.REFERENT:
        home = (home_organisation_id,)
        links += [
            ("hours", _("CSM hours"), (), False, True),
            ("plan_home", _("Onboarding"), (), False, True),
            ("activity_request_list", _("Activities"), (), False, True),
            ("ticket_list", _("Tickets"), (), False, True),
            ("organisation_detail", _("My organisation"), home, True, True),
            ("user_list", _("User list"), home, False, True),
            ("meeting_list", _("Meetings"), (), False, True),
        ]
    if role:
        links += [
            ("deliverable_list", _("Deliverables"), (), False, True),
            ("siem_workshop_list", _("SIEM workshops"), (), False, True),
        ]
    if role == Role.END_USER:
        links.append(("ticket_list", _("Tickets"), (), False, True))
    if role == Role.PROVIDER_ADMIN:
        links.append(("people_list", _("People"), (), False, True))
    if role in INVITER_ROLES:
        links.append(("invitation_list", _("Invitations"), (), False, True))
    if role == Role.PROVIDER_ADMIN:
        links += [
            ("terms_documents", _("Terms"), (), False, True),
            ("admin:index", _("Administration"), (), False, False),
        ]
    return links


@lru_cache(maxsize=4096)
def _links(
    role: str | None,
    home_organisation_id: int | None,
    language: str | None,
    urlconf: object,
    prefix: str,
) -> tuple[Link, ...]:
    """The role's links in this language, URLconf and script prefix: everything the key names
    decides them, so an entry never needs forgetting (a new role, language or organisation is
    another key)."""
    result = []
    for name, label, args, exact, marks in menu(role, home_organisation_id):
        url = reverse(name, args=args, urlconf=urlconf)
        result.append(
            Link(
                url=url,
                exact=exact,
                marks=marks,
                plain=format_html('<a href="{}">{}</a>', url, label),
                current=format_html('<a href="{}" aria-current="page">{}</a>', url, label),
            )
        )
    return tuple(result)


@register.simple_tag(takes_context=True)
def main_nav(context) -> SafeString:
    """The links of the request's tenancy, the current page marked."""
    tenancy = context.get("tenancy")
    role = getattr(tenancy, "role", None)
    home = tenancy.home_organisation_id if role == Role.REFERENT else None
    request = context.get("request")
    path = request.path if request is not None else ""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    links = _links(role, home, get_language(), urlconf, get_script_prefix())
    return mark_safe("\n".join(link.render(path) for link in links))  # noqa: S308 (escaped above)


@lru_cache(maxsize=256)
def _fragment(name: str, language: str | None, urlconf: object, prefix: str) -> SafeString:
    # No request, no RequestContext: context processors (user, CSRF token, CSP nonce) do not
    # run, so what is kept holds nothing of any request.
    return mark_safe(get_template(name).render({}))  # noqa: S308 (a template's own escaping)


@register.simple_tag
def once(name: str) -> SafeString:
    """The fragment ``name`` rendered once per process in this language (see above)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _fragment(name, get_language(), urlconf, get_script_prefix())
