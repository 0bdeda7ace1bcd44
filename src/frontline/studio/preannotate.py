"""Pre-annotation from the trained baselines (issue 17), and what it saves annotators.

``frontline push --predictions MODEL`` attaches one Label Studio prediction per task from
one of :data:`MODELS`: an entity model (``lexicon``, ``sklearn-ner``, ``spacy-ner``,
``minilm-ner``), optionally with a relation model on top (``ENTITY+sklearn-relations``,
``ENTITY+type-pair-prior`` or ``ENTITY+minilm-relations``), whose relations join the predicted
regions.

Training (:func:`train`): on the train split, seed :data:`frontline.baselines.suite.SEED`, C of
the sklearn models the tuned value recorded in ``baselines/results.json`` (``tuning``), spaCy
with ``baselines/configs/ner.cfg`` and the validation split as its dev set (it picks the best
checkpoint on it), the type-pair prior with validation as its filter. Training runs in the
calling process, not under the pinned numerics of ``frontline baselines``: the spaCy model
may differ in the last bits from machine to machine, which pre-annotation does not mind.

Scores (:class:`Scored`):

* sklearn-ner: a region's score is the mean over its tokens of the probability of the
  predicted IOB2 tag (the largest class probability of each token);
* sklearn-relations: a relation's score is the probability of its predicted class;
* spacy-ner: a region's score is the share of the probability mass of a beam search
  (width :data:`BEAM_WIDTH`, over the trained greedy model's transition scores) whose parses
  hold that exact entity; the regions themselves are the greedy parse's, as in the baselines;
* minilm-ner, minilm-relations (the ``[transformer]`` extra; minutes to train on 2 cores,
  :mod:`frontline.baselines.transformer`): a region's score is the mean over its words of
  the predicted tag's probability, a relation's the probability of its predicted class;
* lexicon and type-pair-prior: a lookup, no probability: no score on their items.

The prediction's own ``score`` is the mean of its items' scores (none if no item has one).

:func:`exact_matches` measures what a pre-annotation saves: the share of gold regions
(start, end, label) and gold relations (head span, tail span, label) it gets exactly right.
``frontline stats`` reports it per model, trained on train and scored on validation + test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontline.baselines import models
from frontline.core.articles import Article
from frontline.core.documents import (
    Document,
    Entity,
    Relation,
    from_result,
    region_result,
    relation_result,
)
from frontline.core.markdown import markdown_table
from frontline.core.scheme import Scheme
from frontline.core.text import parse
from frontline.errors import FrontlineError

ENTITY_MODELS = ("lexicon", "sklearn-ner", "spacy-ner", "minilm-ner")
RELATION_MODELS = ("sklearn-relations", "type-pair-prior", "minilm-relations")
MODELS = (*ENTITY_MODELS, *(f"{e}+{r}" for r in RELATION_MODELS for e in ENTITY_MODELS))
"""Every name ``--predictions`` accepts (besides ``none``)."""
MEASURED = (
    "lexicon",
    "sklearn-ner",
    "spacy-ner",
    "sklearn-ner+sklearn-relations",
    "spacy-ner+sklearn-relations",
)
"""The models ``frontline stats`` measures."""
BEAM_WIDTH = 16
SCORE_DECIMALS = 4


class PreannotateError(FrontlineError):
    """An unknown model name, or no tuning record to train with."""


def check_name(name: str) -> tuple[str, str | None]:
    """(entity model, relation model or None) of a ``--predictions`` name."""
    if name not in MODELS:
        raise PreannotateError(f"unknown model {name!r}: choose one of {', '.join(MODELS)} or none")
    entity, _, relation = name.partition("+")
    return entity, relation or None


def tuned_c(results: Path) -> dict[str, float]:
    """The tuned C of sklearn-ner and sklearn-relations from ``baselines/results.json``."""
    try:
        tuning = json.loads(results.read_text(encoding="utf-8"))["tuning"]
        return {name: float(tuning[name]["C"]) for name in ("sklearn-ner", "sklearn-relations")}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PreannotateError(
            f"no tuned C in {results} ({type(exc).__name__}: {exc}): run `frontline "
            "baselines` first"
        ) from None


@dataclass(frozen=True)
class Scored:
    """A predicted document with a score (or None) per entity and per relation."""

    doc: Document
    entity_scores: tuple[float | None, ...]
    relation_scores: tuple[float | None, ...]


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), SCORE_DECIMALS)


# --- scored prediction per model kind -----------------------------------------------------


def _lexicon_entities(model: models.LexiconNer, doc_id: str, text: str) -> Scored:
    doc = model.predict(doc_id, text)
    return Scored(doc, (None,) * len(doc.entities), ())


def _sklearn_entities(model: models.SklearnNer, doc_id: str, text: str) -> Scored:
    """:meth:`SklearnNer.predict` with the tag probabilities kept (argmax of predict_proba is
    the logistic regression's prediction)."""
    found: list[tuple[int, int, str, float]] = []
    for tokens, lex in model._sentence_features(text, parse(text)):
        proba = model.model.predict_proba(
            model.vectorizer.transform(
                [models.token_features(tokens, i, lex) for i in range(len(tokens))]
            )
        )
        best = proba.argmax(axis=1)
        tags = [str(model.model.classes_[k]) for k in best]
        top = [float(proba[n, k]) for n, k in enumerate(best)]
        for s, e, label in models.tags_to_entities(tokens, tags, text):
            inside = [
                p
                for t, p in zip(tokens, top, strict=True)
                if s <= t.idx and t.idx + len(t.text) <= e
            ]
            found.append((s, e, label, sum(inside) / len(inside)))
    found.sort()
    doc = Document(
        doc_id,
        text,
        tuple(Entity(s, e, lab, text[s:e], f"p{k + 1}") for k, (s, e, lab, _) in enumerate(found)),
        (),
    )
    return Scored(doc, tuple(_round(p) for *_, p in found), ())


def _spacy_entities(model: models.SpacyNer, doc_id: str, text: str) -> Scored:
    """The greedy parse's entities (as :meth:`SpacyNer.predict`), each scored by its share of
    a beam's probability mass."""
    doc = model.predict(doc_id, text)
    try:
        from spacy.tokens import Doc as SpacyDoc

        tokens = parse(text)
        sdoc = SpacyDoc(
            model.nlp.vocab,
            words=[t.text for t in tokens],
            spaces=[bool(t.whitespace_) for t in tokens],
        )
        for name, component in model.nlp.pipeline:
            if name == "ner":
                break
            sdoc = component(sdoc)
        ner = model.nlp.get_pipe("ner")
        beams = ner.beam_parse([sdoc], beam_width=BEAM_WIDTH)
        (by_span,) = ner.scored_ents(beams)  # {(start token, end token, label): probability}
        chars = {
            (sdoc[s].idx, sdoc[e - 1].idx + len(sdoc[e - 1].text), str(label)): p
            for (s, e, label), p in by_span.items()
            if e > s
        }
        scores = tuple(_round(chars.get((x.start, x.end, x.label), 0.0)) for x in doc.entities)
    except (AttributeError, NotImplementedError, ValueError):  # no beam for this model: no scores
        scores = (None,) * len(doc.entities)
    return Scored(doc, scores, ())


def _sklearn_relations(model: models.SklearnRelations, entities: Scored) -> Scored:
    doc = entities.doc
    parsed = parse(doc.text)
    pairs = models.candidate_pairs(doc, parsed)
    found: list[tuple[Relation, float]] = []
    if pairs:
        tokens = [t for t in parsed if not t.is_space]
        proba = model.model.predict_proba(
            model.vectorizer.transform([models.pair_features(doc, i, j, tokens) for i, j in pairs])
        )
        for (i, j), row in zip(pairs, proba, strict=True):
            k = int(row.argmax())
            label = str(model.model.classes_[k])
            if label != models.NO_RELATION:
                found.append((Relation(i, j, label), float(row[k])))
    found.sort()
    return Scored(
        Document(doc.doc_id, doc.text, doc.entities, tuple(r for r, _ in found)),
        entities.entity_scores,
        tuple(_round(p) for _, p in found),
    )


def _prior_relations(model: models.TypePairPrior, entities: Scored) -> Scored:
    doc = model.predict(entities.doc)
    return Scored(doc, entities.entity_scores, (None,) * len(doc.relations))


def _minilm_entities(model: Any, doc_id: str, text: str) -> Scored:
    """:meth:`MiniLMNer.scored_many <frontline.baselines.transformer.MiniLMNer.scored_many>`:
    a region's score is the mean over its words of the predicted tag's probability."""
    ((doc, scores),) = model.scored_many([(doc_id, text)])
    return Scored(doc, tuple(_round(p) for p in scores), ())


def _minilm_relations(model: Any, entities: Scored) -> Scored:
    """A relation's score is the probability of its predicted class."""
    ((doc, scores),) = model.scored_many([entities.doc])
    return Scored(doc, entities.entity_scores, tuple(_round(p) for p in scores))


_ENTITY_PREDICT: dict[str, Callable[[Any, str, str], Scored]] = {
    "lexicon": _lexicon_entities,
    "sklearn-ner": _sklearn_entities,
    "spacy-ner": _spacy_entities,
    "minilm-ner": _minilm_entities,
}
_RELATION_PREDICT: dict[str, Callable[[Any, Scored], Scored]] = {
    "sklearn-relations": _sklearn_relations,
    "type-pair-prior": _prior_relations,
    "minilm-relations": _minilm_relations,
}


@dataclass
class Preannotator:
    """A trained entity model, and optionally a relation model over its entities."""

    name: str
    version: str
    entity_model: Any
    relation_model: Any | None = None
    train_seconds: float = 0.0

    def scored(self, doc_id: str, text: str) -> Scored:
        entity, relation = check_name(self.name)
        out = _ENTITY_PREDICT[entity](self.entity_model, doc_id, text)
        if relation is not None:
            out = _RELATION_PREDICT[relation](self.relation_model, out)
        return out

    def predict(self, doc_id: str, text: str) -> Document:
        return self.scored(doc_id, text).doc

    def __call__(self, article: Article) -> tuple[str, list[dict[str, Any]], float | None]:
        """The :data:`frontline.studio.client.Predict` form: (model_version, result, score)."""
        result, score = prediction_result(self.scored(article.id, article.text))
        return self.version, result, score


def prediction_result(scored: Scored) -> tuple[list[dict[str, Any]], float | None]:
    """The Label Studio result of a scored document (region ids ``p1``, ``p2``...; relation items
    reference them) and the prediction's score (the mean of the items' scores, or None)."""
    doc = scored.doc
    entities = tuple(
        Entity(e.start, e.end, e.label, e.text, f"p{k + 1}") for k, e in enumerate(doc.entities)
    )
    result: list[dict[str, Any]] = []
    for e, s in zip(entities, scored.entity_scores, strict=True):
        result.append(region_result(e) | ({} if s is None else {"score": s}))
    for r, s in zip(doc.relations, scored.relation_scores, strict=True):
        result.append(relation_result(r, entities) | ({} if s is None else {"score": s}))
    scores = [s for s in (*scored.entity_scores, *scored.relation_scores) if s is not None]
    return result, (_round(sum(scores) / len(scores)) if scores else None)


def _train_entity(
    entity: str,
    train_docs: Sequence[Document],
    validation: Sequence[Document],
    scheme: Scheme,
    c: dict[str, float],
    ner_config: Path,
    seed: int,
    spacy_overrides: dict[str, object] | None,
) -> Any:
    if entity == "lexicon":
        return models.LexiconNer(train_docs, scheme.entity_names)
    if entity == "sklearn-ner":
        return models.SklearnNer(train_docs, scheme.entity_names, C=c["sklearn-ner"], seed=seed)
    if entity == "minilm-ner":
        return _transformer(entity).fit(
            models.Training(train_docs, validation, scheme.entity_names), seed=seed
        )
    return models.SpacyNer(train_docs, validation, ner_config, seed=seed, overrides=spacy_overrides)


def _train_relation(
    relation: str,
    train_docs: Sequence[Document],
    validation: Sequence[Document],
    c: dict[str, float],
    seed: int,
    entity_labels: Sequence[str] = (),
) -> Any:
    if relation == "sklearn-relations":
        return models.SklearnRelations(train_docs, C=c["sklearn-relations"], seed=seed)
    if relation == "minilm-relations":
        return _transformer(relation).fit(
            models.Training(train_docs, validation, entity_labels), seed=seed
        )
    return models.TypePairPrior(train_docs, validation)


def _transformer(name: str) -> Any:
    """The transformer model class called ``name`` (the [transformer] extra)."""
    from frontline.baselines import registry

    kinds = (*registry.TRANSFORMER_ENTITY_MODELS, *registry.TRANSFORMER_RELATION_MODELS)
    return next(kind for kind in kinds if kind.name == name)


def train_all(
    names: Sequence[str],
    train_docs: Sequence[Document],
    validation: Sequence[Document],
    scheme: Scheme,
    *,
    c: dict[str, float],
    ner_config: Path,
    version: str,
    seed: int | None = None,
    spacy_overrides: dict[str, object] | None = None,
) -> dict[str, Preannotator]:
    """Train the models of each name on ``train_docs`` (see the module docstring), each entity
    and relation model once; ``train_seconds`` of a name counts both of its models."""
    from frontline.baselines.suite import SEED

    seed = SEED if seed is None else seed
    entities: dict[str, tuple[Any, float]] = {}
    relations: dict[str, tuple[Any, float]] = {}
    out = {}
    for name in names:
        entity, relation = check_name(name)
        if entity not in entities:
            started = time.perf_counter()
            entities[entity] = (
                _train_entity(
                    entity, train_docs, validation, scheme, c, ner_config, seed, spacy_overrides
                ),
                time.perf_counter() - started,
            )
        if relation is not None and relation not in relations:
            started = time.perf_counter()
            relations[relation] = (
                _train_relation(relation, train_docs, validation, c, seed, scheme.entity_names),
                time.perf_counter() - started,
            )
        entity_model, seconds = entities[entity]
        relation_model, more = relations[relation] if relation is not None else (None, 0.0)
        out[name] = Preannotator(
            name, f"{name}@{version}", entity_model, relation_model, seconds + more
        )
    return out


def train(
    name: str,
    train_docs: Sequence[Document],
    validation: Sequence[Document],
    scheme: Scheme,
    **kwargs: Any,
) -> Preannotator:
    """The models of one ``--predictions`` name, trained (keywords of :func:`train_all`)."""
    return train_all([name], train_docs, validation, scheme, **kwargs)[name]


# --- what it saves ------------------------------------------------------------------------


@dataclass(frozen=True)
class Matches:
    """Gold regions and relations, and how many of each a pre-annotation has exactly."""

    regions_right: int
    regions: int
    relations_right: int
    relations: int
    proposes_relations: bool = True


def _relation_keys(doc: Document) -> set[tuple[int, int, int, int, str]]:
    return {
        (
            doc.entities[r.head].start,
            doc.entities[r.head].end,
            doc.entities[r.tail].start,
            doc.entities[r.tail].end,
            r.label,
        )
        for r in doc.relations
    }


def exact_matches(
    gold: Sequence[Document], predicted: Sequence[Document], proposes_relations: bool = True
) -> Matches:
    """Regions exactly right: same start, end and label; relations: same head span, tail span
    (start and end) and label. ``predicted`` goes with ``gold`` document by document."""
    regions_right = regions = relations_right = relations = 0
    for g, p in zip(gold, predicted, strict=True):
        if g.doc_id != p.doc_id:
            raise ValueError(f"gold {g.doc_id} paired with prediction {p.doc_id}")
        spans = {(e.start, e.end, e.label) for e in p.entities}
        regions += len(g.entities)
        regions_right += sum((e.start, e.end, e.label) in spans for e in g.entities)
        gold_rel = _relation_keys(g)
        relations += len(gold_rel)
        relations_right += len(gold_rel & _relation_keys(p))
    return Matches(regions_right, regions, relations_right, relations, proposes_relations)


def measure(
    documents: Sequence[Document],
    splits: dict[str, str],
    scheme: Scheme,
    *,
    c: dict[str, float],
    ner_config: Path,
    version: str,
    names: Sequence[str] = MEASURED,
    spacy_overrides: dict[str, object] | None = None,
    log: Callable[[str], None] = lambda m: None,
) -> dict[str, Matches]:
    """Train each model on the train split and count its exact matches on validation + test."""
    train_docs = [d for d in documents if splits.get(d.doc_id) == "train"]
    validation = [d for d in documents if splits.get(d.doc_id) == "validation"]
    held_out = [d for d in documents if splits.get(d.doc_id) in ("validation", "test")]
    trained = train_all(
        names,
        train_docs,
        validation,
        scheme,
        c=c,
        ner_config=ner_config,
        version=version,
        spacy_overrides=spacy_overrides,
    )
    out = {}
    for name, model in trained.items():
        started = time.perf_counter()
        predicted = [model.predict(d.doc_id, d.text) for d in held_out]
        out[name] = exact_matches(held_out, predicted, proposes_relations="+" in name)
        log(
            f"pre-annotation {name}: trained in {model.train_seconds:.1f} s, predicted "
            f"{len(held_out)} articles in {time.perf_counter() - started:.1f} s"
        )
    return out


def _share(right: int, total: int) -> str:
    return f"{right} / {total} ({right / total:.1%})" if total else f"{right} / 0"


MATCHES_HEADER = (
    "model",
    "regions exactly right / gold regions",
    "relations exactly right / gold relations",
)


def matches_table(measured: dict[str, Matches], n_train: int, n_held_out: int) -> list[str]:
    """The Markdown section of ``annotation/stats.md``, one line an item."""
    rows = [
        (
            name,
            _share(m.regions_right, m.regions),
            _share(m.relations_right, m.relations)
            if m.proposes_relations
            else "— (no relations proposed)",
        )
        for name, m in measured.items()
    ]
    return [
        "## Pre-annotation: what each model gets exactly right",
        "",
        f"Each model trained on the {n_train} train articles (seed "
        "`frontline.baselines.suite.SEED`, C tuned in `baselines/results.json`), scored on the "
        f"{n_held_out} validation and test articles it never trained on (validation chose C and "
        "spaCy's best checkpoint, so its share is slightly optimistic). A region is exactly right "
        "with the same start, end and label as a gold region; a relation with the same head span, "
        "tail span and label as a gold relation. `frontline push --predictions MODEL` trains the "
        "same models the same way.",
        "",
        *markdown_table(MATCHES_HEADER, rows).splitlines(),
    ]


# --- for frontline push -------------------------------------------------------------------


def load_training(corpus: Path, scheme: Scheme) -> tuple[list[Document], list[Document]]:
    """The train and validation Documents of the released dataset in ``corpus``."""
    from frontline.baselines.suite import load_data

    if not (corpus / "documents").is_dir():
        raise PreannotateError(
            f"the models train on the released dataset, and {corpus} has none: run "
            "`frontline build` first"
        )
    data = load_data(corpus, scheme)
    if not data.train:
        raise PreannotateError(f"{corpus} has no train articles to train on")
    return data.train, data.validation


def for_push(
    name: str,
    corpus: Path,
    results: Path,
    ner_config: Path,
    scheme: Scheme,
    log: Callable[[str], None] = print,
) -> Preannotator:
    """The pre-annotator of ``--predictions name``, trained on the train split of ``corpus``."""
    from frontline.release.dataset import DATASET_VERSION

    check_name(name)
    c = tuned_c(results)
    train_docs, validation = load_training(corpus, scheme)
    log(f"training {name} on {len(train_docs)} train articles...")
    model = train(
        name, train_docs, validation, scheme, c=c, ner_config=ner_config, version=DATASET_VERSION
    )
    log(f"trained {model.version} in {model.train_seconds:.1f} s")
    return model


# --- what the pushed pre-annotations got right ----------------------------------------------


def pushed_matches(
    tasks: Sequence[Mapping[str, Any]], gold: Sequence[Document]
) -> dict[str, tuple[int, Matches]]:
    """Per ``model_version``: how many gold articles its predictions in the export cover, and
    how much of their gold they got exactly right (:func:`exact_matches`)."""
    by_id = {d.doc_id: d for d in gold}
    pairs: dict[str, tuple[list[Document], list[Document]]] = {}
    for task in tasks:
        doc_id, text = str(task["data"]["doc_id"]), task["data"]["text"]
        for prediction in task.get("predictions", []):
            if doc_id not in by_id:
                continue
            golds, predicted = pairs.setdefault(str(prediction.get("model_version")), ([], []))
            golds.append(by_id[doc_id])
            predicted.append(from_result(doc_id, text, prediction["result"]))
    return {name: (len(pair[0]), exact_matches(*pair)) for name, pair in sorted(pairs.items())}


def pushed_table(measured: dict[str, tuple[int, Matches]]) -> list[str]:
    """The Markdown section on the export's own pre-annotations (``annotation/stats.md``)."""
    rows = [
        (name, n, _share(m.regions_right, m.regions), _share(m.relations_right, m.relations))
        for name, (n, m) in measured.items()
    ]
    return [
        "## Pre-annotation in the export: what it got right",
        "",
        "The predictions `frontline push --predictions` attached to the tasks, as the export "
        "holds them, against the gold of the same articles (exactly right as above). These are "
        "what an annotator opening the task in Label Studio saw first.",
        "",
        *markdown_table(("model version", "articles", *MATCHES_HEADER[1:]), rows).splitlines(),
    ]
