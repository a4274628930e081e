"""Profile one route of the bench in-process (issue 15): production settings, the bench's people
and objects, a database filled by scripts/bench_fill.py that stays between runs.

Fill a database once (about 3 minutes at full scale; any PostgreSQL and Redis you started):
  DATABASE_URL=postgres://postgres@127.0.0.1:55432/csm_prof REDIS_URL=redis://127.0.0.1:56379/0 \\
      BENCH_SCALE=full .venv/bin/python scripts/profile_route.py --fill
then, with the same two variables:
  .venv/bin/python scripts/profile_route.py --role cstm --path / [--n 30] [--sort tottime]
      [--token] [--lang it] [--top 35] [--no-profile] [--show-objects] [--tree ../other-checkout]

Roles: admin, cstm, agent, referent; --token sends the person's API token (for /api/ routes).
Prints the SQL statements of one warm request with their times, the mean and minimum ms over
--n requests, the in-process floors measured in the same run (the constant view anonymous and
signed in) and the route's ratio to the anonymous one, then a cProfile of the --n requests.
GET only: never profile writes on a database others read. ``--tree`` profiles another checkout's
code (a worktree) on the same database; its migrations must match (``--migrate``).
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

FLOOR = "/bench/constant/"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--role", default="cstm")
    parser.add_argument("--path", default="/")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--token", action="store_true")
    parser.add_argument("--lang", default="it")
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--fill", action="store_true", help="migrate and fill at BENCH_SCALE")
    parser.add_argument("--show-objects", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    return parser.parse_args()


def configure(tree: str) -> None:
    sys.path[:0] = [tree, str(Path(tree) / "scripts")]
    os.chdir(tree)
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL (a PostgreSQL filled with --fill, a Redis)")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="csm_portal.settings.bench",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", secrets.token_urlsafe(48)),
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        API_RATE_LIMIT="100000000/min",
    )
    import django

    django.setup()


def credentials(objects: dict) -> dict:
    """The bench's sessions and tokens, under a fresh token name each run (names are unique)."""
    import bench_load

    from accounts import services

    create = services.api_token_create

    def named(**kw: object) -> object:
        return create(**{**kw, "name": f"prof-{secrets.token_hex(4)}"})

    services.api_token_create = named
    try:
        return bench_load.credentials(objects)
    finally:
        services.api_token_create = create


def run(creds: dict, role: str, path: str, *, token: bool, lang: str, n: int) -> dict:
    """One warm request's statements, then the mean and minimum ms of ``n`` requests."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    client, extra = Client(HTTP_ACCEPT_LANGUAGE=lang, secure=True), {}
    if role != "anonymous" and token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {creds['token'][role]}"
    elif role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = creds["session"][role]
    client.get(path, **extra)  # warm the caches
    client.get(path, **extra)
    statements: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        response = client.get(path, **extra)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(path, **extra)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "client": client,
        "extra": extra,
        "response": response,
        "statements": statements,
        "mean": sum(times) / len(times),
        "min": min(times),
    }


def main() -> None:
    args = arguments()
    configure(args.tree)
    from django.core.management import call_command

    if args.migrate or args.fill:
        call_command("migrate", verbosity=1)
    import bench_fill

    if args.fill:
        bench_fill.fill(bench_fill.scale_from_env())
        from accounts.tasks import health_snapshots_refresh

        health_snapshots_refresh()  # what the beat keeps every minute
        return
    objects = bench_fill.bench_objects()
    if args.show_objects:
        print({k: v for k, v in objects.items() if not hasattr(v, "pk")})
    creds = credentials(objects)
    anonymous = run(creds, "anonymous", FLOOR, token=False, lang=args.lang, n=200)
    signed_in = run(creds, "cstm", FLOOR, token=False, lang=args.lang, n=200)
    route = run(creds, args.role, args.path, token=args.token, lang=args.lang, n=args.n)
    response = route["response"]
    print(f"floor anonymous   mean {anonymous['mean']:7.2f} ms  min {anonymous['min']:6.2f}")
    print(f"floor signed in   mean {signed_in['mean']:7.2f} ms  min {signed_in['min']:6.2f}")
    print(
        f"{args.role} {args.path}: status {response.status_code}, "
        f"{len(route['statements'])} queries, mean {route['mean']:.2f} ms, "
        f"min {route['min']:.2f} ms, {len(response.content)} bytes; in-process ratio to the "
        f"anonymous floor {anonymous['mean'] / route['mean'] * 100:.1f} %"
    )
    if response.status_code >= 300:
        print(response.content[:500])
    for number, (seconds, sql) in enumerate(route["statements"], 1):
        print(f"  q{number:02d} {seconds * 1000:7.2f} ms  {sql[:200]}")
    if not args.no_profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            route["client"].get(args.path, **route["extra"])
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
