"""Corpus statistics over the articles (counts only; annotation statistics come with the gold)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontline.core.articles import Article
from frontline.core.documents import Document
from frontline.core.markdown import markdown_table
from frontline.core.scheme import Scheme
from frontline.core.text import parse, sentence_spans, word_tokens
from frontline.errors import FrontlineError


class LintDecisionError(FrontlineError, ValueError):
    """A line of a lint decision file that does not have its fields."""


#: verdicts that leave nothing open: kept unannotated on purpose, or fixed in the gold
CLOSED = ("ok", "fixed")


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


@dataclass(frozen=True)
class LintDecisions:
    """The recorded review of the consistency lint (``annotation/lint/``): the verdict of each
    unannotated occurrence, keyed by (doc id, character offset, text), from ``decisions.tsv``,
    and of each string with several labels, keyed by text, from ``labels.tsv``."""

    occurrences: Mapping[tuple[str, int, str], str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


def read_lint_decisions(folder: Path) -> LintDecisions:
    """The decisions in ``folder`` (files that are absent hold none). ``decisions.tsv`` lines
    are ``doc id, offset, text, verdict, reason``; ``labels.tsv`` lines ``text, verdict,
    reason`` (tab-separated, no header)."""
    return LintDecisions(
        {(r[0], int(r[1]), r[2]): r[3] for r in _tsv_rows(folder / "decisions.tsv", 5)},
        {r[0]: r[1] for r in _tsv_rows(folder / "labels.tsv", 3)},
    )


def _tsv_rows(path: Path, width: int) -> list[list[str]]:
    if not path.is_file():
        return []
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise LintDecisionError(
                f"{path}:{number}: {len(row)} tab-separated fields, expected {width}"
            )
        if width == 5 and not row[1].isdigit():
            raise LintDecisionError(f"{path}:{number}: offset {row[1]!r} is not a number")
    return rows


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


def gold_report(
    documents: Sequence[Document],
    splits: dict[str, str],
    scheme: Scheme,
    preannotation: Sequence[str] | None = None,
    lint: LintDecisions | None = None,
) -> str:
    """The Markdown statistics report (``annotation/stats.md``); ``preannotation`` is the lines
    of the section on what pre-annotation saves
    (:func:`frontline.studio.preannotate.matches_table`), placed after the sentence counts;
    ``lint`` the recorded review of the lint (a hit without a decision is marked "not
    reviewed")."""
    lint = lint or LintDecisions()
    sections = [
        [
            "# Corpus statistics",
            "",
            "Generated by `frontline stats` from the gold in the committed export. Do not edit.",
        ],
        _split_section(documents, splits),
        _label_section(documents, scheme),
        _sentence_section(documents),
    ]
    if preannotation is not None:
        sections.append(list(preannotation))
    sections += [
        _pair_section(documents, scheme),
        _article_section(documents, splits),
        _mixed_label_section(documents, lint.labels),
        _unannotated_section(documents, lint.occurrences),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def trained_and_held_out(
    documents: Sequence[Document], splits: Mapping[str, str]
) -> tuple[int, int]:
    """How many of ``documents`` a pre-annotation model trains on (train) and is scored on
    (validation and test)."""
    n_train = sum(splits[d.doc_id] == "train" for d in documents)
    return n_train, sum(splits[d.doc_id] in ("validation", "test") for d in documents)


def _split_section(documents: Sequence[Document], splits: Mapping[str, str]) -> list[str]:
    by_split: dict[str, list[Document]] = {}
    for doc in documents:
        by_split.setdefault(splits[doc.doc_id], []).append(doc)
    rows = [
        (s, len(ds), sum(len(d.entities) for d in ds), sum(len(d.relations) for d in ds))
        for s, ds in sorted(by_split.items())
    ]
    return [
        "## Per split",
        "",
        markdown_table(("split", "articles", "mentions", "relations"), rows),
    ]


def _label_section(documents: Sequence[Document], scheme: Scheme) -> list[str]:
    ents = Counter(e.label for d in documents for e in d.entities)
    rels = Counter(r.label for d in documents for r in d.relations)
    rows = [(n, ents[n]) for n in scheme.entity_names] + [
        (n, rels[n]) for n in scheme.relation_names
    ]
    return ["## Per label", "", markdown_table(("label", "count"), rows)]


def _sentence_section(documents: Sequence[Document]) -> list[str]:
    per_sentence = []
    for doc in documents:
        for start, end in sentence_spans(parse(doc.text)):
            per_sentence.append(sum(start <= e.start and e.end <= end for e in doc.entities))
    rows = sorted(Counter(min(n, 10) for n in per_sentence).items())
    return [
        "## Mentions per sentence",
        "",
        f"{len(per_sentence)} sentences; mean {_mean(per_sentence):.2f}, "
        f"max {max(per_sentence, default=0)}; "
        f"sentences without mentions: {per_sentence.count(0)}.",
        "",
        markdown_table(("mentions in the sentence", "sentences"), rows),
    ]


def _pair_section(documents: Sequence[Document], scheme: Scheme) -> list[str]:
    pairs = Counter(
        (d.entities[r.head].label, d.entities[r.tail].label, r.label)
        for d in documents
        for r in d.relations
    )
    rows = [
        (head, tail, *row)
        for head in scheme.entity_names
        for tail in scheme.entity_names
        if any(row := [pairs[(head, tail, r)] for r in scheme.relation_names])
    ]
    return [
        "## Relation label by (head label, tail label)",
        "",
        markdown_table(("head", "tail", *scheme.relation_names), rows),
    ]


def _article_section(documents: Sequence[Document], splits: Mapping[str, str]) -> list[str]:
    rows = [(d.doc_id, splits[d.doc_id], len(d.entities), len(d.relations)) for d in documents]
    return [
        "## Per article",
        "",
        markdown_table(("article", "split", "mentions", "relations"), rows),
    ]


def _reviewed(verdicts: Sequence[str | None], where: str) -> str:
    """What the review says of the hits whose ``verdicts`` (None: no decision) are given."""
    n_decided = sum(v is not None for v in verdicts)
    if n_decided == len(verdicts):
        said = f"Every one has a decision in `{where}`, made by reading it against the guidelines."
    else:
        said = (
            f"{n_decided} have a decision in `{where}`, made by reading them against the "
            f"guidelines; {len(verdicts) - n_decided} have none yet and are marked *not reviewed*."
        )
    errors = Counter(v for v in verdicts if v is not None and v not in CLOSED)
    if errors:
        found = ", ".join(f"{n} *{verdict}*" for verdict, n in sorted(errors.items()))
        said += f" Found and not yet fixed in the gold (marked): {found}."
    return said


def _mark(verdict: str | None) -> str:
    """Nothing after a hit kept on purpose ("ok") or fixed; otherwise its verdict, or *not
    reviewed*."""
    return "" if verdict in CLOSED else f" *{verdict or 'not reviewed'}*"


def _mixed_label_section(documents: Sequence[Document], decisions: Mapping[str, str]) -> list[str]:
    mixed = label_inconsistencies(documents)
    verdicts = [decisions.get(text) for text, _ in mixed]
    return [
        "## Lint: one string, several labels",
        "",
        f"{len(mixed)} string(s). {_reviewed(verdicts, 'annotation/lint/labels.tsv')}",
        "",
        *(
            f"- {text!r}: "
            + "; ".join(f"{lab} in {', '.join(ids)}" for lab, ids in by.items())
            + _mark(verdict)
            for (text, by), verdict in zip(mixed, verdicts, strict=True)
        ),
    ]


def _unannotated_section(
    documents: Sequence[Document], decisions: Mapping[tuple[str, int, str], str]
) -> list[str]:
    missing = unannotated_occurrences(documents)
    texts = {d.doc_id: d.text for d in documents}
    verdicts = [decisions.get((doc_id, offset, text)) for text, doc_id, offset in missing]
    return [
        "## Lint: annotated in one place, not annotated elsewhere",
        "",
        f"{len(missing)} occurrence(s) of an annotated string that are not annotated and not "
        f"inside an annotated span. "
        f"{_reviewed(verdicts, 'annotation/lint/decisions.tsv')} The guidelines "
        'section "Consistency lint" explains, by category, why such hits stay unannotated.',
        "",
        *(
            f"- {text!r} in {doc_id} at {offset}: "
            f'"...{texts[doc_id][max(0, offset - 30) : offset + len(text) + 30]}..."'.replace(
                "\n", " "
            )
            + _mark(verdict)
            for (text, doc_id, offset), verdict in zip(missing, verdicts, strict=True)
        ),
    ]
