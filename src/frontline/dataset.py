"""The Hugging Face dataset: rows, features and splits, derived from the gold documents.

Three configs, all with character offsets end exclusive into the article text:

* ``documents`` (default): one row per article, with sentences, entities and relations;
* ``ner``: one row per sentence, tokens and IOB2 ``ner_tags``, each token's offsets;
* ``relations``: one row per sentence in the layout of ``DFKI-SLT/conll04``: ``tokens``,
  ``entities`` (``start``/``end`` token offsets, end exclusive, ``type``) and ``relations``
  (``head``/``tail`` indexing ``entities``, ``type``), plus ``doc_id`` and ``sent_id``.

Tokens and sentences come from :mod:`frontline.text`; a mention that does not start and
end on token boundaries is an error (:class:`AlignmentError`), never dropped.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datasets import ClassLabel, Features, List, Value
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.tokens import Doc

from frontline.articles import Article
from frontline.documents import Document, Entity, Relation
from frontline.sample import SEED_ARTICLE
from frontline.scheme import Scheme
from frontline.text import shared_parse, shared_sentences

CONFIGS = ("documents", "ner", "relations")
SPLITS = ("train", "validation", "test")
SPLIT_SEED = 13
N_TEST, N_VALIDATION = 8, 8


class AlignmentError(ValueError):
    """Mentions that do not align with token boundaries; ``problems`` names each."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def assign_splits(doc_ids: Sequence[str], seed: int = SPLIT_SEED) -> dict[str, str]:
    """Split by whole article: the seed article and ``N_TEST`` others are ``test``,
    ``N_VALIDATION`` are ``validation``, the rest ``train``.

    The others are drawn by shuffling the sorted ids with ``random.Random(seed)``. The
    assignment is made over *all* articles, annotated or not, so an article keeps its
    split when more gold arrives.
    """
    others = sorted(d for d in doc_ids if d != SEED_ARTICLE)
    random.Random(seed).shuffle(others)
    split = {d: "test" for d in others[:N_TEST]}
    split.update({d: "validation" for d in others[N_TEST:N_TEST + N_VALIDATION]})
    split.update({d: "train" for d in others[N_TEST + N_VALIDATION:]})
    if SEED_ARTICLE in doc_ids:
        split[SEED_ARTICLE] = "test"
    return split


def features(scheme: Scheme) -> dict[str, Features]:
    """The typed features of each config, derived from the scheme."""
    span = {"start": Value("int32"), "end": Value("int32")}
    return {
        "documents": Features({
            "id": Value("string"), "title": Value("string"), "date": Value("string"),
            "url": Value("string"), "license": Value("string"), "attribution": Value("string"),
            "text": Value("string"),
            "sentences": List(dict(span)),
            "entities": List({"id": Value("string"), **span,
                              "label": ClassLabel(names=scheme.entity_names), "text": Value("string")}),
            "relations": List({"head": Value("int32"), "tail": Value("int32"),
                               "label": ClassLabel(names=scheme.relation_names)}),
        }),
        "ner": Features({
            "id": Value("string"), "doc_id": Value("string"), "sent_id": Value("int32"),
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=scheme.iob2_tags())),
            "token_starts": List(Value("int32")), "token_ends": List(Value("int32")),
        }),
        "relations": Features({
            "id": Value("string"), "doc_id": Value("string"), "sent_id": Value("int32"),
            "tokens": List(Value("string")),
            "entities": List({**span, "type": Value("string")}),
            "relations": List({"head": Value("int32"), "tail": Value("int32"), "type": Value("string")}),
        }),
    }


@dataclass(frozen=True)
class Rows:
    """The rows of one article in each config."""

    documents: dict[str, Any]
    ner: list[dict[str, Any]]
    relations: list[dict[str, Any]]


def _token_span(doc: Doc, start: int, end: int, where: str, problems: list[str]) -> tuple[int, int] | None:
    span = doc.char_span(start, end)
    if span is None:
        wide = doc.char_span(start, end, alignment_mode="expand")
        tokens = [t.text for t in wide] if wide is not None else []
        problems.append(f"{where}: [{start}:{end}] {doc.text[start:end]!r} does not start and end on "
                        f"token boundaries (tokens there: {tokens})")
        return None
    return span.start, span.end


def iob2_tags(n_tokens: int, spans: Sequence[tuple[int, int]], labels: Sequence[str]) -> list[str]:
    """IOB2 tags of ``n_tokens`` tokens from non-overlapping token spans (end exclusive).

    What ``biluo_to_iob(offsets_to_biluo_tags(...))`` gives for aligned mentions, without
    re-deriving the alignment that :func:`_token_span` has already checked.

    >>> iob2_tags(4, [(1, 3)], ["GPE"])
    ['O', 'B-GPE', 'I-GPE', 'O']
    """
    tags = ["O"] * n_tokens
    for (start, end), label in zip(spans, labels):
        tags[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
    return tags


def _by_sentence(sentences: Sequence[tuple[int, int]], gold: Document) -> tuple[list[list[int]], list[list[Relation]]]:
    """The entities (indices) and the relations inside each sentence, in document order."""
    starts = [start for start, _ in sentences]
    where: list[int | None] = []
    for e in gold.entities:
        s = bisect_right(starts, e.start) - 1
        where.append(s if s >= 0 and e.end <= sentences[s][1] else None)
    entities: list[list[int]] = [[] for _ in sentences]
    relations: list[list[Relation]] = [[] for _ in sentences]
    for i, s in enumerate(where):
        if s is not None:
            entities[s].append(i)
    for r in gold.relations:
        if where[r.head] is not None and where[r.head] == where[r.tail]:
            relations[where[r.head]].append(r)
    return entities, relations


def article_rows(article: Article, gold: Document) -> Rows:
    """All rows of one article; :class:`AlignmentError` if a mention does not align."""
    doc = shared_parse(article.text)
    sentences = shared_sentences(article.text)
    problems: list[str] = []
    token_spans = [_token_span(doc, e.start, e.end, f"doc {article.id} entity {e.id} ({e.label})", problems)
                   for e in gold.entities]
    if problems:
        raise AlignmentError(problems)
    spans = [span for span in token_spans if span is not None]
    tags = iob2_tags(len(doc), spans, [e.label for e in gold.entities])
    # the non-space tokens: doc index, start, end (read from arrays, not Token objects)
    words = [(i, idx, idx + length) for i, (idx, length, space) in
             enumerate(doc.to_array([IDX, LENGTH, IS_SPACE]).tolist()) if not space]
    starts = [start for _, start, _ in words]
    rank = {i: k for k, (i, _, _) in enumerate(words)}
    text = article.text
    document = {
        "id": article.id, "title": article.title, "date": article.date, "url": article.url,
        "license": article.license, "attribution": article.attribution, "text": text,
        "sentences": [{"start": s, "end": e} for s, e in sentences],
        "entities": [{"id": e.id, "start": e.start, "end": e.end, "label": e.label, "text": e.text}
                     for e in gold.entities],
        "relations": [{"head": r.head, "tail": r.tail, "label": r.label} for r in gold.relations],
    }
    inside, relations = _by_sentence(sentences, gold)
    ner, rel = [], []
    for sent_id, (s_start, s_end) in enumerate(sentences):
        lo, hi = bisect_left(starts, s_start), bisect_left(starts, s_end)
        sentence = words[lo:hi]
        row_id = f"{article.id}-{sent_id:03d}"
        tokens = [text[start:end] for _, start, end in sentence]
        ner.append({"id": row_id, "doc_id": article.id, "sent_id": sent_id, "tokens": tokens,
                    "ner_tags": [tags[i] for i, _, _ in sentence],
                    "token_starts": [start for _, start, _ in sentence],
                    "token_ends": [end for _, _, end in sentence]})
        local = {i: k for k, i in enumerate(inside[sent_id])}
        rel.append({
            "id": row_id, "doc_id": article.id, "sent_id": sent_id, "tokens": tokens,
            "entities": [{"start": rank[spans[i][0]] - lo, "end": rank[spans[i][1] - 1] - lo + 1,
                          "type": gold.entities[i].label} for i in inside[sent_id]],
            "relations": [{"head": local[r.head], "tail": local[r.tail], "type": r.label}
                          for r in relations[sent_id]],
        })
    return Rows(document, ner, rel)


def document_from_row(row: Mapping[str, Any], entity_names: Sequence[str],
                      relation_names: Sequence[str]) -> Document:
    """A ``documents`` row (labels as ClassLabel ids, as ``datasets`` returns them) -> Document."""
    entities = tuple(Entity(e["start"], e["end"], entity_names[e["label"]], e["text"], e["id"])
                     for e in row["entities"])
    relations = tuple(Relation(r["head"], r["tail"], relation_names[r["label"]]) for r in row["relations"])
    return Document(row["id"], row["text"], entities, relations)
