import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def services_answer_in_english():
    """Service-level messages are asserted in English here (the source language); pages still
    answer in each user's language (Italian for the test people), as users see them."""
    with translation.override("en"):
        yield
