"""Prediction files for ``frontline evaluate``: a system's output, checked before it is scored.

One JSON object per line (JSON Lines), one line per document of the split scored::

    {"id": "wikinews-...", "entities": [{"start": 0, "end": 6, "label": "GROUP"}],
     "relations": [{"head": 0, "tail": 1, "label": "ATTACKS"}]}

Offsets are character offsets into the document's text, end exclusive (as everywhere in
the project); ``head`` and ``tail`` index the line's own ``entities`` list. ``entities`` and
``relations`` are both required (``[]`` for none). A label is a name of the scheme or its
integer ``ClassLabel`` id (the place of the name in the scheme, as ``datasets`` gives it).
Lines end at ``"\\n"`` only (a raw U+2028 inside a JSON string is part of the string); blank
lines are skipped. Every problem of the file is found at once, naming the line, the
document and the entity or relation; nothing is scored until the whole file is right (a
mention out of range would otherwise be scored as a wrong span, and a missing document as
a perfect one).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontline.core.documents import Document, Entity, Relation
from frontline.core.scheme import Scheme
from frontline.errors import ProblemsError

MAX_LISTED = 50  # problems listed in a message; the rest are counted


class PredictionError(ProblemsError, ValueError):
    """A prediction file that cannot be scored; ``problems`` lists everything wrong with it.

    The message lists at most :data:`MAX_LISTED` of them (see :func:`frontline.errors.capped`).
    """

    max_listed = MAX_LISTED


class _Object(dict):
    """A JSON object, with the keys its text repeats (json keeps the last value silently)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object(pairs)
    if len(out) < len(pairs):
        counts = Counter(k for k, _ in pairs)
        out.repeated = tuple(k for k in out if counts[k] > 1)
    return out


def _is_int(value: Any) -> bool:
    return type(value) is int  # not bool, not float


def _show(value: Any) -> str:
    """A value as the file spells it (JSON), cut short if long."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _what(value: Any) -> str:
    """``"a list"``, ``"a string"``, ...: what a JSON value is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return (
        "an object"
        if isinstance(value, dict)
        else "a list"
        if isinstance(value, list)
        else "a string"
    )


def _repeats(item: Any) -> list[str]:
    return [f'key "{k}" appears more than once' for k in getattr(item, "repeated", ())]


def label_problem(value: Any, names: Sequence[str], kind: str) -> str | None:
    """What is wrong with a label: a name in ``names`` or its index there (``kind``: entity or
    relation)."""
    if isinstance(value, str):
        return (
            None
            if value in names
            else f"unknown {kind} label {_show(value)} (the labels are {', '.join(names)})"
        )
    if _is_int(value):
        return (
            None
            if 0 <= value < len(names)
            else f"{kind} label id {value} is out of range (0 to {len(names) - 1})"
        )
    return f'"label" must be a label name or its integer id, found {_show(value)}'


def label_name(value: str | int, names: Sequence[str]) -> str:
    """The name of a checked label (an integer id is an index into ``names``)."""
    return names[value] if _is_int(value) else value


def _integer_problems(item: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """A missing or non-integer value of each of ``keys``."""
    return [
        f'no "{key}" key'
        if key not in item
        else f'"{key}" must be an integer, found {_show(item[key])}'
        for key in keys
        if not _is_int(item.get(key))
    ]


def entity_problems(item: Any, text: str, scheme: Scheme) -> list[str]:
    """What is wrong with one predicted mention of a document whose text is ``text``."""
    if not isinstance(item, dict):
        return [f"expected a JSON object, found {_what(item)}"]
    problems = _repeats(item) + _integer_problems(item, ("start", "end"))
    if _is_int(item.get("start")) and _is_int(item.get("end")):
        start, end = item["start"], item["end"]
        if start >= end:
            problems.append(f"span [{start}:{end}] is empty (start must be less than end)")
        elif start < 0 or end > len(text):
            problems.append(f"span [{start}:{end}] is outside the text (length {len(text)})")
    if "label" not in item:
        problems.append('no "label" key')
    elif (problem := label_problem(item["label"], scheme.entity_names, "entity")) is not None:
        problems.append(problem)
    return problems


def _entity_range(entities: int) -> str:
    return (
        "the line has no entities"
        if entities == 0
        else "the line's only entity is 0"
        if entities == 1
        else f"the line's entities are 0 to {entities - 1}"
    )


def relation_problems(item: Any, entities: int, scheme: Scheme) -> list[str]:
    """What is wrong with one predicted relation of a line with ``entities`` mentions."""
    if not isinstance(item, dict):
        return [f"expected a JSON object, found {_what(item)}"]
    problems = _repeats(item) + _integer_problems(item, ("head", "tail"))
    problems += [
        f"{key} {item[key]} is not an entity of the line ({_entity_range(entities)})"
        for key in ("head", "tail")
        if _is_int(item.get(key)) and not 0 <= item[key] < entities
    ]
    if _is_int(item.get("head")) and item.get("head") == item.get("tail"):
        problems.append(
            f"head and tail are the same entity ({item['head']}); a relation links two entities"
        )
    if "label" not in item:
        problems.append('no "label" key')
    elif (problem := label_problem(item["label"], scheme.relation_names, "relation")) is not None:
        problems.append(problem)
    return problems


def line_problems(row: Mapping[str, Any], text: str, scheme: Scheme) -> list[str]:
    """What is wrong with the entities and relations of one line, for a document ``text``."""
    problems = []
    for key in ("entities", "relations"):
        if key not in row:
            problems.append(f'no "{key}" key (it is required: use [] for none)')
        elif not isinstance(row[key], list):
            problems.append(f'"{key}" must be a list, found {_what(row[key])}')
    entities = row.get("entities")
    if not isinstance(entities, list):
        return problems
    first: dict[tuple[int, int, str], int] = {}  # the first entity of each (start, end, label)
    for k, item in enumerate(entities):
        found = entity_problems(item, text, scheme)
        problems += [f"entity {k}: {m}" for m in found]
        if not found:
            key = (item["start"], item["end"], label_name(item["label"], scheme.entity_names))
            if key in first:
                problems.append(
                    f"entity {k}: the same mention as entity {first[key]} "
                    f"([{key[0]}:{key[1]}] {key[2]})"
                )
            first.setdefault(key, k)
    relations = row.get("relations")
    if isinstance(relations, list):
        problems += [
            f"relation {k}: {m}"
            for k, r in enumerate(relations)
            for m in relation_problems(r, len(entities), scheme)
        ]
    return problems


def to_line(doc: Document) -> dict[str, Any]:
    """The line of a predicted document (what :func:`read_predictions` reads back)."""
    return {
        "id": doc.doc_id,
        "entities": [{"start": e.start, "end": e.end, "label": e.label} for e in doc.entities],
        "relations": [{"head": r.head, "tail": r.tail, "label": r.label} for r in doc.relations],
    }


def to_document(row: Mapping[str, Any], text: str, scheme: Scheme) -> Document:
    """A checked line as a :class:`Document` (entity ids are their places in the line; labels
    are names)."""
    entities = tuple(
        Entity(
            e["start"],
            e["end"],
            label_name(e["label"], scheme.entity_names),
            text[e["start"] : e["end"]],
            str(k),
        )
        for k, e in enumerate(row["entities"])
    )
    relations = tuple(
        Relation(r["head"], r["tail"], label_name(r["label"], scheme.relation_names))
        for r in row["relations"]
    )
    return Document(row["id"], text, entities, relations)


def _not_json(exc: json.JSONDecodeError) -> str:
    """``not JSON: expecting value at column 9`` (json's messages may end in "at" already)."""
    message = exc.msg[:1].lower() + exc.msg[1:]
    return f"not JSON: {message}{'' if message.endswith(' at') else ' at'} column {exc.colno}"


def _repeated_keys(row: Mapping[str, Any]) -> list[str]:
    """Each key repeated in an object of the line, except in its entities and relations (those
    are checked with them)."""
    problems = _repeats(row)

    def walk(value: Any, under: str) -> None:
        if isinstance(value, dict):
            problems.extend(f"{m} (under {under})" for m in _repeats(value))
        for child in (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        ):
            walk(child, under)

    for key, value in row.items():
        if key in ("entities", "relations") and isinstance(value, list):
            for item in value:
                for child in item.values() if isinstance(item, dict) else [item]:
                    walk(child, f'"{key}"')
        else:
            walk(value, f'"{key}"')
    return problems


def _read_lines(path: Path) -> list[str]:
    try:
        # not splitlines: a U+2028 may be inside a string
        return path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise PredictionError([f"{path}: cannot read the predictions: {exc}"]) from None


_UNREADABLE = object()  # the value of a line that is not JSON


def _parse(line: str) -> tuple[Any, list[str]]:
    """A line's JSON value and its problems as read (not JSON, repeated keys); the value is
    ``_UNREADABLE`` when the line cannot be read."""
    try:
        row = json.loads(line, object_pairs_hook=_object)
        return row, _repeated_keys(row) if isinstance(row, dict) else []
    except json.JSONDecodeError as exc:
        return _UNREADABLE, [_not_json(exc)]
    except RecursionError:
        return _UNREADABLE, ["cannot be read: arrays or objects nested too deeply"]
    except ValueError:  # Python's limit on the digits of an integer (sys.get_int_max_str_digits)
        limit = sys.get_int_max_str_digits()
        return _UNREADABLE, [f"cannot be read: a number of more than {limit} digits"]


@dataclass
class _Scan:
    """What the lines of a prediction file read so far hold (see :func:`read_predictions`)."""

    path: Path
    gold: Mapping[str, Document]
    scheme: Scheme
    split: str
    elsewhere: Mapping[str, str]
    found: dict[str, Document] = field(default_factory=dict)
    line_of: dict[str, int] = field(default_factory=dict)  # the line of each document
    problems: list[str] = field(default_factory=list)
    # (problem index, split) of the lines of another split's document
    wrong_split: list[tuple[int, str]] = field(default_factory=list)
    other_ids: int = 0  # lines with a string id not of the split

    def line(self, number: int, line: str) -> None:
        """Read line ``number``: its document, or its problems."""
        where = f"{self.path}:{number}"
        row, read = _parse(line)
        if row is _UNREADABLE:
            self.problems += [f"{where}: {m}" for m in read]
            return
        if not isinstance(row, dict):
            self.problems.append(f"{where}: expected a JSON object, found {_what(row)}")
            return
        ident = row.get("id")
        if isinstance(ident, str) and ident in self.gold:
            where += f": document {ident}"
        self.problems += [f"{where}: {m}" for m in read]
        if "id" not in row:
            self.problems.append(f'{where}: no "id" key')
        elif not isinstance(ident, str):
            self.problems.append(f'{where}: "id" must be a string, found {_show(ident)}')
        elif ident not in self.gold:
            self._not_of_the_split(where, ident)
        elif ident in self.line_of:
            first = self.line_of[ident]
            self.problems.append(
                f"{where}: a second line for this document (the first is line {first})"
            )
        else:
            self.line_of[ident] = number
            found_here = line_problems(row, self.gold[ident].text, self.scheme)
            self.problems += [f"{where}: {m}" for m in found_here]
            if not found_here:
                self.found[ident] = to_document(row, self.gold[ident].text, self.scheme)

    def _not_of_the_split(self, where: str, ident: str) -> None:
        self.other_ids += 1
        if ident not in self.elsewhere:
            self.problems.append(
                f"{where}: id {_show(ident)} is not a document of the {self.split} split"
            )
            return
        self.wrong_split.append((len(self.problems), self.elsewhere[ident]))
        self.problems.append(
            f"{where}: id {_show(ident)} is a document of the {self.elsewhere[ident]} split, "
            f"not of the {self.split} split scored"
        )

    def final_problems(self) -> list[str]:
        """Every problem of the file, once every line is read."""
        splits = {s for _, s in self.wrong_split}
        whole_file = self.other_ids == len(self.wrong_split) and len(splits) == 1
        if not self.line_of and self.other_ids and whole_file:
            # the whole file is of another split: one problem says so, not one per line
            (other,) = splits
            dropped = {k for k, _ in self.wrong_split}
            return [
                f"{self.path}: every id belongs to the {other} split, not to the {self.split} "
                f"split scored; use --split {other}",
                *(p for k, p in enumerate(self.problems) if k not in dropped),
            ]
        missing = sorted(set(self.gold) - set(self.line_of))
        return [*self.problems, *(f"{self.path}: no prediction for document {d}" for d in missing)]


def read_predictions(
    path: Path,
    gold: Mapping[str, Document],
    scheme: Scheme,
    split: str = "test",
    elsewhere: Mapping[str, str] | None = None,
) -> dict[str, Document]:
    """The predicted document of each gold document (of ``split``), from the JSON Lines file
    ``path``.

    ``elsewhere`` gives the split of the other documents of the corpus: a line of one of
    them says which split it is in, and a file whose ids all belong to one other split is
    refused with that split named.

    Raises :class:`PredictionError` listing every problem: a line that is not JSON, not an
    object, with a key twice, or not of a document of ``gold``; a second line of one
    document; a missing ``entities`` or ``relations`` key; an entity or relation that is
    malformed, out of range, not in the scheme, a repeated mention or a relation of a
    mention with itself; a gold document without a line.
    """
    scan = _Scan(path, gold, scheme, split, elsewhere or {})
    for number, line in enumerate(_read_lines(path), start=1):
        if line.strip():
            scan.line(number, line)
    problems = scan.final_problems()
    if problems:
        raise PredictionError(problems)
    return scan.found


def summary_text(summary: Mapping[str, Any]) -> str:
    """The scores of ``frontline evaluate`` (the record it prints with ``--json``) as a short
    table."""
    header = "{:<12} {:>9} {:>6} {:>6} {:>8}  {}"
    rows = []
    for part, settings in (
        ("entities", ("strict", "exact", "partial", "type")),
        ("relations", ("strict", "boundaries")),
    ):
        rows.append(header.format(part, "precision", "recall", "F1", "macro F1", "F1 95% CI"))
        for setting in settings:
            s = summary[part][setting]
            ci = s.get("f1_ci95")
            rows.append(
                header.format(
                    f"  {setting}",
                    f"{s['precision']:.3f}",
                    f"{s['recall']:.3f}",
                    f"{s['f1']:.3f}",
                    f"{s['macro_f1']:.3f}",
                    f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "",
                ).rstrip()
            )
    reversed_ = summary["relations"].get("reversed_direction")
    if reversed_ is not None:
        rows.append(f"relations predicted in the reverse direction: {reversed_}")
    return "\n".join(rows)
