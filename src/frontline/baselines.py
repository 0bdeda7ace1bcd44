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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from frontline import evaluation, metrics, models
from frontline.documents import Document
from frontline.metrics import DocScores
from frontline.scheme import Scheme

SEED = 20241202
N_BOOTSTRAP = 1000
K_FOLDS = 5
C_GRID = (0.1, 1.0, 10.0)
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

    from frontline.dataset import document_from_row

    splits = load_dataset(str(corpus), "documents", cache_dir=str(cache) if cache else None)
    docs = {name: [document_from_row(r, scheme.entity_names, scheme.relation_names) for r in rows]
            for name, rows in splits.items()}
    return Data(docs.get("train", []), docs.get("validation", []), docs.get("test", []), dataset_checksum(corpus))


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
    return [metrics.score_document(g, p, scheme.entity_names, scheme.relation_names) for g, p in zip(gold, pred)]


def rounded(value: float) -> float:
    return round(float(value), 4)


def entity_summary(per_doc: list[DocScores], scheme: Scheme, samples) -> dict[str, Any]:
    totals = metrics.total(per_doc)
    out: dict[str, Any] = {}
    for scheme_name in metrics.SCHEMES:
        half = scheme_name in ("partial", "type")
        p, r, f = totals.entities[scheme_name]["overall"].prf(half)
        per_label = {lab: rounded(totals.entities[scheme_name][lab].prf(half)[2]) for lab in scheme.entity_names}
        out[scheme_name] = {"precision": rounded(p), "recall": rounded(r), "f1": rounded(f),
                            "macro_f1": rounded(metrics.macro(per_label)), "per_label_f1": per_label}
    lo, hi = evaluation.bootstrap_ci(per_doc, lambda s: metrics.entity_f1(s), samples)
    out["strict"]["f1_ci95"] = [rounded(lo), rounded(hi)]
    return out


def relation_summary(per_doc: list[DocScores], scheme: Scheme, samples) -> dict[str, Any]:
    totals = metrics.total(per_doc)
    out: dict[str, Any] = {}
    for setting in ("strict", "boundaries"):
        c = totals.relations[setting]["overall"]
        per_label = {lab: rounded(totals.relations[setting][lab].f1 or 0.0) for lab in scheme.relation_names}
        out[setting] = {"precision": rounded(c.precision or 0.0), "recall": rounded(c.recall or 0.0),
                        "f1": rounded(c.f1 or 0.0), "macro_f1": rounded(metrics.macro(per_label)),
                        "per_label_f1": per_label, "tp": c.tp, "fp": c.fp, "fn": c.fn}
        lo, hi = evaluation.bootstrap_ci(per_doc, lambda s, st=setting: metrics.relation_f1(s, st), samples)
        out[setting]["f1_ci95"] = [rounded(lo), rounded(hi)]
    out["reversed_direction"] = totals.reversed
    return out


def timed(label: str, fn: Callable[[], Any], log: Callable[[str], None]) -> Any:
    start = time.perf_counter()
    value = fn()
    log(f"{label}: {time.perf_counter() - start:.1f} s")
    return value


def tune(build: Callable[[float], Any], evaluate: Callable[[Any], float]) -> tuple[Any, float, dict[str, float]]:
    """Fit one model per C in ``C_GRID``; keep the best on validation (ties: the smaller C)."""
    tried = {}
    best = None
    for c in C_GRID:
        model = build(c)
        tried[str(c)] = rounded(evaluate(model))
        if best is None or tried[str(c)] > best[1]:
            best = (model, tried[str(c)], c)
    return best[0], best[2], tried


def run(data: Data, scheme: Scheme, config: Path, log: Callable[[str], None] = print,
        spacy_overrides: dict[str, object] | None = None) -> tuple[dict[str, Any], dict[str, list[Document]]]:
    """Train, tune, predict and score everything; return (results, test predictions)."""
    samples = evaluation.resamples(len(data.test), N_BOOTSTRAP, SEED)
    labels = scheme.entity_names

    def ner_val_f1(model) -> float:
        return metrics.entity_f1(metrics.total(score(data.validation, [model.predict(*strip(d)) for d in data.validation], scheme)))

    entity_models: dict[str, Any] = {}
    tuning: dict[str, Any] = {}
    entity_models["lexicon"] = timed("lexicon: train", lambda: models.LexiconNer(data.train, labels), log)
    model, c, tried = timed("sklearn-ner: train and tune C", lambda: tune(
        lambda c: models.SklearnNer(data.train, labels, C=c, seed=SEED), ner_val_f1), log)
    entity_models["sklearn-ner"], tuning["sklearn-ner"] = model, {"C": c, "validation_strict_f1": tried}
    entity_models["spacy-ner"] = timed("spacy-ner: train", lambda: models.SpacyNer(
        data.train, data.validation, config, seed=SEED, overrides=spacy_overrides), log)

    predictions: dict[str, list[Document]] = {}
    per_doc: dict[str, list[DocScores]] = {}
    results: dict[str, Any] = {"entities": {}, "relations": {"gold_entities": {}, "end_to_end": {}}}
    validation_f1 = {}
    for name, m in entity_models.items():
        predictions[name] = timed(f"{name}: predict test", lambda m=m: [m.predict(*strip(d)) for d in data.test], log)
        per_doc[name] = score(data.test, predictions[name], scheme)
        results["entities"][name] = entity_summary(per_doc[name], scheme, samples)
        validation_f1[name] = ner_val_f1(m)
    best_entity = max(validation_f1, key=lambda n: (validation_f1[n], n))

    def rel_val_f1(model) -> float:
        preds = [model.predict(gold_entities_only(d)) for d in data.validation]
        return metrics.relation_f1(metrics.total(score(data.validation, preds, scheme)))

    relation_models: dict[str, Any] = {}
    relation_models["type-pair-prior"] = timed("type-pair-prior: train", lambda: models.TypePairPrior(
        data.train, data.validation), log)
    model, c, tried = timed("sklearn-relations: train and tune C", lambda: tune(
        lambda c: models.SklearnRelations(data.train, C=c, seed=SEED), rel_val_f1), log)
    relation_models["sklearn-relations"], tuning["sklearn-relations"] = model, {"C": c, "validation_strict_f1": tried}
    for name, m in relation_models.items():
        gold_input = [m.predict(gold_entities_only(d)) for d in data.test]
        predictions[f"{name}@gold"] = gold_input
        per_doc[f"{name}@gold"] = score(data.test, gold_input, scheme)
        results["relations"]["gold_entities"][name] = relation_summary(per_doc[f"{name}@gold"], scheme, samples)
        e2e = [m.predict(p) for p in predictions[best_entity]]
        predictions[f"{name}@{best_entity}"] = e2e
        per_doc[f"{name}@e2e"] = score(data.test, e2e, scheme)
        results["relations"]["end_to_end"][name] = relation_summary(per_doc[f"{name}@e2e"], scheme, samples)
    results["relations"]["end_to_end_entity_model"] = best_entity
    results["significance"] = significance(per_doc, samples)
    results["tuning"] = tuning
    results["validation_entity_strict_f1"] = {k: rounded(v) for k, v in sorted(validation_f1.items())}
    return results, predictions


def significance(per_doc: dict[str, list[DocScores]], samples) -> dict[str, Any]:
    """Paired bootstrap p-value of each system against the next better one (by test F1)."""
    groups = {
        "entities_strict": ([k for k in per_doc if "@" not in k], metrics.entity_f1),
        "relations_gold_entities_strict": ([k for k in per_doc if k.endswith("@gold")], metrics.relation_f1),
        "relations_end_to_end_strict": ([k for k in per_doc if k.endswith("@e2e")], metrics.relation_f1),
    }
    out = {}
    for group, (names, fn) in groups.items():
        ranked = sorted(names, key=lambda n: (-fn(metrics.total(per_doc[n])), n))
        out[group] = [{"system": worse.split("@")[0], "against": better.split("@")[0],
                       "p_value": rounded(evaluation.paired_p_value(per_doc[better], per_doc[worse], fn, samples))}
                      for better, worse in zip(ranked, ranked[1:])]
    return out


def cross_validation(data: Data, scheme: Scheme, log: Callable[[str], None], tuning: dict[str, Any]) -> dict[str, Any]:
    """k-fold over all released documents (whole documents per fold), C fixed to the tuned value."""
    docs = {d.doc_id: d for d in [*data.train, *data.validation, *data.test]}
    folds = evaluation.kfold(list(docs), K_FOLDS, SEED)
    labels = scheme.entity_names
    systems: dict[str, Callable[[list[Document], list[Document]], float]] = {
        "lexicon": lambda tr, te: _ner_f1(models.LexiconNer(tr, labels), te, scheme),
        "sklearn-ner": lambda tr, te: _ner_f1(models.SklearnNer(tr, labels, C=tuning["sklearn-ner"]["C"], seed=SEED), te, scheme),
        "sklearn-relations@gold": lambda tr, te: _rel_f1(models.SklearnRelations(tr, C=tuning["sklearn-relations"]["C"], seed=SEED), te, scheme),
    }
    out = {}
    for name, fn in systems.items():
        scores = []
        for k, held_out in enumerate(folds):
            train = [docs[d] for f in folds if f is not held_out for d in f]
            scores.append(fn(train, [docs[d] for d in held_out]))
        mean = sum(scores) / len(scores)
        std = (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5 if len(scores) > 1 else 0.0
        out[name] = {"folds": [rounded(s) for s in scores], "mean": rounded(mean), "std": rounded(std)}
        log(f"cross-validation {name}: {mean:.3f} ± {std:.3f}")
    return {"k": K_FOLDS, "folds": [sorted(f) for f in folds], "strict_f1": out}


def _ner_f1(model, docs: list[Document], scheme: Scheme) -> float:
    return metrics.entity_f1(metrics.total(score(docs, [model.predict(*strip(d)) for d in docs], scheme)))


def _rel_f1(model, docs: list[Document], scheme: Scheme) -> float:
    return metrics.relation_f1(metrics.total(score(docs, [model.predict(gold_entities_only(d)) for d in docs], scheme)))


def package_versions() -> dict[str, str]:
    return {name: version(name) for name in PACKAGES}


def results_json(results: dict[str, Any]) -> str:
    return json.dumps(results, indent=2, sort_keys=True) + "\n"
