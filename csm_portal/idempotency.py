"""Writes that charge hours or send mail happen once (SPEC L5): a double submit, a retried request
or two tabs at once charge and send once.

- Pages: every form of such a write carries a one-time token (``{% write_once %}`` of
  ``contracts/templatetags/write_once.py``, a hidden field made when the form is rendered). The
  view runs the service through :func:`form_once`, which inserts the token's row in the same
  transaction as the write: a second POST with the same token waits for the first on the unique
  index, then raises :class:`AlreadyDone` with where the first one led, and writes nothing.
- API: the same writes take an optional ``Idempotency-Key`` header (:func:`idempotent`). The same
  key from the same user on the same route replays the stored first answer; the same key with a
  different body is a 422.

Rows are ``contracts.models.IdempotencyKey`` (the lowest app that holds hours), kept 24 hours.
"""

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import IdempotencyKey

T = TypeVar("T")

FORM_FIELD = "write_once"
HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, no spaces
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]{32}")


class AlreadyDone(Exception):  # noqa: N818 (not an error: the write was done, once)
    """The form's token was already used: the write was done by the first submit."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def new_form_token() -> str:
    return get_random_string(32)


def _claim(*, user: Any, scope: str, key: str, fingerprint: str = "") -> IdempotencyKey | None:
    """Insert the key's row inside the caller's transaction; ``None`` when it already exists.
    A concurrent insert of the same key waits here until the first transaction ends."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, scope=scope, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        return None


def _first(*, user: Any, scope: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()


def form_once(request: HttpRequest, action: Callable[[], T], *, url_of: Callable[[T], str]) -> T:
    """Run ``action`` (a service call) once for the form's one-time token.

    Raises ValidationError when the form carries no token (an old page: reload it), and
    :class:`AlreadyDone` when the token was used: nothing is written then. ``url_of`` gives the
    page the first submit led to, shown again to the second."""
    token = request.POST.get(FORM_FIELD, "")
    if not TOKEN_PATTERN.fullmatch(token):
        raise ValidationError(_("This form has expired: reload the page and send it again."))
    scope = f"form {request.path}"[:300]
    with transaction.atomic():
        record = _claim(user=request.user, scope=scope, key=token)
        if record is not None:
            result = action()
            record.response = {"url": url_of(result)}
            record.save(update_fields=["response"])
            return result
    first = _first(user=request.user, scope=scope, key=token)
    raise AlreadyDone((first.response or {}).get("url", "") if first else "")


def already_done_redirects(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page view whose form was submitted twice shows where the first submit led, with an
    "already recorded" message, instead of an error."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AlreadyDone as done:
            messages.info(
                request,
                _("Already recorded: this form was sent twice and was done once only."),
            )
            return redirect(done.url or request.path)

    return wrapper


# --- API ----------------------------------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type={"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the write happen once (SPEC L5): send a new random key (e.g. a UUID) with each "
        "write and the same key when you retry it. The same key from the same user on the same "
        "route returns the stored first answer (header `Idempotent-Replayed: true`) without "
        "writing again; the same key with a different body is a 422. Keys are kept 24 hours. "
        "1 to 200 printable ASCII characters, no spaces."
    ),
)
KEY_REUSED_RESPONSE = OpenApiResponse(
    response=inline_serializer(
        name="IdempotencyKeyReused", fields={"detail": serializers.CharField()}
    ),
    description="The Idempotency-Key was already used for a different request.",
)


def once_schema(responses: Any) -> dict[str, Any]:
    """``extend_schema`` arguments of an idempotent write: its answers plus the 422."""
    if not isinstance(responses, dict):
        responses = {200: responses}
    return {
        "parameters": [IDEMPOTENCY_KEY_PARAMETER],
        "responses": {**responses, 422: KEY_REUSED_RESPONSE},
    }


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap an API write so that its ``Idempotency-Key`` makes it happen once (see above).
    Without the header the write runs as usual. A refused write (an error answer) keeps no key:
    the client may correct it and retry with the same key."""

    @wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(self, request, *args, **kwargs)
        if "pk" in kwargs:
            # Somebody else's object is a 404 whatever the header says (SPEC T1).
            self.get_object()
        if not KEY_PATTERN.fullmatch(key):
            raise ApiValidationError(
                {HEADER: [_("Give 1 to 200 printable ASCII characters, without spaces.")]}
            )
        scope = f"{request.method} {request.path}"[:300]
        fingerprint = _fingerprint(request)
        for _attempt in range(2):
            with transaction.atomic():
                record = _claim(user=request.user, scope=scope, key=key, fingerprint=fingerprint)
                if record is not None:
                    response = view(self, request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        record.status_code = response.status_code
                        record.response = response.data
                        record.save(update_fields=["status_code", "response"])
                    else:
                        transaction.set_rollback(True)
                    return response
            first = _first(user=request.user, scope=scope, key=key)
            if first is not None:
                break
            # The first one was refused and rolled back while this one waited: run it now.
        if first is None or first.fingerprint != fingerprint or first.status_code is None:
            return Response(
                {
                    "detail": _(
                        "This Idempotency-Key was already used for a different request: send a "
                        "new key for a new write."
                    )
                },
                status=422,
            )
        replay = Response(first.response, status=first.status_code)
        replay["Idempotent-Replayed"] = "true"
        return replay

    return wrapper
