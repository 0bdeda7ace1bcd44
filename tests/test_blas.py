"""spaCy's parser multiplies through NumPy under PinnedOps: the sgemm put into thinc's C BLAS
table computes what BLAS would, and spaCy's NER calls it instead of blis's."""

import contextlib
import random

import numpy as np
import pytest
import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

from frontline.baselines import blas


def _padded(rows: int, cols: int, pad: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 matrix with ``pad`` columns of NaN after its ``cols`` (a leading dimension
    larger than the matrix, whose extra memory must never be read or written)."""
    out = np.full((rows, cols + pad), np.nan, dtype=np.float32)
    out[:, :cols] = rng.standard_normal((rows, cols)).astype(np.float32)
    return out


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (2.0, 0.5), (-0.5, 1.0)])
def test_sgemm_through_the_c_pointer_is_blas_sgemm(trans_a, trans_b, alpha, beta) -> None:
    rng = np.random.default_rng(7)
    m, n, k = 3, 5, 4
    a = _padded(k, m, 2, rng) if trans_a else _padded(m, k, 2, rng)
    b = _padded(n, k, 1, rng) if trans_b else _padded(k, n, 1, rng)
    c = _padded(m, n, 3, rng)
    if beta == 0.0:
        c[:, :n] = np.nan  # BLAS does not read C when beta is 0
    op_a = a[:, :m].T if trans_a else a[:, :k]
    op_b = b[:, :k].T if trans_b else b[:, :n]
    expected = np.float32(alpha) * (op_a @ op_b)
    if beta != 0.0:
        expected = expected + np.float32(beta) * c[:, :n]
    blas._SGEMM(
        trans_a, trans_b, m, n, k, alpha, a.ctypes.data, a.shape[1], b.ctypes.data,
        b.shape[1], beta, c.ctypes.data, c.shape[1],
    )  # fmt: skip
    np.testing.assert_array_equal(c[:, :n], expected)
    assert np.isnan(c[:, n:]).all()


def test_sgemm_of_an_empty_product_leaves_c_alone() -> None:
    c = np.ones((2, 2), dtype=np.float32)
    blas.sgemm(0, 0, 0, 2, 3, 1.0, 0, 3, 0, 2, 0.0, c.ctypes.data, 2)
    np.testing.assert_array_equal(c, np.ones((2, 2), dtype=np.float32))


def _train_and_parse(context: contextlib.AbstractContextManager) -> tuple[list, str]:
    text = "Assad fled Syria to Moscow"
    fix_random_seed(0)
    random.seed(0)
    with context:
        nlp = spacy.blank("en")
        ner = nlp.add_pipe("ner")
        gold = {"entities": [(0, 5, "PER"), (11, 16, "GPE"), (20, 26, "GPE")]}
        examples = [Example.from_dict(nlp.make_doc(text), gold)]
        nlp.initialize(lambda: examples)
        for _ in range(20):
            nlp.update(examples)
    doc = nlp(text)  # outside: the model keeps the ops it was made with
    return [(e.text, e.label_) for e in doc.ents], type(ner.model.ops).__name__


def test_spacy_ner_made_under_pinned_ops_calls_our_sgemm_not_blis(monkeypatch) -> None:
    calls: list[tuple[int, int, int]] = []
    numpy_sgemm = blas.sgemm

    def watched(*args):
        calls.append(args[2:5])
        return numpy_sgemm(*args)

    monkeypatch.setattr(blas, "sgemm", watched)
    ents, ops = _train_and_parse(blas.pinned_ops())
    assert ops == "PinnedOps"
    assert ents == [("Assad", "PER"), ("Syria", "GPE"), ("Moscow", "GPE")]
    # one hidden-to-action product per transition of the parse: 1 state, 64 hidden units
    assert calls and all(m == 1 and k == 64 for m, _, k in calls)

    calls.clear()
    _, ops = _train_and_parse(contextlib.nullcontext())
    assert ops == "NumpyOps"
    assert calls == []  # thinc's own table: blis


def test_pinned_ops_restores_the_ops_it_replaced() -> None:
    from thinc.api import get_current_ops

    before = get_current_ops()
    with blas.pinned_ops() as ops:
        assert get_current_ops() is ops and ops.use_blis is False
    assert get_current_ops() is before
