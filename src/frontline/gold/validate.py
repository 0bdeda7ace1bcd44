"""Validation of Label Studio exports: Label Studio itself accepts malformed results.

Every problem names the doc id, task id, annotation (or prediction) id and region id
and says what is wrong. Nothing downstream (build, agreement, gold) reads an export that
has problems: it is refused whole, so nothing is dropped silently.

A mention must lie inside one sentence and must not start or end with whitespace (the
sentence-level configs of the dataset could not hold it otherwise); a relation joins two
mentions of one sentence (guidelines R1); region ids are strings; ``ground_truth`` and
``was_cancelled`` are booleans. The gold of a task is its one annotation marked
``ground_truth`` and not cancelled (:func:`gold_annotations`, which build uses too): two
such annotations, or one marked ``ground_truth`` but cancelled, are problems, so that what
validation passes, build neither refuses nor silently leaves out. Offsets count code
points; where an export's offsets read the right text only when counted in UTF-16 code
units (as JavaScript does, after an emoji), the problem says so.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from frontline.core.articles import Article, sha256_text
from frontline.core.labelconfig import FROM_NAME, TO_NAME
from frontline.core.scheme import Scheme
from frontline.core.text import shared_sentences
from frontline.errors import ProblemsError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an export, and where."""

    doc_id: str
    task_id: object
    where: str  # "annotation 12", "prediction 3" or "task"
    region: str  # region id, "" for the task or annotation as a whole
    message: str

    def __str__(self) -> str:
        region = f" region {self.region}" if self.region else ""
        return f"doc {self.doc_id} task {self.task_id} {self.where}{region}: {self.message}"


class ExportInvalid(ProblemsError, ValueError):
    """An export has problems; ``problems`` lists them all, each prefixed with the source."""

    def __init__(self, source: str, problems: Sequence[Problem]):
        header = f"{source}: {len(problems)} problem(s)"
        super().__init__([f"{source}: {p}" for p in problems], header)


@dataclass
class Sentences:
    """Where the sentences of one text start and end, found on first use: the results of
    one task's annotations and predictions share one (no cache outlives the task)."""

    text: str
    _found: tuple[list[int], list[int]] | None = field(default=None, init=False, repr=False)

    def spans(self) -> tuple[list[int], list[int]]:
        """The sentences' starts and their ends (:func:`~frontline.core.text.shared_sentences`)."""
        if self._found is None:
            spans = shared_sentences(self.text)
            self._found = [s for s, _ in spans], [e for _, e in spans]
        return self._found


class Flaw(Enum):
    """What a problem of a region leaves of its span, for the checks that use spans."""

    NO_SPAN = auto()  # no usable offsets: wrong from/to name, no value, not ints, outside the text
    SPACED = auto()  # the mention starts or ends with whitespace: not checked against sentences
    OTHER = auto()  # the span is usable (the label, the text or the id is wrong)


@dataclass(frozen=True)
class RegionProblem:
    """One thing wrong with a region, and what it leaves of its span."""

    flaw: Flaw
    message: str


def _sentence_of(starts: list[int], ends: list[int], start: int, end: int) -> int | None:
    """Index of the sentence that contains ``[start, end)``, or None if none does."""
    i = bisect_right(starts, start) - 1
    return i if i >= 0 and end <= ends[i] else None


def _utf16_hint(text: str, start: int, end: int, value_text: Any) -> str:
    """A hint when ``[start:end]`` reads ``value_text`` if counted in UTF-16 code units.

    Label Studio's browser code counts offsets in UTF-16 code units (JavaScript string
    indices); ours count code points. They differ after any character outside the BMP.
    """
    if not isinstance(value_text, str) or not any(ord(c) > 0xFFFF for c in text[:end]):
        return ""
    units = text.encode("utf-16-le", "surrogatepass")
    if units[2 * start : 2 * end].decode("utf-16-le", "replace") != value_text:
        return ""
    return (
        "; these offsets count UTF-16 code units (as JavaScript does), not code points: "
        f"the text has {sum(ord(c) > 0xFFFF for c in text[:start])} character(s) outside "
        "the BMP (such as emoji) before the mention"
    )


def _is_object(value: Any) -> bool:
    """Is ``value`` a JSON object (a dict, as decoded; any Mapping when made in code)?"""
    return type(value) is dict or isinstance(value, Mapping)


def _region_is_valid(item: Mapping[str, Any], text: str, labels: frozenset[str]) -> bool:
    """The common case, checked fast: a region :func:`_region_problems` finds nothing wrong
    with (it decides every other case)."""
    value = item.get("value")
    if (
        type(value) is not dict
        or item.get("from_name") != FROM_NAME
        or item.get("to_name") != TO_NAME
    ):
        return False
    start, end, names = value.get("start"), value.get("end"), value.get("labels")
    if not (
        type(start) is int
        and type(end) is int
        and 0 <= start < end <= len(text)
        and type(names) is list
        and len(names) == 1
        and type(names[0]) is str
        and names[0] in labels
    ):
        return False
    mention = text[start:end]
    return value.get("text") == mention and not mention[0].isspace() and not mention[-1].isspace()


def _region_problems(item: Mapping[str, Any], text: str, scheme: Scheme) -> list[RegionProblem]:
    """Everything wrong with one region but its id."""
    if item.get("from_name") != FROM_NAME or item.get("to_name") != TO_NAME:
        message = (
            f"from_name/to_name must be {FROM_NAME!r}/{TO_NAME!r}, "
            f"not {item.get('from_name')!r}/{item.get('to_name')!r}"
        )
        return [RegionProblem(Flaw.NO_SPAN, message)]
    value = item.get("value")
    if not _is_object(value):
        return [RegionProblem(Flaw.NO_SPAN, "value is missing")]
    start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not (type(start) is int and type(end) is int):
        message = f"start/end must be integers, not {start!r}/{end!r}"
        return [RegionProblem(Flaw.NO_SPAN, message)]
    problems = _span_problems(start, end, value.get("text"), text)
    if not isinstance(labels, list) or len(labels) != 1:
        problems.append(
            RegionProblem(Flaw.OTHER, f"a span needs exactly one label, has {labels!r}")
        )
    elif labels[0] not in scheme.entity_names:
        problems.append(RegionProblem(Flaw.OTHER, f"unknown entity label {labels[0]!r}"))
    return problems


def _span_problems(start: int, end: int, value_text: Any, text: str) -> list[RegionProblem]:
    """What is wrong with the offsets ``[start:end]`` of a region that says it reads
    ``value_text``: at most one problem."""
    if not 0 <= start < end <= len(text):
        hint = _utf16_hint(text, start, end, value_text) if 0 <= start < end else ""
        message = f"offsets [{start}:{end}] outside the text (length {len(text)}) or empty{hint}"
        return [RegionProblem(Flaw.NO_SPAN, message)]
    mention = text[start:end]
    if value_text != mention:
        hint = _utf16_hint(text, start, end, value_text)
        message = f"value.text {value_text!r} != text[{start}:{end}] {mention!r}{hint}"
        return [RegionProblem(Flaw.OTHER, message)]
    if mention != mention.strip():
        return [RegionProblem(Flaw.SPACED, f"mention {mention!r} starts or ends with whitespace")]
    return []


@dataclass
class _Regions:
    """The regions of one result seen so far: every id, the usable spans, the spans whose
    mention starts or ends with whitespace (reported already), and the known labels."""

    ids: set[str] = field(default_factory=set)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    spaced: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)


def result_problems(
    result: Any,
    text: str,
    scheme: Scheme,
    sentences: Sentences | None = None,
    gold: bool = True,
) -> list[tuple[str, str]]:
    """``(region id, message)`` for everything wrong in one annotation or prediction result;
    ``sentences`` are those of ``text`` when the caller has them (found here otherwise).
    ``gold``: also apply the rules of the released gold: mentions and relation ends inside one
    sentence, relations only between the entity labels the scheme allows. They hold for
    annotations; a model's pre-annotation (made with its own tokenization, perhaps an older
    splitter) may break them, and the annotator who starts from it fixes it."""
    if not isinstance(result, list):
        return [("", f"result must be a list, not {type(result).__name__}")]
    sentences = sentences or Sentences(text)
    problems: list[tuple[str, str]] = []
    seen = _Regions()
    relations = []
    labels = frozenset(scheme.entity_names)
    for number, item in enumerate(result):
        if not _is_object(item):
            problems.append(("", f"result item {number} is not an object"))
        elif item.get("type") == "labels":
            problems += _check_region(item, text, scheme, labels, seen)
        elif item.get("type") == "relation":
            relations.append(item)
        else:
            problems.append((str(item.get("id", "")), f"unknown result type {item.get('type')!r}"))
    problems += _overlap_problems(seen.spans)
    if gold:
        problems += _sentence_problems(
            {r: span for r, span in seen.spans.items() if r not in seen.spaced}, sentences
        )
    problems += _relation_problems(relations, seen, sentences, scheme, gold)
    return problems


def _check_region(
    item: Mapping[str, Any], text: str, scheme: Scheme, labels: frozenset[str], seen: _Regions
) -> list[tuple[str, str]]:
    """``(region id, message)`` for everything wrong with one region; the region joins
    ``seen``, its span too unless a problem leaves it no usable span."""
    raw_id = item.get("id", "")
    rid = str(raw_id)
    if (
        type(raw_id) is str
        and raw_id
        and raw_id not in seen.ids
        and _region_is_valid(item, text, labels)
    ):
        seen.ids.add(rid)
        seen.spans[rid] = (item["value"]["start"], item["value"]["end"])
        seen.labels[rid] = item["value"]["labels"][0]
        return []
    found = _region_problems(item, text, scheme)
    messages = [problem.message for problem in found]
    if not rid:
        messages.append("region has no id")
    elif not isinstance(raw_id, str):
        messages.append(f"region id must be a string, not {raw_id!r}")
    elif rid in seen.ids:
        messages.append("duplicate region id")
    if rid and rid not in seen.ids:
        seen.ids.add(rid)
        flaws = {problem.flaw for problem in found}
        if Flaw.NO_SPAN not in flaws:
            seen.spans[rid] = (item["value"]["start"], item["value"]["end"])
            if Flaw.SPACED in flaws:
                seen.spaced.add(rid)
    return [(rid, message) for message in messages]


def _sentence_problems(
    regions: Mapping[str, tuple[int, int]], sentences: Sentences
) -> list[tuple[str, str]]:
    """A mention lies inside one sentence: the dataset's sentence-level configs hold it there."""
    if not regions:
        return []
    starts, ends = sentences.spans()
    text = sentences.text
    problems = []
    for rid, (start, end) in regions.items():
        if _sentence_of(starts, ends, start, end) is None:
            i = bisect_right(starts, start) - 1
            where = (
                f"crosses the end of sentence {i} at offset {ends[i]}"
                if i >= 0 and start < ends[i]
                else "starts between two sentences"
            )
            problems.append(
                (
                    rid,
                    f"mention [{start}:{end}] {text[start:end]!r} is not inside one "
                    f"sentence: it {where}",
                )
            )
    return problems


def _overlap_problems(regions: Mapping[str, tuple[int, int]]) -> list[tuple[str, str]]:
    problems = []
    ordered = sorted(regions.items(), key=lambda kv: (kv[1], kv[0]))
    for (rid_a, (s_a, e_a)), (rid_b, (s_b, e_b)) in zip(ordered, ordered[1:], strict=False):
        if (s_a, e_a) == (s_b, e_b):
            problems.append((rid_b, f"duplicate span [{s_b}:{e_b}] (also region {rid_a})"))
        elif s_b < e_a:
            problems.append((rid_b, f"span [{s_b}:{e_b}] overlaps region {rid_a} [{s_a}:{e_a}]"))
    return problems


def _relation_problems(
    relations: Sequence[Mapping[str, Any]],
    seen: _Regions,
    sentences: Sentences,
    scheme: Scheme,
    gold: bool,
) -> list[tuple[str, str]]:
    """``(from->to, message)`` for everything wrong with the relations of one result."""
    ids, regions = seen.ids, seen.spans
    problems: list[tuple[str, str]] = []
    starts, ends = sentences.spans() if relations else ([], [])
    done = set()
    for rel in relations:
        head, tail, labels = rel.get("from_id"), rel.get("to_id"), rel.get("labels")
        where = f"{head}->{tail}"
        if not (isinstance(head, str) and isinstance(tail, str)):
            problems.append(
                (where, f"from_id/to_id must be region ids (strings), not {head!r}/{tail!r}")
            )
            continue
        missing = [r for r in (head, tail) if r not in ids]
        if missing:
            problems.append((where, f"relation to missing region(s) {missing}"))
            continue
        if head == tail:
            problems.append((where, "relation from a region to itself"))
        if rel.get("direction", "right") not in ("right", "left"):
            problems.append((where, f"relations are directed: direction {rel.get('direction')!r}"))
        if not isinstance(labels, list) or len(labels) != 1:
            problems.append((where, f"a relation needs exactly one label, has {labels!r}"))
        elif labels[0] not in scheme.relation_names:
            problems.append((where, f"unknown relation label {labels[0]!r}"))
        else:
            # the relation as read (documents.from_result): a left-drawn one is turned around
            key = (
                (tail, head, labels[0])
                if rel.get("direction") == "left"
                else (head, tail, labels[0])
            )
            if key in done:
                problems.append((where, f"duplicate relation {labels[0]} {key[0]}->{key[1]}"))
            done.add(key)
            if gold:
                problems += _type_problems(where, key, seen.labels, scheme)
        if not gold or head not in regions or tail not in regions:
            continue  # the region's own problem is reported already
        s_head = _sentence_of(starts, ends, *regions[head])
        s_tail = _sentence_of(starts, ends, *regions[tail])
        if s_head is None or s_tail is None:
            continue  # a mention across sentences is reported as the region's problem
        if s_head != s_tail:
            problems.append(
                (where, f"relation ends lie in different sentences ({s_head} and {s_tail})")
            )
    return problems


def _type_problems(
    where: str, key: tuple[str, str, str], labels: Mapping[str, str], scheme: Scheme
) -> list[tuple[str, str]]:
    """A relation whose head or tail has an entity label the scheme does not allow for it."""
    head, tail, name = key
    if head not in labels or tail not in labels:
        return []  # a region without a usable label is reported as the region's problem
    relation = next(x for x in scheme.relations if x.name == name)
    if relation.allows(labels[head], labels[tail]):
        return []
    return [
        (
            where,
            f"{name} may not join {labels[head]} -> {labels[tail]} "
            f"(heads {'/'.join(relation.heads)}; tails {'/'.join(relation.tails)}: "
            "annotation/scheme.toml)",
        )
    ]


def gold_annotations(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The annotations of a task that are its gold: marked ``ground_truth`` and not cancelled.

    The one rule of what is gold, for validation and build alike; a valid task has at most
    one (:func:`gold_problems`).
    """
    items = task.get("annotations")
    return (
        [
            a
            for a in items
            if isinstance(a, Mapping)
            and a.get("ground_truth") is True
            and a.get("was_cancelled") is not True
        ]
        if isinstance(items, list)
        else []
    )


def gold_problems(task: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(where, message)`` when the gold of a task is not clear: an annotation marked
    ``ground_truth`` but cancelled (build would not take it, and would leave the article
    out if it is the only one), or more than one gold annotation (build refuses those)."""
    items = task.get("annotations")
    problems = [
        (
            f"annotation {a.get('id', '?')}",
            "marked ground_truth but cancelled (was_cancelled: true): a cancelled annotation "
            "cannot be the gold; unmark ground_truth or restore the annotation",
        )
        for a in (items if isinstance(items, list) else [])
        if isinstance(a, Mapping)
        and a.get("ground_truth") is True
        and a.get("was_cancelled") is True
    ]
    gold = gold_annotations(task)
    if len(gold) > 1:
        problems.append(
            (
                "task",
                f"{len(gold)} ground_truth annotations "
                f"({', '.join(str(a.get('id')) for a in gold)}); adjudicate to exactly one",
            )
        )
    return problems


def task_problems(task: Any, articles: Mapping[str, Article], scheme: Scheme) -> list[Problem]:
    """Every problem of one exported task, its annotations and its predictions."""
    if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
        return [Problem("?", "?", "task", "", "not a task object with 'data'")]
    data, task_id = task["data"], task.get("id", "?")
    doc_id = str(data.get("doc_id", "?"))
    text = data.get("text")

    def at(where: str, region: str, message: str) -> Problem:
        return Problem(doc_id, task_id, where, region, message)

    if not isinstance(text, str):
        return [at("task", "", "data.text is missing")]
    article = articles.get(doc_id)
    if article is None:
        return [at("task", "", f"no article {doc_id!r} in seeds/")]
    if sha256_text(text) != article.sha256:
        return [
            at(
                "task",
                "",
                f"task text (sha256 {sha256_text(text)[:12]}...) no longer matches "
                f"the article (sha256 {article.sha256[:12]}...)",
            )
        ]
    problems = []
    sentences = Sentences(text)
    for kind in ("annotations", "predictions"):
        items = task.get(kind, [])
        if not isinstance(items, list):
            problems.append(at("task", "", f"{kind} must be a list"))
            continue
        for item in items:
            if not isinstance(item, Mapping):
                problems.append(at("task", "", f"an item of {kind} is not an object"))
                continue
            where = f"{kind[:-1]} {item.get('id', '?')}"
            problems += [
                at(where, "", f"{flag} must be true or false, not {item[flag]!r}")
                for flag in ("ground_truth", "was_cancelled")
                if flag in item and not isinstance(item[flag], bool)
            ]
            problems += [
                at(where, rid, msg)
                for rid, msg in result_problems(
                    item.get("result"), text, scheme, sentences, gold=kind == "annotations"
                )
            ]
    problems += [at(where, "", message) for where, message in gold_problems(task)]
    return problems


#: A task's ``(doc id, task id)`` (:func:`task_key`).
TaskKey = tuple[str, object]


def task_key(task: Any) -> TaskKey | None:
    """A task's ``(doc id, task id)``; None for a malformed task (``task_problems`` reports it)."""
    if not (isinstance(task, Mapping) and isinstance(task.get("data"), Mapping)):
        return None
    return str(task["data"].get("doc_id")), task.get("id", "?")


def duplicate_problems(key: TaskKey | None, seen: dict[str, object]) -> list[Problem]:
    """A second task of one article, for the :func:`task_key` of tasks taken in order;
    ``seen`` (doc id -> first task id) carries over between calls."""
    if key is None:
        return []
    doc_id, task_id = key
    if doc_id in seen:
        return [
            Problem(
                doc_id,
                task_id,
                "task",
                "",
                f"second task for this article (first: task {seen[doc_id]})",
            )
        ]
    seen[doc_id] = task_id
    return []


def iter_problems(
    tasks: Iterable[Any], articles: Mapping[str, Article], scheme: Scheme
) -> Iterator[Problem]:
    """The problems of the tasks of an export taken one at a time (a stream of them will do:
    nothing but the doc ids seen is kept), including a second task of one article."""
    seen: dict[str, object] = {}
    for task in tasks:
        yield from task_problems(task, articles, scheme)
        yield from duplicate_problems(task_key(task), seen)


def export_problems(tasks: Any, articles: Mapping[str, Article], scheme: Scheme) -> list[Problem]:
    """Problems of a whole export (a list of tasks), including duplicate tasks of one article."""
    if not isinstance(tasks, list):
        return [Problem("?", "?", "task", "", "an export must be a JSON list of tasks")]
    return list(iter_problems(tasks, articles, scheme))
