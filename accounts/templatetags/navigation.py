"""The main navigation's links, with the current page marked (issue 14, accessibility).

`{% nav_link "contract_list" _("Contracts") %}` renders the link; on the page it leads to, or on
a page under it (/contracts/7/ under /contracts/), the link carries `aria-current="page"` (read
out by screen readers, and underlined in bold by the stylesheet). `exact=True` marks only the
page itself (Home, whose address "/" is under every page).
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html

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
