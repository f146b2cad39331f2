"""Hypothesis strategies for the property tests of the matrix routines (incoherence,
leverage scores, skeleton_approx and its result, the test matrices, KernelMatrix,
rpcholesky, aca), built on the generic pieces of ``_strategies_s3`` (settings profile,
element strategies, layouts, the ``raises_naming`` and ``unchanged`` checks).

A drawn matrix has any supported dtype (bool, integers, float16/32/64, complex64/128),
any layout (C or Fortran order, a strided view, a view with negative strides) and,
where asked, a scale ``2**k`` (k = +-664, about 1e+-200, for float64 and complex128;
+-40 for float32 and complex64): powers of two, so that the scaled matrix is the same
matrix exactly and a scale-equivariant routine must give exactly scaled results up to
its own rounding.  Entries below 2**-300 (subnormal data in single precision) are set
to zero before scaling: there, 1/sigma of a sample overflows, which no routine
promises to survive.  Structured draws give a matrix of known exact rank (a product of
small integer factors, exact in every dtype), a low-rank product rounded to the dtype
(noise at the data's precision: what float16's rank cut-off is about), or a Hermitian
positive semi-definite one.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import event, strategies as st

from _strategies_s3 import LAYOUTS, elements, profile, raises_naming, relayout, snapshot, unchanged, work_dtype

__all__ = [
    "ALL_DTYPES", "FLOAT_DTYPES", "profile", "raises_naming", "relayout", "snapshot", "unchanged",
    "work_dtype", "real_work", "eps_w", "scale_exponents", "scaled", "matrices", "psd_matrices", "ref64",
]

REAL_DTYPES = (np.float64, np.float32, np.float16, np.int64, np.int16, np.int8, np.uint8, np.bool_)
ALL_DTYPES = REAL_DTYPES + (np.complex128, np.complex64)
FLOAT_DTYPES = (np.float64, np.float32, np.complex128, np.complex64)


def real_work(dtype):
    """The real dtype of the working dtype (leverage scores, singular values)."""
    return np.finfo(work_dtype(dtype)).dtype


def eps_w(dtype):
    return float(np.finfo(work_dtype(dtype)).eps)


def scale_exponents(dtype):
    """Powers of two a matrix of ``dtype`` can be scaled by (1e+-200 in double)."""
    dtype = np.dtype(dtype)
    if dtype in (np.float64, np.complex128):
        return (-664, 0, 664)
    if dtype in (np.float32, np.complex64):
        return (-40, 0, 40)
    return (0,)


def scaled(A, k):
    """``A * 2**k`` exactly (A of a floating dtype)."""
    if k == 0:
        return A
    A = np.asarray(A)
    if A.dtype.kind == "c":
        return (np.ldexp(A.real, k) + 1j * np.ldexp(A.imag, k)).astype(A.dtype)
    return np.ldexp(A, k).astype(A.dtype)


def _cast(M, dtype):
    """An integer- or float-valued complex128/float64 matrix in ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(np.abs(M) > 0.5)
    if dtype.kind in "iu":
        M = M.real
        return np.rint(np.abs(M) if dtype.kind == "u" else M).astype(dtype)
    if dtype.kind == "f":
        return M.real.astype(dtype)
    return M.astype(dtype)


@st.composite
def matrices(draw, max_n=10, max_d=10, min_n=1, min_d=1, dtypes=ALL_DTYPES, scale=True, structured=True,
             kinds=("entries", "integer product", "rounded product")):
    """``(X, k, rank)``: a matrix of a drawn dtype, layout and scale ``2**k``, its
    entries drawn one by one, or a product of integer factors (exact in every dtype;
    ``rank`` its rank), or a Gaussian rank-r product rounded to the dtype (``rank = r``:
    the rank before rounding, which leaves noise at the data's own precision)."""
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(min_d, max_d))
    rank = None
    kind = draw(st.sampled_from(kinds)) if structured else "entries"
    event(kind if kind != "rounded product" or dt.kind in "fc" else "integer product")
    if kind == "rounded product" and dt.kind in "fc":
        # a real (or complex) rank-r product rounded to dt: noise at the data's precision
        r = draw(st.integers(1, min(n, d)))
        g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        A = g.standard_normal((n, r)) + (1j * g.standard_normal((n, r)) if dt.kind == "c" else 0)
        M = A @ g.standard_normal((r, d))
        X = _cast(M.astype(np.complex128), dt)
        rank = r
    elif kind != "entries" and dt.kind != "b":
        r = draw(st.integers(1, min(n, d)))
        lo = 0 if dt.kind == "u" else -3
        A = draw(hnp.arrays(np.int64, (n, r), elements=st.integers(lo, 3)))
        B = draw(hnp.arrays(np.int64, (r, d), elements=st.integers(lo, 3)))
        M = (A @ B).astype(np.complex128)
        if dt.kind == "c":
            A2 = draw(hnp.arrays(np.int64, (n, r), elements=st.integers(-3, 3)))
            M = M + 1j * (A2 @ B)
        X = _cast(M, dt)
        rank = int(np.linalg.matrix_rank(X.astype(np.complex128)))
    elif dt.kind == "c":
        real = np.dtype(np.float64 if dt == np.complex128 else np.float32)
        re_ = draw(hnp.arrays(real, (n, d), elements=elements(real, 10)))
        im_ = draw(hnp.arrays(real, (n, d), elements=elements(real, 10)))
        X = (re_ + 1j * im_).astype(dt)
    else:
        X = draw(hnp.arrays(dt, (n, d), elements=elements(dt, 10)))
    if dt.kind in "fc":
        X = _flush_tiny(X)
    k = draw(st.sampled_from(scale_exponents(dt))) if scale else 0
    return relayout(scaled(X, k), draw(st.sampled_from(LAYOUTS))), k, rank


# Entries below this (before scaling) are set to 0: data in the subnormal range, where
# 1/sigma of a sample overflows, is outside what the routines promise; with it, every
# drawn matrix stays in the normal range at every scale drawn (2**-664 * 2**-300).
TINY = 2.0**-300


def _flush_tiny(X):
    X = np.array(X, copy=True)
    if X.dtype.kind == "c":
        re_, im_ = X.real.copy(), X.imag.copy()
        re_[np.abs(re_) < TINY] = 0
        im_[np.abs(im_) < TINY] = 0
        return (re_ + 1j * im_).astype(X.dtype)
    X[np.abs(X) < TINY] = 0
    return X


@st.composite
def psd_matrices(draw, max_n=10, dtypes=(np.float64, np.float32, np.complex128, np.int64), scale=True):
    """``(A, k, rank)``: a Hermitian positive semi-definite ``B B^H`` (integer factors,
    exact) of a drawn dtype, layout and scale ``2**k``, and its rank."""
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    n = draw(st.integers(1, max_n))
    r = draw(st.integers(1, n))
    B = draw(hnp.arrays(np.int64, (n, r), elements=st.integers(-3, 3))).astype(np.complex128)
    if dt.kind == "c":
        B = B + 1j * draw(hnp.arrays(np.int64, (n, r), elements=st.integers(-3, 3)))
    A = _cast(B @ B.conj().T, dt)
    k = draw(st.sampled_from(scale_exponents(dt))) if scale else 0
    if k % 2:
        k -= 1
    rank = int(np.linalg.matrix_rank(A.astype(np.complex128)))
    return relayout(scaled(A, k), draw(st.sampled_from(LAYOUTS))), k, rank


def ref64(X, k=0):
    """``X / 2**k`` in float64 or complex128: the unscaled matrix, exactly."""
    X = np.asarray(X)
    X = X.astype(np.complex128 if X.dtype.kind == "c" else np.float64)
    return scaled(X, -k) if k else X
