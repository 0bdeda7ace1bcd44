"""A local Label Studio server: start, stop, credentials.

The server runs on Label Studio's embedded SQLite database with its data dir in
``<state>/studio/``, where ``<state>`` is the checkout's local state folder, outside the
checkout (:func:`frontline.paths.state_dir`: ``$FRONTLINE_STATE_DIR``, else
``~/.local/state/frontline/<checkout>-<hash>``), because that database holds the token. It
listens on 127.0.0.1 only, with telemetry and version checks off. Credentials come from the
environment:

* ``FRONTLINE_LS_TOKEN``: the API token (40 hex characters),
* ``FRONTLINE_LS_USERNAME`` / ``FRONTLINE_LS_PASSWORD``: the admin login,
* ``FRONTLINE_LS_URL``: the server the other commands talk to.

When the token or login are not in the environment, ``start`` generates them into
``<state>/credentials.json`` (mode 0600, in a folder of mode 0700). The token is never
printed or logged.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 8080
ENV_URL, ENV_TOKEN = "FRONTLINE_LS_URL", "FRONTLINE_LS_TOKEN"
ENV_USERNAME, ENV_PASSWORD = "FRONTLINE_LS_USERNAME", "FRONTLINE_LS_PASSWORD"


class StudioError(RuntimeError):
    """The server could not be started, stopped or reached."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str

    def __repr__(self) -> str:  # never show secrets in tracebacks or logs
        return f"Credentials(username={self.username!r}, password=***, token=***)"


def credentials(state: Path, env: Mapping[str, str] = os.environ) -> Credentials:
    """Credentials from the environment, else from (or generated into) ``state/credentials.json``."""
    path = state / "credentials.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    generated = {"username": "admin@frontline.local", "password": secrets.token_urlsafe(18),
                 "token": secrets.token_hex(20)}
    values = {key: env.get(var) or stored.get(key) or generated[key]
              for key, var in (("username", ENV_USERNAME), ("password", ENV_PASSWORD), ("token", ENV_TOKEN))}
    if not all(env.get(v) for v in (ENV_USERNAME, ENV_PASSWORD, ENV_TOKEN)) and values != stored:
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({k: values[k] for k in ("username", "password", "token")}, handle, indent=2)
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
    """Whether ``url/health/`` answers ``{"status": "UP"}``."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health/", timeout=timeout) as response:
            return json.loads(response.read()).get("status") == "UP"
    except (OSError, ValueError, urllib.error.URLError):
        return False


def server_env(data_dir: Path, creds: Credentials, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of a local server: embedded SQLite, loopback, no telemetry."""
    env = {k: v for k, v in base.items()
           if k not in ("USERNAME", "PASSWORD", "PORT", "HOST") and not k.startswith("FRONTLINE_LS_")}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "DJANGO_DB": "sqlite",
        "LABEL_STUDIO_USERNAME": creds.username, "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
        "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false",
    })
    return env


@dataclass(frozen=True)
class Server:
    """A server this package started: its pid, port and state folder."""

    pid: int
    port: int
    state: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _pid_file(state: Path) -> Path:
    return state / "studio.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(state: Path) -> Server | None:
    """The server recorded in ``state`` if its process is still alive."""
    path = _pid_file(state)
    if not path.exists():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    server = Server(record["pid"], record["port"], state)
    return server if _alive(server.pid) else None


def label_studio_executable() -> str:
    exe = Path(sys.executable).with_name("label-studio")
    if not exe.exists():
        raise StudioError("the Label Studio server is not installed: pip install 'frontline[studio]'")
    return str(exe)


def start(state: Path, port: int = DEFAULT_PORT, timeout: float = 300.0,
          env: Mapping[str, str] = os.environ) -> Server:
    """Start a server on ``port`` and wait until ``/health/`` answers; return it.

    Refuses if one started from ``state`` still runs, or if ``port`` is taken (Label
    Studio would silently move to another port).
    """
    current = running(state)
    if current:
        raise StudioError(f"a Label Studio server is already running at {current.url} (pid {current.pid}); "
                          "`frontline studio stop` stops it")
    if not port_is_free(port):
        raise StudioError(f"port {port} on 127.0.0.1 is taken: choose another with --port")
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    creds = credentials(state, env)
    data_dir = state / "studio"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(state / "studio.log", "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [label_studio_executable(), "start", "--no-browser", "--internal-host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(data_dir)],
        env=server_env(data_dir, creds, env), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True, cwd=state)
    log.close()
    server = Server(process.pid, port, state)
    _pid_file(state).write_text(json.dumps({"pid": process.pid, "port": port}), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while not is_up(server.url):
        if process.poll() is not None:
            _pid_file(state).unlink(missing_ok=True)
            raise StudioError(f"Label Studio exited with code {process.returncode}; see {state / 'studio.log'}")
        if time.monotonic() > deadline:
            stop(state)
            raise StudioError(f"Label Studio did not answer on {server.url} within {timeout:.0f} s")
        time.sleep(1.0)
    return server


def stop(state: Path, timeout: float = 30.0) -> Server | None:
    """Stop the server started from ``state`` (its whole process group); None if none ran."""
    server = running(state)
    _pid_file_path = _pid_file(state)
    if server is None:
        _pid_file_path.unlink(missing_ok=True)
        return None
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(server.pid) and time.monotonic() < deadline:
        _reap(server.pid)
        time.sleep(0.2)
    if _alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
        _reap(server.pid)
    _pid_file_path.unlink(missing_ok=True)
    return server


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our child (otherwise it stays a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
