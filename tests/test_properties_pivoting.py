"""Property tests (hypothesis) of ``rpcholesky`` and ``aca``.

``rpcholesky`` on any Hermitian positive semi-definite ``B B^H`` (integer factors,
exact; float16/32/64, complex64/128, integers; any layout; scaled by 2**+-664, about
1e+-200, or 2**+-40), every method, a rank or a tolerance: the pivots are distinct,
``F[pivots]`` is lower triangular with a positive diagonal, ``F F^H`` reproduces A on
the pivot columns, ``residual_diagonal`` is the diagonal of ``A - F F^H`` (written
out) and non-negative, ``trace_error`` is its sum over the trace, a tolerance is met
unless every residual entry is at the rounding level, and a matrix of rank r is
recovered in at most r pivots (plus rounding).

``aca`` on any matrix of those dtypes and layouts, and scales: distinct crosses, the
approximation reproduces X on the rows and columns it read, and a matrix of rank r is
recovered exactly with a rank cap of r or more.

Both are scale-equivariant (pivots drawn from ratios of entries): the same seed picks
the same pivots at every scale.  Bad arguments raise ValueError/TypeError naming the
argument; nothing given is modified.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import event, given, strategies as st

from _strategies_linalg import (
    eps_w, matrices, profile, psd_matrices, raises_naming, ref64, scaled, snapshot, unchanged, work_dtype,
)
from skeleton import aca, rpcholesky

PSD_DTYPES = (np.float64, np.float32, np.float16, np.complex128, np.complex64, np.int64, np.int16)
ACA_DTYPES = (np.float64, np.float32, np.float16, np.complex128, np.complex64, np.int64, np.int8, np.uint8, np.bool_)


@pytest.mark.parametrize("dtype", PSD_DTYPES, ids=lambda t: np.dtype(t).name)
@profile(30)
@given(data=st.data(), method=st.sampled_from(["accelerated", "sequential", "greedy"]),
       mode=st.sampled_from(["rank", "rtol", "both"]), seed=st.integers(0, 2**32 - 1))
def test_rpcholesky(dtype, data, method, mode, seed):
    A, k, rank_A = data.draw(psd_matrices(dtypes=(dtype,)))
    n = A.shape[0]
    kw = {}
    if mode in ("rank", "both"):
        kw["rank"] = data.draw(st.integers(1, n), label="rank")
    if mode in ("rtol", "both"):
        kw["rtol"] = data.draw(st.sampled_from([0.5, 1e-2, 1e-8]), label="rtol")
    copy = snapshot(A)
    res = rpcholesky(A, method=method, rng=seed, **kw)
    unchanged([A], copy)
    A64 = ref64(A, k)
    eps = eps_w(A.dtype)
    scale = float(np.max(np.abs(np.diagonal(A64))))
    piv = res.pivots
    assert len(set(piv.tolist())) == piv.size == res.rank and res.rank <= kw.get("rank", n)
    F = scaled(np.asarray(res.F, dtype=A64.dtype), -k // 2) if k else np.asarray(res.F, dtype=A64.dtype)
    assert res.F.dtype == work_dtype(A.dtype) and np.all(np.isfinite(F))
    tol = 64 * math.sqrt(n) * (res.rank + 1) * eps * max(scale, 1e-300)
    if res.rank:
        L = F[piv]
        assert np.all(np.triu(L, 1) == 0) and np.all(np.real(np.diagonal(L)) > 0)
        approx = F @ F.conj().T
        assert np.all(np.abs(approx[:, piv] - A64[:, piv]) <= tol)  # interpolates on the pivots
    else:
        approx = np.zeros_like(A64)
    resid = np.real(np.diagonal(A64 - approx))
    d = np.ldexp(np.asarray(res.residual_diagonal, dtype=np.float64), -k)
    assert np.all(d >= 0) and np.all(d[piv] == 0)
    assert np.all(np.abs(d - np.maximum(resid, 0)) <= tol)
    trace = float(np.sum(np.real(np.diagonal(A64))))
    assert res.trace_error == pytest.approx(float(np.sum(d)) / trace if trace > 0 else 0.0, rel=1e-6, abs=1e-12)
    resolved = not np.any(d)
    if "rtol" in kw and res.rank < kw.get("rank", n):
        assert res.trace_error <= kw["rtol"] or resolved
    if "rank" in kw and kw["rank"] >= rank_A and "rtol" not in kw:
        assert res.rank <= rank_A + 1  # (one pivot on the rounding, at most)
        assert np.all(np.abs(approx - A64) <= tol * max(1, res.rank))
    event(f"{A.dtype}, scale 2**{k}")
    if k:  # the same pivots at unit scale
        base = rpcholesky(scaled(A, -k), method=method, rng=seed, **kw)
        np.testing.assert_array_equal(base.pivots, piv)


@pytest.mark.parametrize("dtype", ACA_DTYPES, ids=lambda t: np.dtype(t).name)
@profile(30)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["rank", "rtol", "both"]))
def test_aca(dtype, data, seed, mode):
    X, k, rank_X = data.draw(matrices(dtypes=(dtype,)))
    n, d = X.shape
    kw = {}
    if mode in ("rank", "both"):
        kw["rank"] = data.draw(st.integers(1, min(n, d)), label="rank")
    if mode in ("rtol", "both"):
        kw["rtol"] = data.draw(st.sampled_from([0.5, 1e-2, 1e-8]), label="rtol")
    copy = snapshot(X)
    res = aca(X, rng=seed, **kw)
    unchanged([X], copy)
    X64 = ref64(X, k)
    eps = eps_w(X.dtype)
    assert res.U.dtype == work_dtype(X.dtype) and res.V.dtype == work_dtype(X.dtype)
    assert len(set(res.rows.tolist())) == res.rows.size == res.rank == res.cols.size == len(set(res.cols.tolist()))
    assert res.rank <= kw.get("rank", min(n, d)) and res.n_entries <= (res.rank + 3) * (n + d) + 3 * d
    approx = scaled(np.asarray(res.to_array(), dtype=X64.dtype), -k)
    # (the estimate is the last cross over the approximation: it can exceed 1 when the
    # crosses cancel, e.g. [[6,1,1],[1,1,1],[1,1,1]] at rank 2 gives 5 sqrt(2) / sqrt(44))
    assert np.all(np.isfinite(approx)) and 0 <= res.error_estimate and math.isfinite(res.error_estimate)
    big = float(np.max(np.abs(X64))) if X64.size else 0.0
    # the crosses are reproduced (ACA's interpolation property), to rounding that grows
    # with the pivots' growth factor (bounded by 2^k for partial pivoting; small here)
    tol = 64 * (n + d) * 2.0 ** res.rank * eps * max(big, 1e-300)
    if res.rank:
        assert np.all(np.abs(approx[res.rows] - X64[res.rows]) <= tol)
        assert np.all(np.abs(approx[:, res.cols] - X64[:, res.cols]) <= tol)
    if rank_X is not None and res.rank >= rank_X:
        # as many crosses as X's rank (each a non-zero residual pivot): X itself, to
        # rounding.  (ACA's "converged" alone is no such promise: it stops after a few
        # rows with a zero residual, which can miss the rows that are not.)
        assert np.all(np.abs(approx - X64) <= tol * max(1, res.rank))
    event(f"{X.dtype}, scale 2**{k}")
    if k:
        base = aca(scaled(X, -k), rng=seed, **kw)
        np.testing.assert_array_equal(base.rows, res.rows)
        np.testing.assert_array_equal(base.cols, res.cols)


BAD_RPC = [
    ({"rank": 0}, "rank"), ({"rank": 99}, "rank"), ({"rank": 1.5}, "rank"), ({}, "rank"), ({"rtol": 0.0}, "rtol"),
    ({"rtol": 1.0}, "rtol"), ({"rtol": "a"}, "rtol"), ({"rank": 2, "method": "random"}, "method"),
    ({"rank": 2, "block_size": 0}, "block_size"), ({"rank": 2, "block_size": 2.5}, "block_size"),
    ({"rank": 2, "block_size": 4, "method": "greedy"}, "block_size"), ({"rank": 2, "rng": "x"}, "rng"),
]


@pytest.mark.parametrize("kwargs,name", BAD_RPC, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_RPC)])
def test_rpcholesky_bad_arguments(kwargs, name):
    with raises_naming(name):
        rpcholesky(np.eye(4), **kwargs)


@pytest.mark.parametrize("A", [np.ones((3, 4)), -np.eye(3), np.array([[1.0, 2.0], [0.0, 1.0]]),
                               np.array([[np.nan, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, np.inf]]),
                               np.zeros((0, 0)), np.array([[1j, 0], [0, 1]]), np.ones(3)],
                         ids=["not square", "indefinite", "not hermitian", "nan", "inf", "empty", "complex diagonal",
                              "1-D"])
def test_rpcholesky_bad_matrices_name_A(A):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with raises_naming("A"):
            rpcholesky(A, 2 if A.ndim == 2 and A.shape[0] >= 2 else 1, method="greedy", rng=0)


BAD_ACA = [({"rank": 0}, "rank"), ({"rank": 99}, "rank"), ({}, "rank"), ({"rtol": -1.0}, "rtol"),
           ({"rank": True}, "rank"), ({"rank": 2, "rng": 1.5}, "rng")]


@pytest.mark.parametrize("kwargs,name", BAD_ACA, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_ACA)])
def test_aca_bad_arguments(kwargs, name):
    with raises_naming(name):
        aca(np.ones((4, 3)), **kwargs)


@pytest.mark.parametrize("X", [np.ones(3), np.zeros((0, 3)), np.array([["a"]]), np.full((3, 3), np.nan)],
                         ids=["1-D", "empty", "strings", "nan"])
def test_aca_bad_matrices_name_X(X):
    with raises_naming("X"):
        aca(X, 1, rng=0)
