"""Label Studio JSON exports on disk: deterministic files, a loss guard, and the gold.

An export file is Label Studio's full JSON export (a list of tasks with every
annotator's annotations and every prediction), normalised so it diffs cleanly: tasks
sorted by ``data.doc_id``, annotations and predictions by id, keys sorted, and the one
field that changes with the clock (``created_ago``) removed.
"""

from __future__ import annotations

import codecs
import io
import json
import mmap
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from frontline.articles import Article
from frontline.files import atomic_write
from frontline.documents import Document, from_result
from frontline.scheme import Scheme
from frontline.validate import ExportInvalid, export_problems

VOLATILE = frozenset({"created_ago"})


class ExportError(ValueError):
    """An export cannot be read or would lose annotations."""


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _by_id(items: Sequence[Mapping[str, Any]]) -> list[Any]:
    return sorted(items, key=lambda item: (str(type(item.get("id"))), item.get("id") or 0))


def normalise(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tasks sorted by doc id, their annotations and predictions by id, volatile fields dropped."""
    out = []
    for task in _strip(list(tasks)):
        for key in ("annotations", "predictions", "drafts"):
            if isinstance(task.get(key), list):
                task[key] = _by_id(task[key])
        out.append(task)
    return sorted(out, key=lambda t: (str(t.get("data", {}).get("doc_id", "")), t.get("id") or 0))


def dumps(tasks: Sequence[Mapping[str, Any]]) -> str:
    """The stable text of an export file."""
    return json.dumps(normalise(tasks), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read_export(path: Path) -> list[dict[str, Any]]:
    """Read an export file (a JSON list of tasks)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path}: no such export") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a JSON export: {exc}") from None
    except RecursionError:
        raise ExportError(f"{path}: not a JSON export: nested too deeply") from None
    if not isinstance(tasks, list):
        raise ExportError(f"{path}: an export is a JSON list of tasks, not {type(tasks).__name__}")
    return tasks


#: Characters read from an export at a time while streaming it.
CHUNK_CHARS = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_AFTER_VALUE = frozenset(" \t\n\r,]")  # what may follow a whole task (not "": unread)


class _Text:
    """The text of a UTF-8 file read in chunks, with a cursor ``pos`` into ``text``; what the
    cursor has passed is dropped as more is read."""

    def __init__(self, handle: BinaryIO, path: Path):
        self.handle, self.path, self.utf8 = handle, path, codecs.getincrementaldecoder("utf-8")()
        self.text, self.pos, self.dropped, self.bytes_read, self.eof = "", 0, 0, 0, False

    def more(self, size: int | None = None) -> bool:
        """Read up to ``size`` (default :data:`CHUNK_CHARS`) more bytes; False when the file
        had already ended."""
        if self.eof:
            return False
        data = self.handle.read(size or CHUNK_CHARS)
        self.eof = not data
        try:
            decoded = self.utf8.decode(data, final=self.eof)
        except UnicodeDecodeError as exc:
            raise ExportError(f"{self.path}: not a JSON export: not UTF-8 ({exc.reason} near byte "
                              f"{self.bytes_read + exc.start})") from None
        self.bytes_read += len(data)
        self.dropped += self.pos
        self.text = self.text[self.pos:] + decoded
        self.pos = 0
        return True

    def next_char(self) -> str:
        """Move past whitespace; the next character, "" at the end of the file."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos:self.pos + 1]

    def value(self, path: Path, number: int) -> Any:
        """Decode the JSON value at the cursor (task ``number``, from 1), reading more as needed:
        twice as much each time, so a long value costs linear time."""
        size = CHUNK_CHARS
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
                if self.eof or self.text[end:end + 1] in _AFTER_VALUE:  # "1" may be "1.5" unread
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise ExportError(f"{path}: not a JSON export: task {number}: {exc.msg} at character "
                                      f"{self.dropped + exc.pos}") from None
            except RecursionError:
                raise ExportError(f"{path}: not a JSON export: task {number} is nested too deeply") from None
            self.more(size)
            size *= 2


def iter_export(path: Path) -> Iterator[Any]:
    """The tasks of an export file one at a time, never the whole file in memory.

    Each task is decoded by the standard ``json`` decoder from a window of the file. Raises
    :class:`ExportError` naming the file, as :func:`read_export` does, when the file is
    missing, is not UTF-8 JSON, or is not a list; items that are not task objects are
    yielded as they are, for validation to report.
    """
    try:
        with path.open("rb") as handle:
            yield from _tasks(_Text(handle, path), path)
    except FileNotFoundError:
        raise ExportError(f"{path}: no such export") from None
    except IsADirectoryError:
        raise ExportError(f"{path}: is a folder, not an export") from None


class Part(NamedTuple):
    """Bytes ``[start:end]`` of an export file that hold whole tasks (``end`` None: to the
    end of the file); see :func:`export_parts`."""

    start: int
    end: int | None


#: How the start of an export's list looks: the bytes between ``[`` and the first task's ``{``.
_LIST_START = re.compile(rb"[ \t\n\r]*\[([ \t\n\r]*)\{")


def export_parts(path: Path, size: int) -> list[Part]:
    """The export cut at task boundaries into parts of about ``size`` bytes, found without
    decoding it, so that workers can each read parts of their own.

    A boundary is where ``,`` + the bytes between the list's ``[`` and its first task's
    ``{`` + ``{`` appear, when those bytes hold a line break: JSON strings hold no raw
    line break, so in a file of one task a line, or indented as :func:`dumps` writes it,
    nothing but a boundary looks like that (a nested object is indented deeper). A file
    indented unevenly can still fool it; :func:`part_tasks` then fails on a part whose
    ends are not boundaries, and the caller reads the file whole. Any other file is one
    part, as is a file shorter than ``size`` (or none at all: reading it says so).
    """
    whole = [Part(0, None)]
    if not path.is_file():
        return whole
    with path.open("rb") as handle:
        handle.seek(0, 2)
        length = handle.tell()
        if length <= size:
            return whole
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            head = _LIST_START.match(data[:1 << 16])
            if head is None or b"\n" not in head.group(1):
                return whole
            boundary = b"," + head.group(1) + b"{"
            starts, ends = [0], []
            while (at := data.find(boundary, starts[-1] + size)) >= 0:
                ends.append(at)
                starts.append(at + len(boundary) - 1)
    return [Part(start, end) for start, end in zip(starts, [*ends, None])]


def part_tasks(path: Path, part: Part) -> Iterator[Any]:
    """The tasks of one part of an export (:func:`export_parts`), decoded as
    :func:`iter_export` decodes the whole file, which this is for ``Part(0, None)``.

    A part is read as a JSON list of its own, so an :class:`ExportError` of a part that is
    not the whole file counts characters and tasks from the part's start; it is also what
    a part whose ends are not task boundaries gives (its brackets do not balance).
    """
    if part == Part(0, None):
        yield from iter_export(path)
        return
    with path.open("rb") as handle:
        handle.seek(part.start)
        body = handle.read() if part.end is None else handle.read(part.end - part.start)
    text = (b"[" if part.start else b"") + body + (b"]" if part.end is not None else b"")
    yield from _tasks(_Text(io.BytesIO(text), path), path)


def _tasks(stream: _Text, path: Path) -> Iterator[Any]:
    """Each task of the JSON list that ``stream`` holds."""
    first = stream.next_char()
    if first == "\ufeff":
        raise ExportError(f"{path}: not a JSON export: it starts with a byte order mark")
    if first != "[":
        raise ExportError(f"{path}: an export is a JSON list of tasks, not "
                          f"{'empty file' if not first else repr(first) + '...'}")
    stream.pos += 1
    number = 0
    if stream.next_char() != "]":
        while True:
            number += 1
            yield stream.value(path, number)
            found = stream.next_char()
            if found == "]":
                break
            if found != ",":
                raise ExportError(f"{path}: not a JSON export: after task {number}, expected ',' or ']', found "
                                  f"{repr(found) if found else 'the end of the file'}")
            stream.pos += 1
            stream.next_char()
    stream.pos += 1
    if stream.next_char():
        raise ExportError(f"{path}: not a JSON export: text after the list of tasks")


def read_valid_export(path: Path, articles: Sequence[Article], scheme: Scheme) -> list[dict[str, Any]]:
    """Read an export and raise :class:`ExportInvalid` with every problem if it has any."""
    tasks = read_export(path)
    problems = export_problems(tasks, {a.id: a for a in articles}, scheme)
    if problems:
        raise ExportInvalid(str(path), problems)
    return tasks


def annotation_counts(tasks: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Number of annotations per doc id."""
    return Counter({str(t["data"]["doc_id"]): len(t.get("annotations", [])) for t in tasks})


def losses(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """What replacing export ``old`` by ``new`` would lose: articles or annotations."""
    before, after = annotation_counts(old), annotation_counts(new)
    found = []
    for doc_id, count in sorted(before.items()):
        if doc_id not in after:
            found.append(f"doc {doc_id}: {count} annotation(s) committed, task missing from the new export")
        elif after[doc_id] < count:
            found.append(f"doc {doc_id}: {count} annotation(s) committed, {after[doc_id]} in the new export")
    return found


def write_export(path: Path, tasks: Sequence[Mapping[str, Any]], *, force: bool = False) -> bool:
    """Write ``tasks`` to ``path`` atomically; return False when the file was already identical.

    Refuses (:class:`ExportError`) to replace an export that holds annotations the new one
    lacks, unless ``force``.
    """
    text = dumps(tasks)
    if path.exists():
        old = read_export(path)
        lost = losses(old, tasks)
        if lost and not force:
            raise ExportError(f"{path}: the new export would lose annotations (use --force to "
                              "replace it anyway):\n" + "\n".join(f"  - {x}" for x in lost))
        if path.read_text(encoding="utf-8") == text:
            return False
    atomic_write(path, text.encode("utf-8"))
    return True


def gold_documents(tasks: Sequence[Mapping[str, Any]]) -> tuple[list[Document], list[str]]:
    """The ``ground_truth`` annotation of each task as a Document, and the doc ids without gold.

    Tasks must be validated first. A task with more than one non-cancelled ground-truth
    annotation is an error: adjudication must leave exactly one.
    """
    documents, missing, problems = [], [], []
    for task in tasks:
        doc_id, text = str(task["data"]["doc_id"]), task["data"]["text"]
        gold = [a for a in task.get("annotations", []) if a.get("ground_truth") and not a.get("was_cancelled")]
        if not gold:
            missing.append(doc_id)
        elif len(gold) > 1:
            problems.append(f"doc {doc_id} task {task.get('id')}: {len(gold)} ground_truth annotations "
                            f"({', '.join(str(a.get('id')) for a in gold)}); adjudicate to exactly one")
        else:
            documents.append(from_result(doc_id, text, gold[0]["result"]))
    if problems:
        raise ExportError("\n".join(problems))
    return sorted(documents, key=lambda d: d.doc_id), sorted(missing)
