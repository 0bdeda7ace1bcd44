"""Corpus statistics over the articles (counts only; annotation statistics come with the gold)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from frontline.core.articles import Article
from frontline.core.documents import Document
from frontline.core.scheme import Scheme
from frontline.core.text import parse, sentence_spans, word_tokens

if TYPE_CHECKING:
    from frontline.studio.preannotate import Matches


@dataclass(frozen=True)
class ArticleCounts:
    """Size of one article: characters, tokens (no whitespace tokens) and sentences."""

    id: str
    date: str
    license: str
    chars: int
    tokens: int
    sentences: int


def count_article(article: Article) -> ArticleCounts:
    doc = parse(article.text)
    return ArticleCounts(
        article.id,
        article.date,
        article.license,
        len(article.text),
        len(word_tokens(doc)),
        len(sentence_spans(doc)),
    )


def summary_table(counts: Sequence[ArticleCounts]) -> str:
    """A plain-text summary: totals, date range, and articles per licence and per year."""
    lines = [
        f"articles   {len(counts):>8,}",
        f"sentences  {sum(c.sentences for c in counts):>8,}",
        f"tokens     {sum(c.tokens for c in counts):>8,}",
        f"characters {sum(c.chars for c in counts):>8,}",
    ]
    if counts:
        dates = sorted(c.date for c in counts)
        lines.append(f"dates      {dates[0]} to {dates[-1]}")
    lines.append("by licence:")
    for licence, n in sorted(Counter(c.license for c in counts).items()):
        lines.append(f"  {licence:<20} {n:>4}")
    lines.append("by year:")
    for year, n in sorted(Counter(c.date[:4] for c in counts).items()):
        lines.append(f"  {year:<20} {n:>4}")
    return "\n".join(lines)


# --- gold statistics and consistency lint ----------------------------------------------


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def label_inconsistencies(documents: Sequence[Document]) -> list[tuple[str, dict[str, list[str]]]]:
    """Surface strings annotated with more than one label: (text, {label: [doc ids]})."""
    found: dict[str, dict[str, set[str]]] = {}
    for doc in documents:
        for e in doc.entities:
            found.setdefault(e.text, {}).setdefault(e.label, set()).add(doc.doc_id)
    return [
        (text, {lab: sorted(ids) for lab, ids in sorted(by.items())})
        for text, by in sorted(found.items())
        if len(by) > 1
    ]


def unannotated_occurrences(documents: Sequence[Document]) -> list[tuple[str, str, int]]:
    """(text, doc id, offset) where a string annotated somewhere occurs on token boundaries
    but is neither annotated nor inside an annotated span."""
    surfaces = {e.text for d in documents for e in d.entities}
    hits = []
    for doc in documents:
        tokens = [t for t in parse(doc.text) if not t.is_space]
        starts = {t.idx for t in tokens}
        ends = {t.idx + len(t.text) for t in tokens}
        covered = [(e.start, e.end) for e in doc.entities]
        for surface in sorted(surfaces):
            begin = doc.text.find(surface)
            while begin != -1:
                end = begin + len(surface)
                inside = any(s <= begin and end <= e for s, e in covered)
                if begin in starts and end in ends and not inside:
                    hits.append((surface, doc.doc_id, begin))
                begin = doc.text.find(surface, begin + 1)
    return sorted(hits)


def _split_section(documents: Sequence[Document], splits: Mapping[str, str]) -> list[str]:
    by_split: dict[str, list[Document]] = {}
    for doc in documents:
        by_split.setdefault(splits[doc.doc_id], []).append(doc)
    rows = [
        f"| {s} | {len(ds)} | {sum(len(d.entities) for d in ds)} | "
        f"{sum(len(d.relations) for d in ds)} |"
        for s, ds in sorted(by_split.items())
    ]
    return [
        "## Per split",
        "",
        "| split | articles | mentions | relations |",
        "|---|---|---|---|",
    ] + rows


def _label_section(documents: Sequence[Document], scheme: Scheme) -> list[str]:
    ents = Counter(e.label for d in documents for e in d.entities)
    rels = Counter(r.label for d in documents for r in d.relations)
    lines = ["", "## Per label", "", "| label | count |", "|---|---|"]
    lines += [f"| {n} | {ents[n]} |" for n in scheme.entity_names]
    return lines + [f"| {n} | {rels[n]} |" for n in scheme.relation_names]


def _sentence_section(documents: Sequence[Document]) -> list[str]:
    per_sentence = []
    for doc in documents:
        for start, end in sentence_spans(parse(doc.text)):
            per_sentence.append(sum(start <= e.start and e.end <= end for e in doc.entities))
    lines = [
        "",
        "## Mentions per sentence",
        "",
        f"{len(per_sentence)} sentences; mean {_mean(per_sentence):.2f}, "
        f"max {max(per_sentence, default=0)}; sentences without mentions: "
        f"{per_sentence.count(0)}.",
        "",
    ]
    lines += ["| mentions in the sentence | sentences |", "|---|---|"]
    return lines + [
        f"| {k} | {v} |" for k, v in sorted(Counter(min(n, 10) for n in per_sentence).items())
    ]


def _preannotation_section(
    documents: Sequence[Document], splits: Mapping[str, str], preannotation: Mapping[str, Matches]
) -> list[str]:
    from frontline.studio.preannotate import matches_table  # it loads the models' libraries

    n_train = sum(splits[d.doc_id] == "train" for d in documents)
    n_held_out = sum(splits[d.doc_id] in ("validation", "test") for d in documents)
    return ["", *matches_table(dict(preannotation), n_train, n_held_out)]


def _relation_pair_section(documents: Sequence[Document], scheme: Scheme) -> list[str]:
    pairs = Counter(
        (d.entities[r.head].label, d.entities[r.tail].label, r.label)
        for d in documents
        for r in d.relations
    )
    lines = [
        "",
        "## Relation label by (head label, tail label)",
        "",
        "| head | tail | " + " | ".join(scheme.relation_names) + " |",
        "|---|---|" + "---|" * len(scheme.relation_names),
    ]
    for head in scheme.entity_names:
        for tail in scheme.entity_names:
            row = [pairs[(head, tail, r)] for r in scheme.relation_names]
            if any(row):
                lines.append(f"| {head} | {tail} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def _article_section(documents: Sequence[Document], splits: Mapping[str, str]) -> list[str]:
    lines = [
        "",
        "## Per article",
        "",
        "| article | split | mentions | relations |",
        "|---|---|---|---|",
    ]
    return lines + [
        f"| {d.doc_id} | {splits[d.doc_id]} | {len(d.entities)} | {len(d.relations)} |"
        for d in documents
    ]


def _lint_sections(documents: Sequence[Document]) -> list[str]:
    mixed = label_inconsistencies(documents)
    lines = [
        "",
        "## Lint: one string, several labels",
        "",
        f'{len(mixed)} string(s). Each was reviewed: the guidelines section "Consistency lint" '
        "explains those that keep two labels (same words, different referents).",
        "",
    ]
    lines += [
        f"- {text!r}: " + "; ".join(f"{lab} in {', '.join(ids)}" for lab, ids in by.items())
        for text, by in mixed
    ]
    missing = unannotated_occurrences(documents)
    lines += [
        "",
        "## Lint: annotated in one place, not annotated elsewhere",
        "",
        f"{len(missing)} occurrence(s) of an annotated string that are not annotated and not "
        "inside an annotated span. Every hit was reviewed (`annotation/lint/decisions.tsv`); the "
        'guidelines section "Consistency lint" explains, by category, why these stay unannotated.',
        "",
    ]
    texts = {d.doc_id: d.text for d in documents}
    return lines + [
        f"- {text!r} in {doc_id} at {offset}: "
        f'"...{texts[doc_id][max(0, offset - 30) : offset + len(text) + 30]}..."'.replace("\n", " ")
        for text, doc_id, offset in missing
    ]


def gold_report(
    documents: Sequence[Document],
    splits: dict[str, str],
    scheme: Scheme,
    preannotation: Mapping[str, Matches] | None = None,
) -> str:
    """The Markdown statistics report (``annotation/stats.md``); with ``preannotation`` (model
    name -> :func:`frontline.studio.preannotate.measure`'s counts), a section on what
    pre-annotation saves."""
    lines = [
        "# Corpus statistics",
        "",
        "Generated by `frontline stats` from the gold in the committed export. Do not edit.",
        "",
        *_split_section(documents, splits),
        *_label_section(documents, scheme),
        *_sentence_section(documents),
    ]
    if preannotation is not None:
        lines += _preannotation_section(documents, splits, preannotation)
    lines += _relation_pair_section(documents, scheme)
    lines += _article_section(documents, splits)
    lines += _lint_sections(documents)
    return "\n".join(lines) + "\n"
