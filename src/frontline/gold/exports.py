"""Label Studio JSON exports on disk: deterministic files, a loss guard, and the gold.

An export file is Label Studio's full JSON export (a list of tasks with every
annotator's annotations and every prediction), normalised so it diffs cleanly: tasks
sorted by ``data.doc_id``, annotations and predictions by id, keys sorted, and the one
field that changes with the clock (``created_ago``) removed.

Every reader of an export (:func:`read_export`, :func:`iter_export`, :func:`part_tasks`)
decodes it the same way, one task at a time, and refuses what ``json`` would read
silently or not at all: a key twice in one object (``json`` keeps the last value, other
readers the first) and an integer longer than Python reads (``sys.get_int_max_str_digits``),
each named by its task.
"""

from __future__ import annotations

import codecs
import io
import json
import mmap
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from frontline.core.articles import Article
from frontline.core.documents import Document, from_result
from frontline.core.files import atomic_write
from frontline.core.scheme import Scheme
from frontline.errors import FrontlineError
from frontline.gold.validate import ExportInvalid, export_problems, gold_annotations, iter_problems

VOLATILE = frozenset({"created_ago"})


class ExportError(FrontlineError, ValueError):
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
    """Read an export file (a JSON list of tasks) whole: the tasks of :func:`iter_export`,
    with its checks and its errors."""
    return list(iter_export(path))


#: Characters read from an export at a time while streaming it.
CHUNK_CHARS = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_AFTER_VALUE = frozenset(" \t\n\r,]")  # what may follow a whole task (not "": unread)


def _first_repeated(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return "?"


def _decoder(duplicates: list[tuple[str, dict[str, Any]]]) -> json.JSONDecoder:
    """A decoder that makes the dicts ``json`` makes (which keeps the last value of a key
    given twice) and adds to ``duplicates`` each object with a key twice, and that key."""

    def made(
        pairs: list[tuple[str, Any]],
    ) -> dict[str, Any]:  # a closure: the cheapest hook to call
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates.append((_first_repeated(pairs), obj))
        return obj

    return json.JSONDecoder(object_pairs_hook=made)


def _place(root: Any, target: Any) -> str:
    """Where object ``target`` is inside ``root``, as ``annotations[0].value`` ("" for ``root``)."""
    stack = [(root, "")]
    while stack:
        value, place = stack.pop()
        if value is target:
            return place
        if isinstance(value, dict):
            stack += [(v, f"{place}.{k}" if place else str(k)) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{place}[{i}]") for i, v in enumerate(value)]
    return "?"


def _task_name(number: int, task: Any) -> str:
    """``task 3 (doc X, task id 7)``: the task's number in the file, and what it says it is."""
    named = []
    if isinstance(task, dict):
        data = task.get("data")
        if isinstance(data, dict) and "doc_id" in data:
            named.append(f"doc {data['doc_id']}")
        if "id" in task:
            named.append(f"task id {task['id']}")
    return f"task {number}" + (f" ({', '.join(named)})" if named else "")


#: A JSON string or number, so that a scan from a value's start meets numbers only where
#: the decoder does (digits inside strings are skipped).
_STRING_OR_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|-?(\d+)(\.\d+)?([eE][-+]?\d+)?')


class _Text:
    """The text of a UTF-8 file read in chunks, with a cursor ``pos`` into ``text``; what the
    cursor has passed is dropped as more is read."""

    def __init__(self, handle: BinaryIO, path: Path):
        self.handle, self.path, self.utf8 = handle, path, codecs.getincrementaldecoder("utf-8")()
        self.text, self.pos, self.dropped, self.bytes_read, self.eof = "", 0, 0, 0, False
        self.duplicates: list[tuple[str, dict[str, Any]]] = []  # in the value decoded last
        self.decoder = _decoder(self.duplicates)

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
            raise ExportError(
                f"{self.path}: not a JSON export: not UTF-8 ({exc.reason} near byte "
                f"{self.bytes_read + exc.start})"
            ) from None
        self.bytes_read += len(data)
        self.dropped += self.pos
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True

    def next_char(self) -> str:
        """Move past whitespace; the next character, "" at the end of the file."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def value(self, path: Path, number: int) -> Any:
        """Decode the JSON value at the cursor (task ``number``, from 1), reading more as needed:
        twice as much each time, so a long value costs linear time."""
        size = CHUNK_CHARS
        while True:
            self.duplicates.clear()
            try:
                value, end = self.decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise ExportError(
                        f"{path}: not a JSON export: task {number}: {exc.msg} at character "
                        f"{self.dropped + exc.pos}"
                    ) from None
            except RecursionError:
                raise ExportError(
                    f"{path}: not a JSON export: task {number} is nested too deeply"
                ) from None
            except (
                ValueError
            ) as exc:  # an integer longer than Python reads (sys.get_int_max_str_digits)
                found = self._long_integer()
                if found is None and self.eof:
                    raise ExportError(f"{path}: not a JSON export: task {number}: {exc}") from None
                if found is not None and (self.eof or len(self.text) - found.end() >= len("e+0")):
                    limit = sys.get_int_max_str_digits()
                    raise ExportError(
                        f"{path}: task {number}: an integer of {len(found.group(1)):,} digits at "
                        f"character {self.dropped + found.start()}, more than the {limit:,} digits "
                        "Python reads"
                    ) from None
                # else what follows it is not all read ("1." or "1e+" at the end): it may be a float, read on
            else:
                if self.eof or self.text[end : end + 1] in _AFTER_VALUE:  # "1" may be "1.5" unread
                    if self.duplicates:
                        key, where = self.duplicates[0]
                        raise ExportError(
                            f"{path}: {_task_name(number, value)}: key {key!r} twice in "
                            f"{_place(value, where) or 'the task'}; JSON readers disagree on which "
                            "value counts: keep one"
                        )
                    self.pos = end
                    return value
            self.more(size)
            size *= 2

    def _long_integer(self) -> re.Match[str] | None:
        """The first integer from the cursor on with more digits than Python reads."""
        limit = sys.get_int_max_str_digits()
        for found in _STRING_OR_NUMBER.finditer(self.text, self.pos):
            digits, fraction, exponent = found.groups()
            if (
                digits is not None
                and fraction is None
                and exponent is None
                and limit
                and len(digits) > limit
            ):
                return found
        return None


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
            head = _LIST_START.match(data[: 1 << 16])
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
        raise ExportError(
            f"{path}: an export is a JSON list of tasks, not "
            f"{'empty file' if not first else repr(first) + '...'}"
        )
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
                raise ExportError(
                    f"{path}: not a JSON export: after task {number}, expected ',' or ']', found "
                    f"{repr(found) if found else 'the end of the file'}"
                )
            stream.pos += 1
            stream.next_char()
    stream.pos += 1
    if stream.next_char():
        raise ExportError(f"{path}: not a JSON export: text after the list of tasks")


def read_valid_export(
    path: Path, articles: Sequence[Article], scheme: Scheme
) -> list[dict[str, Any]]:
    """Read an export and raise :class:`ExportInvalid` with every problem if it has any."""
    tasks = read_export(path)
    problems = export_problems(tasks, {a.id: a for a in articles}, scheme)
    if problems:
        raise ExportInvalid(str(path), problems)
    return tasks


class Checked(NamedTuple):
    """What :func:`check_export` found in an export file."""

    tasks: int  # how many items its list holds
    gold: int  # how many tasks have a gold annotation
    problems: list[str]  # each named by the file, as ExportInvalid names them


def check_export(
    path: Path, articles: Mapping[str, Article], scheme: Scheme, *, gold: bool = False
) -> Checked:
    """Validate an export as ``build`` reads it: one task at a time (:func:`iter_export`),
    never whole in memory, with the checks and messages of
    :func:`~frontline.gold.validate.export_problems`. With ``gold`` (the file is the gold
    export), a file in which no task has a gold annotation is a problem too: build would
    have nothing to release. Raises :class:`ExportError` when the file cannot be read."""
    count = Counter[str]()

    def counted() -> Iterator[Any]:
        for task in iter_export(path):
            count["tasks"] += 1
            count["gold"] += isinstance(task, Mapping) and bool(gold_annotations(task))
            yield task

    problems = [f"{path}: {problem}" for problem in iter_problems(counted(), articles, scheme)]
    if gold and not problems and not count["gold"]:
        problems.append(
            f"{path}: no task has a ground_truth annotation: `frontline build` would have nothing "
            "to release"
        )
    return Checked(count["tasks"], count["gold"], problems)


def annotation_counts(tasks: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Number of annotations per doc id."""
    return Counter({str(t["data"]["doc_id"]): len(t.get("annotations", [])) for t in tasks})


def gold_count(tasks: Sequence[Any]) -> int:
    """Number of gold annotations (:func:`~frontline.gold.validate.gold_annotations`) in an export."""
    return sum(len(gold_annotations(t)) for t in tasks if isinstance(t, Mapping))


def _annotator(annotation: Mapping[str, Any]) -> str:
    """The account of an annotation: its e-mail, else its user id."""
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("id")
    return "?" if who is None else str(who)


class _Held(NamedTuple):
    """What an export holds for one article."""

    annotations: int
    ground_truths: int
    by_annotator: dict[str, Counter[str]]  # account -> "region", "relation" -> how many


def _holdings(tasks: Sequence[Any]) -> dict[str, _Held]:
    """Per doc id, what the export holds (malformed tasks and items are skipped)."""
    held: dict[str, _Held] = {}
    for task in tasks:
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            continue
        doc_id = str(task["data"].get("doc_id"))
        items = task.get("annotations")
        items = [a for a in items if isinstance(a, Mapping)] if isinstance(items, list) else []
        before = held.get(doc_id, _Held(0, 0, {}))
        by = before.by_annotator
        for annotation in items:
            tally = by.setdefault(_annotator(annotation), Counter())
            result = annotation.get("result")
            for item in result if isinstance(result, list) else []:
                kind = item.get("type") if isinstance(item, Mapping) else None
                if kind in ("labels", "relation"):
                    tally["region" if kind == "labels" else "relation"] += 1
        held[doc_id] = _Held(
            before.annotations + len(items), before.ground_truths + len(gold_annotations(task)), by
        )
    return held


def _compare(old: Sequence[Any], new: Sequence[Any]) -> tuple[list[str], Counter[str]]:
    """What replacing ``old`` by ``new`` loses: one line per loss, and the totals
    ("annotation", "region", "relation", "ground truth", and "task": the tasks that lose any)."""
    before, after = _holdings(old), _holdings(new)
    lines: list[str] = []
    total: Counter[str] = Counter()
    for doc_id, was in sorted(before.items()):
        found = len(lines)
        now = after.get(doc_id)
        if now is None:
            regions = sum(c["region"] for c in was.by_annotator.values())
            relations = sum(c["relation"] for c in was.by_annotator.values())
            lines.append(
                f"doc {doc_id}: task missing from the new export (committed: {was.annotations} "
                f"annotation(s), {regions} region(s), {relations} relation(s), {was.ground_truths} "
                "ground truth(s))"
            )
            total.update(
                {
                    "annotation": was.annotations,
                    "region": regions,
                    "relation": relations,
                    "ground truth": was.ground_truths,
                    "task": 1,
                }
            )
            continue
        for name, had, has in (
            ("annotation", was.annotations, now.annotations),
            ("ground truth", was.ground_truths, now.ground_truths),
        ):
            if has < had:
                lines.append(f"doc {doc_id}: {had} {name}(s) committed, {has} in the new export")
                total[name] += had - has
        for who, had_by in sorted(was.by_annotator.items()):
            has_by = now.by_annotator.get(who, Counter())
            for name in ("region", "relation"):
                if has_by[name] < had_by[name]:
                    lines.append(
                        f"doc {doc_id} annotator {who}: {had_by[name]} {name}(s) committed, "
                        f"{has_by[name]} in the new export"
                    )
                    total[name] += had_by[name] - has_by[name]
        total["task"] += len(lines) > found
    return lines, total


def _amount(total: Counter[str]) -> str:
    """``5 region(s), 3 relation(s) and 1 ground truth(s) in 1 task(s)``."""
    parts = [
        f"{total[name]} {name}(s)"
        for name in ("annotation", "region", "relation", "ground truth")
        if total[name]
    ]
    if not parts:
        return f"{total['task']} task(s)"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} in {total['task']} task(s)"


def losses(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """What replacing export ``old`` by ``new`` would lose, one line each: a task; per task,
    annotations or ground truths (the gold may move from one annotator to another); per
    task and annotator, regions or relations. Edits that keep the counts are no loss."""
    return _compare(old, new)[0]


def write_export(
    path: Path,
    tasks: Sequence[Mapping[str, Any]],
    *,
    force: bool = False,
    allow_empty: bool = False,
    warn: Callable[[str], None] | None = None,
    committed: Sequence[Mapping[str, Any]] | None = None,
) -> bool:
    """Write ``tasks`` to ``path`` atomically; return False when the file was already identical.
    ``committed``: what ``path`` holds, when the caller has read it already (read here otherwise).

    Refuses (:class:`ExportError`, listing each loss) to replace an export that holds
    anything :func:`losses` finds the new one lacks, unless ``force``; then ``warn`` is
    given the list once the file is written. Even with ``force``, refuses to replace an
    export that has ground truths by one that has none, unless ``allow_empty`` too.
    """
    text = dumps(tasks)
    note = ""
    if path.exists():
        old = read_export(path) if committed is None else committed
        lost, total = _compare(old, tasks)
        if lost:
            listing = "\n".join(f"  - {x}" for x in lost)
            if not force:
                raise ExportError(
                    f"{path}: the new export would lose {_amount(total)} (use --force to replace it "
                    f"anyway):\n{listing}"
                )
            had = gold_count(old)
            if had and not gold_count(tasks) and not allow_empty:
                raise ExportError(
                    f"{path}: the new export would lose {_amount(total)}, and it has no ground truth "
                    f"left (the committed one has {had}): refused even with --force; pass --force "
                    f"--allow-empty to write it anyway:\n{listing}"
                )
            note = f"{path}: the new export loses {_amount(total)}; written anyway (--force):\n{listing}"
        if path.read_text(encoding="utf-8") == text:
            return False
    atomic_write(path, text.encode("utf-8"))
    if note and warn is not None:
        warn(note)
    return True


def gold_documents(tasks: Sequence[Mapping[str, Any]]) -> tuple[list[Document], list[str]]:
    """The ``ground_truth`` annotation of each task as a Document, and the doc ids without gold.

    Tasks must be validated first. The gold is what
    :func:`~frontline.gold.validate.gold_annotations` says (validation refuses what would make
    it unclear); a task with more than one gold annotation is an error here too:
    adjudication must leave exactly one.
    """
    documents, missing, problems = [], [], []
    for task in tasks:
        doc_id, text = str(task["data"]["doc_id"]), task["data"]["text"]
        gold = gold_annotations(task)
        if not gold:
            missing.append(doc_id)
        elif len(gold) > 1:
            problems.append(
                f"doc {doc_id} task {task.get('id')}: {len(gold)} ground_truth annotations "
                f"({', '.join(str(a.get('id')) for a in gold)}); adjudicate to exactly one"
            )
        else:
            documents.append(from_result(doc_id, text, gold[0]["result"]))
    if problems:
        raise ExportError("\n".join(problems))
    return sorted(documents, key=lambda d: d.doc_id), sorted(missing)
