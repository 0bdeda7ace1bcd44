"""Prediction files for ``frontline evaluate``: a system's output, checked before it is scored.

One JSON object per line (JSON Lines), one line per document of the split scored::

    {"id": "wikinews-...", "entities": [{"start": 0, "end": 6, "label": "LOC"}],
     "relations": [{"head": 0, "tail": 1, "label": "ATTACKS"}]}

Offsets are character offsets into the document's text, end exclusive (as everywhere in
the project); ``head`` and ``tail`` index the line's own ``entities`` list; ``relations``
may be left out. Blank lines are skipped. Every problem of the file is reported at once,
naming the line, the document and the entity or relation; nothing is scored until the
whole file is right (a mention out of range would otherwise be scored as a wrong span,
and a missing document as a perfect one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from frontline.documents import Document, Entity, Relation
from frontline.scheme import Scheme


class PredictionError(ValueError):
    """A prediction file that cannot be scored; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _is_int(value: Any) -> bool:
    return type(value) is int  # not bool, not float


def entity_problems(item: Any, text: str, scheme: Scheme) -> list[str]:
    """What is wrong with one predicted mention of a document whose text is ``text``."""
    if not isinstance(item, dict):
        return [f"not an object: {item!r}"]
    start, end, label = item.get("start"), item.get("end"), item.get("label")
    problems = []
    if not (_is_int(start) and _is_int(end)):
        problems.append(f"start/end must be integers, not {start!r}/{end!r}")
    elif not 0 <= start < end <= len(text):
        problems.append(f"offsets [{start}:{end}] outside the text (length {len(text)}) or empty")
    if label not in scheme.entity_names:
        problems.append(f"unknown entity label {label!r}")
    return problems


def relation_problems(item: Any, entities: int, scheme: Scheme) -> list[str]:
    """What is wrong with one predicted relation of a line with ``entities`` mentions."""
    if not isinstance(item, dict):
        return [f"not an object: {item!r}"]
    head, tail, label = item.get("head"), item.get("tail"), item.get("label")
    problems = []
    if not (_is_int(head) and _is_int(tail) and 0 <= head < entities and 0 <= tail < entities):
        problems.append(f"head/tail {head!r}/{tail!r} must index the line's {entities} entities")
    if label not in scheme.relation_names:
        problems.append(f"unknown relation label {label!r}")
    return problems


def _known_id(row: Any, gold: Mapping[str, Document]) -> str | None:
    ident = row.get("id") if isinstance(row, dict) else None
    return ident if isinstance(ident, str) and ident in gold else None


def line_problems(row: dict[str, Any], text: str, scheme: Scheme) -> list[str]:
    """What is wrong with the entities and relations of one line, for a document ``text``."""
    entities, relations = row.get("entities"), row.get("relations", [])
    if not isinstance(entities, list) or not isinstance(relations, list):
        return [f"entities and relations must be lists, not {type(entities).__name__}/{type(relations).__name__}"]
    return [*(f"entity {k}: {m}" for k, e in enumerate(entities) for m in entity_problems(e, text, scheme)),
            *(f"relation {k}: {m}" for k, r in enumerate(relations)
              for m in relation_problems(r, len(entities), scheme))]


def to_line(doc: Document) -> dict[str, Any]:
    """The line of a predicted document (what :func:`read_predictions` reads back)."""
    return {"id": doc.doc_id,
            "entities": [{"start": e.start, "end": e.end, "label": e.label} for e in doc.entities],
            "relations": [{"head": r.head, "tail": r.tail, "label": r.label} for r in doc.relations]}


def to_document(row: Mapping[str, Any], text: str) -> Document:
    """A checked line as a :class:`Document` (entity ids are their places in the line)."""
    entities = tuple(Entity(e["start"], e["end"], e["label"], text[e["start"]:e["end"]], str(k))
                     for k, e in enumerate(row["entities"]))
    relations = tuple(Relation(r["head"], r["tail"], r["label"]) for r in row.get("relations", []))
    return Document(row["id"], text, entities, relations)


def read_predictions(path: Path, gold: Mapping[str, Document], scheme: Scheme) -> dict[str, Document]:
    """The predicted document of each gold document, from the JSON Lines file ``path``.

    Raises :class:`PredictionError` listing every problem: a line that is not JSON, not an
    object or not of a document of ``gold``; a second line of one document; an entity or
    relation that is malformed, out of range or not in the scheme; a gold document
    without a line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PredictionError([f"{path}: cannot read the predictions: {exc}"]) from None
    found: dict[str, Document] = {}
    line_of: dict[str, int] = {}  # the line of each document
    problems = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not JSON: {exc.msg} at column {exc.colno}")
            continue
        ident = _known_id(row, gold)
        if ident is None:
            problems.append(f"{path}:{number}: " + (f"id {row.get('id')!r} is not a document of the split scored"
                                                    if isinstance(row, dict) else
                                                    f"a line is a JSON object, not {type(row).__name__}"))
        elif ident in line_of:
            problems.append(f"{path}:{number}: a second line for document {ident} (the first is line {line_of[ident]})")
        else:
            line_of[ident] = number
            found_here = line_problems(row, gold[ident].text, scheme)
            problems += [f"{path}:{number}: document {ident}: {m}" for m in found_here]
            if not found_here:
                found[ident] = to_document(row, gold[ident].text)
    problems += [f"{path}: no prediction for document {d}" for d in sorted(set(gold) - set(line_of))]
    if problems:
        raise PredictionError(problems)
    return found
