"""Ticket and statement numbers reveal no volume (SPEC S1, H7; issue 11): random, readable,
unique at the database, drawn again on a collision, and the old numbers keep threading."""

import random
import re

import pytest
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled
from hypothesis import given
from hypothesis import strategies as st

from activities.models import Statement
from csm_portal import numbering
from tests.activities.conftest import complete, kicked_off, log, requested  # noqa: F401
from tickets.parsing import TICKET_NUMBER

TICKET = re.compile(r"T[1-9]\d{7}")
STATEMENT = re.compile(r"ST-\d{4}-[1-9]\d{7}")


@given(seed=st.integers(), prefix=st.sampled_from(["T", "ST-2026-", "X"]))
def test_s1_a_number_is_the_prefix_and_eight_digits_never_starting_with_zero(seed, prefix):
    """The pure part: whatever the draw, the same readable shape (fixed length, no leading 0)."""
    number = numbering.random_number(prefix, rng=random.Random(seed))
    assert number.startswith(prefix)
    digits = number.removeprefix(prefix)
    assert len(digits) == 8 and digits.isdigit() and digits[0] != "0"


@given(seed=st.integers())
def test_s1_new_ticket_numbers_are_found_in_a_subject_like_the_old_ones(seed):
    """Threading (S1) recognises the new `T` + 8 digits and the old `T` + 6 digits, bracketed or
    not, and nothing longer glued to other text."""
    number = numbering.ticket_number(random.Random(seed))
    assert TICKET.fullmatch(number)
    assert TICKET_NUMBER.findall(f"RE: [{number}] Errore") == [number]
    assert TICKET_NUMBER.findall(f"R: {number} e [T000068]") == [number, "T000068"]


@given(seed=st.integers())
def test_s1_a_thousand_draws_are_spread_not_a_sequence(seed):
    """Numbers drawn one after another are not consecutive: no volume can be read from them."""
    rng = random.Random(seed)
    values = [int(numbering.ticket_number(rng)[1:]) for _ in range(1000)]
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    assert sum(step == 1 for step in steps) < 10  # a sequence would give 999
    assert len(set(values)) > 990  # and they rarely repeat (the database refuses a repeat)


def test_s1_the_default_generator_is_not_predictable():
    """The platform draws with the operating system's randomness, not a seeded generator."""
    assert isinstance(numbering.RNG, random.SystemRandom)


@pytest.mark.django_db
def test_h7_statement_numbers_are_random_unique_and_retried_on_collision(
    kicked_off,  # noqa: F811
    cstm,
    monkeypatch,
):
    """Statements had `ST-<year>-` + the request's id: now eight random digits; a drawn number
    already used is refused by the database and drawn again; two statements never share one."""
    with scopes_disabled():
        (kickoff,) = Statement.objects.filter(organisation=kicked_off.organisation)
    assert STATEMENT.fullmatch(kickoff.number), kickoff.number
    assert not kickoff.number.endswith(f"{kickoff.request_id:06d}")
    monkeypatch.setattr(numbering, "RNG", random.Random(5))
    draws = random.Random(5)
    taken = numbering.statement_number(kickoff.issued_at.year, draws)
    with scopes_disabled():
        Statement.objects.filter(pk=kickoff.pk).update(number=taken)
    request = requested(kicked_off, "platform-support")
    log(request, cstm, 30)
    complete(request, cstm)
    with scopes_disabled():
        statement = Statement.objects.get(request=request)
        assert statement.number == numbering.statement_number(kickoff.issued_at.year, draws)
        assert statement.pdf.name and statement.pdf.read(5) == b"%PDF-"
        with pytest.raises(IntegrityError), transaction.atomic():
            Statement.objects.filter(pk=statement.pk).update(number=taken)
