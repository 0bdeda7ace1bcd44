import numpy as np
import pytest
from scipy import stats

from frontline.eval.bootstrap import bootstrap_ci, kfold, paired_p_value, resamples
from frontline.eval.metrics import Counts, DocScores, relation_f1, total


def scores(tp, fp, fn):
    return DocScores(relations={"strict": {"overall": Counts(tp, fp, fn)}})


def test_resamples_are_seeded():
    assert np.array_equal(resamples(5, 10, seed=3), resamples(5, 10, seed=3))
    assert not np.array_equal(resamples(5, 10, seed=3), resamples(5, 10, seed=4))
    assert resamples(5, 10, seed=3).shape == (10, 5)


def test_ci_of_identical_documents_is_a_point():
    docs = [scores(1, 1, 0)] * 4
    assert bootstrap_ci(docs, relation_f1, resamples(4, 50, seed=1)) == (2 / 3, 2 / 3)


def test_ci_contains_the_estimate():
    docs = [scores(3, 0, 0), scores(0, 2, 2), scores(1, 1, 1), scores(2, 0, 1)]
    lo, hi = bootstrap_ci(docs, relation_f1, resamples(4, 200, seed=7))
    assert lo < 0.6 < hi


def test_paired_p_value():
    better = [scores(3, 0, 0)] * 4
    worse = [scores(1, 2, 2)] * 4
    samples = resamples(4, 100, seed=1)
    assert paired_p_value(better, worse, relation_f1, samples) == 0.0
    assert paired_p_value(worse, better, relation_f1, samples) == 1.0


def test_kfold_covers_every_document_once():
    folds = kfold([f"d{i}" for i in range(11)], 5, seed=2)
    assert sorted(d for f in folds for d in f) == sorted(f"d{i}" for i in range(11))
    assert [len(f) for f in folds] == [3, 2, 2, 2, 2]
    assert folds == kfold([f"d{i}" for i in reversed(range(11))], 5, seed=2)


def test_resamples_are_the_draws_of_scipys_paired_bootstrap():
    """scipy.stats.bootstrap draws the same documents; only its interval's last bits differ."""
    seen = []

    def statistic(rows, axis=-1):
        seen.append(rows)
        return rows.mean(axis=axis)

    stats.bootstrap(
        (np.arange(6),),
        statistic,
        n_resamples=40,
        vectorized=True,
        paired=True,
        method="percentile",
        rng=np.random.default_rng(11),
    )
    assert np.array_equal(seen[0], resamples(6, 40, seed=11))


def test_ci_is_the_percentile_of_the_resampled_scores():
    docs = [scores(3, 0, 0), scores(0, 2, 2), scores(1, 1, 1), scores(2, 0, 1)]
    samples = resamples(4, 30, seed=5)
    values = [relation_f1(total(docs[i] for i in row)) for row in samples]
    assert bootstrap_ci(docs, relation_f1, samples, level=0.9) == pytest.approx(
        tuple(np.percentile(values, [5, 95]))
    )
