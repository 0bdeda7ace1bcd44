"""Corpus statistics over the articles (counts only; annotation statistics come with the gold)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from frontline.articles import Article
from frontline.text import parse, sentence_spans, word_tokens


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
    return ArticleCounts(article.id, article.date, article.license, len(article.text),
                         len(word_tokens(doc)), len(sentence_spans(doc)))


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
