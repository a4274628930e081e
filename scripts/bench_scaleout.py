"""Scale-out on one machine (issue 15): two gunicorn nodes and two Celery workers against one
PostgreSQL and one Redis, with no shared disk between them but the database and the broker.

- Web: two gunicorn processes on two ports (the same code and settings, as two machines behind
  a load balancer would run), each loaded at once by its own load generator (a separate
  process, keep-alive-free HTTP/1.1 like gunicorn's sync workers) on a cheap signed-in page
  (``/profile/`` as a CSTM, a session in PostgreSQL shared by both nodes). Reports each node's
  req/s, p50/p95 and errors.
- Mail: two mailboxes (two users on the throwaway Dovecot) filled with messages, polled by two
  Celery workers consuming the ``mail`` queue (``-Q mail``) at the same time; the per-mailbox
  lease keeps each mailbox to one worker. Reports msg/s and checks every message is stored
  exactly once (none lost, none duplicated) and left the inbox.

``measure()`` is called by scripts/bench.py after ``django.setup()`` with
``csm_portal.settings.test`` (tests/bootstrap.py's PostgreSQL, Redis and Dovecot); run alone:
``python scripts/bench_scaleout.py``. Knobs: ``BENCH_SCALE=small`` (quick), or
``BENCH_SCALEOUT_SECONDS`` (load per node, default 8), ``BENCH_SCALEOUT_CLIENTS`` (connections
per node, 4), ``BENCH_SCALEOUT_WEB_WORKERS`` (gunicorn workers per node, 2),
``BENCH_SCALEOUT_MESSAGES`` (messages per mailbox, 300).
"""

from __future__ import annotations

import http.client
import imaplib
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = os.environ.get("BENCH_SCALE", "").lower() == "small"
SECONDS = float(os.environ.get("BENCH_SCALEOUT_SECONDS", "3" if SMALL else "8"))
CLIENTS = int(os.environ.get("BENCH_SCALEOUT_CLIENTS", "2" if SMALL else "4"))
WEB_WORKERS = int(os.environ.get("BENCH_SCALEOUT_WEB_WORKERS", "1" if SMALL else "2"))
MESSAGES = int(os.environ.get("BENCH_SCALEOUT_MESSAGES", "60" if SMALL else "300"))
PAGE = "/profile/"
START_TIMEOUT = 60.0
INGEST_TIMEOUT = 600.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    env.setdefault("LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wait(predicate, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not predicate():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/favicon.ico")
        connection.getresponse().read()
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- web load


def _load(port: int, cookie: str, seconds: float, clients: int, queue) -> None:
    """One load generator (its own process): ``clients`` threads requesting the page for
    ``seconds``; puts (latencies in ms, errors) on the queue."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine, wrong = [], []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection.request("GET", PAGE, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    wrong.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                wrong.append(type(exc).__name__)
                connection.close()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
            errors.extend(wrong)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((port, latencies, errors))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _signed_in_cookie() -> str:
    from django.conf import settings
    from django.test import Client

    from accounts.models import Organisation
    from accounts.roles import Role
    from tests.conftest import mark_authentication
    from tests.factories import person

    provider = Organisation.objects.filter(kind=Organisation.Kind.PROVIDER).first()
    if provider is None:
        provider = Organisation.objects.create(name="Provider", kind=Organisation.Kind.PROVIDER)
    user = person(
        provider, Role.CSTM, email=f"bench-scaleout-{secrets.token_hex(4)}@provider.example"
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    mark_authentication(client, user, mfa=True)
    response = client.get(PAGE)
    if response.status_code != 200:
        raise AssertionError(f"{PAGE} answers {response.status_code} to the signed-in CSTM")
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def _run_load(targets: list[tuple[int, int]], cookie: str) -> list:
    """One load-generator process per (port, clients), all at once."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    generators = [
        context.Process(target=_load, args=(port, cookie, SECONDS, clients, queue))
        for port, clients in targets
    ]
    for generator in generators:
        generator.start()
    results = [queue.get(timeout=SECONDS + 120) for _ in generators]
    for generator in generators:
        generator.join()
    return results


def measure_web(tmp: Path) -> dict:
    cookie = _signed_in_cookie()
    nodes = []
    try:
        for index in (1, 2):
            port = _free_port()
            log = tmp / f"gunicorn-{index}.log"
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "csm_portal.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(WEB_WORKERS),
                ],
                cwd=ROOT,
                env=_child_env(),
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            nodes.append((port, process, log))
        for port, process, log in nodes:
            _wait(lambda port=port: _answers(port), f"gunicorn on {port}", process, log)
        # First one node alone with all the clients (the baseline), then both nodes at once.
        (alone,) = _run_load([(nodes[0][0], 2 * CLIENTS)], cookie)
        results = _run_load([(port, CLIENTS) for port, _, _ in nodes], cookie)
    finally:
        for _, process, _ in nodes:
            process.terminate()
        for _, process, _ in nodes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    by_port = {port: (latencies, errors) for port, latencies, errors in results}
    report = {"page": PAGE, "seconds": SECONDS, "clients_per_node": CLIENTS, "nodes": []}
    for index, (port, _, _) in enumerate(nodes, start=1):
        latencies, errors = by_port[port]
        report["nodes"].append(
            {
                "node": index,
                "port": port,
                "gunicorn_workers": WEB_WORKERS,
                "requests": len(latencies),
                "errors": len(errors),
                "error_kinds": sorted(set(errors))[:5],
                "req_per_s": round(len(latencies) / SECONDS, 1),
                "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                "p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
            }
        )
    report["total_req_per_s"] = round(sum(n["req_per_s"] for n in report["nodes"]), 1)
    _, alone_latencies, alone_errors = alone
    report["one_node"] = {
        "clients": 2 * CLIENTS,
        "requests": len(alone_latencies),
        "errors": len(alone_errors),
        "req_per_s": round(len(alone_latencies) / SECONDS, 1),
        "p95_ms": round(_percentile(alone_latencies, 0.95), 1) if alone_latencies else None,
    }
    report["two_nodes_vs_one"] = (
        round(report["total_req_per_s"] / report["one_node"]["req_per_s"], 2)
        if report["one_node"]["req_per_s"]
        else None
    )
    return report


# --------------------------------------------------------------------------- mail


def _message(run: str, box: int, index: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Cliente {index} <cliente{index}@bench-{run}.example>"
    message["To"] = f"support-{box}@csm-test.example"
    message["Subject"] = f"Richiesta {index} dalla casella {box}"
    message["Date"] = format_datetime(time_now())
    message["Message-ID"] = f"<bench-{run}-{box}-{index}@bench.example>"
    message.set_content(f"Buongiorno,\nla richiesta numero {index} ({'x' * (index % 50)}).\n")
    return message.as_bytes()


def time_now():
    from django.utils import timezone

    return timezone.now()


def _fill(user: str, password: str, port: int, run: str, box: int) -> None:
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(user, password)
    for index in range(MESSAGES):
        imap.append("INBOX", "", None, _message(run, box, index).replace(b"\n", b"\r\n"))
    imap.logout()


def _inbox_size(user: str, password: str, port: int) -> int:
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(user, password)
    _, data = imap.select("INBOX")
    imap.logout()
    return int(data[0])


def measure_mail(tmp: Path, *, workers_count: int = 2) -> dict:
    from django.db.models import Count, Max, Min

    from csm_portal.celery import app as celery_app
    from tests.bootstrap import ensure_imap, imap_create_user
    from tickets.mailbox import mailbox_set_password
    from tickets.models import InboundMessage, Mailbox

    server = ensure_imap()
    run = secrets.token_hex(3)
    # Only ours are polled during the run; the others are switched back on afterwards.
    others = list(Mailbox.objects.filter(active=True).values_list("pk", flat=True))
    Mailbox.objects.filter(pk__in=others).update(active=False)
    accounts, boxes = [], []
    for box in (1, 2):
        user, password = imap_create_user(f"bench-{run}-{box}")
        mailbox = Mailbox(
            name=f"Bench {run} {box}",
            address=f"support-{run}-{box}@csm-test.example",
            host="127.0.0.1",
            port=server.port,
            use_tls=False,
            username=user,
        )
        mailbox_set_password(mailbox, password)
        mailbox.save()
        accounts.append((user, password))
        boxes.append(mailbox)

    workers = []
    try:
        for index in range(1, workers_count + 1):
            log = tmp / f"worker-{run}-{index}.log"
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "csm_portal",
                    "worker",
                    "-Q",
                    "mail",
                    "--pool=solo",
                    "-n",
                    f"bench-mail-{run}-{index}@%h",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=_child_env(),
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            workers.append((process, log))
        for process, log in workers:
            _wait(lambda log=log: b"ready." in log.read_bytes(), "a Celery worker", process, log)
        # Warm-up: each worker polls the empty mailboxes once (the first poll imports the
        # ingestion code, about a second), then the mail arrives and the clock starts.
        deadline = time.monotonic() + START_TIMEOUT
        while not all(b"succeeded" in log.read_bytes() for _, log in workers):
            if time.monotonic() > deadline:
                raise AssertionError("the Celery workers did not finish a warm-up poll")
            celery_app.send_task("tickets.poll_mailboxes")
            time.sleep(0.5)
        while Mailbox.objects.filter(pk__in=[b.pk for b in boxes], lease_until__isnull=False):
            time.sleep(0.05)
        for box, (user, password) in enumerate(accounts, start=1):
            _fill(user, password, server.port, run, box)

        ours = InboundMessage.objects.filter(mailbox__in=boxes)
        expected = 2 * MESSAGES
        started = time.perf_counter()
        deadline = time.monotonic() + INGEST_TIMEOUT
        rounds = 0
        ids = [b.pk for b in boxes]
        stored = 0
        while stored < expected and time.monotonic() < deadline:
            # One poll per worker; another round once this one has stopped making progress
            # and both leases are free (a poll takes at most MAILBOX_BATCH messages).
            for _ in workers:
                celery_app.send_task("tickets.poll_mailboxes")
            rounds += 1
            last, since = -1, time.monotonic()
            while time.monotonic() < deadline:
                time.sleep(0.05)
                stored = ours.count()
                if stored >= expected:
                    break
                if stored != last:
                    last, since = stored, time.monotonic()
                    continue
                leased = Mailbox.objects.filter(pk__in=ids, lease_until__isnull=False).exists()
                if not leased and time.monotonic() - since > 2.0:
                    break
        elapsed = time.perf_counter() - started
    finally:
        for process, _ in workers:
            process.terminate()
        for process, _ in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    stored = ours.count()
    distinct = ours.values("mailbox_id", "message_key").distinct().count()
    per_box = {
        row["mailbox_id"]: row["n"] for row in ours.values("mailbox_id").annotate(n=Count("pk"))
    }
    left = [_inbox_size(user, password, server.port) for user, password in accounts]
    # Polled in parallel: the two mailboxes' ingestion windows overlap (received_at is the
    # instant each message was stored).
    windows = [
        ours.filter(mailbox=b).aggregate(first=Min("received_at"), last=Max("received_at"))
        for b in boxes
    ]
    overlap = 0.0
    if all(w["first"] for w in windows):
        start = max(w["first"] for w in windows)
        end = min(w["last"] for w in windows)
        overlap = max(0.0, (end - start).total_seconds())
    Mailbox.objects.filter(pk__in=[b.pk for b in boxes]).update(active=False)
    Mailbox.objects.filter(pk__in=others).update(active=True)
    return {
        "mailboxes": 2,
        "workers": workers_count,
        "messages": expected,
        "stored": stored,
        "per_mailbox": [per_box.get(b.pk, 0) for b in boxes],
        "duplicates": stored - distinct,
        "lost": expected - distinct,
        "left_in_inbox": sum(left),
        "poll_rounds": rounds,
        "parallel_seconds": round(overlap, 2),
        "seconds": round(elapsed, 2),
        "msg_per_s": round(stored / elapsed, 1) if elapsed else None,
    }


# --------------------------------------------------------------------------- report


def measure() -> dict:
    from django_scopes import scopes_disabled

    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as folder, scopes_disabled():
        tmp = Path(folder)
        web = measure_web(tmp)
        mail_alone = measure_mail(tmp, workers_count=1)
        mail = measure_mail(tmp, workers_count=2)
    mail["one_worker"] = {
        key: mail_alone[key]
        for key in ("messages", "stored", "lost", "duplicates", "seconds", "msg_per_s")
    }
    mail["two_workers_vs_one"] = (
        round(mail["msg_per_s"] / mail_alone["msg_per_s"], 2) if mail_alone["msg_per_s"] else None
    )
    print_table(web, mail)
    problems = []
    if web["one_node"]["errors"]:
        problems.append(f"one node alone: {web['one_node']['errors']} errors")
    if mail_alone["lost"] or mail_alone["duplicates"] or mail_alone["left_in_inbox"]:
        problems.append("mail with one worker: messages lost, duplicated or left")
    for node in web["nodes"]:
        if node["errors"] or not node["requests"]:
            problems.append(
                f"node {node['node']}: {node['errors']} errors {node['error_kinds']} in "
                f"{node['requests']} requests"
            )
    if not mail["parallel_seconds"]:
        problems.append("mail: the two mailboxes were not polled at the same time")
    if mail["lost"] or mail["duplicates"] or mail["left_in_inbox"]:
        problems.append(
            f"mail: {mail['lost']} lost, {mail['duplicates']} duplicated, "
            f"{mail['left_in_inbox']} left in the inboxes"
        )
    result = {"web": web, "mail": mail}
    if problems:
        raise AssertionError("scale-out bench: " + "; ".join(problems))
    return result


def print_table(web: dict, mail: dict) -> None:
    print(
        f"\nScale-out: two gunicorn nodes, {web['clients_per_node']} clients each, "
        f"GET {web['page']} signed in, {web['seconds']:g} s"
    )
    header = (
        f"{'node':<6}{'workers':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for node in web["nodes"]:
        print(
            f"{node['node']:<6}{node['gunicorn_workers']:>8}{node['requests']:>10}"
            f"{node['req_per_s']:>9}{node['p50_ms']!s:>9}{node['p95_ms']!s:>9}{node['errors']:>8}"
        )
    print(f"{'total':<6}{'':>8}{'':>10}{web['total_req_per_s']:>9}")
    alone = web["one_node"]
    print(
        f"one node alone, {alone['clients']} clients: {alone['req_per_s']} req/s "
        f"(p95 {alone['p95_ms']} ms); two nodes / one = {web['two_nodes_vs_one']}"
    )
    print("\nScale-out: two mailboxes polled by two Celery workers (-Q mail)")
    header = (
        f"{'messages':>9}{'stored':>8}{'per mailbox':>14}{'lost':>6}{'dup':>5}"
        f"{'left':>6}{'seconds':>9}{'msg/s':>8}{'parallel s':>12}"
    )
    print(header)
    print("-" * len(header))
    per = "/".join(str(n) for n in mail["per_mailbox"])
    print(
        f"{mail['messages']:>9}{mail['stored']:>8}{per:>14}{mail['lost']:>6}"
        f"{mail['duplicates']:>5}{mail['left_in_inbox']:>6}{mail['seconds']:>9}{mail['msg_per_s']!s:>8}"
        f"{mail['parallel_seconds']:>12}"
    )
    one = mail["one_worker"]
    print(
        f"one worker polling both: {one['stored']}/{one['messages']} in {one['seconds']} s, "
        f"{one['msg_per_s']} msg/s; two workers / one = {mail['two_workers_vs_one']}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import json

    print(json.dumps(measure(), indent=2))
