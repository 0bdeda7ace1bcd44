"""Annotation sheets: a plain-text way for an annotator to write down a decided annotation.

An annotator who works through the API rather than the web interface writes one sheet per
article; ``frontline annotate`` checks it against the article and saves it in Label Studio
as that annotator's annotation. The format::

    doc: 000_2deeeecf94034bb2
    # comments start with '#'
    S0: [[BEIRUT]]GPE — [[Iraqi militias]]GROUP backed by [[Iran]]GPE have positioned ...
    R0: SUPPORTS Iran -> Iraqi militias
    R0: LOCATED_IN Iraqi militias -> Syria

``S<n>`` is sentence ``n`` of the article (``frontline sentences ID`` lists them); with the
markup removed it must equal that sentence exactly. ``[[mention]]LABEL`` marks a mention (a
mention inside square brackets of the text itself is written ``[[[mention]]LABEL]``).
``R<n>`` is a relation between two mentions of sentence ``n``, named by their text; add
``#2`` (``Assad#2``) for the second mention with that text in the sentence. Sentences with
nothing to annotate may be left out. Offsets are computed from the sentence positions,
so the annotator never types one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from frontline.core.documents import Document, Entity, Relation
from frontline.core.scheme import Scheme
from frontline.core.text import parse, sentence_spans
from frontline.errors import ProblemsError

_MENTION = re.compile(r"\[\[([^\[].*?)\]\]([A-Z_]+)")  # "[[[x]]PER]" marks "x" inside "[x]"
_LINE = re.compile(r"^(S|R)(\d+):\s?(.*)$")
_RELATION = re.compile(r"^([A-Z_]+)\s+(.+?)\s+->\s+(.+?)$")


class SheetError(ProblemsError, ValueError):
    """The sheet does not fit its article; ``problems`` name the line of each."""

    def __init__(self, path: str, problems: list[str]):
        super().__init__([f"{path}: {p}" for p in problems])


@dataclass(frozen=True)
class Sheet:
    doc_id: str
    sentences: dict[int, tuple[int, str]]  # sentence number -> (line number, marked-up text)
    relations: list[tuple[int, int, str]]  # (line number, sentence number, relation text)


def read_sheet(path: Path) -> Sheet:
    doc_id, sentences, relations, problems = None, {}, [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("doc:"):
            doc_id = line[4:].strip()
            continue
        match = _LINE.match(line)
        if not match:
            problems.append(f"line {number}: expected 'doc:', 'S<n>:' or 'R<n>:'")
        elif match[1] == "S":
            if int(match[2]) in sentences:
                problems.append(f"line {number}: sentence {match[2]} given twice")
            sentences[int(match[2])] = (number, match[3])
        else:
            relations.append((number, int(match[2]), match[3]))
    if doc_id is None:
        problems.append("no 'doc: ID' line")
    if problems:
        raise SheetError(str(path), problems)
    return Sheet(doc_id, sentences, relations)


def _mentions(
    number: int, marked: str, plain: str, offset: int, scheme: Scheme, problems: list[str]
) -> list[Entity]:
    entities, clean, last = [], [], 0
    for match in _MENTION.finditer(marked):
        clean.append(marked[last : match.start()])
        start = offset + sum(map(len, clean))
        if match[2] not in scheme.entity_names:
            problems.append(f"line {number}: unknown entity label {match[2]!r}")
        entities.append(Entity(start, start + len(match[1]), match[2], match[1], ""))
        clean.append(match[1])
        last = match.end()
    clean.append(marked[last:])
    if "".join(clean) != plain:
        problems.append(
            f"line {number}: without markup the line is not the sentence:\n"
            f"    sheet:    {''.join(clean)!r}\n    sentence: {plain!r}"
        )
    return entities


def _find(entities: list[Entity], name: str) -> int | None:
    surface, _, nth = name.partition("#")
    hits = [i for i, e in enumerate(entities) if e.text == surface]
    k = int(nth) - 1 if nth.isdigit() else 0
    return hits[k] if 0 <= k < len(hits) else None


def sheet_document(sheet: Sheet, text: str, scheme: Scheme, path: str = "sheet") -> Document:
    """The Document a sheet describes; :class:`SheetError` lists every mismatch."""
    spans = sentence_spans(parse(text))
    problems: list[str] = []
    by_sentence: dict[int, list[Entity]] = {}
    for n, (number, marked) in sorted(sheet.sentences.items()):
        if n >= len(spans):
            problems.append(f"line {number}: the article has {len(spans)} sentences, no S{n}")
            continue
        start, end = spans[n]
        by_sentence[n] = _mentions(number, marked, text[start:end], start, scheme, problems)
    entities = sorted(e for found in by_sentence.values() for e in found)
    ids = {e: f"e{i + 1:03d}" for i, e in enumerate(entities)}
    index = {e: i for i, e in enumerate(entities)}
    relations = []
    for number, n, body in sheet.relations:
        match = _RELATION.match(body)
        if not match:
            problems.append(f"line {number}: expected 'LABEL head -> tail'")
            continue
        label, head, tail = match.groups()
        if label not in scheme.relation_names:
            problems.append(f"line {number}: unknown relation label {label!r}")
        found = [_find(by_sentence.get(n, []), name) for name in (head, tail)]
        for name, hit in zip((head, tail), found, strict=True):
            if hit is None:
                problems.append(f"line {number}: no mention {name!r} in S{n}")
        if None not in found:
            h, t = (by_sentence[n][i] for i in found)
            relations.append(Relation(index[h], index[t], label))
    if len(set(relations)) != len(relations):
        problems.append("a relation is given twice")
    if problems:
        raise SheetError(path, problems)
    final = tuple(Entity(e.start, e.end, e.label, e.text, ids[e]) for e in entities)
    return Document(sheet.doc_id, text, final, tuple(sorted(relations)))


def document_sheet(doc: Document, header: str = "") -> str:
    """The sheet of ``doc`` (the inverse of :func:`sheet_document`): every sentence with a
    mention, marked up, then its relations, heads and tails named by their text (``#n`` for
    the n-th mention with that text in the sentence). ``header`` becomes ``#`` comment lines.

    >>> from frontline.core.documents import Document, Entity, Relation
    >>> text = "Iran backs Assad. Assad met Assad's allies."
    >>> ents = (Entity(0, 4, "GPE", "Iran", "a"), Entity(11, 16, "PER", "Assad", "b"))
    >>> print(document_sheet(Document("d", text, ents, (Relation(0, 1, "SUPPORTS"),))), end="")
    doc: d
    S0: [[Iran]]GPE backs [[Assad]]PER.
    R0: SUPPORTS Iran -> Assad
    """
    lines = [f"# {line}" for line in header.splitlines()] + [f"doc: {doc.doc_id}"]
    spans = sentence_spans(parse(doc.text))
    for n, (start, end) in enumerate(spans):
        inside = [i for i, e in enumerate(doc.entities) if start <= e.start < end]
        if not inside:
            continue
        marked, last = [], start
        for i in inside:
            e = doc.entities[i]
            marked += [doc.text[last : e.start], f"[[{e.text}]]{e.label}"]
            last = e.end
        lines.append(f"S{n}: " + "".join(marked) + doc.text[last:end])
        names = {i: _name(doc, inside, i) for i in inside}
        lines += [
            f"R{n}: {r.label} {names[r.head]} -> {names[r.tail]}"
            for r in doc.relations
            if r.head in names
        ]
    return "\n".join(lines) + "\n"


def _name(doc: Document, inside: list[int], i: int) -> str:
    """How a sheet names mention ``i`` of a sentence: its text, ``#n`` if not the first."""
    same = [j for j in inside if doc.entities[j].text == doc.entities[i].text]
    k = same.index(i) + 1
    return doc.entities[i].text if k == 1 else f"{doc.entities[i].text}#{k}"
