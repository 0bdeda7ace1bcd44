"""Evaluation metrics, as counts first (per document), scores derived from the counts.

Entities: the four SemEval-2013 Task 9.1 schemes as nervaluate implements them (strict,
exact, partial, type), with nervaluate's greedy matching, so the numbers equal
nervaluate's on the same input (pinned by the tests). Spans are character offsets, end
exclusive.

Relations (Taillé et al. 2020, "Let's Stop Incorrect Comparisons in End-to-end Relation
Extraction!"): **strict**: both argument spans exact, both entity types and the relation
type right; **boundaries**: both spans exact and the relation type right, entity types
ignored. Direction counts report predictions that hold a gold relation reversed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from frontline.core.documents import Document
from frontline.gold.agreement import Counts, count, entity_items, relation_items

Span = tuple[int, int, str]  # start, end (exclusive), label
SCHEMES = ("strict", "exact", "partial", "type")


@dataclass(frozen=True)
class NerCounts:
    """nervaluate's categories: correct, incorrect, partial, missed, spurious."""

    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def __add__(self, other: NerCounts) -> NerCounts:
        return NerCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def prf(self, half_partial: bool) -> tuple[float, float, float]:
        """Precision, recall, F1 (0 where undefined, as nervaluate)."""
        actual = self.correct + self.incorrect + self.partial + self.spurious
        possible = self.correct + self.incorrect + self.partial + self.missed
        hits = self.correct + (0.5 * self.partial if half_partial else 0)
        p = hits / actual if actual else 0.0
        r = hits / possible if possible else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _overlaps(pred: Span, true: Span) -> bool:
    """nervaluate's test: overlap of at least 1 % of the true span."""
    overlap = min(pred[1], true[1]) - max(pred[0], true[0])
    return overlap > 0 and overlap * 100.0 / (true[1] - true[0]) >= 1.0


def _greedy(true: Sequence[Span], pred: Sequence[Span], scheme: str) -> NerCounts:
    matched: set[int] = set()
    correct = incorrect = partial = spurious = 0
    for p in pred:
        hit, near, best = None, None, None
        for i, t in enumerate(true):
            if i in matched:
                continue
            same_span = (p[0], p[1]) == (t[0], t[1])
            if (
                scheme == "strict"
                and same_span
                and p[2] == t[2]
                or scheme in ("exact", "partial")
                and same_span
            ):
                hit = i
                break
            if not _overlaps(p, t):
                continue
            if scheme == "type" and p[2] == t[2]:
                distance = abs(p[0] - t[0]) + abs(p[1] - t[1])
                if best is None or distance < best:
                    hit, best = i, distance
            elif near is None:
                near = i
        if hit is not None:
            matched.add(hit)
            correct += 1
        elif near is not None:
            matched.add(near)
            partial, incorrect = (
                (partial + 1, incorrect) if scheme == "partial" else (partial, incorrect + 1)
            )
        else:
            spurious += 1
    return NerCounts(correct, incorrect, partial, len(true) - len(matched), spurious)


def entity_counts(
    true: Sequence[Span], pred: Sequence[Span], labels: Sequence[str]
) -> dict[str, dict[str, NerCounts]]:
    """``counts[scheme][label or "overall"]`` for one document."""
    true = [s for s in true if s[2] in labels]
    pred = [s for s in pred if s[2] in labels]
    out = {scheme: {"overall": _greedy(true, pred, scheme)} for scheme in SCHEMES}
    for label in labels:
        t = [s for s in true if s[2] == label]
        p = [s for s in pred if s[2] == label]
        for scheme in SCHEMES:
            out[scheme][label] = _greedy(t, p, scheme)
    return out


def relation_counts(
    true: Document, pred: Document, labels: Sequence[str]
) -> dict[str, dict[str, Counts]]:
    """``counts[setting][label or "overall"]`` for one document; settings strict, boundaries."""
    out: dict[str, dict[str, Counts]] = {}
    for setting in ("strict", "boundaries"):
        t, p = (
            relation_items(true, labels=setting == "strict"),
            relation_items(pred, labels=setting == "strict"),
        )
        out[setting] = {"overall": count(t, p)}
        for label in labels:
            out[setting][label] = count(
                [x for x in t if x[2] == label], [x for x in p if x[2] == label]
            )
    return out


def direction_errors(true: Document, pred: Document) -> int:
    """Predicted relations that are a gold relation (same label, spans) turned around."""
    gold = {(h[:2], t[:2], lab) for h, t, lab in relation_items(true, labels=False)}
    return sum(
        (t[:2], h[:2], lab) in gold and (h[:2], t[:2], lab) not in gold
        for h, t, lab in relation_items(pred, labels=False)
    )


@dataclass
class DocScores:
    """All counts of one document: the unit of bootstrap resampling."""

    entities: dict[str, dict[str, NerCounts]] = field(default_factory=dict)
    relations: dict[str, dict[str, Counts]] = field(default_factory=dict)
    reversed: int = 0


def score_document(
    true: Document, pred: Document, entity_labels: Sequence[str], relation_labels: Sequence[str]
) -> DocScores:
    return DocScores(
        entity_counts(entity_items(true), entity_items(pred), entity_labels),
        relation_counts(true, pred, relation_labels),
        direction_errors(true, pred),
    )


def total(docs: Iterable[DocScores]) -> DocScores:
    out = DocScores()
    for d in docs:
        for scheme, by in d.entities.items():
            target = out.entities.setdefault(scheme, {})
            for key, c in by.items():
                target[key] = target.get(key, NerCounts()) + c
        for setting, by in d.relations.items():
            target = out.relations.setdefault(setting, {})
            for key, c in by.items():
                target[key] = target.get(key, Counts()) + c
        out.reversed += d.reversed
    return out


def entity_f1(scores: DocScores, scheme: str = "strict", label: str = "overall") -> float:
    return scores.entities[scheme][label].prf(scheme in ("partial", "type"))[2]


def relation_f1(scores: DocScores, setting: str = "strict", label: str = "overall") -> float:
    return scores.relations[setting][label].f1 or 0.0


def macro(values: Mapping[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0
