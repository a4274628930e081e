"""``{% support_address %}``: the support address for e-mails, which are rendered without a
request (no context processor runs there); the same cached lookup as the pages (issue 14)."""

from django import template

from tickets import portal

register = template.Library()


@register.simple_tag
def support_address() -> str:
    return portal.support_address()
