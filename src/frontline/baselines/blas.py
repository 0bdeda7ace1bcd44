"""spaCy's parser multiplies through NumPy, so through the pinned OpenBLAS kernel, not blis.

spaCy's transition-based parser (the ``ner`` component of spacy-ner) scores its actions with
the ``sgemm`` of thinc's C BLAS table (``ops.cblas()``), and that table is ``blis``'s. blis
picks its kernel from the CPU (``haswell``, ``zen``, ``skx``...) and has no setting to override
it, so the scores, the entities predicted and the checkpoint spaCy keeps on the validation
split differed between an AMD and an Intel machine (0.752 and 0.767 mean test strict F1 over
three seeds for dataset 1.2.0). thinc lets a backend replace the table's functions
(``set_sgemm``, exported for C callers in ``thinc.backends.cblas.__pyx_capi__``; it is how
thinc-apple-ops plugs in Accelerate): :class:`PinnedOps` puts in an ``sgemm`` that multiplies
with NumPy, which runs under :data:`frontline.baselines.numerics.PINNED`. The other function
spaCy takes from the table, ``saxpy``, is only ever called with alpha = 1 (adding one feature
vector to another), which every kernel computes exactly (x + y, rounded once).

Everything else in spaCy's layers goes through ``Ops.gemm``, which with ``use_blis=False``
is NumPy's ``@``.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator
from typing import Any

import numpy as np
from thinc.api import NumpyOps, get_current_ops, set_current_ops
from thinc.backends import cblas as thinc_cblas

_FLOAT = np.dtype(np.float32).itemsize
_c = ctypes
#: thinc.backends.cblas.sgemm_ptr: (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
_SGEMM_PTR = _c.CFUNCTYPE(
    None, _c.c_int, _c.c_int, _c.c_int, _c.c_int, _c.c_int, _c.c_float, _c.c_void_p,
    _c.c_int, _c.c_void_p, _c.c_int, _c.c_float, _c.c_void_p, _c.c_int,
)  # fmt: skip


def matrix(address: int, rows: int, cols: int, ld: int) -> np.ndarray:
    """The row-major float32 matrix of ``rows`` x ``cols`` at ``address`` whose rows start
    ``ld`` floats apart (a view: writing to it writes to that memory)."""
    if rows == 0 or cols == 0:
        return np.zeros((rows, cols), dtype=np.float32)
    size = (rows - 1) * ld + cols
    flat = np.frombuffer((_c.c_float * size).from_address(address), dtype=np.float32)
    return np.lib.stride_tricks.as_strided(flat, (rows, cols), (ld * _FLOAT, _FLOAT))


def sgemm(
    trans_a: int, trans_b: int, m: int, n: int, k: int, alpha: float, a: int, lda: int,
    b: int, ldb: int, beta: float, c: int, ldc: int,
) -> None:  # fmt: skip
    """C = alpha op(A) op(B) + beta C, row-major, as ``blis.cy.sgemm`` (C's ``m`` x ``n`` block;
    A is ``m`` x ``k``, or ``k`` x ``m`` when ``trans_a``; B is ``k`` x ``n``, or ``n`` x
    ``k`` when ``trans_b``). With beta = 0, C is not read, as in BLAS."""
    if m == 0 or n == 0:
        return
    op_a = matrix(a, k, m, lda).T if trans_a else matrix(a, m, k, lda)
    op_b = matrix(b, n, k, ldb).T if trans_b else matrix(b, k, n, ldb)
    product = op_a @ op_b
    if alpha != 1.0:
        product *= np.float32(alpha)
    out = matrix(c, m, n, ldc)
    if beta == 0.0:
        out[...] = product
    else:
        out *= np.float32(beta)
        out += product


# Kept alive for as long as the module (C holds its address); the name is looked up at each
# call, so a test can watch the calls.
_SGEMM = _SGEMM_PTR(lambda *args: sgemm(*args))
_SGEMM_ADDRESS = _c.cast(_SGEMM, _c.c_void_p).value


def _set_sgemm() -> Any:
    """thinc's ``set_sgemm(CBlas, sgemm_ptr)``, callable from Python."""
    capsule = thinc_cblas.__pyx_capi__["set_sgemm"]
    # prototypes of our own: ctypes.pythonapi's are shared with every other user
    get_name = _c.PYFUNCTYPE(_c.c_char_p, _c.py_object)(("PyCapsule_GetName", _c.pythonapi))
    get_pointer = _c.PYFUNCTYPE(_c.c_void_p, _c.py_object, _c.c_char_p)(
        ("PyCapsule_GetPointer", _c.pythonapi)
    )
    name = get_name(capsule)
    if b"sgemm_ptr" not in name:
        raise RuntimeError(f"thinc's set_sgemm has an unexpected signature: {name.decode()}")
    return _c.CFUNCTYPE(None, _c.py_object, _c.c_void_p)(get_pointer(capsule, name))


_SET_SGEMM = _set_sgemm()


class PinnedOps(NumpyOps):
    """thinc's NumPy ops with blis off everywhere spaCy's NER reaches: ``gemm`` is NumPy's
    (``use_blis=False``) and the C BLAS table's ``sgemm`` is :func:`sgemm`."""

    name = "frontline-pinned"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_blis=False, **kwargs)

    def cblas(self) -> thinc_cblas.CBlas:
        table = thinc_cblas.CBlas()
        _SET_SGEMM(table, _SGEMM_ADDRESS)
        return table


@contextlib.contextmanager
def pinned_ops() -> Iterator[PinnedOps]:
    """Models made inside take :class:`PinnedOps` (thinc's ``use_ops``, for an instance)."""
    before = get_current_ops()
    ops = PinnedOps()
    set_current_ops(ops)
    try:
        yield ops
    finally:
        set_current_ops(before)
