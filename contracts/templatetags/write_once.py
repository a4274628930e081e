"""``{% write_once %}``: the one-time token of a form whose write charges hours or sends mail
(SPEC L5, csm_portal.idempotency)."""

from django import template
from django.utils.html import format_html

from csm_portal.idempotency import FORM_FIELD, new_form_token

register = template.Library()


@register.simple_tag
def write_once() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, new_form_token())
