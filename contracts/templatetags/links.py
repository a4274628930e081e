"""Links of list rows without reversing a URL per row (issue 15): the URL of an object is its
route's prefix, the id, and its suffix. The prefix and suffix are reversed once per route,
script prefix and URL configuration, then each row only formats its id."""

from collections.abc import Callable
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = 987654321  # an id no route pattern contains; its place in the URL is the row's id


@lru_cache(maxsize=128)
def _around(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_MARK], urlconf=urlconf).partition(str(_MARK))
    return head, tail


def id_url(name: str) -> Callable[[int], str]:
    """``id_url("statement_download")(7)`` == ``reverse("statement_download", args=[7])`` for a
    route whose one argument is an integer id."""
    head, tail = _around(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{int(pk)}{tail}"
