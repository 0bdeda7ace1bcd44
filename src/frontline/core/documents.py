"""Annotated documents: entity mentions and relations, and their Label Studio form.

Shapes are declared once here and everything else (validation, the dataset, exports,
metrics) uses them. Offsets are character offsets into the article text, end exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from frontline.core.labelconfig import FROM_NAME, TO_NAME


@dataclass(frozen=True, order=True)
class Entity:
    """A mention: ``text[start:end]`` labelled ``label``; ``id`` is its Label Studio region id."""

    start: int
    end: int
    label: str
    text: str
    id: str


@dataclass(frozen=True, order=True)
class Relation:
    """A directed relation; ``head`` and ``tail`` index the document's entity list."""

    head: int
    tail: int
    label: str


@dataclass(frozen=True)
class Document:
    """The entities (sorted by offsets) and relations of one article."""

    doc_id: str
    text: str
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]


def region_result(entity: Entity) -> dict[str, Any]:
    """The Label Studio result item of one mention."""
    return {
        "id": entity.id,
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {
            "start": entity.start,
            "end": entity.end,
            "text": entity.text,
            "labels": [entity.label],
        },
    }


def relation_result(relation: Relation, entities: Sequence[Entity]) -> dict[str, Any]:
    """The Label Studio result item of one relation (head -> tail is ``direction: right``)."""
    return {
        "type": "relation",
        "from_id": entities[relation.head].id,
        "to_id": entities[relation.tail].id,
        "direction": "right",
        "labels": [relation.label],
    }


def to_result(doc: Document) -> list[dict[str, Any]]:
    """A Label Studio annotation ``result`` list for ``doc``."""
    return [
        *(region_result(e) for e in doc.entities),
        *(relation_result(r, doc.entities) for r in doc.relations),
    ]


def from_result(doc_id: str, text: str, result: Sequence[dict[str, Any]]) -> Document:
    """Read a *validated* Label Studio result (see :mod:`frontline.gold.validate`) as a Document.

    Relations drawn right-to-left in Label Studio (``direction: left``) are turned around,
    so ``head`` is always the actor the relation starts from.
    """
    regions = [r for r in result if r.get("type") == "labels"]
    entities = sorted(  # the dataclass order, with a key: comparing dataclasses is slow
        (
            Entity(
                r["value"]["start"],
                r["value"]["end"],
                r["value"]["labels"][0],
                r["value"]["text"],
                r["id"],
            )
            for r in regions
        ),
        key=lambda e: (e.start, e.end, e.label, e.text, e.id),
    )
    index = {e.id: i for i, e in enumerate(entities)}
    relations = []
    for r in result:
        if r.get("type") == "relation":
            head, tail = index[r["from_id"]], index[r["to_id"]]
            if r.get("direction") == "left":
                head, tail = tail, head
            relations.append(Relation(head, tail, r["labels"][0]))
    return Document(
        doc_id,
        text,
        tuple(entities),
        tuple(sorted(relations, key=lambda r: (r.head, r.tail, r.label))),
    )
