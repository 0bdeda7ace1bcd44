"""The local server's state folder is private, and `studio stop` signals only the server we started.

The stop tests run real processes (``setsid``, so that each leads a process group of its own, as
the server does) whose pid is written into ``service.json``; whatever happens, they are killed at
the end. The permission tests start a real server (``studio`` mark) or none at all.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontline.cli import main
from frontline.core.paths import ENV_STATE_DIR
from frontline.studio import service


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def project_root(empty_project, tmp_path_factory, monkeypatch) -> tuple[list[str], Path]:
    """``--root`` of a project and its state folder (``$FRONTLINE_STATE_DIR``, outside the
    checkout)."""
    state = tmp_path_factory.mktemp("state-parent") / "state"
    monkeypatch.setenv(ENV_STATE_DIR, str(state))
    for var in (service.ENV_TOKEN, service.ENV_USERNAME, service.ENV_PASSWORD, service.ENV_URL):
        monkeypatch.delenv(var, raising=False)
    return ["--root", str(empty_project.root)], state


# --- stop signals only our server --------------------------------------------------------


@pytest.fixture()
def spawn() -> Iterator:
    """Start real processes, each the leader of a new session and process group; kill them all at
    the end."""
    started: list[subprocess.Popen] = []

    def run(argv: list[str], *, own_group: bool = True) -> subprocess.Popen:
        launcher = [shutil.which("setsid") or "setsid"] if own_group else []
        process = subprocess.Popen(
            [*launcher, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        expected = [a.encode() for a in argv]
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:  # until it runs ``argv``
            if Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")[:-1] == expected:
                break
            time.sleep(0.02)
        assert process.poll() is None
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def start_ticks(pid: int) -> int:
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text[text.rindex(")") + 2 :].split()[19])


def record(state: Path, **fields) -> None:
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state / "studio.json").write_text(json.dumps(fields), encoding="utf-8")


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("frontline: error: ") and "Traceback" not in err
    ), err
    return lines[0]


def test_stop_leaves_an_unrelated_process_group_alone(project_root, spawn, capsys):
    root, state = project_root
    sleeper = spawn(["sleep", "300"])
    assert os.getpgid(sleeper.pid) == sleeper.pid  # it leads its own group, as our server would
    record(state, pid=sleeper.pid, port=8080)  # what an older frontline wrote
    assert main([*root, "studio", "stop"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert (
        f"pid {sleeper.pid}" in line
        and "not the Label Studio server" in line
        and "left it alone" in line
    )
    time.sleep(0.5)
    assert sleeper.poll() is None, "frontline studio stop killed an unrelated process"
    assert not (state / "studio.json").exists()  # the stale record is forgotten ...
    assert main([*root, "studio", "stop"]) == 0  # ... so the next stop has nothing to do
    assert "no Label Studio server of ours is running" in capsys.readouterr().out
    assert sleeper.poll() is None


def test_status_does_not_take_an_unrelated_process_for_the_server(project_root, spawn, capsys):
    root, state = project_root
    sleeper = spawn(["sleep", "300"])
    record(state, pid=sleeper.pid, port=8080, started=start_ticks(sleeper.pid))
    assert main([*root, "studio", "status"]) == 1
    assert "no Label Studio server of ours is running" in capsys.readouterr().out
    assert sleeper.poll() is None


def imitation(state: Path) -> list[str]:
    """The command line of a server started from ``state`` (python running a script named
    label-service, as the virtualenv's entry point does), running a script that only sleeps."""
    script = state.parent / "bin" / "label-studio"
    script.parent.mkdir(exist_ok=True)
    script.write_text("import time\ntime.sleep(300)\n")
    return [
        sys.executable,
        str(script),
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        "8080",
        "--data-dir",
        str(state / "studio"),
    ]


def test_stop_checks_the_start_time_so_a_reused_pid_is_left_alone(project_root, spawn, capsys):
    root, state = project_root
    lookalike = spawn(imitation(state))
    record(state, pid=lookalike.pid, port=8080, started=start_ticks(lookalike.pid) + 1)
    assert main([*root, "studio", "stop"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"pid {lookalike.pid}" in line and "started at another time" in line
    time.sleep(0.5)
    assert lookalike.poll() is None


def test_stop_signals_the_group_when_command_line_and_start_time_match(project_root, spawn, capsys):
    root, state = project_root
    ours = spawn(imitation(state))
    record(state, pid=ours.pid, port=8080, started=start_ticks(ours.pid))
    assert main([*root, "studio", "stop"]) == 0
    assert f"stopped Label Studio (pid {ours.pid})" in capsys.readouterr().out
    ours.wait(timeout=30)  # (stop reaps it: it is a child of this process here)
    with pytest.raises(ProcessLookupError):
        os.killpg(ours.pid, 0)
    assert not (state / "studio.json").exists()


def test_a_pid_that_leads_no_process_group_is_a_clear_error(project_root, spawn, capsys):
    root, state = project_root
    child = spawn(imitation(state), own_group=False)  # in pytest's process group
    assert os.getpgid(child.pid) != child.pid
    record(state, pid=child.pid, port=8080, started=start_ticks(child.pid))
    assert main([*root, "studio", "stop"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"pid {child.pid}" in line and "does not lead a process group" in line
    time.sleep(0.5)
    assert child.poll() is None


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"pid": "12", "port": 8080}',
        '{"port": 8080}',
        '{"pid": true, "port": 8080}',
        '{"pid": 0, "port": 8080}',
    ],
)
def test_a_corrupt_record_is_a_clear_error(project_root, capsys, text):
    root, state = project_root
    state.mkdir(mode=0o700, parents=True)
    (state / "studio.json").write_text(text, encoding="utf-8")
    for action in ("stop", "status", "start"):
        assert main([*root, "studio", action]) == 1
        line = one_error_line(capsys.readouterr().err)
        assert (
            f"{state / 'studio.json'} is not a record of a server" in line and "remove it" in line
        )
    assert (state / "studio.json").read_text(
        encoding="utf-8"
    ) == text  # left for the user to look at


# --- the state folder is private ------------------------------------------------------------


def test_a_state_folder_owned_by_someone_else_is_refused(project_root, capsys, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a folder to another user")
    root, state = project_root
    state.mkdir(mode=0o755)
    os.chown(state, 65534, 65534)
    monkeypatch.setattr(
        service, "label_studio_executable", lambda: "/bin/false"
    )  # never a real server
    assert main([*root, "studio", "start", "--port", str(service.free_port())]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"{state} belongs to uid 65534, not to you (uid 0)" in line and "refusing" in line
    assert list(state.iterdir()) == [] and mode(state) == 0o755  # nothing written, nothing changed


def test_a_state_path_that_is_a_file_is_refused(project_root, capsys):
    root, state = project_root
    state.write_text("")
    assert main([*root, "studio", "start", "--port", str(service.free_port())]) == 1
    assert f"{state} is not a folder" in one_error_line(capsys.readouterr().err)


@pytest.mark.studio
def test_an_existing_state_folder_is_tightened(project_root, capsys):
    root, state = project_root
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)  # whatever the umask
    port = service.free_port()
    try:
        assert main([*root, "studio", "start", "--port", str(port)]) == 0
        database = state / "studio" / "label_studio.sqlite3"
        token = service.api_token(state, env={})
        assert token.encode() in database.read_bytes()  # why it matters
        private = [
            state / "credentials.json",
            state / "studio.json",
            state / "studio.log",
            database,
        ]
        assert (mode(state), mode(state / "studio")) == (0o700, 0o700)
        assert {p.name: mode(p) for p in private} == {p.name: 0o600 for p in private}
        assert main([*root, "studio", "stop"]) == 0
        # loosened by hand (or by an older frontline): the next start tightens them again
        for path in (state, state / "studio"):
            os.chmod(path, 0o755)
        for path in private:
            if path.exists():
                os.chmod(path, 0o644)
        assert main([*root, "studio", "start", "--port", str(port)]) == 0
        assert (mode(state), mode(state / "studio")) == (0o700, 0o700)
        assert {p.name: mode(p) for p in private} == {p.name: 0o600 for p in private}
        loose = [p for p in state.rglob("*") if not p.is_symlink() and mode(p) & 0o077]
        assert loose == []
    finally:
        service.stop(state)
