"""Human-readable numbers that reveal no volume (SPEC S1, issue 11): ticket and statement numbers
are drawn at random instead of following a global sequence, so a customer cannot tell from two of
their numbers how many tickets or statements the platform made in between.

A number is the prefix and ``DIGITS`` digits, the first never 0 (``T48213907``): always the same
length, readable over the phone. The database keeps numbers unique; ``create_numbered`` draws
again, inside a savepoint, in the rare case the drawn number is taken. Numbers given before this
module existed (``T000068``, ``ST-2026-000012``) stay as they are: a number never changes.
"""

import random
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction

DIGITS = 8
ATTEMPTS = 10  # 9 × 10⁷ numbers: ten draws in a row that are all taken do not happen

# Not guessable: a predictable generator would let a customer replay the platform's draws.
RNG: random.Random = secrets.SystemRandom()

M = TypeVar("M", bound=models.Model)


def random_number(prefix: str, *, digits: int = DIGITS, rng: random.Random | None = None) -> str:
    """``prefix`` and ``digits`` random digits, the first not 0. Pure given ``rng``."""
    if digits < 1:
        raise ValueError("A number needs at least one digit.")
    value = (rng or RNG).randrange(10 ** (digits - 1), 10**digits)
    return f"{prefix}{value}"


def ticket_number(rng: random.Random | None = None) -> str:
    """``T`` and eight digits; the threading pattern also knows the old ``T`` + six digits."""
    return random_number("T", rng=rng)


def statement_number(year: int, rng: random.Random | None = None) -> str:
    """``ST-<year>-`` and eight digits (the year helps people; it tells nothing about volume)."""
    return random_number(f"ST-{year}-", rng=rng)


def create_numbered(
    model: type[M],
    create: Callable[[str], M],
    draw: Callable[[], str],
    *,
    field: str = "number",
    attempts: int = ATTEMPTS,
) -> M:
    """Call ``create(number)`` (which inserts the row) with a freshly drawn number inside a
    savepoint; when the database refuses it because ``model.<field>`` already holds that number
    (its unique constraint), roll the savepoint back and draw again. Any other integrity error
    is not about the number: it propagates."""
    for _attempt in range(attempts):
        number = draw()
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            # The base manager is unscoped: the number may belong to another organisation.
            if not model._base_manager.filter(**{field: number}).exists():
                raise
    raise IntegrityError(f"No free {model.__name__} {field} after {attempts} draws.")


def number_assign(instance: M, draw: Callable[[], str], *, field: str = "number") -> M:
    """Give a saved row without a number its number (as ``create_numbered``, by an update)."""

    def save(number: str) -> M:
        setattr(instance, field, number)
        instance.save(update_fields=[field])
        return instance

    return create_numbered(type(instance), save, draw, field=field)
