"""The annotation scheme: entity and relation labels, loaded from ``annotation/scheme.toml``.

This is the one place labels are declared. The Label Studio config
(:mod:`frontline.core.labelconfig`), the dataset's ``ClassLabel`` names and the IOB2 tag
list (:meth:`Scheme.iob2_tags`) are all derived from a :class:`Scheme`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from frontline.errors import FrontlineError

_NAME = re.compile(r"^[A-Z][A-Z_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class SchemeError(FrontlineError, ValueError):
    """The scheme file is malformed."""


@dataclass(frozen=True)
class EntityLabel:
    """An entity label: a span of text that names an actor or a place."""

    name: str
    description: str
    color: str
    hotkey: str


@dataclass(frozen=True)
class RelationLabel:
    """A directed relation label, head -> tail, between two mentions of one sentence;
    ``heads``/``tails`` are the entity labels its head and its tail may have."""

    name: str
    description: str
    color: str
    heads: tuple[str, ...]
    tails: tuple[str, ...]

    def allows(self, head: str, tail: str) -> bool:
        """Whether a ``head`` -> ``tail`` relation of this label joins allowed entity labels."""
        return head in self.heads and tail in self.tails


@dataclass(frozen=True)
class Scheme:
    """The whole scheme; label order is significant (it fixes ``ClassLabel`` ids)."""

    version: str
    instructions: str
    entities: tuple[EntityLabel, ...]
    relations: tuple[RelationLabel, ...]

    @property
    def entity_names(self) -> list[str]:
        return [label.name for label in self.entities]

    @property
    def relation_names(self) -> list[str]:
        return [label.name for label in self.relations]

    def iob2_tags(self) -> list[str]:
        """``["O", "B-PER", "I-PER", ...]`` in scheme order: the ``ner_tags`` names."""
        tags = ["O"]
        for name in self.entity_names:
            tags += [f"B-{name}", f"I-{name}"]
        return tags


def load_scheme(path: Path) -> Scheme:
    """Read and check a scheme file; raise :class:`SchemeError` naming the problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError(f"{path}: cannot read the scheme: {exc}") from exc
    try:
        entities = tuple(EntityLabel(**item) for item in raw["entity"])
        relations = tuple(_relation(item) for item in raw["relation"])
        scheme = Scheme(str(raw["version"]), str(raw["instructions"]), entities, relations)
    except (KeyError, TypeError) as exc:
        raise SchemeError(f"{path}: malformed scheme: {exc!r}") from exc
    _check(scheme, path)
    return scheme


def _relation(item: dict) -> RelationLabel:
    """A ``[[relation]]`` table; ``heads``/``tails`` become tuples."""
    return RelationLabel(**{**item, "heads": tuple(item["heads"]), "tails": tuple(item["tails"])})


def _check(scheme: Scheme, path: Path) -> None:
    labels = [*scheme.entities, *scheme.relations]
    names = [label.name for label in labels]
    problems = [f"duplicate label {n!r}" for n in sorted(set(names)) if names.count(n) > 1]
    problems += [f"label name {n!r} is not UPPER_CASE" for n in names if not _NAME.match(n)]
    problems += [
        f"{x.name}: colour {x.color!r} is not #rrggbb" for x in labels if not _COLOR.match(x.color)
    ]
    colors = [x.color.lower() for x in labels]
    problems += [f"colour {c} is used twice" for c in sorted(set(colors)) if colors.count(c) > 1]
    keys = [x.hotkey for x in scheme.entities]
    problems += [f"hotkey {k!r} is used twice" for k in sorted(set(keys)) if keys.count(k) > 1]
    known = set(scheme.entity_names)
    for x in scheme.relations:
        for ends, allowed in (("heads", x.heads), ("tails", x.tails)):
            if not allowed:
                problems.append(f"{x.name}: no {ends}")
            elif set(allowed) - known:
                problems.append(f"{x.name}: {ends} {sorted(set(allowed) - known)} are not labels")
    if not scheme.entities or not scheme.relations:
        problems.append("the scheme needs at least one entity and one relation label")
    if problems:
        raise SchemeError(f"{path}: " + "; ".join(problems))
