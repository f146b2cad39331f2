"""Property tests (hypothesis) of the methods of ``SkeletonApprox``.

An approximation built from a drawn matrix (float64/32, complex128/64, integers,
float16; any layout; scaled by 2**+-664 or 2**+-40) on drawn rows and columns, with
each core.  Against the dense product of its own factors formed in double precision:
``to_array``, ``to_factors`` (``L @ Rt``), ``entries(rows, cols)`` (any order,
repeats, integer dtypes, lists, empty), ``approx @ B`` and ``B @ approx`` for operands
of any dtype and layout (1-D and 2-D, numpy.matrix included), and ``error(X)`` in the
Frobenius and spectral norms against the error written out (scale-invariant: equal at
every scale).  Bad operands and indices raise ValueError/TypeError naming what is
wrong; nothing given is modified.
"""

import math
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, strategies as st

from _strategies_linalg import (
    ALL_DTYPES, eps_w, matrices, profile, raises_naming, ref64, relayout, scaled, snapshot, unchanged, work_dtype,
)
from _strategies_s3 import LAYOUTS, elements
from skeleton import skeleton_approx


@st.composite
def approximations(draw):
    X, k, _ = draw(matrices(dtypes=(np.float64, np.float32, np.complex128, np.complex64, np.int16, np.float16)))
    n, d = X.shape
    rows = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n)))
    cols = sorted(draw(st.sets(st.integers(0, d - 1), min_size=1, max_size=d)))
    core = draw(st.sampled_from(("pinv", "truncated", "optimal")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            cur = skeleton_approx(X, rows=rows, cols=cols, core=core)
        except ValueError as exc:  # the zero matrix
            assert "zero matrix" in str(exc) and not np.any(X)
            cur = None
    return X, k, cur


def factors_product(cur):
    """``A @ B @ M`` of the stored factored form, in double precision, and a bound on
    the rounding of forming it in the approximation's dtype."""
    A, B, M = (None if F is None else np.asarray(F, dtype=np.complex128) for F in cur._abm())
    P = A @ M if B is None else A @ (B @ M)
    mags = np.abs(A) @ (np.abs(M) if B is None else np.abs(B) @ np.abs(M))
    inner = A.shape[1] + (0 if B is None else B.shape[1])
    return P, 4 * (inner + 2) * eps_w(cur.dtype) * mags


def close(got, want, slack):
    floor = 64 * float(np.finfo(np.asarray(got).dtype).smallest_subnormal)  # (subnormal operands)
    got = np.asarray(got, dtype=np.complex128)
    assert got.shape == want.shape
    assert np.all(np.isfinite(got))
    assert np.all(np.abs(got - want) <= slack + floor), float(np.max(np.abs(got - want) - slack))


@st.composite
def operands(draw, shape):
    dt = np.dtype(draw(st.sampled_from(ALL_DTYPES)))
    if dt.kind == "c":
        real = np.float64 if dt == np.complex128 else np.float32
        B = (draw(hnp.arrays(real, shape, elements=elements(np.dtype(real), 10)))
             + 1j * draw(hnp.arrays(real, shape, elements=elements(np.dtype(real), 10)))).astype(dt)
    else:
        B = draw(hnp.arrays(dt, shape, elements=elements(dt, 10)))
    return relayout(B, draw(st.sampled_from(LAYOUTS))) if B.ndim == 2 else B


@profile(60)
@given(case=approximations(), data=st.data())
def test_methods_agree_with_the_factors(case, data):
    X, k, cur = case
    if cur is None:
        return
    n, d = X.shape
    work = work_dtype(X.dtype)
    P, slack = factors_product(cur)
    full = cur.to_array()
    assert full.dtype == work
    close(full, P, slack)
    L, Rt = cur.to_factors()
    assert L.shape[0] == n and Rt.shape[1] == d and L.shape[1] == Rt.shape[0]
    close(L @ Rt, P, 2 * slack)
    # entries: any order, repeats, integer dtypes, lists, empty
    idt = data.draw(st.sampled_from([np.int64, np.int32, np.uint8, np.int16, "list"]))
    r_idx = data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n))
    c_idx = data.draw(st.lists(st.integers(0, d - 1), max_size=2 * d))
    if n > 255 or d > 255:
        idt = np.int64
    ri, ci = (r_idx, c_idx) if idt == "list" else (np.array(r_idx, dtype=idt), np.array(c_idx, dtype=idt))
    block = cur.entries(ri, ci)
    assert block.shape == (len(r_idx), len(c_idx))
    close(block, P[np.ix_(r_idx, c_idx)], 2 * slack[np.ix_(r_idx, c_idx)])
    # products with operands of any dtype and layout, 1-D and 2-D
    m = data.draw(st.integers(1, 4))
    for shape in ((d,), (d, m)):
        Bop = data.draw(operands(shape))
        copy = snapshot(Bop)
        got = cur @ Bop
        unchanged([Bop], copy)
        want = P @ Bop.astype(np.complex128)
        bound = 2 * (np.abs(np.asarray(full, np.complex128)) + slack) @ np.abs(Bop.astype(np.complex128))
        close(got, want, 8 * (d + m + 2) * max(eps_w(work), eps_w(Bop.dtype) if Bop.dtype.kind in "fc" else 0)
              * bound + slack @ np.abs(Bop.astype(np.complex128)))
    for shape in ((n,), (m, n)):
        Bop = data.draw(operands(shape))
        got = Bop @ cur
        want = Bop.astype(np.complex128) @ P
        bound = np.abs(Bop.astype(np.complex128)) @ (np.abs(np.asarray(full, np.complex128)) + slack)
        close(got, want, 8 * (n + m + 2) * max(eps_w(work), eps_w(Bop.dtype) if Bop.dtype.kind in "fc" else 0)
              * 2 * bound + np.abs(Bop.astype(np.complex128)) @ slack)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@profile(20)
@given(case=approximations())
def test_numpy_matrix_operands(case):
    X, k, cur = case
    if cur is None:
        return
    n, d = X.shape
    B = np.ones((d, 2))
    got = cur @ np.asmatrix(B)
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, cur @ B)
    got = np.asmatrix(np.ones((2, n))) @ cur
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, np.ones((2, n)) @ cur)


@profile(60)
@given(case=approximations(), ord_=st.sampled_from(["fro", 2]))
def test_error_is_the_error_written_out_at_any_scale(case, ord_):
    X, k, cur = case
    if cur is None:
        return
    X64 = ref64(X, k)
    copy = snapshot(X)
    err = cur.error(X, ord=ord_)
    unchanged([X], copy)
    D = X64 - scaled(np.asarray(cur.to_array(), dtype=X64.dtype), -k)
    norm = (lambda A: np.linalg.norm(A, "fro" if ord_ == "fro" else 2))
    want = norm(D) / norm(X64)
    assert math.isfinite(err) and err >= 0
    # both sides differ by the rounding of forming the approximation in its dtype
    _, slack = factors_product(cur)
    tol = (norm(np.ldexp(slack, -k)) + 4 * eps_w(X.dtype) * norm(X64)) / norm(X64)
    assert abs(err - want) <= 4 * tol + 1e-12 * want


BAD_ENTRIES = [([[0]], [0], "rows"), ([0], [[0]], "cols"), ([0.5], [0], "rows"), ([0], ["a"], "cols"),
               ([-1], [0], "rows"), ([0], [10**6], "cols"), ([True], [0], "rows")]


@profile(30)
@given(case=approximations(), bad=st.sampled_from(BAD_ENTRIES))
def test_bad_indices_and_operands(case, bad):
    X, k, cur = case
    if cur is None:
        return
    n, d = X.shape
    rows, cols, name = bad
    with raises_naming(name):
        cur.entries(rows, cols)
    with pytest.raises(ValueError, match=f"{d} columns"):
        cur @ np.ones(d + 1)
    with pytest.raises(ValueError, match=f"{n} rows"):
        np.ones((2, n + 1)) @ cur
    with pytest.raises(TypeError):
        cur @ [1.0] * d
    with raises_naming("X"):
        cur.error(np.ones((n + 1, d)))
    with raises_naming("ord"):
        cur.error(X, ord=1)
