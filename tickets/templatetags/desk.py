from django import template

from tickets.history import describe
from tickets.models import TicketEvent

register = template.Library()


@register.filter(name="describe")
def describe_event(entry: TicketEvent) -> str:
    """A ticket event as a sentence in the reader's language."""
    return describe(entry)
