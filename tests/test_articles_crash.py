"""Faults: `frontline articles add` killed (SIGKILL) or interrupted (SIGINT) at random points.

A .jsonl of a few thousand tiny articles is added to a project that holds one article; the
add runs in a real process of its own, which gets the signal at a random time, or as soon as
a moment of the commit is seen on disk (the staging folder, the journal, the n-th text in
``texts/``). Afterwards:

* after SIGINT, at once (the process cleans up after itself): no staging folder, no ``.tmp``
  file, and the articles load, with either nothing or everything added;
* after SIGKILL, once the next run (``articles check``, or ``articles add`` of another file)
  has completed or rolled back the half-done commit: the same, and if the process died with
  the journal written, everything was added (the commit was decided);
* each time, ``seeds/texts/`` holds exactly the texts the manifest lists, byte-exact; and
  where nothing was added, the same file can be added again (checked once per signal).

The processes are forked from one driver that has imported the command once (an import costs
seconds; a fork, milliseconds), so each is a real process running ``frontline.cli.main``;
one check at the end runs as ``python -m frontline``. A process is signalled only while it
is certain not to be reaped (the driver reaps it when told), so no other process can be hit.
The random times are the same every run; set FRONTLINE_FUZZ_EXPLORE=1 to draw new ones.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO

from frontline.core.articles import add_articles, load_articles, make_article

N = 2000
TIMEOUT = 180  # seconds for one run, however loaded the machine
EXPLORE = bool(os.environ.get("FRONTLINE_FUZZ_EXPLORE"))
EXISTING = make_article(
    "Troops left Basra at dawn.",
    id="existing",
    title="Existing",
    date="2024-11-30",
    url="https://example.org/e",
    license="CC BY 4.0",
)

DRIVER = r"""
import json, os, sys
from frontline.cli import main

def child(argv, out, err):
    code = 70
    try:
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        code = main(argv)
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 71
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)

print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child(request["argv"], request["out"], request["err"])
    print(pid, flush=True)
    sys.stdin.readline()  # "reap": until then the child stays (a zombie at worst), its pid ours
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Driver:
    """One process that has imported ``frontline.cli`` and forks a child per command."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            cwd=folder,
        )
        assert self._line(TIMEOUT) == "ready"
        self.runs = 0

    def _line(self, timeout: float) -> str:
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            raise AssertionError(f"no answer from the driver in {timeout} s")
        return self.proc.stdout.readline().decode().strip()

    def start(self, *argv: str) -> tuple[int, Path]:
        self.runs += 1
        out = self.folder / f"run-{self.runs}"
        request = {"argv": list(argv), "out": f"{out}.out", "err": f"{out}.err"}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        return int(self._line(TIMEOUT)), out

    def finish(self, out: Path) -> tuple[int, str, str]:
        self.proc.stdin.write(b"reap\n")
        code = int(self._line(TIMEOUT))
        return code, Path(f"{out}.out").read_text(), Path(f"{out}.err").read_text()

    def run(self, *argv: str) -> tuple[int, str, str]:
        pid, out = self.start(*argv)
        while not ended(pid):
            time.sleep(0.005)
        return self.finish(out)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(TIMEOUT)


def ended(pid: int) -> bool:
    """Whether the child has exited (it is a zombie until the driver reaps it)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "Z"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("articles-crash")
    template = folder / "template"
    (template / "annotation").mkdir(parents=True)
    shutil.copy(REPO / "annotation" / "scheme.toml", template / "annotation" / "scheme.toml")
    add_articles(template / "seeds", [EXISTING])
    records = [
        {
            "id": f"gen-{i:05d}",
            "title": f"Town {i}",
            "date": "2024-12-03",
            "url": f"https://example.org/gen/{i}",
            "license": "CC BY 4.0",
            "text": f"Rebels entered town {i} near Aleppo.\r\n",
        }
        for i in range(N)
    ]
    big = folder / "big.jsonl"
    big.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    other = folder / "other.jsonl"
    other.write_text(json.dumps({**records[0], "id": "other", "text": "Kurds fled Afrin."}) + "\n")
    driver = Driver(folder)
    try:
        yield folder, template, big, other, {r["id"]: r["text"].encode() for r in records}, driver
    finally:
        driver.close()


def stray_files(seeds: Path) -> list[str]:
    return sorted(
        str(p.relative_to(seeds))
        for p in seeds.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".staging")
    )


def assert_all_or_nothing(
    seeds: Path, texts: dict[str, bytes], before: frozenset[str] = frozenset({EXISTING.id})
) -> bool:
    """The articles load and hold what was there ``before`` plus nothing or all of ``texts``
    (each byte-exact); return whether all."""
    loaded = {a.id for a in load_articles(seeds)}
    manifest = json.loads((seeds / "manifest.json").read_text())["articles"]
    on_disk = sorted(p.name for p in (seeds / "texts").iterdir())
    assert on_disk == sorted(f"{e['id']}.txt" for e in manifest)  # exactly the listed texts
    assert loaded in (before, before | set(texts)), f"{len(loaded - before)} of {len(texts)} added"
    if loaded == before:
        return False
    for article_id, data in texts.items():
        assert (seeds / "texts" / f"{article_id}.txt").read_bytes() == data
    return True


def new_texts_at_least(seeds: Path, k: int) -> Callable[[], bool]:
    def seen() -> bool:
        with os.scandir(seeds / "texts") as entries:
            return sum(1 for _ in entries) > k  # the existing text, then k new ones (or .tmp files)

    return seen


def trials(rng: random.Random, full: float) -> list[tuple[str, signal.Signals, str, float]]:
    """(name, signal, moment, delay after it): each moment of the commit, and random times."""
    plan = []
    for sig, rounds in ((signal.SIGKILL, 2), (signal.SIGINT, 1)):
        for _ in range(rounds):
            plan += [
                ("random time", sig, "start", rng.uniform(0, full)),
                ("while staging", sig, "staging", rng.uniform(0, 0.3)),
                ("journal written", sig, "journal", 0.0),
                ("texts moving", sig, f"texts:{rng.randrange(1, N)}", 0.0),
            ]
    return plan


def moment(seeds: Path, name: str) -> Callable[[], bool]:
    if name == "start":
        return lambda: True
    if name == "staging":
        return lambda: (seeds / ".staging").exists()
    if name == "journal":
        return lambda: (seeds / ".staging" / "journal.json").exists()
    return new_texts_at_least(seeds, int(name.split(":")[1]))


def test_add_killed_or_interrupted_adds_all_or_nothing(setup):
    folder, template, big, other, texts, driver = setup
    rng = random.Random(None if EXPLORE else 16)

    # an uninterrupted run, to time one
    root = shutil.copytree(template, folder / "full")
    began = time.monotonic()
    code, out, err = driver.run("--root", str(root), "--quiet", "articles", "add", str(big))
    full = time.monotonic() - began
    assert code == 0, err
    assert assert_all_or_nothing(root / "seeds", texts)

    outcomes, readded = [], set()
    for number, (name, sig, when, delay) in enumerate(trials(rng, full)):
        root = shutil.copytree(template, folder / f"trial-{number}")
        seeds = root / "seeds"
        seen = moment(seeds, when)
        pid, out = driver.start("--root", str(root), "--quiet", "articles", "add", str(big))
        deadline = time.monotonic() + TIMEOUT
        while not seen() and not ended(pid):
            assert time.monotonic() < deadline, f"{name}: the add neither ended nor reached {when}"
            time.sleep(0.0005)
        time.sleep(delay)
        signalled = not ended(pid)
        if signalled:
            os.kill(
                pid, sig
            )  # safe: the driver has not reaped it, so the pid is still this process
        code, stdout, stderr = driver.finish(out)
        assert "Traceback" not in stderr or sig == signal.SIGINT, stderr
        journal = (seeds / ".staging" / "journal.json").exists()
        label = f"trial {number} ({name}, {sig.name}, exit {code}, journal {journal})"

        before = frozenset({EXISTING.id})
        if sig == signal.SIGINT:  # cleaned up by the process itself: nothing left for a next run
            assert stray_files(seeds) == [], label
        else:  # the next run completes or rolls back the half-done commit
            if number % 2:
                code, stdout, stderr = driver.run("--root", str(root), "articles", "check")
                assert code == 0, f"{label}: check after the kill: {stderr}"
            else:
                code, stdout, stderr = driver.run(
                    "--root", str(root), "--quiet", "articles", "add", str(other)
                )
                assert code == 0, f"{label}: add after the kill: {stderr}"
                assert "added 1 article(s)" in stdout
                before |= {"other"}
            if journal:
                assert "completed an interrupted add" in stdout, (label, stdout)
            assert stray_files(seeds) == [], label
        added = assert_all_or_nothing(seeds, texts, before)
        assert added or not journal, f"{label}: the journal was written, so all must be added"
        outcomes.append((name, sig.name, signalled, journal, added))

        if (
            not added and sig not in readded
        ):  # usable again: the same file is added now (once per signal)
            readded.add(sig)
            code, stdout, stderr = driver.run(
                "--root", str(root), "--quiet", "articles", "add", str(big)
            )
            assert code == 0, (label, stderr)
            assert assert_all_or_nothing(seeds, texts, before)
        shutil.rmtree(root)

    # the signals did land inside the commit, not only before or after it
    assert any(
        signalled and journal for _, sig, signalled, journal, _ in outcomes if sig == "SIGKILL"
    ), outcomes
    assert any(signalled and not added for *_, signalled, _, added in outcomes), outcomes


def test_check_completes_a_killed_commit_as_a_command(setup, tmp_path):
    """The same, through the installed entry point (``python -m frontline``, not a fork): a
    commit killed after its journal is completed by ``articles check``; until then, readers
    (``load_articles``, used by build) refuse the half-done collection."""
    folder, template, big, other, texts, driver = setup
    for attempt in range(3):  # the kill lands in the commit at once but on a very loaded machine
        root = shutil.copytree(template, tmp_path / f"project-{attempt}")
        seeds = root / "seeds"
        committing = moment(seeds, "journal")
        half_moved = new_texts_at_least(seeds, N // 2)
        pid, out = driver.start("--root", str(root), "--quiet", "articles", "add", str(big))
        deadline = time.monotonic() + TIMEOUT
        while not (committing() or half_moved()) and not ended(pid):
            assert time.monotonic() < deadline
            time.sleep(0.0005)
        killed = not ended(pid)
        if killed:
            os.kill(pid, signal.SIGKILL)
        driver.finish(out)
        if killed:
            break
    else:
        raise AssertionError("three adds finished before the kill")
    with pytest.raises(Exception, match="run `frontline articles check` to complete it"):
        load_articles(seeds)
    result = subprocess.run(
        [sys.executable, "-m", "frontline", "--root", str(root), "articles", "check"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"completed an interrupted add: its {N} article(s) are now in {seeds}\n"
    )
    assert f"{N + 1} articles OK" in result.stdout
    assert assert_all_or_nothing(seeds, texts)
