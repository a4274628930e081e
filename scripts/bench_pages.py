"""The non-desk pages of issue 15 at scale: each role's home, the CSTM contract list, the
customer-360, the referent hours page and the balance API, through the whole Django stack
(middleware, tenant scope, templates), with their query counts.

``measure()`` runs after ``django.setup()`` on a database filled by ``scripts/bench.py``'s
``fill()``; run alone (``python scripts/bench_pages.py``) it fills a throwaway database itself
(``BENCH_CONTRACTS``/``BENCH_ENTRIES`` make it smaller). ``BENCH_PROFILE=1`` prints the top of a
cProfile of each page.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", "30"))
PROFILE = os.environ.get("BENCH_PROFILE", "") == "1"


def _pages() -> dict:
    from django_scopes import scopes_disabled

    from accounts.models import CstmAssignment, User
    from contracts.models import Contract

    with scopes_disabled():
        cstm = User.objects.get(email="cstm@bench.example")
        admin = User.objects.get(email="admin@bench.example")
        referent = User.objects.filter(membership__role="referent").order_by("pk").first()
        organisation = referent.membership.organisation
        customer = CstmAssignment.objects.filter(cstm=cstm).order_by("pk").first().organisation
        contract = Contract.objects.filter(organisation=organisation, status="active").first()
    return {
        "referent home": (referent, "/"),
        "CSTM home (250 customers)": (cstm, "/"),
        "admin home (all customers)": (admin, "/"),
        "CSTM contract list": (cstm, "/contracts/"),
        "CSTM contract list, page 10": (cstm, "/contracts/?page=10"),
        "admin contract list, page 100": (admin, "/contracts/?page=100"),
        "customer-360": (cstm, f"/organisations/{customer.pk}/360/"),
        "referent hours page": (referent, "/hours/"),
        "balance API": (referent, f"/api/v1/contracts/{contract.pk}/balance/"),
        "licence-years API": (cstm, "/api/v1/licence-years/"),
    }


def _blocks(queries: list[dict]) -> int:
    """Shared buffers (hit + read) of the queries of one request, replayed under EXPLAIN."""
    from django.db import connection

    total = 0
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0][0]["Plan"]
            total += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return total


def measure() -> dict:
    import cProfile
    import pstats

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import mark_authentication

    results: dict = {"requests_per_page": REQUESTS, "pages": {}}
    print(
        f"\n{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'queries':>8} "
        f"{'SQL ms':>7} {'CPU ms':>7} {'blocks':>7}"
    )
    for label, (user, url) in _pages().items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        mark_authentication(client, user)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        timings, queries, sql, cpu = [], set(), [], []
        for _ in range(REQUESTS):
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200
            queries.add(len(captured))
            last_queries = list(captured.captured_queries)
            sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            reset_queries()
        timings.sort()
        blocks = _blocks(last_queries)
        row = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 1),
            "requests_per_second": round(1000 * len(timings) / sum(timings), 1),
            "queries": sorted(queries),
            "sql_ms": round(statistics.median(sql), 1),
            # CPU of this process (Django, ORM, templates): steadier than wall time on a
            # shared machine.
            "cpu_ms": round(statistics.median(cpu), 1),
            # PostgreSQL buffers the page's queries touch (EXPLAIN ANALYZE BUFFERS): the work
            # the database does, independent of the machine's load.
            "blocks": blocks,
        }
        results["pages"][label] = row
        print(
            f"{label:34} {row['p50_ms']:8} {row['p95_ms']:8} {row['requests_per_second']:7} "
            f"{','.join(map(str, row['queries'])):>8} {row['sql_ms']:7} {row['cpu_ms']:7} "
            f"{row['blocks']:7}"
        )
        if PROFILE:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                client.get(url)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    varying = {
        label: row["queries"] for label, row in results["pages"].items() if len(row["queries"]) > 1
    }
    assert not varying, f"queries per page vary between identical requests: {varying}"
    return results


if __name__ == "__main__":
    os.environ["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import logging

    logging.getLogger("csm_portal.security").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scripts import bench

    if not os.environ.get("BENCH_NO_FILL"):
        bench.fill()
    measure()
    if os.environ.get("BENCH_HOLD"):  # keep the filled servers for more runs: prints their URLs
        print(f"DATABASE_URL={os.environ['DATABASE_URL']} REDIS_URL={os.environ['REDIS_URL']}")
        sys.stdout.flush()
        time.sleep(float(os.environ["BENCH_HOLD"]))
