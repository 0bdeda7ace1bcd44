"""A local Label Studio server: start, stop, credentials.

The server runs on Label Studio's embedded SQLite database (or, with ``start(postgres=URL)`` /
``$FRONTLINE_LS_POSTGRES``, on a PostgreSQL database that must answer before it starts; the
password is never shown) with its data dir in
``<state>/studio/``, where ``<state>`` is the checkout's local state folder, outside the
checkout (:func:`frontline.core.paths.state_dir`: ``$FRONTLINE_STATE_DIR``, else
``~/.local/state/frontline/<checkout>-<hash>``), because that database holds the token. It
listens on 127.0.0.1 only, with telemetry and version checks off. Credentials come from the
environment:

* ``FRONTLINE_LS_TOKEN``: the API token (40 hex characters),
* ``FRONTLINE_LS_USERNAME`` / ``FRONTLINE_LS_PASSWORD``: the admin login,
* ``FRONTLINE_LS_URL``: the server the other commands talk to.

When the token or login are not in the environment, ``start`` generates them into
``<state>/credentials.json``. The token is never printed or logged.

The state folder is private: ``start`` creates it with mode 0700, or tightens an existing one
to 0700 and every file in it to owner-only (the SQLite database holds the token in plain text),
and refuses a folder that belongs to another user. The server runs with umask 077.

``studio.json`` records the server's pid, port and start time (``/proc/PID/stat``); ``stop`` and
``status`` act only on a process that is that server: its command line is ``label-studio`` with
this state's data dir, it started when the record says, and it leads its own process group. A
pid reused by another process is left alone.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from frontline.core.paths import ENV_STATE_DIR
from frontline.errors import FrontlineError

DEFAULT_PORT = 8080
ENV_URL, ENV_TOKEN = "FRONTLINE_LS_URL", "FRONTLINE_LS_TOKEN"
ENV_USERNAME, ENV_PASSWORD = "FRONTLINE_LS_USERNAME", "FRONTLINE_LS_PASSWORD"
ENV_POSTGRES = "FRONTLINE_LS_POSTGRES"


class StudioError(FrontlineError):
    """The server could not be started, stopped or reached."""


def private_folder(path: Path) -> None:
    """Make ``path`` a folder only its owner can enter: create it with mode 0700, or tighten it to
    0700; :class:`StudioError` if it is not a folder or belongs to another user (nothing
    changed)."""
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    try:
        info = path.stat()
    except OSError as exc:
        raise StudioError(
            f"the state folder {path} cannot be used ({exc.strerror}): set "
            f"${ENV_STATE_DIR} to a folder of your own"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise StudioError(
            f"the state folder {path} is not a folder: set ${ENV_STATE_DIR} to a folder of your own"
        )
    if info.st_uid != os.geteuid():
        raise StudioError(
            f"the state folder {path} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.geteuid()}): refusing to keep the Label Studio database and token there; "
            f"set ${ENV_STATE_DIR} to a folder of your own"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)


def tighten(state: Path) -> None:
    """Make the state folder private (:func:`private_folder`) and take every permission of group
    and others from what is inside it (files and folders of ours; symbolic links are skipped)."""
    private_folder(state)
    for folder, dirs, files in os.walk(state):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if (
                not stat.S_ISLNK(info.st_mode)
                and info.st_uid == os.geteuid()
                and info.st_mode & 0o077
            ):
                os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (an existing file is tightened too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str

    def __repr__(self) -> str:  # never show secrets in tracebacks or logs
        return f"Credentials(username={self.username!r}, password=***, token=***)"


def credentials(state: Path, env: Mapping[str, str] = os.environ) -> Credentials:
    """Credentials from the environment, else from (or generated into)
    ``state/credentials.json``."""
    path = state / "credentials.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    generated = {
        "username": "admin@frontline.local",
        "password": secrets.token_urlsafe(18),
        "token": secrets.token_hex(20),
    }
    values = {
        key: env.get(var) or stored.get(key) or generated[key]
        for key, var in (
            ("username", ENV_USERNAME),
            ("password", ENV_PASSWORD),
            ("token", ENV_TOKEN),
        )
    }
    if not all(env.get(v) for v in (ENV_USERNAME, ENV_PASSWORD, ENV_TOKEN)) and values != stored:
        private_folder(state)
        _write_private(
            path, json.dumps({k: values[k] for k in ("username", "password", "token")}, indent=2)
        )
    return Credentials(**values)


def api_token(state: Path, env: Mapping[str, str] = os.environ) -> str:
    """The API token: ``$FRONTLINE_LS_TOKEN``, else the one the local server was started with."""
    if env.get(ENV_TOKEN):
        return env[ENV_TOKEN]
    path = state / "credentials.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))["token"]
    raise StudioError(f"no Label Studio token: set {ENV_TOKEN} or run `frontline studio start`")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now (connections left in TIME_WAIT by a
    stopped server do not count: servers bind with SO_REUSEADDR, and so does this check)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port that is free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_up(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url/health/`` answers ``{"status": "UP"}`` (a ``user:password@`` in ``url`` is
    sent as HTTP basic authentication)."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/health/", timeout=timeout, follow_redirects=True)
        return response.is_success and response.json().get("status") == "UP"
    except (httpx.HTTPError, httpx.InvalidURL, ValueError):
        return False


@dataclass(frozen=True)
class Postgres:
    """A PostgreSQL database for the server, from a
    ``postgresql://user:password@host:port/db`` URL."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    @property
    def shown(self) -> str:
        """The database's address without its password: ``postgresql://user@host:port/db``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user, dbname = quote(self.user, safe=""), quote(self.dbname, safe="")
        return f"postgresql://{user}@{host}:{self.port}/{dbname}"

    def __repr__(self) -> str:  # never show the password in tracebacks or logs
        return f"Postgres({self.shown!r}, password=***)"


def postgres_database(url: str) -> Postgres:
    """Parse a ``postgresql://user:password@host[:port]/dbname`` URL (user, password and database
    percent-decoded; port 5432 by default); :class:`StudioError` (password hidden) if it is not
    one."""
    from frontline.studio.client import redact

    def bad(why: str) -> StudioError:
        return StudioError(
            f"--postgres {redact(url)} is not a PostgreSQL URL ({why}): give "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        )

    try:
        parts = urlsplit(url.strip())
        port = parts.port or 5432
    except ValueError as exc:
        raise bad(str(exc)) from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise bad(f"its scheme is {parts.scheme!r}, not postgresql")
    if not parts.hostname:
        raise bad("no host")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise bad(
            "no database name after the host" if not dbname else "one database name after the host"
        )
    if not parts.username:
        raise bad("no user name")
    if parts.query or parts.fragment:
        raise bad("options after '?' or '#' are not supported")
    return Postgres(
        parts.hostname, port, dbname, unquote(parts.username), unquote(parts.password or "")
    )


def check_postgres(database: Postgres, timeout: float = 5.0) -> None:
    """:class:`StudioError` (naming host, port, database and user, never the password) unless
    ``database`` accepts a connection within ``timeout`` seconds."""
    from frontline.studio.client import redact_text

    try:
        import psycopg
    except ImportError:
        raise StudioError("PostgreSQL needs psycopg: pip install 'frontline[studio]'") from None
    try:
        psycopg.connect(
            host=database.host,
            port=database.port,
            dbname=database.dbname,
            user=database.user,
            password=database.password,
            connect_timeout=max(1, round(timeout)),
        ).close()
    except psycopg.Error as exc:
        why = redact_text(" ".join(str(exc).split()), database.password) or type(exc).__name__
        raise StudioError(
            f"PostgreSQL database {database.dbname!r} on {database.host} port {database.port} "
            f"(user {database.user!r}) does not answer: {why}"
        ) from None


# what Label Studio reads as its database settings, also under its LABEL_STUDIO_ and HEARTEX_
# prefixes
_DB_SETTINGS = (
    "DJANGO_DB",
    "DATABASE_NAME",
    "POSTGRE_NAME",
    "POSTGRE_USER",
    "POSTGRE_PASSWORD",
    "POSTGRE_HOST",
    "POSTGRE_PORT",
)


def server_env(
    data_dir: Path,
    creds: Credentials,
    base: Mapping[str, str] = os.environ,
    database: Postgres | None = None,
) -> dict[str, str]:
    """The environment of a local server: embedded SQLite (or ``database``), loopback, no
    telemetry."""
    env = {
        k: v
        for k, v in base.items()
        if k not in ("USERNAME", "PASSWORD", "PORT", "HOST")
        and not k.startswith("FRONTLINE_LS_")
        and k.removeprefix("LABEL_STUDIO_").removeprefix("HEARTEX_") not in _DB_SETTINGS
    }
    if database is not None:
        env.update(
            {
                "POSTGRE_NAME": database.dbname,
                "POSTGRE_USER": database.user,
                "POSTGRE_PASSWORD": database.password,
                "POSTGRE_HOST": database.host,
                "POSTGRE_PORT": str(database.port),
            }
        )
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "DJANGO_DB": "sqlite" if database is None else "default",
            "LABEL_STUDIO_USERNAME": creds.username,
            "LABEL_STUDIO_PASSWORD": creds.password,
            "LABEL_STUDIO_USER_TOKEN": creds.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
        }
    )
    return env


@dataclass(frozen=True)
class Server:
    """A server this package started: its pid, port, state folder and the process's start time
    (clock ticks after boot, from ``/proc/PID/stat``; None in records of older versions)."""

    pid: int
    port: int
    state: Path
    started: int | None = None
    database: str | None = None  # "postgresql://user@host:port/db" (no password); None: SQLite

    @property
    def backend(self) -> str:
        """What the server keeps its data in, fit to show."""
        return f"PostgreSQL {self.database}" if self.database else "SQLite"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _pid_file(state: Path) -> Path:
    return state / "studio.json"


@dataclass(frozen=True)
class _Process:
    """What the system says about a running process."""

    argv: tuple[str, ...]
    group: int
    started: int | None  # clock ticks after boot (None where there is no /proc)
    zombie: bool


def _process(pid: int) -> _Process | None:
    """The process ``pid`` from /proc (else from ``ps``); None if there is none."""
    if Path("/proc/self/stat").exists():
        try:
            text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except (FileNotFoundError, ProcessLookupError):
            return None
        fields = text[text.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
        return _Process(
            tuple(a for a in argv if a), int(fields[2]), int(fields[19]), fields[0] in "ZX"
        )
    found = subprocess.run(
        ["ps", "-o", "pgid=,stat=,args=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split(None, 2)
    if len(found) < 3:
        return None
    return _Process(
        tuple(shlex.split(found[2], posix=True)), int(found[0]), None, found[1].startswith("Z")
    )


def _same_data_dir(a: str, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _not_ours(server: Server) -> str | None:
    """None if ``server.pid`` is the server started from ``server.state``, "" if no such process
    runs, else why the process that has this pid is not it."""
    process = _process(server.pid)
    # a process that is exiting has no command line any more (its memory is gone) before it
    # becomes a zombie: it runs nothing, and waiting for it must go on until it is reaped
    if process is None or process.zombie or not process.argv:
        return ""
    if not any(Path(arg).name == "label-studio" for arg in process.argv[:3]):
        program = Path(process.argv[0]).name if process.argv else "?"
        return f"it runs {program}, not label-studio"
    argv = list(process.argv)
    data_dir = argv[argv.index("--data-dir") + 1] if "--data-dir" in argv[:-1] else None
    if data_dir is None or not _same_data_dir(data_dir, server.state / "studio"):
        return f"it is a Label Studio with another data dir ({data_dir})"
    if (
        server.started is not None
        and process.started is not None
        and process.started != server.started
    ):
        return "it started at another time than the server we started: its pid was reused"
    if process.group != server.pid:
        return f"it does not lead a process group (its group is {process.group})"
    return None


def _is_int(value: object) -> bool:
    return type(value) is int  # noqa: E721 - not bool


def recorded(state: Path) -> Server | None:
    """The server ``studio.json`` records (whether or not it still runs); None if there is no
    record.

    :class:`StudioError` if the record is not one ``start`` wrote (never a traceback).
    """
    path = _pid_file(state)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudioError(
            f"{path} cannot be read ({exc}): remove it if no Label Studio of yours runs"
        ) from None
    try:
        record = json.loads(text)
    except ValueError:
        record, why = None, "not JSON"
    else:
        why = "it needs a pid above 1 and a port from 1 to 65535, as whole numbers"
    if (
        not isinstance(record, dict)
        or not _is_int(record.get("pid"))
        or record["pid"] <= 1
        or not _is_int(record.get("port"))
        or not 0 < record["port"] < 65536
        or not (record.get("started") is None or _is_int(record["started"]))
    ):
        raise StudioError(
            f"{path} is not a record of a server frontline started ({why}): remove it "
            "(after checking that no Label Studio of yours still runs from this state folder)"
        )
    database = record.get("database")
    return Server(
        record["pid"],
        record["port"],
        state,
        record.get("started"),
        database if isinstance(database, str) else None,
    )


def running(state: Path) -> Server | None:
    """The server recorded in ``state`` if it still runs (and is that server, not a reused pid)."""
    server = recorded(state)
    return server if server is not None and _not_ours(server) is None else None


def label_studio_executable() -> str:
    exe = Path(sys.executable).with_name("label-studio")
    if not exe.exists():
        raise StudioError(
            "the Label Studio server is not installed: pip install 'frontline[studio]'"
        )
    return str(exe)


def start(
    state: Path,
    port: int = DEFAULT_PORT,
    timeout: float = 300.0,
    env: Mapping[str, str] = os.environ,
    postgres: str | None = None,
) -> Server:
    """Start a server on ``port`` and wait until ``/health/`` answers; return it.

    The server keeps its data in embedded SQLite, or in the PostgreSQL database of the URL
    ``postgres`` (else ``$FRONTLINE_LS_POSTGRES``), which must answer first. Refuses if one
    started from ``state`` still runs, or if ``port`` is taken (Label Studio would silently
    move to another port).
    """
    url = postgres or env.get(ENV_POSTGRES)
    database = postgres_database(url) if url else None
    private_folder(state)
    current = running(state)
    if current:
        raise StudioError(
            f"a Label Studio server is already running at {current.url} (pid {current.pid}); "
            "`frontline studio stop` stops it"
        )
    if not port_is_free(port):
        raise StudioError(f"port {port} on 127.0.0.1 is taken: choose another with --port")
    if database is not None:
        check_postgres(database)
    tighten(state)
    process = _launch(state, port, credentials(state, env), env, database)
    found = _process(process.pid)
    server = Server(
        process.pid,
        port,
        state,
        found.started if found else None,
        database.shown if database else None,
    )
    _write_private(_pid_file(state), json.dumps(_record(server)))
    _wait_up(server, process, timeout)
    return server


def _launch(
    state: Path,
    port: int,
    creds: Credentials,
    env: Mapping[str, str],
    database: Postgres | None,
) -> subprocess.Popen:
    """Start ``label-studio`` on ``port`` in a session of its own, its data in
    ``<state>/studio``, its output appended to ``<state>/studio.log``."""
    data_dir = state / "studio"
    data_dir.mkdir(mode=0o700, exist_ok=True)
    log = os.open(state / "studio.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            [
                label_studio_executable(),
                "start",
                "--no-browser",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            env=server_env(data_dir, creds, env, database),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=state,
            umask=0o077,
        )
    finally:
        os.close(log)


def _record(server: Server) -> dict[str, Any]:
    """What ``studio.json`` records of ``server`` (:func:`recorded` reads it)."""
    return {
        "pid": server.pid,
        "port": server.port,
        "started": server.started,
        "backend": "postgresql" if server.database else "sqlite",
        "database": server.database,
    }


def _wait_up(server: Server, process: subprocess.Popen, timeout: float) -> None:
    """Wait until ``server`` answers; :class:`StudioError` if its process exits first (its
    record is removed) or ``timeout`` seconds pass (it is stopped)."""
    deadline = time.monotonic() + timeout
    while not is_up(server.url):
        if process.poll() is not None:
            _pid_file(server.state).unlink(missing_ok=True)
            raise StudioError(
                f"Label Studio exited with code {process.returncode}; see "
                f"{server.state / 'studio.log'}"
            )
        if time.monotonic() > deadline:
            stop(server.state)
            raise StudioError(f"Label Studio did not answer on {server.url} within {timeout:.0f} s")
        time.sleep(1.0)


def stop(state: Path, timeout: float = 30.0) -> Server | None:
    """Stop the server started from ``state`` (its whole process group); None if none runs.

    A record whose pid is now another process is forgotten and that process left alone
    (:class:`StudioError` says so).
    """
    server = recorded(state)
    if server is None:
        return None
    why = _not_ours(server)
    if why is not None:
        _pid_file(state).unlink(missing_ok=True)
        if why == "":
            return None
        raise StudioError(
            f"{_pid_file(state)} names pid {server.pid}, which is not the Label Studio server "
            f"started from {state} ({why}): left it alone and forgot the record"
        )
    os.killpg(server.pid, signal.SIGTERM)
    if not _ended(server, timeout):  # what runs still is the server's (see _ended)
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:  # it ended just now
            pass
        _ended(server, timeout)
    _pid_file(state).unlink(missing_ok=True)
    return server


def _ended(server: Server, timeout: float) -> bool:
    """Wait until the server's process and the rest of its group have ended (reaping the
    process if it is our child); False if some of it still runs after ``timeout`` seconds.

    While any process of the group lives, the kernel gives its number to no new process, so
    what is left of the group is still the server's; once a new process has that pid, the
    server is long gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        _reap(server.pid)
        why = _not_ours(server)
        if why or (why == "" and not _group_alive(server.pid)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our child (otherwise it stays a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
