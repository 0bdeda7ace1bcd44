"""The Hugging Face dataset: rows, features and splits, derived from the gold documents.

Three configs; every offset is end exclusive (character offsets into the article text,
but token offsets within the sentence in ``relations``):

* ``documents`` (default): one row per article, with sentences, entities and relations;
* ``ner``: one row per sentence, tokens and IOB2 ``ner_tags``, each token's offsets, with
  ``doc_id`` (the ``documents`` row's ``id``), ``sent_id`` and ``orig_id``;
* ``relations``: one row per sentence with exactly the features of the Hugging Face dataset
  ``DFKI-SLT/conll04`` (:data:`CONLL04_FEATURES`, as its card declares them): ``entities``
  (``end``/``start`` token offsets, end exclusive, ``type``), ``tokens``, ``relations``
  (``head``/``tail`` indexing ``entities``, ``type``) and ``orig_id``, so that
  ``datasets.concatenate_datasets`` joins it with conll04. It has no other column:
  ``orig_id`` (:func:`sentence_ids`) is the stable number of the sentence, and the ``ner``
  row with the same ``orig_id`` (also the row at the same index of the same split) names
  its article and sentence.

``ner`` and ``relations`` hold the same sentences in the same order.

Tokens and sentences come from :mod:`frontline.core.text`; a mention that does not start and
end on token boundaries is an error (:class:`AlignmentError`), never dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from datasets import ClassLabel, Features, List, Value
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.tokens import Doc

from frontline.core.articles import Article
from frontline.core.documents import Document, Entity, Relation
from frontline.core.scheme import Scheme
from frontline.core.text import shared_parse, shared_sentences
from frontline.errors import ProblemsError
from frontline.release.columns import Column, Lists, Structs, record_batch, substrings

CONFIGS = ("documents", "ner", "relations")
# The released dataset's version: the card's changelog says what each one changed.
DATASET_VERSION = "1.2.1"


class AlignmentError(ProblemsError, ValueError):
    """Mentions that do not align with token boundaries; ``problems`` names each."""


#: The features of ``DFKI-SLT/conll04`` as its dataset card (README.md, ``dataset_info``)
#: declares them, in its order: the ``relations`` config has exactly these.
CONLL04_FEATURES = Features(
    {
        "entities": List({"end": Value("int64"), "start": Value("int64"), "type": Value("string")}),
        "tokens": List(Value("string")),
        "relations": List(
            {"head": Value("int64"), "tail": Value("int64"), "type": Value("string")}
        ),
        "orig_id": Value("int64"),
    }
)

#: ``orig_id`` keeps the sentence number in its low :data:`SENT_BITS` bits (an article of at
#: most ``MAX_TEXT_CHARS`` = 1,000,000 characters has fewer sentences than 2**20).
SENT_BITS = 20
_ARTICLE_BITS = 40  # of the article's hash: 60 bits in all, so orig_id fits int64


def features(scheme: Scheme) -> dict[str, Features]:
    """The typed features of each config, derived from the scheme."""
    span = {"start": Value("int32"), "end": Value("int32")}
    return {
        "documents": Features(
            {
                "id": Value("string"),
                "title": Value("string"),
                "date": Value("string"),
                "url": Value("string"),
                "license": Value("string"),
                "attribution": Value("string"),
                "text": Value("string"),
                "sentences": List(dict(span)),
                "entities": List(
                    {
                        "id": Value("string"),
                        **span,
                        "label": ClassLabel(names=scheme.entity_names),
                        "text": Value("string"),
                    }
                ),
                "relations": List(
                    {
                        "head": Value("int32"),
                        "tail": Value("int32"),
                        "label": ClassLabel(names=scheme.relation_names),
                    }
                ),
            }
        ),
        "ner": Features(
            {
                "id": Value("string"),
                "doc_id": Value("string"),
                "sent_id": Value("int32"),
                "orig_id": Value("int64"),
                "tokens": List(Value("string")),
                "ner_tags": List(ClassLabel(names=scheme.iob2_tags())),
                "token_starts": List(Value("int32")),
                "token_ends": List(Value("int32")),
            }
        ),
        "relations": CONLL04_FEATURES.copy(),
    }


def sentence_ids(doc_id: str, n: int) -> np.ndarray:
    """The ``orig_id`` of the ``n`` sentences of article ``doc_id``: the first 40 bits of
    ``sha256("frontline-sentence:" + doc_id)`` shifted left by :data:`SENT_BITS`, plus the
    sentence number. A number of the article and sentence alone, so it does not change when
    articles are added or the splits change.

    >>> ids = sentence_ids("tiny", 2)
    >>> (ids % 2**SENT_BITS).tolist(), bool(ids[0] >> SENT_BITS == int(
    ...     hashlib.sha256(b"frontline-sentence:tiny").hexdigest()[:10], 16))
    ([0, 1], True)
    """
    if n > 2**SENT_BITS:
        raise OverflowError(
            f"doc {doc_id}: {n} sentences, more than orig_id holds (2**{SENT_BITS})"
        )
    article = int(
        hashlib.sha256(f"frontline-sentence:{doc_id}".encode()).hexdigest()[: _ARTICLE_BITS // 4],
        16,
    )
    return (article << SENT_BITS) + np.arange(n, dtype=np.int64)


@dataclass(frozen=True)
class Rows:
    """The rows of one article in each config, as column pieces (:mod:`frontline.release.columns`)
    shaped after the config's schema, ClassLabel columns holding label ids as ``datasets``
    stores them; :meth:`batch` makes them a record batch."""

    sentences: int
    tokens: int  # words: tokens that are not whitespace
    documents: dict[str, Column]
    ner: dict[str, Column]
    relations: dict[str, Column]

    def of(self, config: str) -> dict[str, Column]:
        """The columns of ``config``."""
        return getattr(self, config)

    def batch(self, config: str, scheme: Scheme) -> pa.RecordBatch:
        """The rows of ``config`` as one record batch (the build writes many articles' rows
        at once through :class:`~frontline.release.streams.ArrowSink` instead)."""
        return record_batch([self.of(config)], encoding(scheme).schemas[config])


@dataclass(frozen=True)
class LabelIds:
    """The ids of the labels in the ClassLabel columns, as ``datasets`` stores them."""

    entity: dict[str, int]
    relation: dict[str, int]
    tag: dict[str, int]  # IOB2 tag -> id


def label_ids(scheme: Scheme) -> LabelIds:
    """The :class:`LabelIds` of ``scheme`` (a few microseconds: made for every article)."""
    return LabelIds(
        {n: i for i, n in enumerate(scheme.entity_names)},
        {n: i for i, n in enumerate(scheme.relation_names)},
        {n: i for i, n in enumerate(scheme.iob2_tags())},
    )


@dataclass(frozen=True)
class Encoding(LabelIds):
    """Each config's Arrow schema, and the ids of the labels in its ClassLabel columns."""

    schemas: dict[str, pa.Schema]


def encoding(scheme: Scheme) -> Encoding:
    """The :class:`Encoding` of ``scheme``'s :func:`features`: about half a millisecond, so
    made once by the caller (once per part of the build, for its Arrow files), not per row."""
    feats = features(scheme)
    ids = label_ids(scheme)
    return Encoding(
        ids.entity,
        ids.relation,
        ids.tag,
        {config: feats[config].arrow_schema for config in CONFIGS},
    )


def _token_spans(
    attrs: np.ndarray, doc: Doc, article_id: str, entities: Sequence[Entity]
) -> tuple[np.ndarray, np.ndarray]:
    """The first and the last token of each entity, from the ``(IDX, LENGTH, ...)`` rows of
    ``doc``'s tokens: what ``doc.char_span(start, end)`` gives (a token must start at
    ``start`` and one end at ``end``), for all entities at once. :class:`AlignmentError`
    names every mention that does not start and end on token boundaries.
    """
    token_starts, token_ends = attrs[:, 0], attrs[:, 0] + attrs[:, 1]
    starts = np.fromiter((e.start for e in entities), dtype=np.int64, count=len(entities))
    ends = np.fromiter((e.end for e in entities), dtype=np.int64, count=len(entities))
    first, last = np.searchsorted(token_starts, starts), np.searchsorted(token_ends, ends)
    found = (first < len(token_starts)) & (last < len(token_starts))
    if len(token_starts):
        aligned = (
            found
            & (token_starts[np.where(found, first, 0)] == starts)
            & (token_ends[np.where(found, last, 0)] == ends)
        )
    else:
        aligned = found
    if not aligned.all():
        raise AlignmentError(
            [
                _misaligned(doc, f"doc {article_id} entity {e.id} ({e.label})", e.start, e.end)
                for e, ok in zip(entities, aligned.tolist(), strict=True)
                if not ok
            ]
        )
    return first, last


def _misaligned(doc: Doc, where: str, start: int, end: int) -> str:
    wide = doc.char_span(start, end, alignment_mode="expand")
    tokens = [t.text for t in wide] if wide is not None else []
    return (
        f"{where}: [{start}:{end}] {doc.text[start:end]!r} does not start and end on "
        f"token boundaries (tokens there: {tokens})"
    )


def iob2_ids(
    n_tokens: int, first: np.ndarray, end: np.ndarray, labels: Sequence[str], tag: Mapping[str, int]
) -> np.ndarray:
    """IOB2 tag ids of ``n_tokens`` tokens from non-overlapping token spans
    ``[first[i], end[i])``, ``tag`` mapping each IOB2 tag to its id (:attr:`Encoding.tag`).

    What ``biluo_to_iob(offsets_to_biluo_tags(...))`` gives for aligned mentions, without
    re-deriving the alignment that :func:`_token_spans` has already checked. The inside
    tags are laid down as a running sum (each span adds its I id at its first token and
    takes it away after its last), then each span's first token gets its B id.

    >>> tags = {"O": 0, "B-GPE": 1, "I-GPE": 2, "B-ORG": 3, "I-ORG": 4}
    >>> iob2_ids(6, np.array([1, 3]), np.array([3, 4]), ["GPE", "ORG"], tags).tolist()
    [0, 1, 2, 3, 0, 0]
    """
    inside = np.array([tag[f"I-{label}"] - tag["O"] for label in labels], dtype=np.int64)
    steps = np.zeros(n_tokens + 1, dtype=np.int64)
    steps[first] += inside  # the first tokens are all different, and so are the ends
    steps[end] -= inside
    ids = np.cumsum(steps[:-1]) + tag["O"]
    ids[first] = [tag[f"B-{label}"] for label in labels]
    return ids


def _sentences_of(
    sentences: Sequence[tuple[int, int]],
    article_id: str,
    entities: Sequence[Entity],
    relations: Sequence[Relation],
) -> np.ndarray:
    """The sentence of each entity; :class:`AlignmentError` for an entity that is not inside
    one sentence, or a relation whose ends lie in two (validation refuses both before)."""
    starts = np.array([s for s, _ in sentences], dtype=np.int64)
    ends = np.array([e for _, e in sentences], dtype=np.int64)
    where = (
        np.searchsorted(starts, np.array([e.start for e in entities], dtype=np.int64), side="right")
        - 1
    )
    inside = where >= 0
    if len(ends):
        inside &= ends[np.maximum(where, 0)] >= np.array([e.end for e in entities], dtype=np.int64)
    problems = [
        f"doc {article_id} entity {e.id} ({e.label}): [{e.start}:{e.end}] is not inside one "
        "sentence"
        for e, ok in zip(entities, inside.tolist(), strict=True)
        if not ok
    ]
    problems += [
        f"doc {article_id} relation {r.label} {entities[r.head].id}->{entities[r.tail].id}: "
        "its ends lie in different sentences"
        for r in relations
        if where[r.head] != where[r.tail]
    ]
    if problems:
        raise AlignmentError(problems)
    return where


def _words(attrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From the ``(IDX, LENGTH, IS_SPACE)`` rows of a doc's tokens: which tokens are not
    whitespace (the words), the words' start and end offsets, and each token's index among
    the words."""
    word = attrs[:, 2] == 0
    starts = attrs[word, 0]
    return word, starts, starts + attrs[word, 1], np.cumsum(word) - 1


def _document_row(
    article: Article, gold: Document, sentences: Sequence[tuple[int, int]], ids: LabelIds
) -> dict[str, Column]:
    """The ``documents`` row of an article."""
    entities, relations = gold.entities, gold.relations
    return {
        **{
            key: [getattr(article, key)]
            for key in ("id", "title", "date", "url", "license", "attribution", "text")
        },
        "sentences": Lists(
            [len(sentences)],
            Structs({"start": [s for s, _ in sentences], "end": [e for _, e in sentences]}),
        ),
        "entities": Lists(
            [len(entities)],
            Structs(
                {
                    "id": [e.id for e in entities],
                    "start": [e.start for e in entities],
                    "end": [e.end for e in entities],
                    "label": [ids.entity[e.label] for e in entities],
                    "text": [e.text for e in entities],
                }
            ),
        ),
        "relations": Lists(
            [len(relations)],
            Structs(
                {
                    "head": [r.head for r in relations],
                    "tail": [r.tail for r in relations],
                    "label": [ids.relation[r.label] for r in relations],
                }
            ),
        ),
    }


def article_rows(article: Article, gold: Document, scheme: Scheme) -> Rows:
    """All rows of one article; :class:`AlignmentError` if a mention does not align.

    Made a column at a time from the token arrays of the shared parse, with no Python
    object per token. The words (non-space tokens) of a sentence are a run of the
    article's words (:func:`~frontline.core.text.sentence_spans` strips only whitespace
    tokens), so the sentences' word counts cut every per-token column into rows; the
    entities and relations are grouped by sentence the same way, in document order.
    """
    ids = label_ids(scheme)
    doc, sentences, text = shared_parse(article.text), shared_sentences(article.text), article.text
    attrs = doc.to_array([IDX, LENGTH, IS_SPACE]).astype(np.int64).reshape(-1, 3)
    first_token, last_token = _token_spans(attrs, doc, article.id, gold.entities)
    sentence = _sentences_of(sentences, article.id, gold.entities, gold.relations)
    word, starts, ends, rank = _words(attrs)
    n = len(sentences)
    first = np.searchsorted(starts, np.fromiter((s for s, _ in sentences), dtype=np.int64, count=n))
    words = np.diff(np.append(first, len(starts)))  # per sentence
    tokens, orig_id = Lists(words, substrings(text, starts, ends)), sentence_ids(article.id, n)
    tags = iob2_ids(
        len(attrs), first_token, last_token + 1, [e.label for e in gold.entities], ids.tag
    )
    ner = {
        "id": [f"{article.id}-{k:03d}" for k in range(n)],
        "doc_id": [article.id] * n,
        "sent_id": np.arange(n),
        "orig_id": orig_id,
        "tokens": tokens,
        "ner_tags": Lists(words, tags[word]),
        "token_starts": Lists(words, starts),
        "token_ends": Lists(words, ends),
    }
    base = first[sentence]  # the first word of each entity's sentence
    mentions = _sentence_mentions(
        gold, sentence, rank[first_token] - base, rank[last_token] - base + 1, n
    )
    rel = {"tokens": tokens, "orig_id": orig_id, **mentions}
    return Rows(n, len(starts), _document_row(article, gold, sentences, ids), ner, rel)


def _sentence_mentions(
    gold: Document, sentence: np.ndarray, start: np.ndarray, end: np.ndarray, n: int
) -> dict[str, Column]:
    """The ``entities`` and ``relations`` columns of the ``relations`` config: each entity (in
    ``sentence``, with word offsets ``start``/``end`` within it) and each relation, grouped by
    sentence in document order, relations' ``head``/``tail`` indexing their sentence's
    entities."""
    order = np.argsort(sentence, kind="stable")  # the entities by sentence
    mentions = np.bincount(sentence, minlength=n)  # per sentence
    local = np.empty(len(order), dtype=np.int64)  # entity -> its index in its sentence
    local[order] = np.arange(len(order)) - np.repeat(np.cumsum(mentions) - mentions, mentions)
    local_of, sentence_of = local.tolist(), sentence.tolist()
    relations = sorted(gold.relations, key=lambda r: sentence_of[r.head])
    return {
        "entities": Lists(
            mentions,
            Structs(
                {
                    "start": start[order],
                    "end": end[order],
                    "type": [gold.entities[i].label for i in order.tolist()],
                }
            ),
        ),
        "relations": Lists(
            np.bincount(
                np.array([sentence_of[r.head] for r in relations], dtype=np.int64), minlength=n
            ),
            Structs(
                {
                    "head": [local_of[r.head] for r in relations],
                    "tail": [local_of[r.tail] for r in relations],
                    "type": [r.label for r in relations],
                }
            ),
        ),
    }


def document_from_row(
    row: Mapping[str, Any], entity_names: Sequence[str], relation_names: Sequence[str]
) -> Document:
    """A ``documents`` row (labels as ClassLabel ids, as ``datasets`` returns them) -> Document."""
    entities = tuple(
        Entity(e["start"], e["end"], entity_names[e["label"]], e["text"], e["id"])
        for e in row["entities"]
    )
    relations = tuple(
        Relation(r["head"], r["tail"], relation_names[r["label"]]) for r in row["relations"]
    )
    return Document(row["id"], row["text"], entities, relations)
