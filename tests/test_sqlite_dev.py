"""`make run` keeps SQLite as its embedded database: the migrations must run there too, and the
stored licence-year totals (kept by database triggers, SPEC H9/H10) must stay right on SQLite."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
from django.db.models import Sum
from django_scopes import scopes_disabled
from contracts.models import LicenceYear
with scopes_disabled():
    years = list(LicenceYear.objects.all())
    wrong = [
        (y.pk, y.charged_hours, y.entries.aggregate(s=Sum('hours'))['s'])
        for y in years
        if y.charged_hours != (y.entries.aggregate(s=Sum('hours'))['s'] or 0)
    ]
    charged = sum(1 for y in years if y.charged_hours)
print('years', len(years), 'charged', charged, 'wrong', wrong)
"""


def test_h10_make_run_sqlite_migrates_loads_the_demo_and_keeps_the_stored_balances(tmp_path):
    """The migrations (triggers included) run on SQLite, the demo loads, and every licence
    year's stored charged hours equal the sum of its ledger entries."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csm_portal.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "CSM_MEDIA_ROOT": str(tmp_path / "media"),
    }
    for command in (
        ["migrate", "--noinput"],
        ["load_demo_data", "--no-logins"],
        ["shell", "-c", CHECK],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert "wrong []" in last, last
    assert "charged 0" not in last, last
