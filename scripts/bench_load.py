"""Pages and API under load (issue 15): gunicorn with the production settings (plus the bench
URLconf) on loopback, `wrk` in another process, at 1 and 16 concurrent clients, against the
anonymous constant-JSON view as the floor; and the SQL queries per request of each route, counted
with Django's test client at two data sizes (they must be equal).

Sessions are made the way allauth's sign-in leaves them (the password step and, for staff, the
second factor recorded; see accounts.middleware.session_passed_mfa); API routes use API tokens.
Any answer that is not the expected 2xx (a 302 to the sign-in page means a wrong session) fails
loudly before the load starts, and any non-2xx during the load is counted as an error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCIES = (1, 16)
DURATION = {
    1: int(os.environ.get("BENCH_DURATION_1", "5")),
    16: int(os.environ.get("BENCH_DURATION_16", "10")),
}
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
FLOOR = "constant view, anonymous"
SIGNED_IN_FLOOR = "constant view, signed in (CSTM)"
MIN_RATIO = 0.10  # every route at 16 clients, of the anonymous floor's req/s
MIN_SIGNED_IN_RATIO = 0.50
MAX_P95_MS = 250.0


@dataclass
class Route:
    name: str
    role: str  # anonymous, cstm, referent, agent, admin
    paths: list[str]
    auth: str = "session"  # session | token | none
    method: str = "GET"
    bodies: list[str] = field(default_factory=list)
    expect: int = 200


def routes(objects: dict) -> list[Route]:
    """Every key route of issue 15 with the bench's people and objects."""
    return [
        Route(FLOOR, "anonymous", ["/bench/constant/"], auth="none"),
        Route(SIGNED_IN_FLOOR, "cstm", ["/bench/constant/"]),
        Route("referent home", "referent", ["/"]),
        Route("CSTM home", "cstm", ["/"]),
        Route("agent home", "agent", ["/"]),
        Route("admin home", "admin", ["/"]),
        Route("CSTM contract list", "cstm", ["/contracts/"]),
        Route("customer-360", "cstm", [f"/organisations/{objects['organisation_id']}/360/"]),
        Route("referent hours page", "referent", ["/hours/"]),
        Route("agent ticket list", "agent", ["/tickets/"]),
        Route("agent breaching soon", "agent", ["/tickets/?sla=soon"]),
        Route("ticket detail (agent)", "agent", [f"/tickets/{objects['ticket_id']}/"]),
        Route(
            "API contract balance",
            "referent",
            [f"/api/v1/contracts/{objects['contract_id']}/balance/"],
            auth="token",
        ),
        Route("API ticket list (agent)", "agent", ["/api/v1/tickets/"], auth="token"),
        Route(
            "API log time (write, CSTM)",
            "cstm",
            ["/api/v1/work-sessions/"],
            auth="token",
            method="POST",
            bodies=[
                json.dumps({"request": pk, "worked_on": day, "minutes": 5})
                for pk, day in objects["log_time_days"]
            ],
            expect=201,
        ),
        Route(
            "API ticket reply (write, agent)",
            "agent",
            [f"/api/v1/tickets/{pk}/reply/" for pk in objects["reply_ticket_ids"]],
            auth="token",
            method="POST",
            bodies=[json.dumps({"body": "Grazie, stiamo verificando. (bench)", "internal": True})],
            expect=201,
        ),
    ]


# --------------------------------------------------------------------------- credentials


def credentials(objects: dict) -> dict:
    """A session key per person (password + MFA recorded, as allauth's sign-in does) and an API
    token per person. Made in this process with the same SECRET_KEY as the gunicorn workers."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from accounts import services

    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    result: dict = {"session": {}, "token": {}}
    for role in ("admin", "cstm", "agent", "referent"):
        user = objects[role]
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        records = [{"method": "password", "at": time.time(), "email": user.email}]
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None:
            records.append({"method": "mfa", "at": time.time(), "id": totp.pk, "type": totp.type})
        session[AUTHENTICATION_METHODS_SESSION_KEY] = records
        session["account_authentication_methods_user"] = str(user.pk)
        session.create()
        session.save()
        result["session"][role] = session.session_key
        _token, secret = services.api_token_create(user=user, name="bench")
        result["token"][role] = secret
    return result


def headers_for(route: Route, creds: dict) -> dict[str, str]:
    from django.conf import settings

    headers: dict[str, str] = {"Accept-Language": "it"}
    if route.auth == "session":
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={creds['session'][route.role]}"
    elif route.auth == "token":
        headers["Authorization"] = f"Bearer {creds['token'][route.role]}"
    if route.method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


# --------------------------------------------------------------------------- query counts


def query_counts(objects: dict, creds: dict) -> dict[str, int]:
    """SQL statements per request of each route (Django test client, whole middleware stack)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from accounts.tasks import health_snapshots_refresh

    # The cockpit's stored ranking as production's beat keeps it (every minute): counted
    # requests must not be the ones that rank customers the beat has not yet seen.
    health_snapshots_refresh()
    counts: dict[str, int] = {}
    with override_settings(ROOT_URLCONF="csm_portal.bench_urls"):
        for route in routes(objects):
            headers = {
                "HTTP_" + k.upper().replace("-", "_"): v
                for k, v in headers_for(route, creds).items()
                if k not in ("Cookie", "Content-Type")
            }
            client = Client()
            if route.auth == "session":
                from django.conf import settings

                client.cookies[settings.SESSION_COOKIE_NAME] = creds["session"][route.role]
            for attempt in range(2):  # the first warms caches; the second is counted
                body = route.bodies[attempt % len(route.bodies)] if route.bodies else None
                path = route.paths[(attempt + 1) % len(route.paths)]
                with CaptureQueriesContext(connection) as captured:
                    if route.method == "POST":
                        response = client.post(
                            path, body, content_type="application/json", **headers
                        )
                    else:
                        response = client.get(path, **headers)
                if response.status_code != route.expect:
                    raise AssertionError(
                        f"{route.name}: {path} answered {response.status_code} "
                        f"(expected {route.expect}) in the test client: "
                        f"{response.content[:300]!r}"
                    )
            counts[route.name] = len(captured)
    return counts


# --------------------------------------------------------------------------- gunicorn + wrk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with the production settings (bench URLconf) on a loopback port."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="csm_portal.settings.bench",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            # Sends no mail anywhere; replies still render and queue it.
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            LOG_LEVEL="WARNING",
        )
        return env

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            raise RuntimeError(f"gunicorn is not installed in the venv ({gunicorn})")
        return [
            str(gunicorn),
            "csm_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]

    def __enter__(self) -> Gunicorn:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start within 60 s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class MinuteJobs:
    """What production's beat runs every minute next to the web nodes, run here while the
    pages are loaded (a thread of this process, on the bench's database): the cockpit's stored
    ranking of every customer (``accounts.health_snapshots_refresh``). Without it the
    snapshots would age past their 5 minutes during the run and the homes would refresh them
    themselves, which production never sees. Its CPU competes with gunicorn, as it would."""

    PERIOD_S = 60.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-minute-jobs", daemon=True)
        self.runs: list[float] = []
        self.error = ""

    def _run(self) -> None:
        from django.db import connection

        from accounts.tasks import health_snapshots_refresh

        try:
            while True:
                started = time.perf_counter()
                health_snapshots_refresh()
                self.runs.append(time.perf_counter() - started)
                if self._stop.wait(self.PERIOD_S):
                    return
        except Exception as error:  # noqa: BLE001 (reported with the results)
            self.error = repr(error)
        finally:
            connection.close()

    def __enter__(self) -> MinuteJobs:
        self._thread.start()
        while not self.runs and not self.error and self._thread.is_alive():
            time.sleep(0.1)  # the first refresh completes before the first measurement
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def report(self) -> dict:
        return {
            "task": "accounts.health_snapshots_refresh",
            "period_s": self.PERIOD_S,
            "runs": len(self.runs),
            "max_s": round(max(self.runs), 2) if self.runs else None,
            "error": self.error,
        }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def preflight(base: str, route: Route, creds: dict, timeout: float = 60) -> None:
    """One request per route before the load: the expected status, never a redirect."""
    opener = urllib.request.build_opener(_NoRedirect)
    headers = headers_for(route, creds)
    data = route.bodies[0].encode() if route.bodies else None
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
        base + route.paths[0], data=data, headers=headers, method=route.method
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            location = response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        status, location = error.code, error.headers.get("Location", "")
        detail = error.read()[:300]
    else:
        detail = b""
    if status != route.expect:
        hint = " (a redirect to the sign-in page: the session is wrong)" if status == 302 else ""
        raise AssertionError(
            f"{route.name}: {route.method} {route.paths[0]} answered {status}{hint} "
            f"{location} {detail!r}"
        )


def drain(base: str) -> None:
    """Wait until gunicorn has answered what is queued: sync workers take connections in order,
    so an anonymous constant request answered twice in a row means the backlog is gone."""
    for _ in range(2):
        with urllib.request.urlopen(base + "/bench/constant/", timeout=600) as response:  # noqa: S310
            response.read()


def single_request_ms(base: str, route: Route, creds: dict) -> float:
    started = time.perf_counter()
    preflight(base, route, creds, timeout=300)
    return round((time.perf_counter() - started) * 1000, 1)


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(route: Route, creds: dict) -> str:
    """wrk script: rotates through the route's paths and bodies, counts non-2xx answers in each
    thread and prints one JSON line with the percentiles at the end."""
    headers = ", ".join(
        f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers_for(route, creds).items()
    )
    paths = ", ".join(_lua_string(p) for p in route.paths)
    bodies = ", ".join(_lua_string(b) for b in route.bodies) or '""'
    return f"""
local threads = {{}}
local paths = {{{paths}}}
local bodies = {{{bodies}}}
local headers = {{{headers}}}
local method = "{route.method}"
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  codes = ""
  first = ""
  counter = offset * 7
end
function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local body = nil
  if method == "POST" then body = bodies[(counter % #bodies) + 1] end
  return wrk.format(method, path, headers, body)
end
function response(status, hdrs, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 10 then codes = codes .. status .. " " end
    if first == "" then first = string.sub(body, 1, 200) end
  end
end
function done(summary, latency, requests)
  local b = 0
  local c = ""
  local f = ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    c = c .. t:get("codes")
    if f == "" then f = t:get("first") end
  end
  io.write("BENCH_CODES " .. c .. "\\n")
  io.write("BENCH_FIRST " .. string.gsub(f, "%c", " ") .. "\\n")
  io.write(string.format(
    'BENCH_JSON {{"requests": %d, "duration_us": %d, "bad": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, b, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
end
"""


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: run `apt-get install -y wrk` (make bench does)")
    return found


def run_wrk(base: str, route: Route, creds: dict, clients: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(route, creds))
    try:
        threads = min(clients, 2)
        command = [
            wrk_binary(),
            f"-t{threads}",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            script.name,
            base + route.paths[0],
        ]
        out = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 120
        )
    finally:
        os.unlink(script.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {route.name}:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    codes = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_CODES ")), "")
    first = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_FIRST ")), "")
    errors = raw["bad"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "req_per_s": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "errors": errors,
        "non_2xx": raw["bad"],
        "error_statuses": codes.removeprefix("BENCH_CODES ").split(),
        "first_error_body": first.removeprefix("BENCH_FIRST ").strip()[:200],
    }


# --------------------------------------------------------------------------- the part


def evaluate(rows: dict, queries: dict, reference_queries: dict | None) -> list[str]:
    """Adds ratio and verdict to each row; returns the failures (empty when every target holds)."""
    failures: list[str] = []
    for name, per in rows.items():
        for clients, row in per.items():
            floor = rows[FLOOR][clients]["req_per_s"] or 1.0
            row["ratio"] = round(row["req_per_s"] / floor, 3)
            problems = []
            if row["requests"] == 0:
                alone = row.get("single_request_ms")
                problems.append(
                    "no request completed"
                    + (f" (one request alone: {alone:.0f} ms)" if alone else "")
                )
            if row["errors"]:
                statuses = " ".join(sorted(set(row.get("error_statuses", []))))
                problems.append(f"{row['errors']} errors ({statuses or 'socket'})")
            if name != FLOOR:
                # The throughput ratio holds at every concurrency; the p95 bound at 16 clients.
                minimum = MIN_SIGNED_IN_RATIO if name == SIGNED_IN_FLOOR else MIN_RATIO
                if row["ratio"] < minimum:
                    problems.append(f"{row['ratio']:.1%} of the floor < {minimum:.0%}")
            if clients == max(CONCURRENCIES) and name != FLOOR and row["p95_ms"] >= MAX_P95_MS:
                problems.append(f"p95 {row['p95_ms']} ms >= {MAX_P95_MS:.0f} ms")
            if clients == max(CONCURRENCIES):
                ref = (reference_queries or {}).get(name)
                if ref is not None and ref != queries.get(name):
                    problems.append(f"queries {ref} -> {queries.get(name)} with the data size")
            row["verdict"] = "FAIL" if problems else "PASS"
            row["problems"] = problems
            if problems:
                failures.append(f"{name} @ {clients}: {'; '.join(problems)}")
    return failures


def print_table(
    rows: dict, queries: dict, reference_queries: dict | None, ref_name: str, main_name: str
) -> str:
    header = (
        f"{'route':34} {'cl':>3} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} "
        f"{'ratio':>7} {'q@' + ref_name:>8} {'q@' + main_name:>8}  verdict"
    )
    lines = [header, "-" * len(header)]
    for name, per in rows.items():
        for clients, row in per.items():
            ref = (reference_queries or {}).get(name, "-")
            lines.append(
                f"{name[:34]:34} {clients:>3} {row['req_per_s']:>8.1f} {row['p50_ms']:>7.1f} "
                f"{row['p95_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['errors']:>4} "
                f"{row['ratio']:>7.1%} {ref!s:>8} {queries.get(name, '-')!s:>8}  {row['verdict']}"
            )
    table = "\n".join(lines)
    print(
        "\nPages and API under load (gunicorn, production settings; ms; ratio = req/s of the "
        "anonymous constant view at the same concurrency)"
    )
    print(table, flush=True)
    return table


def measure(
    *,
    objects: dict,
    reference_queries: dict | None = None,
    ref_name: str = "ref",
    main_name: str = "main",
    log_dir: Path | None = None,
) -> dict:
    """Run the load part; returns the results (rows per route and concurrency, queries) and
    raises AssertionError after printing when a target is missed."""
    creds = credentials(objects)
    queries = query_counts(objects, creds)
    all_routes = routes(objects)
    rows: dict[str, dict[int, dict]] = {}
    log = (log_dir or ROOT / "test-artifacts") / "bench-gunicorn.log"
    with Gunicorn(log) as server, MinuteJobs() as jobs:
        for route in all_routes:
            preflight(server.base, route, creds)
        for route in all_routes:
            run_wrk(server.base, route, creds, 1, WARMUP)  # warm-up
            drain(server.base)
            rows[route.name] = {}
            for clients in CONCURRENCIES:
                row = run_wrk(server.base, route, creds, clients, DURATION[clients])
                rows[route.name][clients] = row
                # Requests wrk left behind would still occupy the workers in the next run.
                drain(server.base)
                if row["requests"] == 0:  # slower than the run: time one request alone
                    row["single_request_ms"] = single_request_ms(server.base, route, creds)
            short = rows[route.name]
            print(
                f"  {route.name:34} "
                + "  ".join(
                    f"{c} cl: {r['req_per_s']:7.1f} req/s p95 {r['p95_ms']:6.1f} ms "
                    f"err {r['errors']}"
                    for c, r in short.items()
                ),
                flush=True,
            )
    failures = evaluate(rows, queries, reference_queries)
    table = print_table(rows, queries, reference_queries, ref_name, main_name)
    result = results_for(all_routes, rows, queries, reference_queries, ref_name, main_name)
    result["minute_jobs"] = jobs.report()
    print(f"  minute jobs while loaded: {result['minute_jobs']}", flush=True)
    result["table"] = table
    result["failures"] = failures
    measure.last_result = result  # type: ignore[attr-defined]
    if failures:
        raise AssertionError("load targets missed:\n  " + "\n  ".join(failures))
    return result


def results_for(
    all_routes: list[Route],
    rows: dict,
    queries: dict,
    reference_queries: dict | None,
    ref_name: str,
    main_name: str,
) -> dict:
    """The machine-readable results: per route, per concurrency."""
    return {
        "gunicorn": {
            "workers": WORKERS,
            "worker_class": "sync",
            "settings": "csm_portal.settings.bench",
        },
        "load_generator": "wrk " + _wrk_version(),
        "durations_s": {str(c): DURATION[c] for c in CONCURRENCIES},
        "warmup_s": WARMUP,
        "targets": {
            "min_ratio_of_anonymous_floor": MIN_RATIO,
            "min_signed_in_constant_ratio": MIN_SIGNED_IN_RATIO,
            "max_p95_ms_at_16": MAX_P95_MS,
        },
        "routes": {
            route.name: {
                "method": route.method,
                "path": route.paths[0],
                "auth": route.auth,
                "role": route.role,
                "queries": {
                    ref_name: (reference_queries or {}).get(route.name),
                    main_name: queries.get(route.name),
                },
                "concurrency": {str(c): row for c, row in rows[route.name].items()},
            }
            for route in all_routes
        },
    }


def _wrk_version() -> str:
    try:
        out = subprocess.run(
            [wrk_binary(), "--version"], capture_output=True, text=True, check=False
        )
    except (RuntimeError, OSError):
        return "?"
    return (out.stdout or out.stderr).split("\n")[0].strip()
