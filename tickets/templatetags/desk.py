from django import template
from django.utils.translation import gettext as _

from tickets.history import describe
from tickets.models import TicketEvent

register = template.Library()


@register.filter(name="describe")
def describe_event(entry: TicketEvent) -> str:
    """A ticket event as a sentence in the reader's language."""
    return describe(entry)


@register.filter(name="canned_title")
def canned_title(canned, language: str) -> str:
    """A canned response's title in the reader's language (Italian when missing)."""
    return canned.title_in(language or "it")


@register.filter(name="hours_minutes")
def hours_minutes(minutes: int | None) -> str:
    """Support minutes as "2 h 30 min" in the reader's language."""
    if minutes is None:
        return "—"
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(m)s min") % {"m": rest}
    if not rest:
        return _("%(h)s h") % {"h": hours}
    return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
