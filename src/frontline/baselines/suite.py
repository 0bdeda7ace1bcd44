"""``frontline baselines``: train, tune, predict and score every baseline; record the results.

Everything runs on the released dataset in ``corpus/`` (``documents`` config): train on
``train``, tune on ``validation``, score on ``test``. ``baselines/results.json`` holds the
scores, confidence intervals, seeds, package versions and a checksum of the dataset;
``baselines/RESULTS.md`` is generated from it. Timings are printed, never recorded, so that
two runs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from frontline.baselines import models
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
    "model (the smaller C; lexicon < sklearn-ner < spacy-ner)"
)
# the recorded run's seed, and two more for the spread over seeds of every trained model
SEEDS = (SEED, SEED + 1, SEED + 2)
SIMPLICITY = ("lexicon", "sklearn-ner", "spacy-ner")
PACKAGES = ("datasets", "numpy", "scikit-learn", "spacy")


@dataclass(frozen=True)
class Data:
    train: list[Document]
    validation: list[Document]
    test: list[Document]
    checksum: str


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
    return doc.doc_id, doc.text


def gold_entities_only(doc: Document) -> Document:
    return Document(doc.doc_id, doc.text, doc.entities, ())


def score(gold: Sequence[Document], pred: Sequence[Document], scheme: Scheme) -> list[DocScores]:
    return [
        metrics.score_document(g, p, scheme.entity_names, scheme.relation_names)
        for g, p in zip(gold, pred)
    ]


def rounded(value: float) -> float:
    return round(float(value), 4)


def entity_summary(per_doc: list[DocScores], scheme: Scheme, samples) -> dict[str, Any]:
    totals = metrics.total(per_doc)
    out: dict[str, Any] = {}
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
    return out


def relation_summary(per_doc: list[DocScores], scheme: Scheme, samples) -> dict[str, Any]:
    totals = metrics.total(per_doc)
    out: dict[str, Any] = {}
    for setting in ("strict", "boundaries"):
        c = totals.relations[setting]["overall"]
        per_label = {
            lab: rounded(totals.relations[setting][lab].f1 or 0.0) for lab in scheme.relation_names
        }
        out[setting] = {
            "precision": rounded(c.precision or 0.0),
            "recall": rounded(c.recall or 0.0),
            "f1": rounded(c.f1 or 0.0),
            "macro_f1": rounded(metrics.macro(per_label)),
            "per_label_f1": per_label,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
        }
        lo, hi = bootstrap.bootstrap_ci(
            per_doc, lambda s, st=setting: metrics.relation_f1(s, st), samples
        )
        out[setting]["f1_ci95"] = [rounded(lo), rounded(hi)]
    out["reversed_direction"] = totals.reversed
    return out


def timed(label: str, fn: Callable[[], Any], log: Callable[[str], None]) -> Any:
    start = time.perf_counter()
    value = fn()
    log(f"{label}: {time.perf_counter() - start:.1f} s")
    return value


def selection_score(value: float) -> float:
    """A validation score as model selection compares it: rounded to ``SELECTION_DECIMALS``, so
    that a difference in the last bits of a sum never decides (issue 15: 0.4965 vs 0.4930)."""
    return round(float(value), SELECTION_DECIMALS)


def tune(
    build: Callable[[float], Any], evaluate: Callable[[Any], float]
) -> tuple[Any, float, dict[str, float]]:
    """Fit one model per C in ``C_GRID`` (smallest first); keep the best on validation by
    :func:`selection_score`, ties to the smaller C (the simpler, more regularised model)."""
    tried = {}
    best = None
    for c in sorted(C_GRID):
        model = build(c)
        tried[str(c)] = rounded(evaluate(model))
        if best is None or selection_score(tried[str(c)]) > selection_score(best[1]):
            best = (model, tried[str(c)], c)
    return best[0], best[2], tried


def run(
    data: Data,
    scheme: Scheme,
    config: Path,
    log: Callable[[str], None] = print,
    spacy_overrides: dict[str, object] | None = None,
) -> tuple[dict[str, Any], dict[str, list[Document]]]:
    """Train, tune, predict and score everything; return (results, test predictions)."""
    samples = bootstrap.resamples(len(data.test), N_BOOTSTRAP, SEED)
    labels = scheme.entity_names

    def ner_val_f1(model) -> float:
        return metrics.entity_f1(
            metrics.total(
                score(data.validation, [model.predict(*strip(d)) for d in data.validation], scheme)
            )
        )

    entity_models: dict[str, Any] = {}
    tuning: dict[str, Any] = {}
    entity_models["lexicon"] = timed(
        "lexicon: train", lambda: models.LexiconNer(data.train, labels), log
    )
    model, c, tried = timed(
        "sklearn-ner: train and tune C",
        lambda: tune(lambda c: models.SklearnNer(data.train, labels, C=c, seed=SEED), ner_val_f1),
        log,
    )
    entity_models["sklearn-ner"], tuning["sklearn-ner"] = (
        model,
        {"C": c, "validation_strict_f1": tried},
    )
    entity_models["spacy-ner"] = timed(
        "spacy-ner: train",
        lambda: models.SpacyNer(
            data.train, data.validation, config, seed=SEED, overrides=spacy_overrides
        ),
        log,
    )

    predictions: dict[str, list[Document]] = {}
    per_doc: dict[str, list[DocScores]] = {}
    results: dict[str, Any] = {"entities": {}, "relations": {"gold_entities": {}, "end_to_end": {}}}
    validation_f1 = {}
    for name, m in entity_models.items():
        predictions[name] = timed(
            f"{name}: predict test", lambda m=m: [m.predict(*strip(d)) for d in data.test], log
        )
        per_doc[name] = score(data.test, predictions[name], scheme)
        results["entities"][name] = entity_summary(per_doc[name], scheme, samples)
        validation_f1[name] = ner_val_f1(m)
    best_entity = max(
        validation_f1, key=lambda n: (selection_score(validation_f1[n]), -SIMPLICITY.index(n))
    )

    def rel_val_f1(model) -> float:
        preds = [model.predict(gold_entities_only(d)) for d in data.validation]
        return metrics.relation_f1(metrics.total(score(data.validation, preds, scheme)))

    relation_models: dict[str, Any] = {}
    relation_models["type-pair-prior"] = timed(
        "type-pair-prior: train", lambda: models.TypePairPrior(data.train, data.validation), log
    )
    model, c, tried = timed(
        "sklearn-relations: train and tune C",
        lambda: tune(lambda c: models.SklearnRelations(data.train, C=c, seed=SEED), rel_val_f1),
        log,
    )
    relation_models["sklearn-relations"], tuning["sklearn-relations"] = (
        model,
        {"C": c, "validation_strict_f1": tried},
    )
    for name, m in relation_models.items():
        gold_input = [m.predict(gold_entities_only(d)) for d in data.test]
        predictions[f"{name}@gold"] = gold_input
        per_doc[f"{name}@gold"] = score(data.test, gold_input, scheme)
        results["relations"]["gold_entities"][name] = relation_summary(
            per_doc[f"{name}@gold"], scheme, samples
        )
        e2e = [m.predict(p) for p in predictions[best_entity]]
        predictions[f"{name}@{best_entity}"] = e2e
        per_doc[f"{name}@e2e"] = score(data.test, e2e, scheme)
        results["relations"]["end_to_end"][name] = relation_summary(
            per_doc[f"{name}@e2e"], scheme, samples
        )
    results["relations"]["end_to_end_entity_model"] = best_entity
    results["significance"] = significance(per_doc, samples)
    results["tuning"] = tuning
    results["validation_entity_strict_f1"] = {
        k: rounded(v) for k, v in sorted(validation_f1.items())
    }
    return results, predictions


def spread(scores: Sequence[float]) -> dict[str, Any]:
    """Scores over seeds with their mean and sample standard deviation, rounded."""
    return {
        "strict_f1": [rounded(x) for x in scores],
        "mean": rounded(statistics.mean(scores)),
        "std": rounded(statistics.stdev(scores)) if len(scores) > 1 else 0.0,
    }


def seed_spread(
    data: Data,
    scheme: Scheme,
    config: Path,
    results: dict[str, Any],
    log: Callable[[str], None],
    spacy_overrides: dict[str, object] | None = None,
) -> dict[str, Any]:
    """Test strict F1 of every trained model over ``SEEDS`` (C fixed to the tuned value; the
    first seed's score is the recorded run's). lbfgs is deterministic: its seed changes nothing,
    and its spread says so."""
    tuning, labels = results["tuning"], scheme.entity_names
    entity = {
        "sklearn-ner": lambda seed: models.SklearnNer(
            data.train, labels, C=tuning["sklearn-ner"]["C"], seed=seed
        ),
        "spacy-ner": lambda seed: models.SpacyNer(
            data.train, data.validation, config, seed=seed, overrides=spacy_overrides
        ),
    }
    out: dict[str, Any] = {"seeds": list(SEEDS), "entities": {}, "relations_gold_entities": {}}
    for name, make in entity.items():
        scores = [results["entities"][name]["strict"]["f1"]]
        for seed in SEEDS[1:]:
            scores.append(
                timed(f"{name}: seed {seed}", lambda: _ner_f1(make(seed), data.test, scheme), log)
            )
        out["entities"][name] = spread(scores)
    c = tuning["sklearn-relations"]["C"]
    scores = [results["relations"]["gold_entities"]["sklearn-relations"]["strict"]["f1"]]
    for seed in SEEDS[1:]:
        scores.append(
            timed(
                f"sklearn-relations: seed {seed}",
                lambda: _rel_f1(
                    models.SklearnRelations(data.train, C=c, seed=seed), data.test, scheme
                ),
                log,
            )
        )
    out["relations_gold_entities"]["sklearn-relations"] = spread(scores)
    return out


def significance(per_doc: dict[str, list[DocScores]], samples) -> dict[str, Any]:
    """Paired bootstrap p-value of each system against the next better one (by test F1)."""
    groups = {
        "entities_strict": ([k for k in per_doc if "@" not in k], metrics.entity_f1),
        "relations_gold_entities_strict": (
            [k for k in per_doc if k.endswith("@gold")],
            metrics.relation_f1,
        ),
        "relations_end_to_end_strict": (
            [k for k in per_doc if k.endswith("@e2e")],
            metrics.relation_f1,
        ),
    }
    out = {}
    for group, (names, fn) in groups.items():
        ranked = sorted(names, key=lambda n: (-fn(metrics.total(per_doc[n])), n))
        out[group] = [
            {
                "system": worse.split("@")[0],
                "against": better.split("@")[0],
                "p_value": rounded(
                    bootstrap.paired_p_value(per_doc[better], per_doc[worse], fn, samples)
                ),
            }
            for better, worse in zip(ranked, ranked[1:])
        ]
    return out


def cross_validation(
    data: Data, scheme: Scheme, log: Callable[[str], None], tuning: dict[str, Any]
) -> dict[str, Any]:
    """k-fold over all released documents (whole documents per fold), C fixed to the tuned value."""
    docs = {d.doc_id: d for d in [*data.train, *data.validation, *data.test]}
    folds = bootstrap.kfold(list(docs), K_FOLDS, SEED)
    labels = scheme.entity_names
    systems: dict[str, Callable[[list[Document], list[Document]], float]] = {
        "lexicon": lambda tr, te: _ner_f1(models.LexiconNer(tr, labels), te, scheme),
        "sklearn-ner": lambda tr, te: _ner_f1(
            models.SklearnNer(tr, labels, C=tuning["sklearn-ner"]["C"], seed=SEED), te, scheme
        ),
        "sklearn-relations@gold": lambda tr, te: _rel_f1(
            models.SklearnRelations(tr, C=tuning["sklearn-relations"]["C"], seed=SEED), te, scheme
        ),
    }
    out = {}
    for name, fn in systems.items():
        scores = []
        for k, held_out in enumerate(folds):
            train = [docs[d] for f in folds if f is not held_out for d in f]
            scores.append(fn(train, [docs[d] for d in held_out]))
        mean = sum(scores) / len(scores)
        std = (
            (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5
            if len(scores) > 1
            else 0.0
        )
        out[name] = {
            "folds": [rounded(s) for s in scores],
            "mean": rounded(mean),
            "std": rounded(std),
        }
        log(f"cross-validation {name}: {mean:.3f} ± {std:.3f}")
    return {"k": K_FOLDS, "folds": [sorted(f) for f in folds], "strict_f1": out}


def _ner_f1(model, docs: list[Document], scheme: Scheme) -> float:
    return metrics.entity_f1(
        metrics.total(score(docs, [model.predict(*strip(d)) for d in docs], scheme))
    )


def _rel_f1(model, docs: list[Document], scheme: Scheme) -> float:
    return metrics.relation_f1(
        metrics.total(score(docs, [model.predict(gold_entities_only(d)) for d in docs], scheme))
    )


def package_versions() -> dict[str, str]:
    return {name: version(name) for name in PACKAGES}


def results_json(results: dict[str, Any]) -> str:
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


EXACT = (
    "entities: lexicon, sklearn-ner; relations with gold entities: sklearn-relations, type-pair-prior; "
    "cross_validation; the seeds of sklearn-ner and sklearn-relations"
)
WITHIN_TOLERANCE = (
    "entities: spacy-ner (and its seeds); relations end to end (they use spacy-ner's entities); "
    "the significance tests and validation scores that involve spacy-ner"
)


def reproducibility(spread_file: Path, checksum: str) -> dict[str, Any]:
    """Which figures are exact on every x86-64 machine and which within a measured tolerance
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
        "within_tolerance": WITHIN_TOLERANCE,
        "why": (
            "spaCy's transition-based parser computes part of its hidden layer (saxpy, and sgemm at "
            "inference) with the blis library, which picks its kernel from the CPU (generic, haswell, "
            "skx, zen...) and cannot be told otherwise; everything else runs under the pinned settings "
            "(reproducibility.numerics in results.json)"
        ),
        "spacy_ner_spread": measured,
    }


def against_recorded(found: dict[str, Any], path: Path) -> tuple[dict[str, Any], str]:
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
        f"CHANGED: results.json differs from the recorded one in {', '.join(changed)} (see git diff)",
    )


def rare_labels(
    data: Data, scheme: Scheme, below: int | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """Labels with fewer than ``below`` (the card's ``RARE_BELOW``) gold instances in the
    validation and test splits, with their counts: their per-label scores are mostly noise."""
    from collections import Counter

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
