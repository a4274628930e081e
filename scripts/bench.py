"""`make bench`: speed at scale (issue 15), every target measured against a floor in the same run.

1. Starts throwaway PostgreSQL and Redis (tests/bootstrap.py), migrates and fills a large
   provider with set-based SQL (scripts/bench_fill.py; ``BENCH_SCALE=small`` for a quick run).
2. Pages and API under load: gunicorn with the production settings, `wrk` at 1 and 16 clients,
   ratios to the anonymous constant view, SQL queries per request at two data sizes
   (scripts/bench_load.py; the second size is filled in a second database of the same server).
3. The other parts when present: mail ingestion against its floor (scripts/bench_ingestion.py),
   jobs (scripts/bench_jobs.py), scale-out (scripts/bench_scaleout.py). Each prints its table and
   raises AssertionError when a target is missed; a failure in one part does not stop the others.
4. Writes bench/results.json and the README's table (between the bench markers), prints a
   summary and exits non-zero when any target was missed.

``python scripts/bench.py --queries-only`` (internal) prints the query counts of the routes on the
database of ``DATABASE_URL``, filling it at ``BENCH_SCALE`` first.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import secrets
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def configure_environment() -> None:
    """Before django.setup(): the bench's process runs the test settings on the throwaway
    servers (tests/bootstrap.py); gunicorn gets the production ones (scripts/bench_load.py)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The same secret in this process and the gunicorn workers: the sessions made here must
    # verify there. A fresh random one per run.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(48))
    # The bench measures the pages, not the API's per-token rate limit (600/min by default),
    # which 16 clients on one token reach in a second; the throttle still runs on every request.
    os.environ.setdefault("API_RATE_LIMIT", "100000000/min")


RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
REFERENCE_SCALE = {"full": "small", "small": "tiny", "tiny": "tiny"}
REFERENCE_DATABASE = "csm_bench_reference"
PARTS = (
    ("ingestion", "bench_ingestion"),
    ("jobs", "bench_jobs"),
    ("scaleout", "bench_scaleout"),
)


def setup() -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("csm_portal.security").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(scale=None) -> dict | None:  # noqa: ANN001
    """Fill this database at ``scale`` (default: from BENCH_SCALE) unless it already is."""
    import bench_fill

    scale = scale or bench_fill.scale_from_env()
    if bench_fill.filled(scale):
        print(f"data already at scale {scale.name}", flush=True)
        return None
    print(f"filling at scale {scale.name} ...", flush=True)
    return bench_fill.fill(scale)


def machine() -> dict:
    from django.db import connection

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": os_name,
        "python": platform.python_version(),
        "postgresql": postgres,
    }


def reference_queries(scale_name: str) -> tuple[str, dict | None, str | None]:
    """Query counts of the routes at the reference size, in a second database of the same
    PostgreSQL server, from a child process (its own Django, its own fill)."""
    from django.db import connection

    reference = REFERENCE_SCALE[scale_name]
    base, _, _name = os.environ["DATABASE_URL"].rpartition("/")
    with connection.cursor() as cursor:  # autocommit: CREATE DATABASE runs outside a transaction
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [REFERENCE_DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {REFERENCE_DATABASE}")
    env = dict(os.environ, DATABASE_URL=f"{base}/{REFERENCE_DATABASE}", BENCH_SCALE=reference)
    for variable in (
        "BENCH_ORGANISATIONS",
        "BENCH_CONTRACTS",
        "BENCH_ENTRIES",
        "BENCH_TICKETS",
        "BENCH_MESSAGES_PER_TICKET",
        "BENCH_EVENTS_PER_TICKET",
    ):
        env.pop(variable, None)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--queries-only"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("QUERIES ")), None)
    if out.returncode != 0 or line is None:
        return (
            reference,
            None,
            f"query counts at {reference} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}",
        )
    return reference, json.loads(line.removeprefix("QUERIES ")), None


def queries_only() -> None:
    import bench_fill
    import bench_load

    setup()
    fill(bench_fill.scale_from_env())
    objects = bench_fill.bench_objects()
    counts = bench_load.query_counts(objects, bench_load.credentials(objects))
    print("QUERIES " + json.dumps(counts), flush=True)


def run_part(name: str, module_name: str, results: dict, failures: list[str]) -> None:
    """Call ``module.measure()`` if the module exists; a missed target is collected, not fatal."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name != module_name:
            raise
        print(f"\n[{name}] scripts/{module_name}.py not present", flush=True)
        results[name] = {"status": "not present"}
        return
    print(f"\n[{name}] scripts/{module_name}.py", flush=True)
    started = time.perf_counter()
    try:
        results[name] = {"status": "pass", **module.measure()}
    except AssertionError as missed:
        failures.append(f"{name}: {missed}")
        figures = getattr(missed, "results", None) or {}
        results[name] = {"status": "fail", "failure": str(missed), **figures}
    except Exception as error:  # noqa: BLE001 (one broken part must not hide the others)
        traceback.print_exc()
        failures.append(f"{name}: crashed: {error!r}")
        results[name] = {"status": "error", "failure": repr(error)}
    results[name]["seconds"] = round(time.perf_counter() - started, 1)


def write_results(results: dict, path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False) + "\n")


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def readme_section(results: dict) -> str:
    m = results.get("machine", {})
    scale = results.get("scale", {})
    load = results.get("load", {})
    lines = [
        START_MARKER,
        "<!-- written by scripts/bench.py (`make bench`); do not edit by hand -->",
        f"Latest `make bench`: {results.get('date', '?')} (UTC), scale `{scale.get('name', '?')}` "
        f"({_n(scale.get('organisations'))} organisations, {_n(scale.get('contracts'))} "
        f"contracts, {_n(scale.get('entries'))} ledger entries, {_n(scale.get('tickets'))} "
        f"tickets with {_n(scale.get('messages_and_events'))} messages and events; "
        f"filled in {results.get('fill', {}).get('seconds', '?')} s).",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, "
        f"{m.get('ram_gb', '?')} GB RAM, {m.get('os', '?')}, Python {m.get('python', '?')}, "
        f"PostgreSQL {m.get('postgresql', '?')}. "
        "gunicorn with the production settings (2 sync workers), `wrk` on the same machine over "
        "loopback; ratio = req/s against the anonymous constant-JSON view at the same "
        "concurrency; queries per request at two data sizes.",
        "",
    ]
    routes = load.get("routes") or {}
    if routes:
        lines += [
            "| route | clients | req/s | p50 ms | p95 ms | p99 ms | errors | ratio | queries "
            "| verdict |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, route in routes.items():
            q = route.get("queries", {})
            queries = " / ".join(str(v) for v in q.values())
            for clients, row in route.get("concurrency", {}).items():
                lines.append(
                    f"| {name} | {clients} | {row['req_per_s']:,.1f} | {row['p50_ms']} | "
                    f"{row['p95_ms']} | {row['p99_ms']} | {row['errors']} | "
                    f"{row.get('ratio', 0):.1%} | {queries} | {row.get('verdict', '?')} |"
                )
    else:
        lines.append(f"Load part: {load.get('status', 'not run')}.")
    lines.append("")
    for name, _module in PARTS:
        part = results.get(name, {})
        lines.append(f"- {name}: {part.get('status', 'not run')}{_part_figures(name, part)}")
    failures = results.get("failures", [])
    lines += ["", f"Targets missed: {len(failures)}."]
    lines += [f"- {f.splitlines()[0]}" for f in failures]
    lines.append(END_MARKER)
    return "\n".join(lines)


def _part_figures(name: str, part: dict) -> str:
    """The few figures of a part that a reader of the README wants (all are in results.json)."""
    try:
        if name == "ingestion":
            return (
                f" — {part['portal_per_second']:,.1f} msg/s from Dovecot into tickets "
                f"(floor {part['floor_per_second']:,.1f} msg/s, {part['floor_ratio']:.1%} of it), "
                f"{part['lost']} lost, {part['duplicated']} duplicated, "
                f"{part['statements_per_message']} SQL statements per message"
            )
        if name == "jobs":
            sweep, gone = part["daily_sweep"], part["organisation_deletion"]
            users = part["user_list"]
            return (
                f" — daily sweep of {sweep['contracts']:,} contracts {sweep['first_seconds']} s "
                f"(again {sweep['second_seconds']} s); day-90 deletion of "
                f"{gone.get('rows', 0):,} rows {gone.get('seconds', '?')} s, "
                f"peak {gone.get('peak_mb', '?')} MB; {users['rows']:,}-row user list "
                f"{users['validate_seconds'] + users['diff_seconds']:.2f} s"
            )
        if name == "scaleout":
            web, mail = part["web"], part["mail"]
            return (
                f" — two gunicorn nodes {web['total_req_per_s']} req/s against one node "
                f"{web['one_node']['req_per_s']} req/s (×{web['two_nodes_vs_one']}); two "
                f"mailboxes by two workers {mail['msg_per_s']} msg/s, "
                f"{mail['lost']} lost, {mail['duplicates']} duplicated"
            )
    except (KeyError, TypeError):
        return ""
    return ""


def update_readme(results: dict, path: Path = README) -> None:
    text = path.read_text()
    if START_MARKER not in text or END_MARKER not in text:
        print("README has no bench markers; table not written there", flush=True)
        return
    head, rest = text.split(START_MARKER, 1)
    _old, tail = rest.split(END_MARKER, 1)
    path.write_text(head + readme_section(results) + tail)


def main() -> int:
    import bench_fill
    import bench_load

    started = time.perf_counter()
    setup()
    scale = bench_fill.scale_from_env()
    failures: list[str] = []
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "scale": {**scale.__dict__, "messages_and_events": scale.messages_and_events},
    }
    print(f"bench at scale {scale.name}: {json.dumps(results['machine'])}", flush=True)
    results["fill"] = fill(scale) or {"seconds": None, "note": "already filled"}

    print("\nquery counts at the reference size ...", flush=True)
    ref_name, ref_counts, ref_error = reference_queries(scale.name)
    if ref_error:
        failures.append(ref_error)
        print(ref_error, flush=True)

    print("\n[load] gunicorn + wrk", flush=True)
    part_started = time.perf_counter()
    try:
        objects = bench_fill.bench_objects()
        results["load"] = {
            "status": "pass",
            **bench_load.measure(
                objects=objects,
                reference_queries=ref_counts,
                ref_name=ref_name,
                main_name=scale.name,
            ),
        }
    except AssertionError as missed:
        failures.append(f"load: {missed}")
        partial = getattr(bench_load.measure, "last_result", None) or {}
        results["load"] = {"status": "fail", **partial, "failure": str(missed)}
    except Exception as error:  # noqa: BLE001
        traceback.print_exc()
        failures.append(f"load: crashed: {error!r}")
        results["load"] = {"status": "error", "failure": repr(error)}
    results["load"]["seconds"] = round(time.perf_counter() - part_started, 1)

    for name, module_name in PARTS:
        run_part(name, module_name, results, failures)

    results["failures"] = failures
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_results(results)
    update_readme(results)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)} and README.md ({results['seconds']} s)")
    print("\nSUMMARY")
    for name in ("load", *(n for n, _ in PARTS)):
        print(f"  {name:10} {results.get(name, {}).get('status', '?')}")
    if failures:
        print(f"\n{len(failures)} target(s) missed:")
        for failure in failures:
            print("  - " + failure.replace("\n", "\n    "))
        return 1
    print("\nevery target holds")
    return 0


if __name__ == "__main__":
    configure_environment()
    if "--queries-only" in sys.argv:
        queries_only()
    else:
        sys.exit(main())
