"""Label Studio JSON exports on disk: deterministic files, a loss guard, and the gold.

An export file is Label Studio's full JSON export (a list of tasks with every
annotator's annotations and every prediction), normalised so it diffs cleanly: tasks
sorted by ``data.doc_id``, annotations and predictions by id, keys sorted, and the one
field that changes with the clock (``created_ago``) removed.

Every export is read by :func:`iter_export` (:func:`read_export` lists what it gives):
ijson, with its C backend, reads the bytes as a stream of events and each task is built
from them, one at a time, as ``json`` would build it. It refuses what ``json`` would read
silently or not at all: a key twice in one object (``json`` keeps the last value, other
readers the first), an integer longer than Python reads (``sys.get_int_max_str_digits``),
``NaN`` and ``Infinity`` (``json``'s, not JSON), each named by its task. When ijson
refuses a file, ``json`` reads it again to say where and why, in its own words.
"""

from __future__ import annotations

import io
import json
import mmap
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import ijson

from frontline.core.articles import Article
from frontline.core.documents import Document, from_result
from frontline.core.files import atomic_write
from frontline.core.scheme import Scheme
from frontline.errors import FrontlineError
from frontline.gold.validate import ExportInvalid, export_problems, gold_annotations, iter_problems

VOLATILE = frozenset({"created_ago"})
ACCEPT = "frontline accept TASK --annotation ID"  # how an annotation becomes the gold
NEXT = "`frontline pull`, then `frontline build`"  # how the gold is then released
NAMED = 10  # tasks named in a message before "and N more"


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
    """The tasks of an export file as a list (:func:`iter_export`, with its checks and errors),
    for the callers that need them all at once."""
    return list(iter_export(path))


#: Bytes given to ijson at a time.
CHUNK_BYTES = 1 << 16

#: Nesting deeper than this in a task is refused: ``json`` stops near Python's recursion
#: limit (1,000), and code that walks a task recurses too. A real task nests 6 deep.
MAX_DEPTH = 500


class Part(NamedTuple):
    """Bytes ``[start:end]`` of an export file that hold whole tasks (``end`` None: to the
    end of the file); see :func:`export_parts`."""

    start: int
    end: int | None


#: The whole export as one part.
WHOLE = Part(0, None)


class _Unreadable(Exception):
    """ijson refused the bytes (or they hold no JSON list): :func:`_refusal` says why."""


def iter_export(path: Path, part: Part = WHOLE) -> Iterator[Any]:
    """The tasks of an export file, or of one part of it (:func:`export_parts`), one at a
    time: never the whole file in memory (but when ijson refuses it: then ``json`` reads
    it again whole to say where and why). The one reader of exports.

    ijson (its C backend) reads the bytes as a stream of events, from which each task is
    built as ``json`` builds it. Raises :class:`ExportError` naming the file when it is
    missing, is not UTF-8 JSON or not a list, and naming the task for a key twice in one
    object, an integer longer than Python reads, ``NaN`` or ``Infinity`` (not JSON), or
    nesting deeper than :data:`MAX_DEPTH`. Items that are not task objects are yielded as
    they are, for validation to report. A part is read as a JSON list of its own, so the
    errors of a part that is not the whole file count characters and tasks from the
    part's start; a part whose ends are not task boundaries fails (its brackets do not
    balance).
    """
    try:
        with path.open("rb") as handle:
            try:
                yield from _build(_events(_source(handle, part)), path)
            except _Unreadable as exc:
                raise _refusal(path, _source(handle, part).read(), exc.__cause__) from None
    except FileNotFoundError:
        raise ExportError(f"{path}: no such export") from None
    except IsADirectoryError:
        raise ExportError(f"{path}: is a folder, not an export") from None


def _source(handle: BinaryIO, part: Part) -> BinaryIO:
    """The bytes of ``part`` of the open export, from its start: a part that is not the
    whole file is read into memory, between the brackets that make it a JSON list."""
    handle.seek(part.start)
    if part == WHOLE:
        return handle
    body = handle.read() if part.end is None else handle.read(part.end - part.start)
    return io.BytesIO(
        (b"[" if part.start else b"") + body + (b"]" if part.end is not None else b"")
    )


def _events(source: BinaryIO) -> Iterator[tuple[str, Any]]:
    """ijson's events for the JSON text of ``source``; :class:`_Unreadable` when ijson
    refuses it."""
    return chain.from_iterable(_batches(source))


def _batches(source: BinaryIO) -> Iterator[list[tuple[str, Any]]]:
    """ijson's events, in a list for each chunk of ``source`` given to its push parser.
    (When Python refuses to read a long integer, ijson's C backend returns with the
    ValueError still set, which Python turns into a SystemError: the push parser makes
    that happen here, at ``send``, and not in whatever next pulls an event, as its
    generator does.)"""
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    try:
        while chunk := source.read(CHUNK_BYTES):
            parser.send(chunk)
            yield events
            del events[:]
        parser.close()
    except (ijson.JSONError, ValueError, SystemError) as exc:
        raise _Unreadable from exc
    yield events


def _build(events: Iterator[tuple[str, Any]], path: Path) -> Iterator[Any]:
    """The items of the JSON list that ``events`` describe, each built as ``json`` builds
    it (a number with a fraction or an exponent is a float, not ijson's Decimal; the last
    value of a key given twice counts), one at a time. A key twice in one object is an
    :class:`ExportError` once its task is read (to name it); so is nesting deeper than
    :data:`MAX_DEPTH`."""
    if next(events, ("", None))[0] != "start_array":
        raise _Unreadable
    tasks: list[Any] = []  # the list itself: its items are yielded, never kept
    stack: list[tuple[Any, bool, Any]] = []  # enclosing (container, is a list, key in it)
    current, in_list, key, number, twice = tasks, True, None, 0, None
    for event, value in events:
        if event == "map_key":
            if twice is None and value in current:
                twice = value, _place(stack)
            key = value
            continue
        if event == "start_map" or event == "start_array":
            new: Any = {} if event == "start_map" else []
            if current is tasks:
                number += 1
            elif in_list:
                current.append(new)
            else:
                current[key] = new
            if len(stack) > MAX_DEPTH:
                raise ExportError(f"{path}: not a JSON export: task {number} is nested too deeply")
            stack.append((current, in_list, key))
            current, in_list = new, event == "start_array"
            continue
        if event == "end_map" or event == "end_array":
            if current is tasks:  # the list's end: what follows it is ijson's to refuse
                next(events, None)
                return
            value = current
            current, in_list, key = stack.pop()
            if current is tasks:
                if twice is not None:
                    raise _twice(path, number, value, *twice)
                yield value
            continue
        if type(value) is Decimal:
            value = float(value)
        if not in_list:
            current[key] = value
        elif current is tasks:
            number += 1
            yield value
        else:
            current.append(value)


def _place(stack: list[tuple[Any, bool, Any]]) -> str:
    """Where the object being built is in its task, as ``annotations[0].value`` ("" for the
    task itself), from the :func:`_build` stack (whose first entry is the list of tasks)."""
    place = ""
    for container, is_list, key in stack[1:]:
        if is_list:
            place += f"[{len(container) - 1}]"
        else:
            place += f".{key}" if place else str(key)
    return place


def _twice(path: Path, number: int, task: Any, key: str, place: str) -> ExportError:
    """The error for a key given twice at ``place`` in task ``number``."""
    return ExportError(
        f"{path}: {_task_name(number, task)}: key {key!r} twice in {place or 'the task'}; JSON "
        "readers disagree on which value counts: keep one"
    )


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


# --- why ijson refused a file, in the words of ``json`` (which says where) -------------------

_SPACE = re.compile(r"[ \t\n\r]*")


def _skip(text: str, pos: int) -> int:
    """The position of the first character from ``pos`` on that is not JSON whitespace."""
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


#: A JSON string or number, so that a scan from a value's start meets numbers only where
#: the decoder does (digits inside strings are skipped).
_STRING_OR_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|-?(\d+)(\.\d+)?([eE][-+]?\d+)?')


class _NotJson(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: ``json`` reads them, JSON has none."""


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


_STRICT = json.JSONDecoder(parse_constant=_no_constant)


def _refusal(path: Path, data: bytes, cause: BaseException | None) -> ExportError:
    """Why the export (or part) whose bytes are ``data`` cannot be read: the standard
    ``json`` decoder reads it again, whole (only a broken file costs this), to say where;
    ijson's own message (``cause``) when ``json`` finds nothing wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ExportError(
            f"{path}: not a JSON export: not UTF-8 ({exc.reason} near byte {exc.start})"
        )
    found = _explain(text)
    if found is None:
        found = f"not a JSON export: {str(cause).strip().splitlines()[0] if cause else '?'}"
    return ExportError(f"{path}: {found}")


def _explain(text: str) -> str | None:
    """What is wrong with ``text`` as a JSON list of tasks, task by task, in the words of
    ``json``; None when it finds nothing."""
    pos = _skip(text, 0)
    first = text[pos : pos + 1]
    if first == "\ufeff":
        return "not a JSON export: it starts with a byte order mark"
    if first != "[":
        named = repr(first) + "..." if first else "empty file"
        return f"an export is a JSON list of tasks, not {named}"
    pos, number = _skip(text, pos + 1), 0
    empty = text.startswith("]", pos)
    while not empty:
        number += 1
        try:
            _, pos = _STRICT.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return f"not a JSON export: task {number}: {exc.msg} at character {exc.pos}"
        except RecursionError:
            return f"not a JSON export: task {number} is nested too deeply"
        except _NotJson as exc:
            return (
                f"not a JSON export: task {number}: {exc} is not JSON (Python writes it for a "
                "float that is infinite or not a number; other JSON readers refuse it)"
            )
        except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
            return _long_integer(text, pos, number)
        pos = _skip(text, pos)
        found = text[pos : pos + 1]
        if found == "]":
            break
        if found != ",":
            return (
                f"not a JSON export: after task {number}, expected ',' or ']', found "
                f"{repr(found) if found else 'the end of the file'}"
            )
        pos = _skip(text, pos + 1)
    if text[pos + 1 :].strip(" \t\n\r"):
        return "not a JSON export: text after the list of tasks"
    return None


def _long_integer(text: str, pos: int, number: int) -> str | None:
    """The message for the first integer in task ``number`` (from ``pos``) with more
    digits than Python reads."""
    limit = sys.get_int_max_str_digits()
    for found in _STRING_OR_NUMBER.finditer(text, pos):
        digits, fraction, exponent = found.groups()
        if (
            digits is not None
            and fraction is None
            and exponent is None
            and limit
            and len(digits) > limit
        ):
            return (
                f"task {number}: an integer of {len(digits):,} digits at character "
                f"{found.start()}, more than the {limit:,} digits Python reads"
            )
    return None


#: How the start of an export's list looks: the bytes between ``[`` and the first task's ``{``.
_LIST_START = re.compile(rb"[ \t\n\r]*\[([ \t\n\r]*)\{")


def export_parts(path: Path, size: int) -> list[Part]:
    """The export cut at task boundaries into parts of about ``size`` bytes, so that
    workers can each read parts of their own (:func:`iter_export` of a part). The cut is a
    search for one byte string, not a reading of the JSON: each part ends at the first
    boundary at least ``size`` bytes after its start.

    A boundary is where ``,`` + the bytes between the list's ``[`` and its first task's
    ``{`` + ``{`` appear, when those bytes hold a line break: JSON strings hold no raw
    line break, so in a file of one task a line, or indented as :func:`dumps` writes it,
    nothing but a boundary looks like that (a nested object is indented deeper). A file
    indented unevenly can still fool it; reading a part whose ends are not boundaries
    then fails, and the caller reads the file whole. Any other file is one part, as is a
    file shorter than ``size`` (or none at all: reading it says so).
    """
    whole = [WHOLE]
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
    return [Part(start, end) for start, end in zip(starts, [*ends, None], strict=True)]


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
    """Number of gold annotations (:func:`~frontline.gold.validate.gold_annotations`) in an
    export."""
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
                    f"{path}: the new export would lose {_amount(total)} (use --force to "
                    f"replace it anyway):\n{listing}"
                )
            had = gold_count(old)
            if had and not gold_count(tasks) and not allow_empty:
                raise ExportError(
                    f"{path}: the new export would lose {_amount(total)}, and it has no ground "
                    f"truth left (the committed one has {had}): refused even with --force; pass "
                    f"--force --allow-empty to write it anyway:\n{listing}"
                )
            note = (
                f"{path}: the new export loses {_amount(total)}; written anyway (--force):\n"
                f"{listing}"
            )
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


def no_gold_message(
    path: Any, keys: Sequence[tuple[str, object] | None], limit: int = NAMED
) -> str:
    """The build's error when no task of the gold export ``path`` has a ground truth:
    ``keys`` are the ``(doc id, task id)`` of its tasks (``None`` for a malformed one)."""
    tasks = [key for key in keys if key is not None]
    head = f"{path}: no task has a ground_truth annotation: nothing to release"
    if not tasks:
        return (
            f"{head}; the export has no task: run `frontline push`, annotate in Label Studio, "
            "then `frontline pull`"
        )
    named = ", ".join(f"doc {doc_id} task {task_id}" for doc_id, task_id in tasks[:limit])
    more = f" and {len(tasks) - limit} more" if len(tasks) > limit else ""
    return (
        f"{head}\n  without gold: {named}{more}\n  mark the annotation to release in each: "
        f"`frontline review` lists them and their annotations, `{ACCEPT}` marks one (TASK: a task "
        f"id or a doc id); then run {NEXT} again"
    )
