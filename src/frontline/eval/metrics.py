"""Evaluation metrics, as counts first (per document), scores derived from the counts.

One count type, :class:`Counts`, serves the benchmark and inter-annotator agreement alike:
nervaluate's categories (correct, spurious, missed, incorrect, partial), with tp/fp/fn and
precision, recall and F1 derived from them, ``None`` where nothing was scored.

Entities: the four SemEval-2013 Task 9.1 schemes as nervaluate implements them (strict,
exact, partial, type), with nervaluate's greedy matching, so the numbers equal
nervaluate's on the same input (pinned by the tests). Spans are character offsets, end
exclusive. The same matcher, per label, matches the overlapping mentions of two
annotators (:func:`same_label_overlaps`).

Relations (Taillé et al. 2020, "Let's Stop Incorrect Comparisons in End-to-end Relation
Extraction!"): **strict**: both argument spans exact, both entity types and the relation
type right; **boundaries**: both spans exact and the relation type right, entity types
ignored. Direction counts report predictions that hold a gold relation reversed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from frontline.core.documents import Document

Span = tuple[int, int, str]  # start, end (exclusive), label
SCHEMES = ("strict", "exact", "partial", "type")
HALF_PARTIAL = ("partial", "type")  # the schemes that give a partial match half a point


@dataclass(frozen=True)
class Counts:
    """How the predicted items of one comparison matched the gold ones (nervaluate's categories).

    ``correct``: matched (a true positive); ``spurious``: predicted only; ``missed``: gold only;
    ``incorrect`` and ``partial``: a predicted item matched to a gold one with the wrong type or
    bounds (entity schemes only). The first three come first, so exact matching writes
    ``Counts(tp, fp, fn)``. Scores are derived, ``None`` where undefined: precision with nothing
    predicted, recall with nothing in the gold, F1 with neither.
    """

    correct: int = 0
    spurious: int = 0
    missed: int = 0
    incorrect: int = 0
    partial: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def actual(self) -> int:
        """Predicted items."""
        return self.correct + self.incorrect + self.partial + self.spurious

    @property
    def possible(self) -> int:
        """Gold items."""
        return self.correct + self.incorrect + self.partial + self.missed

    @property
    def tp(self) -> int:
        return self.correct

    @property
    def fp(self) -> int:
        return self.actual - self.correct

    @property
    def fn(self) -> int:
        return self.possible - self.correct

    def scores(self, half_partial: bool = False) -> tuple[float | None, float | None, float | None]:
        """Precision, recall, F1 (``None`` where undefined); a partial match counts half a point
        if ``half_partial`` (nervaluate's partial and type schemes), none otherwise."""
        hits = self.correct + (0.5 * self.partial if half_partial else 0)
        precision = hits / self.actual if self.actual else None
        recall = hits / self.possible if self.possible else None
        if precision is None or recall is None or not hits:
            return precision, recall, (0.0 if self.actual or self.possible else None)
        return precision, recall, 2 * precision * recall / (precision + recall)

    def prf(self, half_partial: bool = False) -> tuple[float, float, float]:
        """Precision, recall, F1 as the benchmark reports them: 0.0 where undefined (nervaluate's
        and seqeval's ``zero_division=0`` convention; a bootstrap needs a number)."""
        p, r, f = self.scores(half_partial)
        return (0.0 if p is None else p, 0.0 if r is None else r, 0.0 if f is None else f)

    @property
    def precision(self) -> float | None:
        """Precision with no credit for partial matches (``None`` if nothing was predicted)."""
        return self.scores()[0]

    @property
    def recall(self) -> float | None:
        """Recall with no credit for partial matches (``None`` if the gold is empty)."""
        return self.scores()[1]

    @property
    def f1(self) -> float | None:
        """F1 with no credit for partial matches (``None`` if both sides are empty)."""
        return self.scores()[2]


def count(gold: Iterable[Hashable], predicted: Iterable[Hashable]) -> Counts:
    """Exact matching of two multisets of hashable items: ``Counts(tp, fp, fn)``."""
    g, p = Counter(gold), Counter(predicted)
    tp = sum((g & p).values())
    return Counts(tp, sum(p.values()) - tp, sum(g.values()) - tp)


def entity_items(doc: Document, label: str | None = None) -> list[Span]:
    """The mentions of ``doc`` (of ``label`` only, if given) as (start, end, label)."""
    return [(e.start, e.end, e.label) for e in doc.entities if label in (None, e.label)]


def relation_items(doc: Document, *, labels: bool = True) -> list[tuple]:
    """The relations of ``doc`` as (head span, tail span, label); the spans carry their entity
    labels if ``labels``, else only (start, end)."""
    items = []
    for r in doc.relations:
        h, t = doc.entities[r.head], doc.entities[r.tail]
        if labels:
            head, tail = (h.start, h.end, h.label), (t.start, t.end, t.label)
        else:
            head, tail = (h.start, h.end), (t.start, t.end)
        items.append((head, tail, r.label))
    return items


def _overlaps(pred: Span, true: Span) -> bool:
    """nervaluate's test: overlap of at least 1 % of the true span."""
    overlap = min(pred[1], true[1]) - max(pred[0], true[0])
    return overlap > 0 and overlap * 100.0 / (true[1] - true[0]) >= 1.0


def _exact_hit(pred: Span, true: Span, scheme: str) -> bool:
    """Whether ``pred`` is correct for ``true`` on bounds alone: same span, and for the strict
    scheme the same label too (the type scheme never matches on bounds alone)."""
    same_span = (pred[0], pred[1]) == (true[0], true[1])
    if scheme == "strict":
        return same_span and pred[2] == true[2]
    return same_span and scheme in ("exact", "partial")


def _match(pred: Span, true: Sequence[Span], matched: set[int], scheme: str) -> tuple[str, int]:
    """nervaluate's match of one predicted span among the unmatched true ones: ("correct", i),
    ("near", i) for the first overlapping span that is not correct, or ("spurious", -1)."""
    hit, near, best = None, None, None
    for i, t in enumerate(true):
        if i in matched:
            continue
        if _exact_hit(pred, t, scheme):
            return "correct", i
        if not _overlaps(pred, t):
            continue
        if scheme == "type" and pred[2] == t[2]:
            distance = abs(pred[0] - t[0]) + abs(pred[1] - t[1])
            if best is None or distance < best:
                hit, best = i, distance
        elif near is None:
            near = i
    if hit is not None:
        return "correct", hit
    return ("near", near) if near is not None else ("spurious", -1)


def _greedy(true: Sequence[Span], pred: Sequence[Span], scheme: str) -> Counts:
    """nervaluate's greedy matching of ``pred`` (in order) to ``true`` under ``scheme``."""
    matched: set[int] = set()
    found: Counter[str] = Counter()
    for p in pred:
        kind, i = _match(p, true, matched, scheme)
        if kind == "near":
            kind = "partial" if scheme == "partial" else "incorrect"
        if i >= 0:
            matched.add(i)
        found[kind] += 1
    return Counts(
        correct=found["correct"],
        spurious=found["spurious"],
        missed=len(true) - len(matched),
        incorrect=found["incorrect"],
        partial=found["partial"],
    )


def entity_counts(
    true: Sequence[Span], pred: Sequence[Span], labels: Sequence[str]
) -> dict[str, dict[str, Counts]]:
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


def same_label_overlaps(true: Sequence[Span], pred: Sequence[Span]) -> Counts:
    """Overlapping spans with the same label, matched one to one: per label, the type scheme's
    matcher (each predicted span takes the nearest unmatched overlapping one)."""
    labels = sorted({s[2] for s in [*true, *pred]})
    return sum(
        (
            _greedy([s for s in true if s[2] == lab], [s for s in pred if s[2] == lab], "type")
            for lab in labels
        ),
        start=Counts(),
    )


def relation_counts(
    true: Document, pred: Document, labels: Sequence[str]
) -> dict[str, dict[str, Counts]]:
    """``counts[setting][label or "overall"]`` for one document; settings strict, boundaries."""
    out: dict[str, dict[str, Counts]] = {}
    for setting in ("strict", "boundaries"):
        t = relation_items(true, labels=setting == "strict")
        p = relation_items(pred, labels=setting == "strict")
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

    entities: dict[str, dict[str, Counts]] = field(default_factory=dict)
    relations: dict[str, dict[str, Counts]] = field(default_factory=dict)
    reversed: int = 0


def score_document(
    true: Document, pred: Document, entity_labels: Sequence[str], relation_labels: Sequence[str]
) -> DocScores:
    """The counts of one predicted document against its gold."""
    return DocScores(
        entity_counts(entity_items(true), entity_items(pred), entity_labels),
        relation_counts(true, pred, relation_labels),
        direction_errors(true, pred),
    )


def _add_into(target: dict[str, dict[str, Counts]], part: dict[str, dict[str, Counts]]) -> None:
    for setting, by in part.items():
        into = target.setdefault(setting, {})
        for key, c in by.items():
            into[key] = into.get(key, Counts()) + c


def total(docs: Iterable[DocScores]) -> DocScores:
    """The counts of several documents added up."""
    out = DocScores()
    for d in docs:
        _add_into(out.entities, d.entities)
        _add_into(out.relations, d.relations)
        out.reversed += d.reversed
    return out


def entity_f1(scores: DocScores, scheme: str = "strict", label: str = "overall") -> float:
    """Entity F1 of ``scheme`` (0.0 where undefined, as the benchmark reports it)."""
    return scores.entities[scheme][label].prf(scheme in HALF_PARTIAL)[2]


def relation_f1(scores: DocScores, setting: str = "strict", label: str = "overall") -> float:
    """Relation F1 of ``setting`` (0.0 where undefined, as the benchmark reports it)."""
    return scores.relations[setting][label].prf()[2]


def macro(values: Mapping[str, float]) -> float:
    """The mean of per-label scores (0.0 for no labels)."""
    return sum(values.values()) / len(values) if values else 0.0
