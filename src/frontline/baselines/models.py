"""Baseline models: entity recognisers and relation classifiers.

Every model is trained on Documents and predicts Documents; seeds are passed explicitly.
Entity models fill ``entities``; relation models fill ``relations`` over the entities they
are given (gold ones, or those of an entity model for end-to-end scores).

Each model class says, next to its code, how the suite trains it: :meth:`Baseline.fit`
builds it from a :class:`Training` (train and validation split, labels, spaCy settings),
a C and a seed; class attributes say whether C is tuned on validation (``tuned``), and
whether it joins the k-fold cross-validation (``kfold``) and the spread over seeds
(``seeded``). :mod:`frontline.baselines.registry` lists the classes the suite runs.
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from spacy.tokens import Doc, Token

from frontline.baselines.lexicon import Lexicon
from frontline.core.documents import Document, Entity, Relation
from frontline.core.text import parse, sentence_spans
from frontline.release.formats import CharSpan, iob2_spans, iob2_tags

NO_RELATION = "NONE"
DEFAULT_C = 1.0


@dataclass(frozen=True)
class Training:
    """What a model is built from: the train split, the validation split (a dev set or a filter
    for the models that use one; empty in k-fold cross-validation), the entity labels in scheme
    order, and spaCy's config and overrides for the spaCy model."""

    train: Sequence[Document]
    validation: Sequence[Document]
    labels: Sequence[str]
    spacy_config: Path | None = None
    spacy_overrides: Mapping[str, object] | None = None


class Baseline(ABC):
    """A baseline model as the suite trains it."""

    name: ClassVar[str]
    #: C is chosen from the suite's grid by the validation score
    tuned: ClassVar[bool] = False
    #: joins the document-level k-fold cross-validation (it needs no validation split)
    kfold: ClassVar[bool] = False
    #: trained again with other seeds for the spread over seeds
    seeded: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> Baseline:
        """The model trained on ``training`` with regularisation ``c`` (if it has one) and
        ``seed`` (if it draws random numbers)."""

    def selected(self) -> dict[str, object] | None:
        """What the model chose by itself on validation while training (the transformers: the
        epoch kept), recorded under ``tuning`` in ``results.json``; None if nothing."""
        return None


class EntityModel(Baseline):
    """An entity recogniser: text in, a Document with entities out."""

    @abstractmethod
    def predict(self, doc_id: str, text: str) -> Document:
        """The entities found in ``text`` (no relations)."""


class RelationModel(Baseline):
    """A relation classifier over the entities of a Document."""

    @abstractmethod
    def predict(self, doc: Document) -> Document:
        """``doc`` with its relations predicted over its entities."""


# --- entities ---------------------------------------------------------------------------


class LexiconNer(EntityModel):
    """Baseline 1: surface strings of training mentions, longest match first."""

    name = "lexicon"
    kfold = True

    def __init__(self, train: Sequence[Document], labels: Sequence[str]) -> None:
        self.lexicon = Lexicon(train, list(labels))

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> LexiconNer:
        return cls(training.train, training.labels)

    def predict(self, doc_id: str, text: str) -> Document:
        return self.lexicon.predict(doc_id, text)


def _shape(word: str) -> str:
    shape = "".join(
        "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in word
    )
    collapsed = [shape[0]] if shape else []
    for c in shape[1:]:
        if c != collapsed[-1]:
            collapsed.append(c)
    return "".join(collapsed)


def _sentences(doc: Doc) -> list[list[Token]]:
    """The non-space tokens of each sentence of a parsed text."""
    return [[t for t in doc.char_span(s, e) if not t.is_space] for s, e in sentence_spans(doc)]


def token_features(
    tokens: Sequence[Token], i: int, lexicon_tags: Sequence[str]
) -> dict[str, object]:
    """Window features of token ``i``: word, shape, affixes, neighbours, lexicon hit."""
    word = tokens[i].text
    feats: dict[str, object] = {
        "bias": 1,
        "w": word.lower(),
        "shape": _shape(word),
        "p3": word[:3].lower(),
        "s3": word[-3:].lower(),
        "title": word.istitle(),
        "upper": word.isupper(),
        "lex": lexicon_tags[i],
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(tokens):
            feats[f"w{offset:+d}"] = tokens[j].text.lower()
            feats[f"shape{offset:+d}"] = _shape(tokens[j].text)
            feats[f"lex{offset:+d}"] = lexicon_tags[j]
        else:
            feats[f"w{offset:+d}"] = "<pad>"
    return feats


def tags_to_entities(
    tokens: Sequence[Token], tags: Sequence[str], text: str | None = None
) -> list[CharSpan]:
    """:func:`frontline.release.formats.iob2_spans` (``text`` is not needed: the name and
    argument are kept for :mod:`frontline.studio.preannotate`, which calls it so)."""
    return iob2_spans(tokens, tags)


class SklearnNer(EntityModel):
    """Baseline 2: per-token logistic regression over window features, decoded to valid spans."""

    name = "sklearn-ner"
    tuned = kfold = seeded = True

    def __init__(
        self,
        train: Sequence[Document],
        labels: Sequence[str],
        *,
        C: float = DEFAULT_C,  # scikit-learn's name
        seed: int = 0,
    ) -> None:
        self.lexicon = Lexicon(train, list(labels))
        self.vectorizer = DictVectorizer()
        X, y = [], []
        for doc in train:
            parsed = parse(doc.text)
            tags = iob2_tags(parsed, [(e.start, e.end, e.label) for e in doc.entities])
            for tokens, lex in self._sentence_features(doc.text, parsed):
                X += [token_features(tokens, i, lex) for i in range(len(tokens))]
                y += [tags[t.i] for t in tokens]
        self.model = LogisticRegression(C=C, max_iter=3000, random_state=seed)
        self.model.fit(self.vectorizer.fit_transform(X), y)

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> SklearnNer:
        return cls(training.train, training.labels, C=c, seed=seed)

    def _sentence_features(self, text: str, parsed: Doc) -> list[tuple[list[Token], list[str]]]:
        """Each sentence's tokens with the lexicon's IOB2 tag of each token."""
        found = self.lexicon.predict("", text).entities
        tags = iob2_tags(parsed, [(e.start, e.end, e.label) for e in found])
        return [(tokens, [tags[t.i] for t in tokens]) for tokens in _sentences(parsed) if tokens]

    def predict(self, doc_id: str, text: str) -> Document:
        entities = []
        for tokens, lex in self._sentence_features(text, parse(text)):
            tags = self.model.predict(
                self.vectorizer.transform(
                    [token_features(tokens, i, lex) for i in range(len(tokens))]
                )
            )
            entities += iob2_spans(tokens, [str(tag) for tag in tags])
        return Document(
            doc_id,
            text,
            tuple(
                Entity(s, e, lab, text[s:e], f"p{k + 1}")
                for k, (s, e, lab) in enumerate(sorted(entities))
            ),
            (),
        )


class SpacyNer(EntityModel):
    """Baseline 3: spaCy ``ner`` trained from blank English with ``baselines/configs/ner.cfg``,
    the validation split as its dev set (it keeps the best checkpoint on it)."""

    name = "spacy-ner"
    seeded = True

    def __init__(
        self,
        train: Sequence[Document],
        dev: Sequence[Document],
        config: Path,
        *,
        seed: int = 0,
        overrides: Mapping[str, object] | None = None,
    ) -> None:
        from spacy.cli.train import train as spacy_train
        from spacy.util import load_model

        from frontline.baselines.blas import pinned_ops
        from frontline.release.formats import write_spacy

        # the model trained and the one loaded multiply through NumPy (the pinned OpenBLAS
        # kernel), also in the parser's C loop, not through the kernel blis picks for the CPU
        with tempfile.TemporaryDirectory() as tmp, pinned_ops():
            folder = Path(tmp)
            write_spacy(folder / "train.spacy", train)
            write_spacy(folder / "dev.spacy", dev)
            spacy_train(
                config,
                folder / "model",
                use_gpu=-1,
                overrides={
                    "paths.train": str(folder / "train.spacy"),
                    "paths.dev": str(folder / "dev.spacy"),
                    "system.seed": seed,
                    **(overrides or {}),
                },
            )
            self.nlp = load_model(folder / "model" / "model-best")

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> SpacyNer:
        if training.spacy_config is None:
            raise ValueError(f"{cls.name} needs a spaCy config (Training.spacy_config)")
        return cls(
            training.train,
            training.validation,
            training.spacy_config,
            seed=seed,
            overrides=training.spacy_overrides,
        )

    def predict(self, doc_id: str, text: str) -> Document:
        tokens = parse(text)
        doc = Doc(
            self.nlp.vocab,
            words=[t.text for t in tokens],
            spaces=[bool(t.whitespace_) for t in tokens],
        )
        for _, component in self.nlp.pipeline:
            doc = component(doc)
        return Document(
            doc_id,
            text,
            tuple(
                Entity(e.start_char, e.end_char, e.label_, e.text, f"p{k + 1}")
                for k, e in enumerate(doc.ents)
            ),
            (),
        )


# --- relations --------------------------------------------------------------------------


def candidate_pairs(doc: Document, parsed: Doc | None = None) -> list[tuple[int, int]]:
    """Ordered pairs of distinct mentions of one sentence: the relation candidates."""
    spans = sentence_spans(parsed if parsed is not None else parse(doc.text))
    sentence_of = []
    for e in doc.entities:
        sentence_of.append(
            next((k for k, (s, t) in enumerate(spans) if s <= e.start and e.end <= t), -1)
        )
    return [
        (i, j)
        for i in range(len(doc.entities))
        for j in range(len(doc.entities))
        if i != j and sentence_of[i] == sentence_of[j] != -1
    ]


def gold_pair_labels(doc: Document) -> dict[tuple[int, int], str]:
    return {(r.head, r.tail): r.label for r in doc.relations}


class TypePairPrior(RelationModel):
    """Baseline 4: per (head label, tail label), the most frequent training relation, kept
    only if on validation it is right more often than "no relation" (precision above 0.5)."""

    name = "type-pair-prior"

    def __init__(self, train: Sequence[Document], validation: Sequence[Document]) -> None:
        votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for doc in train:
            for r in doc.relations:
                votes[(doc.entities[r.head].label, doc.entities[r.tail].label)][r.label] += 1
        prior = {pair: c.most_common(1)[0][0] for pair, c in votes.items()}
        hits: Counter[tuple[str, str]] = Counter()
        tries: Counter[tuple[str, str]] = Counter()
        for doc in validation:
            gold = gold_pair_labels(doc)
            for i, j in candidate_pairs(doc):
                pair = (doc.entities[i].label, doc.entities[j].label)
                if pair in prior:
                    tries[pair] += 1
                    hits[pair] += gold.get((i, j)) == prior[pair]
        self.rules = {
            pair: label for pair, label in sorted(prior.items()) if hits[pair] * 2 > tries[pair]
        }

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> TypePairPrior:
        return cls(training.train, training.validation)

    def predict(self, doc: Document) -> Document:
        relations = [
            Relation(i, j, self.rules[(doc.entities[i].label, doc.entities[j].label)])
            for i, j in candidate_pairs(doc)
            if (doc.entities[i].label, doc.entities[j].label) in self.rules
        ]
        return Document(doc.doc_id, doc.text, doc.entities, tuple(sorted(relations)))


def pair_features(doc: Document, i: int, j: int, tokens: Sequence[Token]) -> dict[str, object]:
    """Mention-pair features: labels, order, distance, words between and around."""
    h, t = doc.entities[i], doc.entities[j]
    first, second = (h, t) if h.start < t.start else (t, h)
    between = [
        tok.text.lower()
        for tok in tokens
        if first.end <= tok.idx and tok.idx + len(tok.text) <= second.start
    ]
    before = [tok.text.lower() for tok in tokens if tok.idx + len(tok.text) <= first.start][-2:]
    after = [tok.text.lower() for tok in tokens if second.end <= tok.idx][:2]
    n_between = sum(first.end <= e.start and e.end <= second.start for e in doc.entities)
    feats: dict[str, object] = {
        "bias": 1,
        "types": f"{h.label}>{t.label}",
        "head_type": h.label,
        "tail_type": t.label,
        "head_first": h.start < t.start,
        "dist": min(len(between), 10),
        "ents_between": min(n_between, 3),
        "head": h.text.lower(),
        "tail": t.text.lower(),
    }
    for w in between:
        feats[f"between={w}"] = 1
    if between:
        feats["first_between"], feats["last_between"] = between[0], between[-1]
    for k, w in enumerate(before):
        feats[f"before{k}"] = w
    for k, w in enumerate(after):
        feats[f"after{k}"] = w
    return feats


class SklearnRelations(RelationModel):
    """Baseline 5: logistic regression over mention-pair features, "no relation" a class,
    classes weighted by inverse frequency."""

    name = "sklearn-relations"
    tuned = kfold = seeded = True

    def __init__(
        self,
        train: Sequence[Document],
        *,
        C: float = DEFAULT_C,  # scikit-learn's name
        seed: int = 0,
    ) -> None:
        X, y = [], []
        for doc in train:
            parsed = parse(doc.text)
            tokens = [t for t in parsed if not t.is_space]
            gold = gold_pair_labels(doc)
            for i, j in candidate_pairs(doc, parsed):
                X.append(pair_features(doc, i, j, tokens))
                y.append(gold.get((i, j), NO_RELATION))
        self.vectorizer = DictVectorizer()
        self.model = LogisticRegression(
            C=C, max_iter=3000, class_weight="balanced", random_state=seed
        )
        self.model.fit(self.vectorizer.fit_transform(X), y)

    @classmethod
    def fit(cls, training: Training, *, c: float = DEFAULT_C, seed: int = 0) -> SklearnRelations:
        return cls(training.train, C=c, seed=seed)

    def predict(self, doc: Document) -> Document:
        parsed = parse(doc.text)
        pairs = candidate_pairs(doc, parsed)
        if not pairs:
            return Document(doc.doc_id, doc.text, doc.entities, ())
        tokens = [t for t in parsed if not t.is_space]
        labels = self.model.predict(
            self.vectorizer.transform([pair_features(doc, i, j, tokens) for i, j in pairs])
        )
        relations = [
            Relation(i, j, str(lab))
            for (i, j), lab in zip(pairs, labels, strict=True)
            if lab != NO_RELATION
        ]
        return Document(doc.doc_id, doc.text, doc.entities, tuple(sorted(relations)))
