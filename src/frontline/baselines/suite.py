"""``frontline baselines``: train, tune, predict and score every baseline; record the results.

Everything runs on the released dataset in ``corpus/`` (``documents`` config): train on
``train``, tune on ``validation``, score on ``test``. The models are those of
:mod:`frontline.baselines.registry`; each scored model-in-a-setting is a
:class:`~frontline.baselines.registry.System`. ``baselines/results.json`` holds the scores,
confidence intervals, seeds, package versions and a checksum of the dataset, in the shape
:mod:`frontline.baselines.record` declares; ``baselines/RESULTS.md`` is generated from it.
Timings are printed, never recorded, so that two runs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import numpy as np

from frontline.baselines.models import DEFAULT_C, Baseline, EntityModel, RelationModel, Training
from frontline.baselines.record import (
    Comparison,
    CrossValidation,
    EntitySummary,
    Folds,
    RelationSummary,
    Reproducibility,
    Results,
    Scores,
    Seeds,
    Spread,
    Tuning,
    results_json,
)
from frontline.baselines.registry import ENTITY_MODELS, RELATION_MODELS, Family, Setting, System
from frontline.core.documents import Document
from frontline.core.scheme import Scheme
from frontline.eval import bootstrap, metrics
from frontline.eval.metrics import DocScores

SEED = 20241202
N_BOOTSTRAP = 1000
K_FOLDS = 5
C_GRID = (0.1, 1.0, 10.0)
SELECTION_DECIMALS = 2
SELECTION_RULE = (
    f"validation strict F1 rounded to {SELECTION_DECIMALS} decimals; ties go to the simpler "
    f"model (the smaller C; {' < '.join(kind.name for kind in ENTITY_MODELS)})"
)
# the recorded run's seed, and two more for the spread over seeds of every trained model
SEEDS = (SEED, SEED + 1, SEED + 2)
PACKAGES = ("datasets", "numpy", "scikit-learn", "spacy")
#: The key of each setting's block in ``significance``.
SIGNIFICANCE_GROUPS = {
    Setting.ENTITIES: "entities_strict",
    Setting.GOLD: "relations_gold_entities_strict",
    Setting.END_TO_END: "relations_end_to_end_strict",
}

M = TypeVar("M")


def families(
    family: Family | None,
) -> tuple[tuple[type[EntityModel], ...], tuple[type[RelationModel], ...]]:
    """The entity and relation models of ``family``; None: :data:`ENTITY_MODELS` and
    :data:`RELATION_MODELS` (the classic family; tests replace them)."""
    if family is None:
        return ENTITY_MODELS, RELATION_MODELS
    return family.entity_models, family.relation_models


@dataclass(frozen=True)
class Data:
    """The released documents per split, and the checksum of the dataset they were read from."""

    train: list[Document]
    validation: list[Document]
    test: list[Document]
    checksum: str


@dataclass(frozen=True)
class Scored:
    """A system's test predictions and their scores per document."""

    predictions: list[Document]
    per_doc: list[DocScores]


def load_data(corpus: Path, scheme: Scheme, cache: Path | None = None) -> Data:
    """The ``documents`` config of the built dataset, as Documents per split."""
    from datasets import load_dataset

    from frontline.release.dataset import document_from_row

    splits = load_dataset(str(corpus), "documents", cache_dir=str(cache) if cache else None)
    docs = {
        name: [document_from_row(r, scheme.entity_names, scheme.relation_names) for r in rows]
        for name, rows in splits.items()
    }
    return Data(
        docs.get("train", []),
        docs.get("validation", []),
        docs.get("test", []),
        dataset_checksum(corpus),
    )


def dataset_checksum(corpus: Path) -> str:
    """SHA-256 over the names and bytes of the dataset's parquet files (not the card)."""
    digest = hashlib.sha256()
    for path in sorted(corpus.rglob("*.parquet")):
        digest.update(path.relative_to(corpus).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def strip(doc: Document) -> tuple[str, str]:
    """What an entity model is given: the id and the text."""
    return doc.doc_id, doc.text


def gold_entities_only(doc: Document) -> Document:
    """What a relation model is given with gold entities: the document without its relations."""
    return Document(doc.doc_id, doc.text, doc.entities, ())


def score(gold: Sequence[Document], pred: Sequence[Document], scheme: Scheme) -> list[DocScores]:
    """The scores of each predicted document against its gold one."""
    return [
        metrics.score_document(g, p, scheme.entity_names, scheme.relation_names)
        for g, p in zip(gold, pred, strict=True)
    ]


def rounded(value: float) -> float:
    """A figure as results.json records it: 4 decimals."""
    return round(float(value), 4)


def entity_summary(per_doc: list[DocScores], scheme: Scheme, samples: np.ndarray) -> EntitySummary:
    """An entity system's scores under every matching scheme, with the strict F1's interval."""
    totals = metrics.total(per_doc)
    out: dict[str, Scores] = {}
    for scheme_name in metrics.SCHEMES:
        half = scheme_name in ("partial", "type")
        p, r, f = totals.entities[scheme_name]["overall"].prf(half)
        per_label = {
            lab: rounded(totals.entities[scheme_name][lab].prf(half)[2])
            for lab in scheme.entity_names
        }
        out[scheme_name] = {
            "precision": rounded(p),
            "recall": rounded(r),
            "f1": rounded(f),
            "macro_f1": rounded(metrics.macro(per_label)),
            "per_label_f1": per_label,
        }
    lo, hi = bootstrap.bootstrap_ci(per_doc, lambda s: metrics.entity_f1(s), samples)
    out["strict"]["f1_ci95"] = [rounded(lo), rounded(hi)]
    return EntitySummary(
        strict=out["strict"], exact=out["exact"], partial=out["partial"], type=out["type"]
    )


def relation_summary(
    per_doc: list[DocScores], scheme: Scheme, samples: np.ndarray
) -> RelationSummary:
    """A relation system's strict and boundaries scores, with counts and intervals."""
    totals = metrics.total(per_doc)
    out = {}
    for setting in ("strict", "boundaries"):
        c = totals.relations[setting]["overall"]
        precision, recall, f1 = c.prf()
        per_label = {
            lab: rounded(totals.relations[setting][lab].prf()[2]) for lab in scheme.relation_names
        }
        lo, hi = bootstrap.bootstrap_ci(
            per_doc, lambda s, st=setting: metrics.relation_f1(s, st), samples
        )
        out[setting] = {
            "precision": rounded(precision),
            "recall": rounded(recall),
            "f1": rounded(f1),
            "macro_f1": rounded(metrics.macro(per_label)),
            "per_label_f1": per_label,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
            "f1_ci95": [rounded(lo), rounded(hi)],
        }
    return RelationSummary(
        strict=out["strict"], boundaries=out["boundaries"], reversed_direction=totals.reversed
    )


def timed(label: str, fn: Callable[[], M], log: Callable[[str], None]) -> M:
    """``fn()``, its time logged under ``label``."""
    start = time.perf_counter()
    value = fn()
    log(f"{label}: {time.perf_counter() - start:.1f} s")
    return value


def selection_score(value: float) -> float:
    """A validation score as model selection compares it: rounded to ``SELECTION_DECIMALS``, so
    that a difference in the last bits of a sum never decides (issue 15: 0.4965 vs 0.4930)."""
    return round(float(value), SELECTION_DECIMALS)


def tune(
    build: Callable[[float], M], evaluate: Callable[[M], float]
) -> tuple[M, float, dict[str, float]]:
    """Fit one model per C in ``C_GRID`` (smallest first); keep the best on validation by
    :func:`selection_score`, ties to the smaller C (the simpler, more regularised model)."""
    tried: dict[str, float] = {}
    best: tuple[M, float, float] | None = None
    for c in sorted(C_GRID):
        model = build(c)
        tried[str(c)] = rounded(evaluate(model))
        if best is None or selection_score(tried[str(c)]) > selection_score(best[1]):
            best = (model, tried[str(c)], c)
    assert best is not None  # C_GRID is not empty
    return best[0], best[2], tried


def train(
    kind: type[Baseline],
    training: Training,
    validation_f1: Callable[[Baseline], float],
    tuning: dict[str, Tuning],
    log: Callable[[str], None],
) -> Baseline:
    """Train one registered model with :data:`SEED`; a ``tuned`` one once per C of the grid,
    keeping the best on ``validation_f1`` and recording the choice in ``tuning``."""
    if not kind.tuned:
        model = timed(f"{kind.name}: train", lambda: kind.fit(training, seed=SEED), log)
        if (chosen := model.selected()) is not None:
            tuning[kind.name] = chosen  # type: ignore[typeddict-item]
        return model
    model, c, tried = timed(
        f"{kind.name}: train and tune C",
        lambda: tune(lambda c: kind.fit(training, c=c, seed=SEED), validation_f1),
        log,
    )
    tuning[kind.name] = {"C": c, "validation_strict_f1": tried}
    return model


def run(
    data: Data,
    scheme: Scheme,
    config: Path,
    log: Callable[[str], None] = print,
    spacy_overrides: dict[str, object] | None = None,
    family: Family | None = None,
) -> tuple[Results, dict[str, list[Document]]]:
    """Train, tune, predict and score every registered model (of ``family``: see
    :func:`families`); return the results and the test predictions of every system, keyed by
    :attr:`System.label` (the prediction files' names)."""
    training = Training(data.train, data.validation, scheme.entity_names, config, spacy_overrides)
    samples = bootstrap.resamples(len(data.test), N_BOOTSTRAP, SEED)
    tuning: dict[str, Tuning] = {}
    scored: dict[System, Scored] = {}
    entity_models, relation_models = families(family)
    validation_f1 = _entity_systems(data, scheme, training, tuning, scored, log, entity_models)
    simplest_first = list(validation_f1)  # the registry's order
    best = max(
        validation_f1, key=lambda n: (selection_score(validation_f1[n]), -simplest_first.index(n))
    )
    _relation_systems(data, scheme, training, tuning, scored, best, log, relation_models)
    summaries = {
        setting: {
            system.model: (entity_summary if setting is Setting.ENTITIES else relation_summary)(
                s.per_doc, scheme, samples
            )
            for system, s in scored.items()
            if system.setting is setting
        }
        for setting in Setting
    }
    results: Results = {
        "entities": summaries[Setting.ENTITIES],
        "relations": {
            "gold_entities": summaries[Setting.GOLD],
            "end_to_end": summaries[Setting.END_TO_END],
            "end_to_end_entity_model": best,
        },
        "significance": significance({k: s.per_doc for k, s in scored.items()}, samples),
        "tuning": tuning,
        "validation_entity_strict_f1": {k: rounded(v) for k, v in sorted(validation_f1.items())},
    }
    return results, {system.label: s.predictions for system, s in scored.items()}


def _entity_systems(
    data: Data,
    scheme: Scheme,
    training: Training,
    tuning: dict[str, Tuning],
    scored: dict[System, Scored],
    log: Callable[[str], None],
    kinds: Sequence[type[EntityModel]],
) -> dict[str, float]:
    """Train every entity model of ``kinds``, add its test predictions and scores to
    ``scored``; return each one's validation strict F1."""
    models: dict[str, EntityModel] = {}
    for kind in kinds:
        model = train(kind, training, lambda m: ner_f1(m, data.validation, scheme), tuning, log)
        assert isinstance(model, EntityModel)
        models[kind.name] = model
    validation_f1 = {}
    for name, model in models.items():
        predictions = timed(
            f"{name}: predict test", lambda m=model: [m.predict(*strip(d)) for d in data.test], log
        )
        scored[System(name)] = Scored(predictions, score(data.test, predictions, scheme))
        validation_f1[name] = ner_f1(model, data.validation, scheme)
    return validation_f1


def _relation_systems(
    data: Data,
    scheme: Scheme,
    training: Training,
    tuning: dict[str, Tuning],
    scored: dict[System, Scored],
    entity_model: str,
    log: Callable[[str], None],
    kinds: Sequence[type[RelationModel]],
) -> None:
    """Train every relation model of ``kinds``; add to ``scored`` its test predictions and
    scores given the gold entities, and end to end given those of ``entity_model``."""
    models: dict[str, RelationModel] = {}
    for kind in kinds:
        model = train(kind, training, lambda m: rel_f1(m, data.validation, scheme), tuning, log)
        assert isinstance(model, RelationModel)
        models[kind.name] = model
    entities = scored[System(entity_model)].predictions
    for name, model in models.items():
        gold = timed(
            f"{name}: predict test (gold entities)",
            lambda m=model: [m.predict(gold_entities_only(d)) for d in data.test],
            log,
        )
        scored[System(name, Setting.GOLD)] = Scored(gold, score(data.test, gold, scheme))
        e2e = [model.predict(p) for p in entities]
        scored[System(name, Setting.END_TO_END, entity_model)] = Scored(
            e2e, score(data.test, e2e, scheme)
        )


def spread(scores: Sequence[float]) -> Spread:
    """Scores over seeds with their mean and sample standard deviation, rounded."""
    return {
        "strict_f1": [rounded(x) for x in scores],
        "mean": rounded(statistics.mean(scores)),
        "std": rounded(statistics.stdev(scores)) if len(scores) > 1 else 0.0,
    }


def tuned_c(kind: type[Baseline], tuning: Mapping[str, Tuning]) -> float:
    """The C to train ``kind`` with: the tuned one (the default for a model without C)."""
    return tuning[kind.name]["C"] if kind.tuned else DEFAULT_C


def seed_spread(
    data: Data,
    scheme: Scheme,
    config: Path,
    results: Results,
    log: Callable[[str], None],
    spacy_overrides: dict[str, object] | None = None,
    family: Family | None = None,
) -> Seeds:
    """Test strict F1 of every ``seeded`` model (of ``family``: see :func:`families`) over
    ``SEEDS`` (C fixed to the tuned value; the first seed's score is the recorded run's). lbfgs
    is deterministic: its seed changes nothing, and its spread says so. A model that chooses
    something on validation by itself (:meth:`Baseline.selected`) has its choice per seed
    recorded beside the scores."""
    entity_models, relation_models = families(family)
    training = Training(data.train, data.validation, scheme.entity_names, config, spacy_overrides)
    tuning = results["tuning"]
    out: Seeds = {"seeds": list(SEEDS), "entities": {}, "relations_gold_entities": {}}
    kinds: list[tuple[type[Baseline], float, Callable[[Baseline], float]]] = [
        (
            kind,
            results["entities"][kind.name]["strict"]["f1"],
            lambda m: ner_f1(m, data.test, scheme),
        )
        for kind in entity_models
        if kind.seeded
    ]
    kinds += [
        (
            kind,
            results["relations"]["gold_entities"][kind.name]["strict"]["f1"],
            lambda m: rel_f1(m, data.test, scheme),
        )
        for kind in relation_models
        if kind.seeded
    ]
    for kind, recorded, test_f1 in kinds:
        c = tuned_c(kind, tuning)
        scores, chosen = [recorded], [tuning.get(kind.name)]
        for seed in SEEDS[1:]:
            model = timed(
                f"{kind.name}: seed {seed}",
                lambda k=kind, c=c, s=seed: k.fit(training, c=c, seed=s),
                log,
            )
            scores.append(test_f1(model))
            chosen.append(model.selected())
        group = "entities" if issubclass(kind, EntityModel) else "relations_gold_entities"
        out[group][kind.name] = spread(scores)
        if chosen[-1] is not None:
            out[group][kind.name]["selected"] = chosen  # type: ignore[typeddict-item]
    return out


def significance(
    per_doc: Mapping[System, list[DocScores]], samples: np.ndarray
) -> dict[str, list[Comparison]]:
    """Paired bootstrap p-value of each system against the next better one (by test F1), within
    each setting."""
    out = {}
    for setting, group in SIGNIFICANCE_GROUPS.items():
        fn = metrics.entity_f1 if setting is Setting.ENTITIES else metrics.relation_f1
        ranked = sorted(
            (system for system in per_doc if system.setting is setting),
            key=lambda n: (-fn(metrics.total(per_doc[n])), n.label),
        )
        out[group] = [
            Comparison(
                system=worse.model,
                against=better.model,
                p_value=rounded(
                    bootstrap.paired_p_value(per_doc[better], per_doc[worse], fn, samples)
                ),
            )
            for better, worse in zip(ranked, ranked[1:], strict=False)
        ]
    return out


def cross_validation(
    data: Data, scheme: Scheme, log: Callable[[str], None], tuning: Mapping[str, Tuning]
) -> CrossValidation:
    """k-fold over all released documents (whole documents per fold) of every ``kfold`` model
    (a relation model given the gold entities), C fixed to the tuned value."""
    docs = {d.doc_id: d for d in [*data.train, *data.validation, *data.test]}
    folds = bootstrap.kfold(list(docs), K_FOLDS, SEED)
    systems: list[tuple[System, type[Baseline], Callable[[Baseline, list[Document]], float]]] = [
        (System(kind.name), kind, lambda m, te: ner_f1(m, te, scheme))
        for kind in ENTITY_MODELS
        if kind.kfold
    ]
    systems += [
        (System(kind.name, Setting.GOLD), kind, lambda m, te: rel_f1(m, te, scheme))
        for kind in RELATION_MODELS
        if kind.kfold
    ]
    out: dict[str, Folds] = {}
    for system, kind, test_f1 in systems:
        scores = []
        for held_out in folds:
            train = [docs[d] for f in folds if f is not held_out for d in f]
            model = kind.fit(
                Training(train, [], scheme.entity_names), c=tuned_c(kind, tuning), seed=SEED
            )
            scores.append(test_f1(model, [docs[d] for d in held_out]))
        out[system.label] = _folds(scores)
        log(
            f"cross-validation {system.label}: {out[system.label]['mean']:.3f} ± "
            f"{out[system.label]['std']:.3f}"
        )
    return {"k": K_FOLDS, "folds": [sorted(f) for f in folds], "strict_f1": out}


def _folds(scores: Sequence[float]) -> Folds:
    """Scores over folds with their mean and sample standard deviation, rounded."""
    mean = sum(scores) / len(scores)
    std = (
        (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5
        if len(scores) > 1
        else 0.0
    )
    return {"folds": [rounded(s) for s in scores], "mean": rounded(mean), "std": rounded(std)}


def ner_f1(model: EntityModel, docs: Sequence[Document], scheme: Scheme) -> float:
    """Strict entity F1 of ``model`` on ``docs``."""
    return metrics.entity_f1(
        metrics.total(score(docs, [model.predict(*strip(d)) for d in docs], scheme))
    )


def rel_f1(model: RelationModel, docs: Sequence[Document], scheme: Scheme) -> float:
    """Strict relation F1 of ``model`` on ``docs``, given their gold entities."""
    return metrics.relation_f1(
        metrics.total(score(docs, [model.predict(gold_entities_only(d)) for d in docs], scheme))
    )


def package_versions() -> dict[str, str]:
    """The installed versions of :data:`PACKAGES`."""
    return {name: version(name) for name in PACKAGES}


EXACT = (
    "every figure of the classic systems: entities (lexicon, sklearn-ner, spacy-ner), relations "
    "with gold entities and end to end, the seeds, the significance tests, the validation scores "
    "and the cross-validation"
)
BLIS = (
    "blis, which picks its kernel from the CPU and has no setting to override it, is left out of "
    "spacy-ner: thinc multiplies through NumPy (use_blis=False), and frontline.baselines.blas "
    "puts NumPy's product in place of the sgemm of thinc's C BLAS table, with which spaCy's "
    "parser scores its actions; the one other function spaCy takes from that table, saxpy, is "
    "only called with alpha = 1, which every kernel computes exactly"
)


def reproducibility(spread_file: Path, checksum: str) -> Reproducibility:
    """What is exact on every x86-64 machine and how, with what the pinning guards against
    (``spread_file``: written by ``scripts/numerics_spread.py`` for this dataset)."""
    from frontline.baselines import numerics

    measured = None
    if spread_file.is_file():
        spread_record = json.loads(spread_file.read_text(encoding="utf-8"))
        if spread_record.get("dataset_sha256") == checksum:
            measured = spread_record
    return {
        "numerics": {k: v for k, v in numerics.PINNED.items() if k != numerics.MARKER},
        "exact": EXACT,
        "blis": BLIS,
        "spacy_ner_spread": measured,
    }


def against_recorded(found: Results, path: Path) -> tuple[Results, str]:
    """Compare a run with the recorded ``results.json``: where only ``platform`` differs the
    recorded file is kept as it is (the figures were reproduced), and the verdict says so."""
    if not path.is_file():
        return found, f"no recorded results at {path}: wrote them"
    recorded = json.loads(path.read_text(encoding="utf-8"))
    found = json.loads(results_json(found))  # as it would be read back (lists, not tuples)
    this = found["platform"]
    if {k: v for k, v in recorded.items() if k != "platform"} == {
        k: v for k, v in found.items() if k != "platform"
    }:
        made_on = recorded.get("platform", {}).get("cpu_model", "an unrecorded machine")
        return {**found, "platform": recorded.get("platform", this)}, (
            f"REPRODUCED: every figure equals the recorded results.json (recorded on {made_on}; "
            f"this run on {this['cpu_model']}, {this['cpu_count']} CPUs)"
        )
    changed = sorted(
        k for k in {*recorded, *found} - {"platform"} if recorded.get(k) != found.get(k)
    )
    return (
        found,
        f"CHANGED: results.json differs from the recorded one in {', '.join(changed)} "
        "(see git diff)",
    )


def rare_labels(
    data: Data, scheme: Scheme, below: int | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """Labels with fewer than ``below`` (the card's ``RARE_BELOW``) gold instances in the
    validation and test splits, with their counts: their per-label scores are mostly noise."""
    from frontline.release.card import RARE_BELOW

    below = RARE_BELOW if below is None else below
    out = {}
    for split, docs in (("validation", data.validation), ("test", data.test)):
        ents = Counter(e.label for d in docs for e in d.entities)
        rels = Counter(r.label for d in docs for r in d.relations)
        out[split] = {
            "entities": {n: ents[n] for n in scheme.entity_names if ents[n] < below},
            "relations": {n: rels[n] for n in scheme.relation_names if rels[n] < below},
        }
    return out
