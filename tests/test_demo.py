"""`make run` demo data (foundation; issue 14, newcomer): one provider, three customers,
contracts with charges; the logins printed last and the same as in the README; the demo's
e-mails in files, summarised."""

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation
from contracts.models import Contract, LedgerEntry
from csm_portal.demo.data import DEMO_PASSWORD, load_demo_data

pytestmark = pytest.mark.django_db


def test_the_demo_data_loads_twice_without_duplicates_and_the_logins_work():
    first = load_demo_data()
    second = load_demo_data()
    assert [login.email for login in first] == [login.email for login in second]
    with scopes_disabled():
        assert Organisation.objects.filter(kind="customer").count() == 3
        roles = sorted(
            Membership.objects.filter(organisation__kind="provider").values_list("role", flat=True)
        )
        assert roles == ["agent", "agent", "cstm", "cstm", "provider_admin"]
        assert Contract.objects.filter(status="active").count() == 3
        assert Contract.objects.filter(sales_channel="msp", hours_per_year=0).count() == 1
        assert LedgerEntry.objects.count() == 6
    client = Client()
    client.post(
        reverse("account_login"),
        {"login": "referent@acme-logistica.example", "password": DEMO_PASSWORD},
    )
    page = client.get(reverse("hours"))
    assert page.status_code == 200
    assert page.context["balance"].remaining == Decimal("24") - Decimal("3.5")


ROOT = Path(__file__).resolve().parent.parent


def _readme_logins() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- demo-logins: start -->\n```text\n(.*?)```\n<!-- demo-logins: end -->", readme, re.S
    )
    assert block, "README.md lost its demo-logins block"
    return block.group(1)


def test_the_readme_shows_exactly_the_logins_make_run_prints():
    """What `make run` prints last (`manage.py demo_logins`) is, verbatim, the README's block:
    a newcomer reading either finds the same accounts and secrets."""
    printed = StringIO()
    call_command("demo_logins", stdout=printed)
    assert printed.getvalue() == _readme_logins()
    emails = re.findall(r"^  (\S+@\S+) ", printed.getvalue(), re.M)
    assert "admin@csm-provider.example" in emails and "referent@acme-logistica.example" in emails


def test_load_demo_data_writes_the_emails_to_files_and_prints_the_logins_last(
    settings, tmp_path, capsys
):
    """`load_demo_data` sends its e-mails to files (one line says how many and where) instead of
    printing them, and its output ends with the logins; `make run` prints them once more after
    the server is up (scripts/run-dev.sh), as the very last thing."""
    settings.DEBUG = True
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    text = out.getvalue()
    assert "Subject:" not in text and "Subject:" not in capsys.readouterr().out
    summary, _, logins = text.partition("\n\n")
    assert re.search(r"E-mails sent while loading: \d+ \(files in .*mail\)", summary)
    assert logins == _readme_logins()
    script = (ROOT / "scripts" / "run-dev.sh").read_text()
    assert script.index("manage.py runserver") < script.index("manage.py demo_logins")
    assert "load_demo_data --no-logins" in (ROOT / "Makefile").read_text()


def test_the_readme_explains_the_rules_from_the_projects_own_docs():
    """A clone has no ../shared: the README links docs/rules.md, which names every rule ID."""
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme and "(docs/rules.md)" in readme
    rules = (ROOT / "docs" / "rules.md").read_text()
    ids = {
        **{f"T{n}": n for n in range(1, 5)},
        **{f"C{n}": n for n in range(1, 7)},
        **{f"H{n}": n for n in range(1, 11)},
        **{f"S{n}": n for n in range(1, 12)},
        **{f"O{n}": n for n in range(1, 5)},
        **{f"W{n}": n for n in range(1, 7)},
        **{f"L{n}": n for n in range(1, 6)},
    }
    missing = [rule for rule in ids if f"**{rule}**" not in rules]
    assert not missing, f"docs/rules.md does not explain {missing}"
