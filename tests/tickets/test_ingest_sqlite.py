"""The other half of tests/test_sqlite_dev.py's mail check: on PostgreSQL (each message one
statement) the demo's mail and the two replies make exactly what that test expects on SQLite
(record by record), so the two ways write the same rows (SPEC S1, S3, S11)."""

import contextlib
import io

import pytest
from django.utils import translation

from csm_portal.demo.data import load_demo_data
from tests.test_sqlite_dev import MAIL, MAIL_PRINTS

pytestmark = pytest.mark.django_db


def test_s1_s3_s11_postgresql_ingests_the_demo_mail_as_sqlite_does():
    """The demo's three messages (two tickets, one held) and the replies (one joins its ticket,
    one held naming it) give on PostgreSQL the summary the SQLite test asserts."""
    printed = io.StringIO()
    with translation.override("it"), contextlib.redirect_stdout(printed):  # as manage.py runs
        load_demo_data()
        exec(MAIL, {})  # noqa: S102 - the SQLite test's own script, run here on PostgreSQL
    assert printed.getvalue().strip().splitlines()[-2:] == MAIL_PRINTS
