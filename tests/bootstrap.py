"""Throwaway PostgreSQL, Redis and Dovecot IMAP servers for the test suite.

Loaded as a pytest plugin (``-p tests.bootstrap`` in pyproject's addopts) and usable from plain
scripts through :func:`ensure_services`. The servers listen on free loopback ports inside a temp
dir and are torn down when the process that started them exits. Their URLs are exported as
``DATABASE_URL`` / ``REDIS_URL``, so child processes (live server, Celery worker, xdist workers)
inherit them and never start servers of their own.

The IMAP server (for the service-desk tests) is started lazily, by the first :func:`ensure_imap`
call (or the ``imap_server`` / ``imap_account`` fixtures), and exported as ``IMAP_TEST_URL``
(``imap://user:password@127.0.0.1:port``, user and password percent-encoded) plus
``IMAP_TEST_DIR`` (its temp dir, so child processes can add users with :func:`imap_create_user`).

On a root Debian box (CI, dev containers) missing packages are installed with apt-get; anywhere
else the error says exactly what to install, or which variables to set instead.
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import imaplib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, unquote, urlsplit

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ImapServer",
    "ensure_apt_packages",
    "ensure_chromium",
    "ensure_imap",
    "ensure_services",
    "imap_create_user",
]

CHROMIUM = "/usr/bin/chromium"
DATABASE_NAME = "csm_portal"
TEMP_PREFIX = "csm-test-"
STATE_FILE = "bootstrap.json"
START_TIMEOUT = 60.0
DOVECOT = "/usr/sbin/dovecot"
IMAP_DOMAIN = "csm-test.example"
IMAP_USER = f"support@{IMAP_DOMAIN}"

T = TypeVar("T")

_lock = threading.RLock()
_apt_updated = False
_started: _Started | None = None
_imap_started: _Started | None = None
_imap: ImapServer | None = None


@dataclass
class _Started:
    """What this process started, so that only this process stops it."""

    owner_pid: int
    tmp: Path
    pg_ctl: list[str] | None = None  # pg_ctl command prefix (incl. runuser when root)
    pg_data: Path | None = None
    redis: subprocess.Popen[bytes] | None = None
    dovecot: subprocess.Popen[bytes] | None = None  # the master process
    env: dict[str, str] = field(default_factory=dict)
    stopped: bool = False


@dataclass(frozen=True)
class ImapServer:
    """The test IMAP server (plain IMAP, no TLS) and one mailbox user on it."""

    port: int
    user: str
    password: str
    host: str = "127.0.0.1"
    # The user's Maildir (created at the first login); None for a server of your own given by
    # IMAP_TEST_URL.
    maildir: Path | None = None

    @property
    def url(self) -> str:
        """``imap://user:password@host:port``, user and password percent-encoded."""
        user, password = quote(self.user, safe=""), quote(self.password, safe="")
        return f"imap://{user}:{password}@{self.host}:{self.port}"


# --------------------------------------------------------------------------- apt helpers


def _is_root_debian() -> bool:
    return os.geteuid() == 0 and Path("/usr/bin/apt-get").exists()


def _dpkg_installed(name: str) -> bool:
    if not shutil.which("dpkg-query"):
        return False
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "install ok installed"


def ensure_apt_packages(*names: str) -> None:
    """Make sure the Debian packages ``names`` are installed.

    Installs what is missing when running as root on Debian (``apt-get update`` runs at most once
    per process); otherwise raises RuntimeError naming the exact command to run.
    """
    global _apt_updated
    with _lock:
        missing = [name for name in names if not _dpkg_installed(name)]
        if not missing:
            return
        command = f"apt-get install {' '.join(missing)}"
        if not _is_root_debian():
            raise RuntimeError(f"Missing system packages; run as root: {command}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # Another apt/dpkg run may hold the lock (e.g. a provisioning script): wait, don't fail.
        lock_wait = ["-o", "DPkg::Lock::Timeout=900"]
        _log(f"installing {' '.join(missing)} with apt-get ...")
        if not _apt_updated:
            _run(["apt-get", *lock_wait, "update"], env=env, what="apt-get update")
            _apt_updated = True
        _run(["apt-get", *lock_wait, "install", "-y", *missing], env=env, what=command)
        still_missing = [name for name in missing if not _dpkg_installed(name)]
        if still_missing:
            raise RuntimeError(f"apt-get did not install {' '.join(still_missing)}")


def ensure_chromium() -> str:
    """Return the path of Debian's Chromium (used by the Playwright tests), installing it if
    needed and possible."""
    if not Path(CHROMIUM).exists():
        try:
            ensure_apt_packages("chromium")
        except RuntimeError as exc:
            raise RuntimeError(
                f"{CHROMIUM} not found; run as root: apt-get install chromium"
            ) from exc
    return CHROMIUM


# --------------------------------------------------------------------------- services


def ensure_services() -> dict[str, str]:
    """Return ``{"DATABASE_URL": ..., "REDIS_URL": ...}``, starting servers if needed.

    Idempotent. URLs already in the environment win: a developer may point the tests at their own
    servers, and child processes of the process that started the servers inherit the URLs. Only
    the missing service is started when one of the two is supplied.
    """
    global _started
    with _lock:
        need_pg = not os.environ.get("DATABASE_URL", "").startswith("postgres")
        need_redis = not os.environ.get("REDIS_URL")
        if need_pg or need_redis:
            _reap_stale()
            started_at = time.monotonic()
            pg_bin, redis_bin = _find_servers(need_pg, need_redis)
            missing = ["postgresql"] if need_pg and pg_bin is None else []
            missing += ["redis-server"] if need_redis and redis_bin is None else []
            if missing:
                hint = (
                    f"PostgreSQL/Redis server binaries are missing; run as root: apt-get install "
                    f"{' '.join(missing)} (or set DATABASE_URL=postgres://... and "
                    f"REDIS_URL=redis://... to use servers you already have)"
                )
                try:
                    ensure_apt_packages(*missing)
                except RuntimeError as exc:
                    raise RuntimeError(hint) from exc
                pg_bin, redis_bin = _find_servers(need_pg, need_redis)
                if (need_pg and pg_bin is None) or (need_redis and redis_bin is None):
                    raise RuntimeError(hint)

            state = _Started(owner_pid=os.getpid(), tmp=Path(tempfile.mkdtemp(prefix=TEMP_PREFIX)))
            _started = state
            _write_state(state)
            # Registered before starting anything so a half-finished start is cleaned up too.
            atexit.register(_stop, state)
            try:
                parts = []
                if pg_bin is not None:
                    port = _start_postgres(state, pg_bin)
                    state.env["DATABASE_URL"] = (
                        f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"
                    )
                    parts.append(f"postgres on 127.0.0.1:{port}")
                if redis_bin is not None:
                    port = _start_redis(state, redis_bin)
                    state.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
                    parts.append(f"redis on 127.0.0.1:{port}")
            except BaseException:
                _stop(state)
                raise
            os.environ.update(state.env)
            elapsed = time.monotonic() - started_at
            _log(f"started {', '.join(parts)} in {state.tmp} ({elapsed:.1f}s)")
        return {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}


def _find_servers(need_pg: bool, need_redis: bool) -> tuple[Path | None, Path | None]:
    return (_find_postgres() if need_pg else None, _find_redis() if need_redis else None)


def _find_postgres() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres: Debian's highest version, else PATH."""

    def complete(bindir: Path) -> bool:
        return all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres"))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.name.split(".") if part.isdigit())

    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*") if p.name[:1].isdigit()) if root.is_dir() else [],
        key=version,
        reverse=True,
    )
    for candidate in versions:
        if complete(candidate / "bin"):
            return candidate / "bin"
    # Non-Debian layouts: the tools on PATH (resolved, so a symlink farm maps to the real dir).
    initdb = shutil.which("initdb")
    if initdb and complete(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    return None


def _find_redis() -> Path | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
    )
    return Path(found) if found else None


def _start_postgres(state: _Started, bindir: Path) -> int:
    import psycopg2

    # PostgreSQL refuses to run as root, so as root everything runs as the `postgres` system user
    # (created by Debian's postgresql package), which must then own the temp dir.
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "Running as root, but there is no `postgres` system user to run PostgreSQL as; "
                "run as root: apt-get install postgresql (or set DATABASE_URL=postgres://...)"
            ) from None
        os.chown(state.tmp, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]

    data = state.tmp / "pgdata"
    _run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            f"--locale={_utf8_locale()}",
        ],
        cwd=state.tmp,  # root's cwd may be unreadable for the postgres user
        what="initdb",
    )
    state.pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    state.pg_data = data

    for attempt in range(3):  # another process may grab the free port before postgres binds it
        port = _free_port()
        # Settings go into postgresql.auto.conf (read last) instead of `pg_ctl -o`, which is
        # passed through a shell and would need quoting. Throwaway cluster: durability off.
        settings = {
            "port": port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(state.tmp),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": 200,
        }
        (data / "postgresql.auto.conf").write_text(
            "".join(f"{key} = '{value}'\n" for key, value in settings.items())
        )
        started = subprocess.run(
            [*state.pg_ctl, "-l", str(state.tmp / "postgres.log"), "-w", "-t", "60", "start"],
            cwd=state.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        if started.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"PostgreSQL did not start:\n{_tail(state.tmp / 'postgres.log')}")

    dsn = {"host": "127.0.0.1", "port": port, "user": "postgres", "dbname": "postgres"}
    connection = _wait_for(lambda: psycopg2.connect(connect_timeout=2, **dsn), "PostgreSQL")
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()
    return port


def _start_redis(state: _Started, redis_server: Path) -> int:
    import redis

    for attempt in range(3):  # another process may grab the free port before redis binds it
        port = _free_port()
        state.redis = subprocess.Popen(
            [
                str(redis_server),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(state.tmp),
                "--daemonize",
                "no",
                "--logfile",
                str(state.tmp / "redis.log"),
            ],
            cwd=state.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Own session: a Ctrl-C in the terminal must not kill redis before the test session
            # has torn down; _stop() ends it.
            start_new_session=True,
        )
        _write_state(state)
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        try:
            _wait_for(client.ping, "Redis", process=state.redis)
            return port
        except RuntimeError:
            if state.redis.poll() is None or attempt == 2:
                raise
        finally:
            client.close()
    raise AssertionError("unreachable")


def _stop(state: _Started) -> None:
    """Stop the servers and remove the temp dir; a no-op outside the process that started them
    (a fork inherits atexit handlers)."""
    if os.getpid() != state.owner_pid or state.stopped:
        return
    state.stopped = True
    if state.pg_ctl and state.pg_data and (state.pg_data / "postmaster.pid").exists():
        subprocess.run(
            [*state.pg_ctl, "-m", "immediate", "-w", "-t", "30", "stop"],
            cwd=state.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    if state.redis and state.redis.poll() is None:
        state.redis.terminate()
        try:
            state.redis.wait(10)
        except subprocess.TimeoutExpired:
            state.redis.kill()
            state.redis.wait()
    if state.dovecot is not None:
        _stop_dovecot(state.dovecot.pid, state.tmp)
        with contextlib.suppress(subprocess.TimeoutExpired):
            state.dovecot.wait(5)  # reap it (it is gone already unless it ignored SIGKILL)
    shutil.rmtree(state.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- IMAP (Dovecot)


def ensure_imap() -> ImapServer:
    """Return the test IMAP server, starting a throwaway Dovecot on first use.

    Idempotent per process. A server given by ``IMAP_TEST_URL`` wins (a developer's own server,
    or the one a parent process started and exported), so child processes such as a Celery worker
    started by the tests use the same server. The server speaks plain IMAP without TLS (use
    ``imaplib.IMAP4`` / imap_tools' ``MailBoxUnencrypted``), has the user :data:`IMAP_USER` with a
    random password and stores mail as maildirs in its temp dir.
    """
    global _imap, _imap_started
    with _lock:
        if (
            _imap is not None
            and _imap_started is not None
            and _imap_started.owner_pid == os.getpid()
            and not _imap_started.stopped
        ):
            return _imap
        url = os.environ.get("IMAP_TEST_URL")
        if url:
            return _imap_from_url(url)

        _reap_stale()
        started_at = time.monotonic()
        dovecot = _find_dovecot()
        if dovecot is None:
            hint = (
                f"{DOVECOT} is missing; run as root: apt-get install dovecot-imapd (or set "
                f"IMAP_TEST_URL=imap://user:password@host:port to use a server you already have)"
            )
            try:
                ensure_apt_packages("dovecot-imapd")
            except RuntimeError as exc:
                raise RuntimeError(hint) from exc
            dovecot = _find_dovecot()
            if dovecot is None:
                raise RuntimeError(hint)

        state = _Started(owner_pid=os.getpid(), tmp=Path(tempfile.mkdtemp(prefix=TEMP_PREFIX)))
        _imap_started = state
        _write_state(state)
        # Registered before starting anything so a half-finished start is cleaned up too.
        atexit.register(_stop, state)
        password = secrets.token_urlsafe(12)
        try:
            port = _start_dovecot(state, dovecot, IMAP_USER, password)
        except BaseException:
            _stop(state)
            raise
        server = ImapServer(
            port=port, user=IMAP_USER, password=password, maildir=_maildir(state.tmp, IMAP_USER)
        )
        state.env = {"IMAP_TEST_URL": server.url, "IMAP_TEST_DIR": str(state.tmp)}
        os.environ.update(state.env)
        _imap = server
        elapsed = time.monotonic() - started_at
        _log(f"started dovecot on 127.0.0.1:{port} in {state.tmp} ({elapsed:.1f}s)")
        return server


def imap_create_user(name: str | None = None) -> tuple[str, str]:
    """Add a mailbox user to the test IMAP server and return ``(user, password)``.

    ``name`` is a full address or a local part (``@csm-test.example`` is appended); by default a
    unique one is made up. The user can log in at once. Works in child processes too, but only
    with the server started by this module (not with a server given by ``IMAP_TEST_URL`` alone).
    """
    ensure_imap()
    directory = os.environ.get("IMAP_TEST_DIR")
    if not directory or not (Path(directory) / "passwd").is_dir():
        raise RuntimeError(
            "imap_create_user() only works with the Dovecot started by tests/bootstrap.py "
            "(IMAP_TEST_DIR is not set: IMAP_TEST_URL points at a server of your own)"
        )
    user = name or f"user-{secrets.token_hex(4)}"
    if "@" not in user:
        user = f"{user}@{IMAP_DOMAIN}"
    if user.startswith(".") or any(
        char in ":/\\%" or char.isspace() or not char.isprintable() for char in user
    ):
        raise ValueError(f"unusable IMAP user name {user!r}")
    password = secrets.token_urlsafe(12)
    try:
        _add_passwd_file(Path(directory), user, password)
    except FileExistsError:
        raise ValueError(f"IMAP user {user!r} already exists") from None
    return user, password


def _imap_from_url(url: str) -> ImapServer:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "imap" or not parts.hostname or not port or parts.username is None:
        raise RuntimeError(
            "IMAP_TEST_URL must look like imap://user:password@127.0.0.1:143 (user and password "
            "percent-encoded)"
        )
    user = unquote(parts.username)
    directory = os.environ.get("IMAP_TEST_DIR")
    return ImapServer(
        host=parts.hostname,
        port=port,
        user=user,
        password=unquote(parts.password or ""),
        maildir=_maildir(Path(directory), user) if directory else None,
    )


def _find_dovecot() -> Path | None:
    found = DOVECOT if Path(DOVECOT).is_file() else shutil.which("dovecot")
    return Path(found) if found else None


def _maildir(tmp: Path, user: str) -> Path:
    return tmp / "mail" / user / "Maildir"


def _add_passwd_file(tmp: Path, user: str, password: str) -> None:
    """Create the passwd-file of ``user`` (one per user: Dovecot reads a changed passwd-file at
    most once a second, but a new one at once). Written aside and hard-linked into place, so
    Dovecot never reads half a file and an existing user is never overwritten."""
    # user:password:uid:gid:gecos:home:shell:extra — uid, gid and home come from the config.
    new = tmp / f"passwd.{secrets.token_hex(8)}"
    new.write_text(f"{user}:{{PLAIN}}{password}::::::\n")
    try:
        os.link(new, tmp / "passwd" / user)
    finally:
        new.unlink()


def _dovecot_accounts() -> tuple[str, str, str, int, int]:
    """``(internal user, internal group, login user, mail uid, mail gid)`` to run Dovecot with.

    As root: Debian's ``dovecot``/``dovenull`` system users (made by the dovecot-core package),
    else ``nobody``; Dovecot never gives mail access to uid 0. Otherwise everything runs as the
    current user (Dovecot supports running without root when chroots are off).
    """
    if os.geteuid() != 0:
        try:
            me = pwd.getpwuid(os.geteuid())
            group = grp.getgrgid(os.getegid()).gr_name
        except KeyError:
            raise RuntimeError(
                f"uid {os.geteuid()}/gid {os.getegid()} has no passwd/group entry, which Dovecot "
                f"needs (or set IMAP_TEST_URL=imap://user:password@host:port)"
            ) from None
        return me.pw_name, group, me.pw_name, me.pw_uid, os.getegid()
    for name in ("dovecot", "nobody"):
        try:
            internal = pwd.getpwnam(name)
            group = grp.getgrgid(internal.pw_gid).gr_name
        except KeyError:
            continue
        try:
            login = pwd.getpwnam("dovenull").pw_name
        except KeyError:
            login = internal.pw_name
        return internal.pw_name, group, login, internal.pw_uid, internal.pw_gid
    raise RuntimeError(
        "Running as root, but there is neither a `dovecot` nor a `nobody` user to run Dovecot "
        "as; run as root: apt-get install --reinstall dovecot-core"
    )


def _dovecot_config(tmp: Path, port: int, accounts: tuple[str, str, str, int, int]) -> str:
    internal_user, internal_group, login_user, uid, gid = accounts
    users = f"{tmp}/passwd/%u"  # one file per user, see _add_passwd_file()
    # Standalone: nothing from /etc/dovecot is read. Chroots are off so that it also runs without
    # root; the auth failure delay and penalty are off so that tests of bad logins stay fast.
    return f"""\
# Throwaway Dovecot for the CSM Portal tests (tests/bootstrap.py); deleted at exit.
instance_name = {tmp.name}
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
auth_verbose = yes
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {uid}
mail_uid = {uid}
mail_gid = {gid}
mail_home = {tmp}/mail/%u
mail_location = maildir:~/Maildir
mail_fsync = never

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
namespace inbox {{
  inbox = yes
}}
protocol imap {{
  mail_max_userip_connections = 100
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap-urlauth-login {{
  chroot =
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _start_dovecot(state: _Started, dovecot: Path, user: str, password: str) -> int:
    accounts = _dovecot_accounts()
    tmp = state.tmp
    log = tmp / "dovecot.log"
    (tmp / "passwd").mkdir()
    (tmp / "mail").mkdir()
    _add_passwd_file(tmp, user, password)
    if os.geteuid() == 0:
        # The auth process reads the passwd-files and the mail processes write the maildirs as
        # the unprivileged user; the master and the log process stay root. Files made later by
        # root (passwd-files of new users) are world-readable, in a dir only that user can enter.
        _, _, _, uid, gid = accounts
        for path in (tmp, tmp / "passwd", tmp / "mail"):
            os.chown(path, uid, gid)
    config = tmp / "dovecot.conf"

    for attempt in range(3):  # another process may grab the free port before dovecot binds it
        port = _free_port()
        config.write_text(_dovecot_config(tmp, port, accounts))
        # Startup errors go to stderr before the log process takes over: same file.
        with log.open("ab") as log_file:
            log_start = log_file.tell()
            state.dovecot = subprocess.Popen(
                [str(dovecot), "-F", "-c", str(config)],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C in the terminal must not kill dovecot before the test
                # session has torn down; _stop() ends it.
                start_new_session=True,
            )
        _write_state(state)
        try:
            _wait_for(lambda port=port: _imap_greeting(port), "Dovecot", process=state.dovecot)
            break
        except RuntimeError as exc:
            with log.open("rb") as log_file:
                log_file.seek(log_start)
                port_taken = b"Address already in use" in log_file.read()
            if state.dovecot.poll() is None or not port_taken or attempt == 2:
                raise RuntimeError(f"{exc}; dovecot.log:\n{_tail(log)}") from exc

    # Log in once, so that a broken auth or mail setup fails here, with the log, not in a test.
    try:
        client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        try:
            client.login(user, password)
            client.select("INBOX")
        finally:
            with contextlib.suppress(Exception):
                client.logout()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise RuntimeError(
            f"Dovecot refused the test login: {exc}; dovecot.log:\n{_tail(log)}"
        ) from exc
    return port


def _imap_greeting(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        greeting = sock.makefile("rb").readline(1000)
    if not greeting.startswith(b"* OK"):
        raise ConnectionError(f"unexpected IMAP greeting {greeting!r}")


def _stop_dovecot(master: int | None, tmp: Path) -> None:
    """Stop the Dovecot instance running from ``tmp``: SIGTERM to the master (which ends its
    children), SIGKILL to whatever of it is still there after 10 seconds."""
    if master is not None and master in _dovecot_pids(tmp):
        with contextlib.suppress(OSError):
            os.kill(master, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _dovecot_pids(tmp) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in _dovecot_pids(tmp):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _dovecot_pids(tmp: Path) -> list[int]:
    """Live processes of the Dovecot instance in ``tmp``: the master (run with the config in
    ``tmp``) and its children (titled ``dovecot-<instance>/<service>``). Matching on the command
    line guards against pid reuse; zombies have none, so they count as gone."""
    config = str(tmp / "dovecot.conf").encode()
    title = f"dovecot-{tmp.name}/".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].startswith(title) or (args[0].endswith(b"dovecot") and config in args):
            pids.append(int(entry.name))
    return pids


# --------------------------------------------------------------------------- stale runs


def _write_state(state: _Started) -> None:
    """Record who owns the temp dir, so a later run can clean up after a killed one."""
    redis_pid = state.redis.pid if state.redis else None
    dovecot_pid = state.dovecot.pid if state.dovecot else None
    (state.tmp / STATE_FILE).write_text(
        json.dumps({"owner": state.owner_pid, "redis": redis_pid, "dovecot": dovecot_pid})
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_stale() -> None:
    """Stop servers left behind by test runs that were killed (SIGKILL, CI timeout) before their
    atexit handler could run, and remove their temp dirs."""
    for tmp in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        try:
            owner_info = json.loads((tmp / STATE_FILE).read_text())
            owner = int(owner_info["owner"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, another user's, or still starting up
        if owner == os.getpid() or _pid_alive(owner):
            continue
        pg_data = tmp / "pgdata"
        if (pg_data / "postmaster.pid").exists():
            pg_bin = _find_postgres()
            if pg_bin is not None:
                as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
                subprocess.run(
                    [
                        *as_user,
                        str(pg_bin / "pg_ctl"),
                        "-D",
                        str(pg_data),
                        "-m",
                        "immediate",
                        "stop",
                    ],
                    cwd=tmp,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
        redis_pid = owner_info.get("redis")
        if isinstance(redis_pid, int) and _is_redis(redis_pid):
            with contextlib.suppress(OSError):
                os.kill(redis_pid, signal.SIGTERM)
            # Wait until it is gone: redis logs its shutdown into the dir being removed.
            deadline = time.monotonic() + 10
            while _is_redis(redis_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _is_redis(redis_pid):
                with contextlib.suppress(OSError):
                    os.kill(redis_pid, signal.SIGKILL)
                time.sleep(0.2)
        if (tmp / "dovecot.conf").exists():
            dovecot_pid = owner_info.get("dovecot")
            _stop_dovecot(dovecot_pid if isinstance(dovecot_pid, int) else None, tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def _is_redis(pid: int) -> bool:
    """Whether ``pid`` is a live redis-server (guards against pid reuse; zombies have no
    cmdline, so a dead-but-unreaped orphan counts as gone)."""
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# --------------------------------------------------------------------------- small helpers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _utf8_locale() -> str:
    try:
        available = subprocess.run(
            ["locale", "-a"], capture_output=True, text=True, check=False
        ).stdout.split()
    except OSError:
        return "C"
    normalized = {name.lower().replace("-", "") for name in available}
    return "C.UTF-8" if "c.utf8" in normalized else "C"


def _wait_for(
    probe: Callable[[], T], what: str, process: subprocess.Popen[bytes] | None = None
) -> T:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return probe()
        except Exception as exc:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{what} exited with status {process.returncode}") from exc
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not accept connections: {exc}") from exc
            time.sleep(0.05)


def _run(
    command: Sequence[str], *, what: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise RuntimeError(f"`{what}` failed with status {result.returncode}:\n{output}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _log(message: str) -> None:
    print(f"tests.bootstrap: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- pytest plugin


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None]:
    # pytest-django imports the Django settings (which read DATABASE_URL/REDIS_URL) in its own
    # pytest_load_initial_conftests. Wrappers run before every plain implementation, whatever the
    # plugin registration order or tryfirst flags, so the URLs are in place before that import.
    # Being an outer wrapper also means pytest's output capture has not started yet, so the
    # one-line notice reaches the terminal.
    options = early_config.known_args_namespace
    if not (getattr(options, "help", False) or getattr(options, "version", False)):
        ensure_services()
    return (yield)


@pytest.fixture(scope="session")
def imap_server() -> ImapServer:
    """The test IMAP server with its default user (shared by the whole session)."""
    return ensure_imap()


@pytest.fixture
def imap_account(imap_server: ImapServer) -> ImapServer:
    """The test IMAP server with a fresh user of its own, i.e. an empty mailbox."""
    user, password = imap_create_user()
    directory = os.environ.get("IMAP_TEST_DIR")
    maildir = _maildir(Path(directory), user) if directory else None
    return replace(imap_server, user=user, password=password, maildir=maildir)
