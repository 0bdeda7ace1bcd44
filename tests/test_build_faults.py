"""Faults of ``frontline build``: killed with SIGKILL (as a crash or the OOM killer would) at
its worst moments, and two builds at once.

Every killed build is a real process of its own (``python -c``, the ``frontline`` command
with, for some tests, a hook that reports the moment to kill it and then waits there), in
a session of its own so that ``finally`` can kill whatever it left behind. The run after
the kill is the command itself, in this process, so that its output can be read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from scale import replicate

from frontline.cli import main
from frontline.core.paths import Project

#: The lock file next to the default output, corpus/.
LOCK = ".frontline-build-corpus.lock"

#: Articles of the export that a killed two-process build reads: about 21 MB, cut into
#: 32 parts, so that the scan is still running well after the workers have started.
BIG = 1000

T = TypeVar("T")


def wait_for(what: str, found: Callable[[], T], timeout: float) -> T:
    """``found()`` once it is true, polled every 10 ms; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := found()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.01)
    return value


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(root: Path) -> list[str]:
    """What a build keeps next to corpus/ while it runs: ``.corpus.build-*``, ``.corpus.old``."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".corpus."))


def staging_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(".corpus.build-"))


def run(project: Project, *args: str) -> tuple[int, str]:
    """``frontline -q build ARGS`` in this process: exit status and what it printed on stderr."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--root", str(project.root), "-q", "build", *args])
    return code, err.getvalue()


def start(project: Project, *args: str, hook: str = "") -> subprocess.Popen[str]:
    """``frontline -q build ARGS`` in a process of its own, in a new session, after ``hook``."""
    code = f"{hook}\nimport sys\nfrom frontline.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.Popen(
        [sys.executable, "-c", code, "--root", str(project.root), "-q", "build", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_session(proc: subprocess.Popen[str]) -> None:
    """SIGKILL what is left of the session ``proc`` leads (its workers too), and reap ``proc``."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=60)


def pause_hook(flag: Path) -> str:
    """Code defining ``pause()``: write ``flag`` and wait there (until killed)."""
    return (
        f"import os, pathlib, time\n"
        f"def pause():\n"
        f"    pathlib.Path({str(flag)!r}).write_text(str(os.getpid()))\n"
        f"    time.sleep(600)\n"
    )


#: Pause right after one of the renames that swap the new output in: the output moved
#: aside to .corpus.old ("between" the two renames), or the new output moved in ("after").
RENAME_HOOKS = {
    "between": "lambda source, target: target.name == '.corpus.old' and source.name == 'corpus'",
    "after": "lambda source, target: target.name == 'corpus' and "
    "source.parent.name.startswith('.corpus.build-')",
}


def rename_hook(flag: Path, moment: str) -> str:
    return pause_hook(flag) + (
        f"watched = {RENAME_HOOKS[moment]}\n"
        f"real_rename = pathlib.Path.rename\n"
        f"def rename(self, target):\n"
        f"    moved = real_rename(self, target)\n"
        f"    if watched(self, pathlib.Path(target)):\n"
        f"        pause()\n"
        f"    return moved\n"
        f"pathlib.Path.rename = rename\n"
    )


def scan_hook(flag: Path) -> str:
    """Pause where the build starts reading the export (it has its staging folder then)."""
    return pause_hook(flag) + (
        "import frontline.release.build\n"
        "frontline.release.build.scan_export = lambda *args, **kwargs: pause()\n"
    )


@pytest.fixture()
def small(repo: Project, tmp_path: Path) -> Project:
    """A copy of the checkout's articles and gold, built once (the previous release)."""
    project = replicate(repo, tmp_path / "small", 55)
    assert run(project) == (0, "")
    return project


@pytest.fixture(scope="module")
def big(repo: Project, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return replicate(repo, tmp_path_factory.mktemp("big"), BIG)


# --- killed while it swaps the new output in -------------------------------------------------


@pytest.mark.parametrize("moment", ["between", "after"])
def test_a_build_killed_while_replacing_the_output_is_set_right_by_the_next_run(
    small, moment, tmp_path
):
    """Killed between its two renames, a build left corpus/ missing (the previous one in
    .corpus.old); killed after them, it left .corpus.old and its staging folder. The next run
    puts corpus/ back or removes the leftovers first, even when it then refuses the export."""
    corpus, before = small.corpus, files_of(small.corpus)
    flag = tmp_path / "paused"
    proc = start(small, hook=rename_hook(flag, moment))
    try:
        wait_for("the build to reach the rename", flag.exists, 120)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
    finally:
        kill_session(proc)
    (staging,) = staging_folders(small.root)
    old = small.root / ".corpus.old"
    assert old.is_dir() and corpus.exists() == (moment == "after")

    export = small.gold_export.read_bytes()
    small.gold_export.write_text("{", encoding="utf-8")  # the next run refuses the export
    code, err = run(small)
    assert code == 1 and err.splitlines()[-1].startswith("frontline: error: "), err
    notes = err.splitlines()[:-1]
    if moment == "between":
        assert notes == [
            f"removed {staging}: the staging folder of a build that was killed",
            f"restored {corpus} from {old}: a build was killed while replacing it",
        ], err
    else:
        assert notes == [
            f"removed {staging}: the staging folder of a build that was killed",
            f"removed {old}: the previous output, left by a build that was killed",
        ], err
    assert files_of(corpus) == before and leftovers(small.root) == []

    small.gold_export.write_bytes(export)
    assert run(small) == (0, "")
    assert files_of(corpus) == before and leftovers(small.root) == []


# --- the parent of a two-process build killed ----------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def forked_children(parent: int) -> dict[int, str]:
    """The children of ``parent`` that run its own command line (forked, not exec'd), with
    their start times (to tell them from a later process of the same pid)."""
    try:
        command = Path(f"/proc/{parent}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[1] == str(parent):
            try:
                if (entry / "cmdline").read_bytes() == command:
                    found[int(entry.name)] = fields[19]
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


def alive(pid: int, started: str) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[19] == started and fields[0] not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_killing_a_two_process_build_kills_its_workers_and_the_next_run_cleans_up(big):
    """Killing the parent of ``--num-proc 2`` left both workers hung for over ten minutes (and
    its staging folder behind). The workers now die with it; the next run removes the folder."""
    proc = start(big, "--num-proc", "2")
    try:
        workers = wait_for(
            "two workers",
            lambda: (found := forked_children(proc.pid)) and len(found) >= 2 and found,
            120,
        )
        assert len(staging_folders(big.root)) == 1 and not big.corpus.exists()  # still scanning
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        deadline = time.monotonic() + 10
        while [
            pid for pid, started in workers.items() if alive(pid, started)
        ] and time.monotonic() < deadline:
            time.sleep(0.05)
        hung = [pid for pid, started in workers.items() if alive(pid, started)]
        assert hung == [], f"workers {hung} outlived their parent by 10 s"
    finally:
        kill_session(proc)
    (staging,) = staging_folders(big.root)
    code, err = run(big, "--num-proc", "2")
    assert code == 0 and err.splitlines() == [
        f"removed {staging}: the staging folder of a build that was killed"
    ], err
    assert leftovers(big.root) == [] and (big.corpus / ".frontline-build").is_file()


# --- two builds at once ----------------------------------------------------------------------


def test_a_second_build_is_refused_while_one_runs_and_cleans_up_after_it_once_it_is_killed(
    small, tmp_path
):
    """Two overlapping builds: one failed with an OSError traceback. Now the second says at
    once that another build is running and touches nothing (not even the first one's staging
    folder); once the first is killed, the next run removes what it left."""
    before = files_of(small.corpus)
    flag = tmp_path / "paused"
    first = start(small, hook=scan_hook(flag))
    try:
        wait_for("the first build to start scanning", flag.exists, 120)
        (staging,) = staging_folders(small.root)
        second = start(small)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 1, err
        assert (
            err
            == f"frontline: error: another build is running (lock {small.root / LOCK}); wait for "
            "it to finish\n"
        )
        assert staging_folders(small.root) == [staging] and files_of(small.corpus) == before
        assert first.poll() is None
        os.kill(first.pid, signal.SIGKILL)
        first.wait(60)
    finally:
        kill_session(first)
    assert run(small) == (0, f"removed {staging}: the staging folder of a build that was killed\n")
    assert files_of(small.corpus) == before and leftovers(small.root) == []


def test_the_lock_file_is_git_ignored(repo):
    if not (repo.root / ".git").exists():
        pytest.skip("not a git checkout")
    assert subprocess.run(["git", "check-ignore", "-q", LOCK], cwd=repo.root).returncode == 0
