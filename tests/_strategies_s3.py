"""Hypothesis strategies and tolerance helpers shared by the property tests
``test_properties_smoothing.py`` and ``test_properties_attention.py``.

The property, for each routine: any finite input of a supported dtype (float64,
float32, float16, integers, bool), in any layout (C order, Fortran order, a strided
view, a view with negative strides) and -- where the routine is scale-equivariant or
-invariant -- at any scale ``2**k`` (k up to +-664, i.e. 1e+-200, for float64; +-40 for
float32) gives a finite result that agrees with a dense float64 reference
(``_references_s3``) within a tolerance that follows the problem's conditioning, or
raises ValueError/TypeError naming the offending argument; the inputs are never
modified.  Examples are derandomized with no database, so every run draws the same
cases.
"""

import math
import re

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, settings, strategies as st

from _references_s3 import S_matrix, conv_matrix, dense_irfft, dense_rfft
from skeleton.smoothing import linear_fft_length


def profile(n):
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


REAL_DTYPES = (np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_)
SCALES = {8: (-664, -300, 0, 300, 664), 4: (-40, 0, 40)}
LAYOUTS = ("C", "F", "strided", "reversed")


def work_dtype(dtype):
    """The dtype the library computes in (bool/int -> float64, float16 -> float32)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    return np.dtype(np.float32) if dtype.itemsize <= 4 and dtype.kind == "f" else dtype


def eps_of(*dtypes):
    return max(np.finfo(work_dtype(dt)).eps for dt in dtypes)


def underflow_floor(dtype, count):
    """Absolute error floor of ``count`` roundings in the subnormal range of ``dtype``."""
    return 4 * count * float(np.finfo(work_dtype(dtype)).smallest_subnormal)


def relayout(A, how):
    if A.ndim != 2 or how == "C":
        return np.ascontiguousarray(A)
    if how == "F":
        return np.asfortranarray(A)
    if how == "strided":
        big = np.zeros((2 * A.shape[0], 3 * A.shape[1]), dtype=A.dtype)
        big[::2, ::3] = A
        return big[::2, ::3]
    B = np.ascontiguousarray(A[::-1, ::-1])
    return B[::-1, ::-1]


def elements(dtype, bound):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=8 * dtype.itemsize)
    if dtype.kind == "b":
        return st.booleans()
    return st.integers(0 if dtype.kind == "u" else -bound, bound)


@st.composite
def arrays(draw, shape, dtypes=REAL_DTYPES, scaled=False, bound=10):
    """(array, k): an array of a drawn dtype and layout, scaled by 2**k (k = 0 unless
    ``scaled`` and the dtype is float32/float64)."""
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    A = draw(hnp.arrays(dt, shape, elements=elements(dt, bound), fill=st.nothing()))
    k = 0
    if scaled and dt.kind == "f" and dt.itemsize in SCALES:
        k = draw(st.sampled_from(SCALES[dt.itemsize]))
        A = np.ldexp(A, k).astype(dt)
    return relayout(A, draw(st.sampled_from(LAYOUTS))), k


@st.composite
def complex_arrays(draw, shape, scaled=False):
    dt = np.dtype(draw(st.sampled_from((np.complex128, np.complex64))))
    re_, _ = draw(arrays(shape, dtypes=(dt.type(0).real.dtype,)))
    im_, _ = draw(arrays(shape, dtypes=(dt.type(0).real.dtype,)))
    A = (re_ + 1j * im_).astype(dt)
    k = 0
    if scaled and dt.itemsize == 16:
        k = draw(st.sampled_from((-100, 0, 100)))
        A = (np.ldexp(A.real, k) + 1j * np.ldexp(A.imag, k)).astype(dt)
    return relayout(A, draw(st.sampled_from(LAYOUTS))), k


def raises_naming(name):
    """pytest.raises for ValueError/TypeError whose message names ``name``."""
    return pytest.raises((ValueError, TypeError), match=rf"(^|\W){re.escape(name)}(\W|$)")


def f64(A):
    return np.asarray(A, dtype=np.float64) if np.asarray(A).dtype.kind != "c" else np.asarray(A, np.complex128)


def snapshot(*arrays_):
    return [np.array(A, copy=True) for A in arrays_]


def unchanged(arrays_, copies):
    for A, B in zip(arrays_, copies):
        np.testing.assert_array_equal(A, B)


def assert_close(got, ref, atol, dtype):
    assert got.shape == ref.shape
    assert got.dtype == dtype, (got.dtype, dtype)
    assert np.isfinite(got).all()
    err = np.abs(got.astype(ref.dtype) - ref)
    assert (err <= atol).all(), f"max error {err.max():.3e} over tolerance {np.min(atol):.3e}"


def smooth_reference(X, kernel, r, mode, domain, layout):
    """Dense smoothing and the largest spectrum magnitude (for the tolerance)."""
    n, d = X.shape
    m = n if mode == "circular" else linear_fft_length(n)
    k_time = dense_irfft(f64(kernel), m) if domain == "frequency" else f64(kernel)
    A = f64(X) @ S_matrix(d, r, layout)
    Ap = np.vstack([A, np.zeros((m - n, d))]) if domain == "frequency" else A
    if domain == "frequency":
        out = np.column_stack([conv_matrix(k_time[:, j], "circular") @ Ap[:, j] for j in range(d)])[:n]
        Lmax = np.abs(f64(kernel)).max()
    else:
        out = np.column_stack([conv_matrix(k_time[:, j], mode) @ A[:, j] for j in range(d)])
        Lmax = np.abs(dense_rfft(k_time, m)).max()
    return out, A, m, Lmax


def ln_gain(Y1, k, eps):
    """Per row, ``1 / sqrt(var + eps)`` of ``2**k * Y1`` expressed on the unit-scale
    ``Y1`` (errors in Y1 are amplified by it); 0 for a constant row, which the
    library and the reference both map to exactly 0."""
    D = Y1 - Y1[:, :1]
    var = ((D - D.mean(axis=1, keepdims=True)) ** 2).mean(axis=1, keepdims=True)
    constant = np.all(D == 0, axis=1, keepdims=True)  # exactly 0 there: no error to amplify
    if -2 * k + math.log2(max(eps, 1e-300)) < 1000:
        den = var + (math.ldexp(eps, -2 * k) if eps > 0 else 0.0)
        gain = 1 / np.sqrt(np.where(constant, 1.0, den))
    else:
        gain = np.full_like(var, math.ldexp(1.0, k) / math.sqrt(eps))
    return np.where(constant, 0.0, gain)
