import numpy as np

from frontline.eval.bootstrap import bootstrap_ci, kfold, paired_p_value, resamples
from frontline.eval.metrics import DocScores, relation_f1
from frontline.gold.agreement import Counts


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
