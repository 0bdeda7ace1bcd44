"""Inputs are sized before they are read: a file too large for its kind, a device such as
``/dev/zero`` or a FIFO is refused at once, with a message naming it, and the memory used
does not grow with the file.

Each read runs in a process of its own (``frontline.core.articles`` only, which imports in
milliseconds), bounded in time and in address space, so that a regression reads /dev/zero
into a MemoryError or blocks on a FIFO until the timeout, instead of taking the machine's
memory or hanging the test run. The process reports its own peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from frontline.core.articles import (
    MAX_JSONL_BYTES,
    MAX_JSONL_LINE_BYTES,
    MAX_TEXT_BYTES,
    MAX_TEXT_CHARS,
    add_articles,
    make_article,
)

READER = r"""
import resource, sys
from pathlib import Path
from frontline.core.articles import ArticleError, load_articles, read_jsonl, read_plain
kind, path = sys.argv[1:]
try:
    if kind == "txt":
        read_plain(
            Path(path), title="T", date="2024-12-01", url="https://example.org/r", license="L"
        )
    elif kind == "jsonl":
        read_jsonl(Path(path))
    else:
        load_articles(Path(path))
    print("accepted")
except ArticleError as exc:
    print("refused:", exc)
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""
ADDRESS_SPACE = 1 << 30  # a reader that reads /dev/zero whole stops at a MemoryError here
TIMEOUT = 60


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def read_in_child(kind: str, path: Path) -> tuple[str, int]:
    """(what the reader said, its peak RSS in KiB)."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", READER, kind, str(path)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            preexec_fn=_limit,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"reading {path} did not end in {TIMEOUT} s") from None
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines, result.stderr[-2000:]
    return "\n".join(lines[:-1]), int(lines[-1])


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> int:
    """The peak RSS of a reader given a tiny text."""
    path = tmp_path_factory.mktemp("baseline") / "tiny.txt"
    path.write_text("Rebels took Aleppo.")
    said, rss = read_in_child("txt", path)
    assert said == "accepted"
    return rss


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` NUL bytes that takes no disk space."""
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def test_a_text_file_too_large_is_refused_before_it_is_read(tmp_path, baseline):
    """50 MB took 488 MB before (read whole, decoded, then every NUL listed)."""
    path = sparse(tmp_path / "big.txt", 50_000_000)
    said, rss = read_in_child("txt", path)
    assert said == (
        f"refused: article 'big': cannot read {path}: 50000000 bytes, more than the limit of "
        f"{MAX_TEXT_BYTES} bytes for one text (at most {MAX_TEXT_CHARS} characters of up to 4 "
        "bytes)"
    )
    assert rss - baseline < 10_000, f"{rss - baseline} KiB more than for a tiny text"


def test_the_text_limit_is_the_longest_text_accepted_in_bytes(tmp_path):
    assert (
        MAX_TEXT_BYTES == 4 * MAX_TEXT_CHARS
    )  # so a text within MAX_TEXT_CHARS is never refused for its bytes
    path = tmp_path / "a.txt"
    path.write_text("\U0001f600" * 10 + "x" * 100)
    assert read_in_child("txt", path)[0] == "accepted"


@pytest.mark.parametrize("kind", ["txt", "jsonl"])
def test_dev_zero_is_refused_not_read(tmp_path, baseline, kind):
    """/dev/zero was read until the OOM killer came."""
    path = tmp_path / f"zero.{kind}"
    path.symlink_to("/dev/zero")
    said, rss = read_in_child(kind, path)
    where = f"article 'zero': cannot read {path}" if kind == "txt" else f"{path}: cannot read"
    assert said == f"refused: {where}: not a regular file (a character device)"
    assert rss - baseline < 10_000


@pytest.mark.parametrize("kind", ["txt", "jsonl"])
def test_a_fifo_is_refused_without_blocking(tmp_path, kind):
    path = tmp_path / f"pipe.{kind}"
    os.mkfifo(path)
    said, _ = read_in_child(kind, path)
    where = f"article 'pipe': cannot read {path}" if kind == "txt" else f"{path}: cannot read"
    assert said == f"refused: {where}: not a regular file (a FIFO)"


def test_a_fifo_among_the_seed_texts_is_named_by_check(tmp_path):
    seeds = tmp_path / "seeds"
    add_articles(
        seeds,
        [
            make_article(
                "Rebels took Aleppo.",
                id="a",
                title="T",
                date="2024-12-01",
                url="https://example.org/a",
                license="L",
            )
        ],
    )
    (seeds / "texts" / "a.txt").unlink()
    os.mkfifo(seeds / "texts" / "a.txt")
    said, _ = read_in_child("seeds", seeds)
    assert said == (
        f"refused: article 'a': cannot read {seeds / 'texts' / 'a.txt'}: not a regular file "
        "(a FIFO)"
    )


def test_a_jsonl_file_too_large_is_refused_before_it_is_read(tmp_path, baseline):
    path = sparse(tmp_path / "big.jsonl", MAX_JSONL_BYTES + 1)
    said, rss = read_in_child("jsonl", path)
    assert said == (
        f"refused: {path}: cannot read: {MAX_JSONL_BYTES + 1} bytes, more than the limit of "
        f"{MAX_JSONL_BYTES} bytes for one .jsonl file (split it)"
    )
    assert rss - baseline < 10_000


def test_a_jsonl_line_longer_than_any_article_stops_the_read(tmp_path, baseline):
    """Read one line at a time: a line is read up to its limit, then refused."""
    path = tmp_path / "long.jsonl"
    record = {
        "id": "w1",
        "title": "T",
        "date": "2024-12-01",
        "url": "https://example.org/w",
        "license": "L",
        "text": "Rebels took Aleppo.",
    }
    with open(path, "wb") as handle:
        handle.write((json.dumps(record) + "\n").encode())
        handle.truncate(handle.tell() + MAX_JSONL_LINE_BYTES + 1)  # line 2: NUL bytes, no end
    said, rss = read_in_child("jsonl", path)
    assert said == (
        f"refused: {path}:2: line longer than {MAX_JSONL_LINE_BYTES} bytes, more than any article "
        f"takes (a text has at most {MAX_TEXT_CHARS} characters); nothing read after it"
    )
    assert rss - baseline < 2 * MAX_JSONL_LINE_BYTES // 1024 + 10_000


def test_a_jsonl_line_limit_fits_the_longest_text_escaped():
    """The longest text, every character escaped as a surrogate pair, with long metadata."""
    assert MAX_JSONL_LINE_BYTES > 12 * MAX_TEXT_CHARS + 1_000_000
