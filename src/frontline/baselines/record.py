"""The declared shape of ``baselines/results.json``, and the one function that writes it.

Every block is a ``TypedDict``: the suite builds the record from these types and
:func:`results_json` writes it as it is (keys sorted, two-space indent, floats as the suite
rounded them: :func:`~frontline.baselines.suite.rounded`), so the file read back is the
record. Systems are named here as the outputs spell them (:attr:`System.label
<frontline.baselines.registry.System.label>`).
"""

from __future__ import annotations

import json
from typing import Any, NotRequired, TypedDict


class Scores(TypedDict):
    """One matching scheme's scores of one system (per label: F1 of each label)."""

    precision: float
    recall: float
    f1: float
    macro_f1: float
    per_label_f1: dict[str, float]
    f1_ci95: NotRequired[list[float]]  # [low, high], 95% bootstrap interval over documents


class RelationScores(Scores):
    """A relation setting's scores, with its counts."""

    tp: int
    fp: int
    fn: int


class EntitySummary(TypedDict):
    """An entity system's scores by matching scheme (``frontline.eval.metrics.SCHEMES``)."""

    strict: Scores
    exact: Scores
    partial: Scores
    type: Scores


class RelationSummary(TypedDict):
    """A relation system's scores: strict (entity types count) and boundaries (they do not)."""

    strict: RelationScores
    boundaries: RelationScores
    reversed_direction: int  # predicted with head and tail swapped


class Relations(TypedDict):
    """Relation systems given the gold entities, and end to end."""

    gold_entities: dict[str, RelationSummary]
    end_to_end: dict[str, RelationSummary]
    end_to_end_entity_model: str


class Tuning(TypedDict):
    """The C chosen on validation, and the validation strict F1 of each C tried."""

    C: float
    validation_strict_f1: dict[str, float]


class Comparison(TypedDict):
    """A paired bootstrap test of ``system`` against the next better one."""

    system: str
    against: str
    p_value: float


class Spread(TypedDict):
    """Test strict F1 over seeds, their mean and sample standard deviation."""

    strict_f1: list[float]
    mean: float
    std: float
    selected: NotRequired[list[Any]]  # per seed, what the model chose on validation (epochs)


class Seeds(TypedDict):
    """The spread over seeds of every seeded model."""

    seeds: list[int]
    entities: dict[str, Spread]
    relations_gold_entities: dict[str, Spread]


class Folds(TypedDict):
    """One system's strict F1 on each fold, their mean and sample standard deviation."""

    folds: list[float]
    mean: float
    std: float


class CrossValidation(TypedDict):
    """Document-level k-fold cross-validation: the folds' document ids, and the scores."""

    k: int
    folds: list[list[str]]
    strict_f1: dict[str, Folds]


class Bootstrap(TypedDict):
    resamples: int
    level: float
    seed: int


class Reproducibility(TypedDict):
    """Which figures are exact on every x86-64 machine, and what the pinning guards against."""

    numerics: dict[str, str]
    exact: str
    blis: str  # how the one CPU-chosen kernel left (blis, in spaCy's parser) is taken out
    # scripts/numerics_spread.py's record: spacy-ner under other OpenBLAS kernels and threads
    spacy_ner_spread: dict[str, Any] | None


class Run(TypedDict):
    """What the figures were computed on."""

    dataset_sha256: str
    dataset_version: str
    seed: int
    packages: dict[str, str]
    n_train_documents: int
    n_validation_documents: int
    n_test_documents: int


class TransformerRun(TypedDict):
    """The transformer family's run (``frontline baselines --systems transformer``): its systems'
    scores in the shape of the classic ones, the epochs chosen, the spread over seeds, how they
    were trained, the package versions and what is promised about reproducing them."""

    dataset_sha256: str
    entities: dict[str, EntitySummary]
    relations: Relations
    significance: dict[str, list[Comparison]]
    tuning: dict[str, Any]
    validation_entity_strict_f1: dict[str, float]
    seeds: Seeds
    settings: dict[str, dict[str, Any]]
    packages: dict[str, str]
    reproducibility: dict[str, Any]


class Results(TypedDict, total=False):
    """``results.json``: :func:`frontline.baselines.suite.run` makes the scores, the
    ``frontline baselines`` command adds the other blocks."""

    entities: dict[str, EntitySummary]
    relations: Relations
    significance: dict[str, list[Comparison]]
    tuning: dict[str, Tuning]
    validation_entity_strict_f1: dict[str, float]
    cross_validation: CrossValidation
    seeds: Seeds
    bootstrap: Bootstrap
    model_selection: str
    rare_labels: dict[str, dict[str, dict[str, int]]]
    reproducibility: Reproducibility
    run: Run
    platform: dict[str, Any]  # frontline.baselines.numerics.platform_record
    transformer: TransformerRun


def results_json(results: Results) -> str:
    """The text of ``results.json``."""
    return json.dumps(results, indent=2, sort_keys=True) + "\n"
