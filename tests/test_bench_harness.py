"""Keep `make bench` honest (issue 15): the floor view exists only in the bench's URLconf, the
data set it fills renders every measured route for the role that is measured on it, and the
results it writes are valid JSON naming every route at every concurrency."""

import importlib
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_scopes import scopes_disabled

from tickets.models import Ticket
from tickets.selectors import breaching_soon

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench_fill  # noqa: E402
import bench_load  # noqa: E402

import bench  # noqa: E402


def test_bench_constant_view_is_404_with_the_production_urlconf(db, monkeypatch):
    """The constant-JSON floor is not part of the portal: the production settings keep the real
    URLconf, where /bench/constant/ does not resolve and answers 404; only the bench settings
    (production + csm_portal.bench_urls) serve it."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "bench-harness-test-" + "x" * 40)
    production = importlib.import_module("csm_portal.settings.production")
    bench_settings = importlib.import_module("csm_portal.settings.bench")
    assert production.ROOT_URLCONF == "csm_portal.urls"
    assert settings.ROOT_URLCONF == "csm_portal.urls"
    assert bench_settings.ROOT_URLCONF == "csm_portal.bench_urls"
    assert bench_settings.SECURE_SSL_REDIRECT is False
    assert bench_settings.SESSION_COOKIE_SECURE is True  # everything else stays production
    with pytest.raises(Resolver404):
        resolve("/bench/constant/", urlconf="csm_portal.urls")
    assert Client().get("/bench/constant/").status_code == 404
    with override_settings(ROOT_URLCONF="csm_portal.bench_urls"):
        response = Client().get("/bench/constant/")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "bench": "constant"}


def test_bench_fill_at_tiny_scale_renders_every_route_for_its_role(db):
    """The set-based fill gives data the real pages accept: every measured route answers its
    expected status (200, 201 for the writes) to the session or token the bench makes for the
    role, with the second factor recorded for staff (no redirect to the sign-in or MFA step);
    query_counts raises on any other status. The counts are what the load table prints."""
    scale = bench_fill.scale_from_env("tiny")
    report = bench_fill.fill(scale, quiet=True)
    assert report["scale"]["tickets"] == scale.tickets
    assert bench_fill.filled(scale)
    with scopes_disabled():
        # The desk has what its views show: tickets breaching soon, others overdue by years.
        assert breaching_soon().exists()
        assert Ticket.objects.filter(
            status__in=Ticket.OPEN_STATUSES,
            paused_since__isnull=True,
            resolution_due__lt=timezone.now() - timedelta(days=365),
        ).exists()
    objects = bench_fill.bench_objects()
    assert objects["log_time_days"] and objects["reply_ticket_ids"]
    counts = bench_load.query_counts(objects, bench_load.credentials(objects))
    assert set(counts) == {route.name for route in bench_load.routes(objects)}
    assert counts[bench_load.FLOOR] == 0
    assert all(n > 0 for name, n in counts.items() if name != bench_load.FLOOR)


def _fake_objects() -> dict:
    return {
        "organisation_id": 1,
        "contract_id": 2,
        "ticket_id": 3,
        "reply_ticket_ids": [3, 4],
        "activity_request_ids": [5],
        "log_time_days": [(5, "2026-11-26")],
    }


def test_bench_results_writer_produces_valid_json_with_every_route(tmp_path):
    """The results file and the README table: valid JSON with every route at 1 and 16 clients
    (req/s, percentiles, errors, ratio, verdict, queries at both sizes), a FAIL where a target is
    missed, and the README rewritten only between its markers."""
    all_routes = bench_load.routes(_fake_objects())
    rows = {
        route.name: {
            clients: {
                "requests": 100,
                "req_per_s": {bench_load.FLOOR: 1000.0, bench_load.SIGNED_IN_FLOOR: 50.0}.get(
                    route.name, 200.0
                ),
                "p50_ms": 5.0,
                "p95_ms": 300.0 if route.name == "agent ticket list" else 20.0,
                "p99_ms": 40.0,
                "errors": 0,
                "non_2xx": 0,
            }
            for clients in bench_load.CONCURRENCIES
        }
        for route in all_routes
    }
    queries = {route.name: 7 for route in all_routes}
    failures = bench_load.evaluate(rows, queries, {**queries, "agent home": 6})
    assert any(f.startswith("agent ticket list @ 16") and "p95" in f for f in failures)
    assert any(f.startswith("agent home @ 16") and "queries 6 -> 7" in f for f in failures)
    assert any(f.startswith(bench_load.SIGNED_IN_FLOOR) for f in failures)  # 5 % < 50 %
    load = bench_load.results_for(all_routes, rows, queries, queries, "small", "full")
    results = {"date": "2026-11-26 20:00", "machine": {}, "scale": {}, "load": load}
    results["failures"] = failures
    out = tmp_path / "results.json"
    bench.write_results(results, out)
    written = json.loads(out.read_text())
    assert set(written["load"]["routes"]) == {route.name for route in all_routes}
    for route in written["load"]["routes"].values():
        assert set(route["concurrency"]) == {"1", "16"}
        assert route["queries"] == {"small": 7, "full": 7}
        for row in route["concurrency"].values():
            assert {"req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "ratio", "verdict"} <= set(
                row
            )
    assert written["load"]["routes"]["agent ticket list"]["concurrency"]["16"]["verdict"] == "FAIL"
    assert written["load"]["routes"]["referent home"]["concurrency"]["16"]["verdict"] == "PASS"
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{bench.START_MARKER}\nold\n{bench.END_MARKER}\nafter\n")
    bench.update_readme(written, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert "| agent ticket list | 16 |" in text
