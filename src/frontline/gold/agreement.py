"""Inter-annotator agreement between two annotations of the same articles.

Agreement is computed as pairwise F1, treating one annotator as "gold" and the other as
"predicted" (F1 is symmetric, so the choice does not matter):

* entities, **strict**: same span (start, end) and same label; **partial**: overlapping
  spans with the same label, matched one to one (the benchmark's matcher, per label:
  :func:`frontline.eval.metrics.same_label_overlaps`);
* relations, **strict**: both spans exact, both entity labels and the relation label equal;
  **boundaries**: both spans exact and the relation label equal (entity labels ignored);
  **on shared mentions**: strict, counted only over relations whose two mentions both
  annotators marked with the same spans;
* Cohen's kappa (scikit-learn) on token labels, as the field reports it: every non-space
  token of the article (:func:`frontline.core.text.parse`) gets its IOB2 tag from each
  annotator (spaCy's ``offsets_to_biluo_tags``, then ``biluo_to_iob``), ``O`` included;
* Cohen's kappa on the labels of mentions both annotators marked with the same span, and the
  confusion matrix of those labels, with ``(none)`` for spans that only one annotator marked.

Rows are given for all articles, for all but the seed article, and for each annotation
batch (:func:`frontline.gold.sample.batch_of`).

The two annotators are read from the export: the authors of the tasks annotated twice
(ground-truth annotations, such as an adjudication, left out); annotator A made the first
annotation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import cohen_kappa_score
from spacy.training import biluo_to_iob, offsets_to_biluo_tags

from frontline.core.documents import Document, from_result
from frontline.core.markdown import markdown_table
from frontline.core.text import parse
from frontline.errors import FrontlineError
from frontline.eval.metrics import (
    Counts,
    count,
    entity_items,
    relation_items,
    same_label_overlaps,
)
from frontline.gold.sample import SEED_ARTICLE, batch_of

NONE = "(none)"


class AgreementError(FrontlineError):
    """The export does not say who the two annotators of the agreement sample are."""


def partial_counts(a: Document, b: Document) -> Counts:
    """Overlapping spans with the same label, matched one to one (``a`` as the gold)."""
    return same_label_overlaps(entity_items(a), entity_items(b))


def shared_relation_counts(a: Document, b: Document) -> Counts:
    """Strict relation counts over relations whose two mentions both annotators marked."""
    spans_a = {(e.start, e.end) for e in a.entities}
    spans_b = {(e.start, e.end) for e in b.entities}
    shared = spans_a & spans_b

    def keep(doc: Document) -> list[tuple]:
        return [
            item for item in relation_items(doc) if item[0][:2] in shared and item[1][:2] in shared
        ]

    return count(keep(a), keep(b))


def same_span_labels(a: Document, b: Document) -> list[tuple[str, str]]:
    """(label by a, label by b) for every span marked by at least one annotator."""
    la = {(e.start, e.end): e.label for e in a.entities}
    lb = {(e.start, e.end): e.label for e in b.entities}
    return [(la.get(span, NONE), lb.get(span, NONE)) for span in sorted({*la, *lb})]


def token_tags(doc: Document) -> list[str]:
    """The IOB2 tag of every non-space token of ``doc`` (character offsets, end exclusive)."""
    parsed = parse(doc.text)
    spans = [(e.start, e.end, e.label) for e in doc.entities]
    tags = biluo_to_iob(offsets_to_biluo_tags(parsed, spans))
    return [tag for token, tag in zip(parsed, tags, strict=True) if not token.is_space]


def _kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    if len({*(x for x, _ in pairs), *(y for _, y in pairs)}) < 2:
        return None
    return float(cohen_kappa_score([x for x, _ in pairs], [y for _, y in pairs]))


@dataclass(frozen=True)
class Agreement:
    """All agreement counts of one pair of annotations (or of a sum of pairs)."""

    entities_strict: Counts
    entities_partial: Counts
    entities_by_label: dict[str, Counts]
    relations_strict: Counts
    relations_boundaries: Counts
    relations_shared: Counts
    label_pairs: list[tuple[str, str]]
    token_pairs: list[tuple[str, str]]

    def __add__(self, other: Agreement) -> Agreement:
        labels = sorted({*self.entities_by_label, *other.entities_by_label})
        return Agreement(
            self.entities_strict + other.entities_strict,
            self.entities_partial + other.entities_partial,
            {
                lab: self.entities_by_label.get(lab, Counts())
                + other.entities_by_label.get(lab, Counts())
                for lab in labels
            },
            self.relations_strict + other.relations_strict,
            self.relations_boundaries + other.relations_boundaries,
            self.relations_shared + other.relations_shared,
            self.label_pairs + other.label_pairs,
            self.token_pairs + other.token_pairs,
        )

    def kappa(self) -> float | None:
        """Cohen's kappa over mentions both annotators marked with the same span."""
        return _kappa([(x, y) for x, y in self.label_pairs if NONE not in (x, y)])

    def token_kappa(self) -> float | None:
        """Cohen's kappa over the IOB2 tags of every non-space token (``O`` included)."""
        return _kappa(self.token_pairs)

    def confusion(self, labels: Sequence[str]) -> list[list[int]]:
        """Rows: annotator A's label (then ``(none)``); columns: annotator B's."""
        names = [*labels, NONE]
        pairs = Counter(self.label_pairs)
        return [[pairs[(x, y)] for y in names] for x in names]


EMPTY = Agreement(Counts(), Counts(), {}, Counts(), Counts(), Counts(), [], [])


def agreement(a: Document, b: Document, entity_labels: Sequence[str]) -> Agreement:
    """Agreement between two annotations of the same article."""
    return Agreement(
        count(entity_items(a), entity_items(b)),
        partial_counts(a, b),
        {lab: count(entity_items(a, lab), entity_items(b, lab)) for lab in entity_labels},
        count(relation_items(a), relation_items(b)),
        count(relation_items(a, labels=False), relation_items(b, labels=False)),
        shared_relation_counts(a, b),
        same_span_labels(a, b),
        list(zip(token_tags(a), token_tags(b), strict=True)),
    )


def disagreements(a: Document, b: Document) -> list[str]:
    """Human-readable differences between two annotations, for adjudication."""
    lines = []
    la = {(e.start, e.end): e for e in a.entities}
    lb = {(e.start, e.end): e for e in b.entities}
    for span in sorted({*la, *lb}):
        ea, eb = la.get(span), lb.get(span)
        text = (ea or eb).text
        if ea and eb and ea.label != eb.label:
            lines.append(f"label   [{span[0]}:{span[1]}] {text!r}: A {ea.label}, B {eb.label}")
        elif not eb:
            lines.append(f"only A  [{span[0]}:{span[1]}] {text!r} {ea.label}")
        elif not ea:
            lines.append(f"only B  [{span[0]}:{span[1]}] {text!r} {eb.label}")

    def rels(doc: Document) -> set[tuple]:
        return {
            (
                (doc.entities[r.head].start, doc.entities[r.head].end, doc.entities[r.head].text),
                (doc.entities[r.tail].start, doc.entities[r.tail].end, doc.entities[r.tail].text),
                r.label,
            )
            for r in doc.relations
        }

    ra, rb = rels(a), rels(b)
    for who, only in (("A", ra - rb), ("B", rb - ra)):
        for head, tail, label in sorted(only):
            lines.append(f"only {who}  {label} {head[2]!r}[{head[0]}] -> {tail[2]!r}[{tail[0]}]")
    return lines


def summary_of(report_text: str) -> str | None:
    """The summary paragraph of a report made by :func:`report` (None if it has none)."""
    match = re.search(r"<!-- summary -->\n(.*?)\n<!-- /summary -->", report_text, re.DOTALL)
    return match[1].strip() if match else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _f1s(x: Agreement) -> tuple[str, ...]:
    """The five F1 cells of a row: entities strict and partial; relations strict, boundaries and
    on shared mentions."""
    return tuple(
        _fmt(c.f1)
        for c in (
            x.entities_strict,
            x.entities_partial,
            x.relations_strict,
            x.relations_boundaries,
            x.relations_shared,
        )
    )


def _summary(per_doc: Mapping[str, Agreement], total: Agreement) -> str:
    batches = [_batch_summary(name, x) for name, x in _batches(per_doc).items()]
    return " ".join([_overall(per_doc, total), *batches])


def _batch_summary(name: str, per_doc: Mapping[str, Agreement]) -> str:
    t = sum(per_doc.values(), start=EMPTY)
    return (
        f"Batch {name} ({len(per_doc)} article{'s' * (len(per_doc) != 1)}): entities "
        f"{_fmt(t.entities_strict.f1)}, relations {_fmt(t.relations_strict.f1)} strict F1, "
        f"token kappa {_fmt(t.token_kappa())}."
    )


def _batches(per_doc: Mapping[str, Agreement]) -> dict[str, dict[str, Agreement]]:
    """The articles of ``per_doc`` by annotation batch (only batches with articles)."""
    found: dict[str, dict[str, Agreement]] = {}
    for d, x in sorted(per_doc.items()):
        found.setdefault(batch_of(d), {})[d] = x
    return dict(sorted(found.items()))


def _overall(per_doc: Mapping[str, Agreement], total: Agreement) -> str:
    return (
        f"On {len(per_doc)} double-annotated articles: entity agreement F1 "
        f"{_fmt(total.entities_strict.f1)} strict, {_fmt(total.entities_partial.f1)} partial; "
        f"relation agreement F1 {_fmt(total.relations_strict.f1)} strict, "
        f"{_fmt(total.relations_boundaries.f1)} boundaries, {_fmt(total.relations_shared.f1)} on "
        f"relations whose two mentions both annotators marked; Cohen's kappa on token labels "
        f"(IOB2) {_fmt(total.token_kappa())}, on the labels of same-span mentions "
        f"{_fmt(total.kappa())}."
    )


ARTICLE_HEADER = (
    "article",
    "entities strict F1",
    "entities partial F1",
    "relations strict F1",
    "relations boundaries F1",
    "relations on shared mentions F1",
    "mentions A / B",
    "relations A / B",
    "token kappa",
)


def _article_table(per_doc: Mapping[str, Agreement], total: Agreement, rest: Agreement) -> str:
    """One row per article (its F1s, then mentions and relations of A / B), then the totals."""
    rows: list[tuple[str, ...]] = []
    for doc, x in sorted(per_doc.items()):
        ents, rels = x.entities_strict, x.relations_strict
        rows.append(
            (
                doc,
                *_f1s(x),
                f"{ents.tp + ents.fn} / {ents.tp + ents.fp}",
                f"{rels.tp + rels.fn} / {rels.tp + rels.fp}",
                _fmt(x.token_kappa()),
            )
        )
    rows.append(("**all**", *_f1s(total), "", "", _fmt(total.token_kappa())))
    seed_note = "**all but the seed article** (its sentences are guideline examples)"
    rows.append((seed_note, *_f1s(rest), "", "", _fmt(rest.token_kappa())))
    for name, x in _batches(per_doc).items():
        batch = sum(x.values(), start=EMPTY)
        rows.append((f"**batch {name}**", *_f1s(batch), "", "", _fmt(batch.token_kappa())))
    return markdown_table(ARTICLE_HEADER, rows)


def _label_table(total: Agreement) -> str:
    rows = [(lab, c.tp, c.fn, c.fp, _fmt(c.f1)) for lab, c in total.entities_by_label.items()]
    return markdown_table(("label", "both", "only A", "only B", "F1"), rows)


def _matrix(total: Agreement, entity_labels: Sequence[str]) -> str:
    names = [*entity_labels, NONE]
    rows = [(x, *row) for x, row in zip(names, total.confusion(entity_labels), strict=True)]
    return markdown_table(("A \\ B", *names), rows)


def report(per_doc: dict[str, Agreement], entity_labels: Sequence[str], notes: str = "") -> str:
    """The Markdown agreement report (``annotation/agreement.md``)."""
    if not per_doc:
        return "# Inter-annotator agreement\n\nNo article has two annotations yet.\n"
    total = sum(per_doc.values(), start=EMPTY)
    rest = sum((x for d, x in per_doc.items() if d != SEED_ARTICLE), start=EMPTY)
    return "\n".join(
        [
            "# Inter-annotator agreement",
            "",
            "Generated by `frontline agreement` from the committed export: annotator A is "
            "`annotator-1` (first annotation), annotator B is `annotator-2` (blind second "
            "annotation). Definitions are in `frontline/gold/agreement.py`. Do not edit by hand; "
            "the analysis below comes from `annotation/agreement-notes.md`.",
            "",
            "<!-- summary -->",
            _summary(per_doc, total),
            "<!-- /summary -->",
            "",
            "## Per article",
            "",
            _article_table(per_doc, total, rest),
            "",
            "## Entities per label (strict)",
            "",
            _label_table(total),
            "",
            "## Label confusion on the same span",
            "",
            "Rows: annotator A's label; columns: annotator B's; `(none)`: the span was marked by "
            "only one of them.",
            "",
            _matrix(total, entity_labels),
            "",
            notes.strip(),
            "",
        ]
    )


def annotator_of(annotation: Mapping[str, Any]) -> str:
    """The account of an exported annotation: its e-mail, or the user id as text."""
    who = annotation.get("completed_by")
    return str(who.get("email", who.get("id"))) if isinstance(who, dict) else str(who)


def _kept(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The annotations of a task that were not cancelled."""
    return [a for a in task.get("annotations", []) if not a.get("was_cancelled")]


def annotators(tasks: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """The two annotators of the agreement sample, the one who annotated first first: the
    authors of the tasks with two or more annotations besides the ground truth (an adjudication
    is the ground truth). None if no task has two; :class:`AgreementError` if the authors are
    not exactly two accounts."""
    first: dict[str, int] = {}  # account -> its smallest annotation id in the sample
    where: dict[str, str] = {}  # account -> a doc id of the sample it annotated
    for task in tasks:
        blind = [a for a in _kept(task) if not a.get("ground_truth")]
        for ann in blind if len(blind) > 1 else []:
            who = annotator_of(ann)
            first[who] = min(first.get(who, ann["id"]), ann["id"])
            where.setdefault(who, str(task["data"]["doc_id"]))
    if not first:
        return None
    if len(first) != 2:
        found = ", ".join(f"{who} (doc {where[who]})" for who in sorted(first))
        raise AgreementError(
            f"the tasks annotated twice must be by the same two annotators, found {len(first)} "
            f"(ground-truth annotations left out): {found}"
        )
    one, two = sorted(first, key=first.__getitem__)
    return one, two


def annotation_pairs(tasks: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Document, Document]]:
    """Per doc id, the two annotators' Documents (see :func:`annotators`), for tasks that have
    both; empty if no task was annotated twice."""
    pair = annotators(tasks)
    if pair is None:
        return {}
    pairs = {}
    for task in tasks:
        by = {}
        for ann in _kept(task):
            who = annotator_of(ann)
            if who in pair:
                by[who] = from_result(task["data"]["doc_id"], task["data"]["text"], ann["result"])
        if all(who in by for who in pair):
            pairs[str(task["data"]["doc_id"])] = (by[pair[0]], by[pair[1]])
    return pairs
