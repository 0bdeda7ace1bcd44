"""Confidence intervals and significance by bootstrap over test documents.

One set of resamples (:func:`resamples`) serves every system: the intervals of all systems
and the paired test see the same documents. ``scipy.stats.bootstrap(paired=True,
method="percentile", rng=numpy.random.default_rng(seed))`` draws exactly these resamples, but
its percentile interpolates as ``(1 - g) * a + g * b``, which is not exact where ``a == b``
(four identical documents give 0.6666666666666665 for 2/3) and moves recorded bounds in the
last bit (0.4132485490384873 for 0.41324854903848723); numpy's percentile keeps them exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from frontline.eval.metrics import DocScores, total

Score = Callable[[DocScores], float]


def resamples(n_docs: int, n: int, seed: int) -> np.ndarray:
    """``n`` bootstrap samples of document indices (with replacement), from ``seed``."""
    return np.random.default_rng(seed).integers(0, n_docs, size=(n, n_docs))


def bootstrap_ci(
    per_doc: Sequence[DocScores], score: Score, samples: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of ``score`` over the resampled document sets."""
    values = [score(total(per_doc[i] for i in row)) for row in samples]
    lo, hi = np.percentile(values, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return float(lo), float(hi)


def paired_p_value(
    better: Sequence[DocScores], worse: Sequence[DocScores], score: Score, samples: np.ndarray
) -> float:
    """One-sided paired bootstrap: the share of resamples where ``better`` does not beat ``worse``
    (the same documents are drawn for both systems)."""
    losses = sum(
        score(total(better[i] for i in row)) <= score(total(worse[i] for i in row))
        for row in samples
    )
    return float(losses) / len(samples)


def kfold(doc_ids: Sequence[str], k: int, seed: int) -> list[list[str]]:
    """``k`` folds of whole documents: a seeded shuffle of the sorted ids, dealt round robin.

    (scikit-learn's ``KFold(shuffle=True, random_state=seed)`` cuts another permutation into
    contiguous blocks: other folds than the recorded cross-validation's.)"""
    order = sorted(doc_ids)
    np.random.default_rng(seed).shuffle(order)
    return [order[i::k] for i in range(k)]
