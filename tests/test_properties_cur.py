"""Property tests (hypothesis) of ``skeleton_approx`` and ``default_sample_count``.

For any finite matrix of any supported dtype (bool, integers, float16/32/64,
complex64/128) and layout, every sampling rule (uniform, leverage, pivoted_qr, deim,
maxvol, rpcholesky on Hermitian positive semi-definite input, aca) and every core
(pinv, truncated, optimal), with fixed counts:

* ``C`` and ``R`` are the sampled columns and rows exactly (in the working dtype), the
  indices sorted and distinct, the approximation finite;
* it agrees with the skeleton written out densely in double precision on the same
  indices, ``C W_k^+ R`` with the documented cut (or ``C^+ X R^+`` projected), to a
  tolerance that follows the conditioning of the intersection (skipped, invariants
  only, where the cut is within rounding of a singular value);
* skeleton_approx is scale-equivariant: at 2**+-664 (1e+-200; 2**+-40 in single
  precision) it picks the same rows and columns and returns the same approximation
  times the scale;
* a scipy.sparse matrix gives the dense input's result.

In tolerance mode (``rtol``) the returned approximation meets its own bound when it
says it does (no warning), and the true error is within that bound (held to 3x: the
bound holds with probability 99 %, 3x of it fails with probability below 1e-15).
Bad arguments raise ValueError/TypeError naming the argument; inputs are never
modified.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import event, given, strategies as st

from _strategies_linalg import (
    ALL_DTYPES, eps_w, matrices, profile, psd_matrices, raises_naming, ref64, scale_exponents, scaled, snapshot,
    unchanged, work_dtype,
)
from skeleton import default_sample_count, skeleton_approx

SAMPLINGS = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol", "rpcholesky", "aca")
CORES = ("pinv", "truncated", "optimal")
PSD_DTYPES = (np.float64, np.float32, np.float16, np.complex128, np.complex64, np.int64, np.int16)


def reference(X64, rows, cols, core, k_cap, eps, cut):
    """The skeleton on ``rows``/``cols`` in double precision, and a tolerance for the
    library's result (None where the rank decision is within rounding of the cut)."""
    C, R = X64[:, cols], X64[rows, :]
    W = X64[np.ix_(rows, cols)]
    n, d = X64.shape
    if core == "optimal":
        parts = []
        for A in (C, R.conj().T):
            U, s, _ = np.linalg.svd(A, full_matrices=False)
            if not s[0] > 0:
                return np.zeros_like(X64), 0.0
            rel = s / s[0]
            if np.any((rel > eps) & (rel < 16 * eps)):
                return None, None  # a direction at the edge of "exactly dependent"
            parts.append(U[:, : int(np.sum(rel > 4 * eps))])
        Qc, Qr = parts
        ref = Qc @ (Qc.conj().T @ X64 @ Qr) @ Qr.conj().T
        return ref, 1e3 * (n + d) * eps * np.linalg.norm(X64, 2)
    Uw, s, Vh = np.linalg.svd(W, full_matrices=False)
    if not s[0] > 0:
        return np.zeros_like(X64), 0.0
    rel = s / s[0]
    if np.any(np.abs(rel - cut) <= 64 * math.sqrt(W.shape[0] + W.shape[1]) * eps + cut / 64):
        return None, None
    k = int(np.sum(rel > cut))
    if k_cap is not None:
        k = min(k, k_cap)
    ref = C @ ((Vh[:k].conj().T / s[:k]) @ (Uw[:, :k].conj().T @ R))
    # rounding of the product (either form) ~ eps ||C|| ||R|| / sigma_k(W), and the
    # directions dropped next to sigma_k
    tol = 64 * (n + d) * eps * np.linalg.norm(C, 2) * np.linalg.norm(R, 2) / s[k - 1]
    return ref, tol


def core_cut(X, kr, kc):
    """The documented default cut of the core (relative to sigma_1(W))."""
    eps = eps_w(X.dtype)
    cut = max(kr, kc) * eps
    return cut  # (float16 data: raised per singular values, handled by the caller)


def draw_case(data, dtype, sampling):
    if sampling == "rpcholesky":
        X, k, _ = data.draw(psd_matrices(dtypes=(dtype,)))
    else:
        X, k, _ = data.draw(matrices(dtypes=(dtype,)))
    return X, k


def kwargs_for(data, X, sampling, core):
    n, d = X.shape
    kw = {"sampling": sampling, "core": core}
    if sampling in ("rpcholesky", "aca"):
        kw["n_rows"] = kw["n_cols"] = data.draw(st.integers(1, min(n, d)), label="pivots")
    else:
        kw["n_rows"] = data.draw(st.integers(1, n), label="n_rows")
        kw["n_cols"] = data.draw(st.integers(1, d), label="n_cols")
    if data.draw(st.booleans(), label="rank given") or sampling in ("leverage", "deim", "maxvol"):
        kw["rank"] = data.draw(st.integers(1, min(n, d)), label="rank")
    return kw


def run(X, kw, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a zero intersection
        return skeleton_approx(X, rng=seed, **kw)


@pytest.mark.parametrize("sampling", SAMPLINGS)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
@profile(12)
@given(data=st.data(), core=st.sampled_from(CORES), seed=st.integers(0, 2**32 - 1))
def test_fixed_counts(sampling, dtype, data, core, seed):
    if sampling == "rpcholesky" and dtype not in PSD_DTYPES:
        return  # (no Hermitian positive semi-definite bool or uint8 matrix to speak of)
    X, k = draw_case(data, dtype, sampling)
    kw = kwargs_for(data, X, sampling, core)
    n, d = X.shape
    X64 = ref64(X, k)
    copy = snapshot(X)
    if not np.any(X64):
        with raises_naming("X"):
            run(X, kw, seed)
        return
    cur = run(X, kw, seed)
    unchanged([X], copy)
    work = work_dtype(X.dtype)
    rows, cols = cur.row_idx, cur.col_idx
    assert cur.shape == (n, d) and cur.dtype == work and cur.C.dtype == work and cur.R.dtype == work
    if rows.size == 0:  # aca met only zero rows (with a RuntimeWarning): the zero approximation
        assert sampling == "aca" and cur.core_rank == 0 and not np.any(cur.to_array())
        return
    assert np.all(np.diff(rows) > 0) and np.all(np.diff(cols) > 0)
    assert 0 <= rows[0] and rows[-1] < n and 0 <= cols[0] and cols[-1] < d
    if sampling not in ("rpcholesky", "aca"):
        assert rows.size == kw["n_rows"] and cols.size == kw["n_cols"]
    np.testing.assert_array_equal(cur.C, X[:, cols].astype(work))
    np.testing.assert_array_equal(cur.R, X[rows].astype(work))
    approx = cur.to_array()
    assert approx.shape == (n, d) and approx.dtype == work and np.all(np.isfinite(approx))
    eps = eps_w(X.dtype)
    cut = core_cut(X, rows.size, cols.size)
    if X.dtype == np.float16:  # the data's own rounding (InputRounding)
        s = np.linalg.svd(X64[np.ix_(rows, cols)], compute_uv=False)
        if s[0] > 0:
            cut = max(cut, float(np.finfo(np.float16).eps) / 2 * np.linalg.norm(s / s[0]))
    if sampling in ("rpcholesky", "aca") and core != "optimal":
        k_cap, cut = None, 0.0  # the pivots' W is inverted whole (triangular factors)
    else:
        k_cap = kw.get("rank") if core == "truncated" else None
    ref, tol = reference(X64, rows, cols, core, k_cap, eps, cut)
    compared = ref is not None and tol <= 0.1 * max(np.linalg.norm(ref, 2), np.linalg.norm(X64, 2))
    event("compared with the dense skeleton" if compared else "ill-conditioned or at the cut: invariants only")
    if compared:
        err = np.linalg.norm(scaled(approx.astype(X64.dtype), -k) - ref, 2)
        assert err <= tol + 1e-300, (err, tol, cur.evaluation)
    if k and sampling != "rpcholesky":
        # scale-equivariance: the unscaled matrix gives the same indices and the
        # approximation divided by 2**k, to rounding
        base = run(scaled(X, -k), kw, seed)
        if not (np.array_equal(base.row_idx, rows) and np.array_equal(base.col_idx, cols)):
            # only a tie (equal rows or columns, as integer matrices have) broken
            # differently by rounding at the two scales may change the choice
            event("scaled: a tie broken the other way")
            return
        assert base.core_rank == cur.core_rank
        diff = np.linalg.norm(scaled(approx.astype(X64.dtype), -k) - base.to_array(), 2)
        assert diff <= 1e3 * (n + d) * eps * max(np.linalg.norm(base.to_array(), 2), np.linalg.norm(X64, 2)) \
            or (ref is None or not compared)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@profile(25)
@given(data=st.data(), sampling=st.sampled_from(("uniform", "leverage", "pivoted_qr", "deim", "maxvol")),
       core=st.sampled_from(CORES), seed=st.integers(0, 2**32 - 1))
def test_sparse_input_gives_the_dense_result(fmt, data, sampling, core, seed):
    X, k, _ = data.draw(matrices(dtypes=(np.float64, np.float32, np.complex128, np.int64, np.bool_)))
    if not np.any(X):
        return
    kw = kwargs_for(data, X, sampling, core)
    S = scipy.sparse.coo_matrix(X).asformat(fmt)
    dense, sparse = run(X, kw, seed), run(S, kw, seed)
    np.testing.assert_array_equal(sparse.row_idx, dense.row_idx)
    np.testing.assert_array_equal(sparse.col_idx, dense.col_idx)
    A, B = dense.to_array(), sparse.to_array()
    assert B.dtype == A.dtype
    scale = max(np.abs(A).max(), np.abs(ref64(X)).max(), 1e-300)  # (X at its drawn scale)
    assert np.abs(A - B).max() <= 1e3 * sum(X.shape) * eps_w(X.dtype) * scale * max(1.0, cond_of(dense))


def cond_of(cur):
    s = np.linalg.svd(np.asarray(cur.C[cur.row_idx], dtype=np.complex128), compute_uv=False)
    return s[0] / s[cur.core_rank - 1] if cur.core_rank and s[cur.core_rank - 1] > 0 else 1.0


@st.composite
def noisy_low_rank(draw, dtypes=(np.float64, np.float32, np.complex128)):
    """``(X, k)``: a rank-r matrix plus noise of a drawn level, 20..60 rows and columns,
    unscaled, and a scale exponent for it."""
    dt = np.dtype(draw(st.sampled_from(dtypes)))
    n, d = draw(st.integers(20, 60)), draw(st.integers(20, 60))
    r = draw(st.integers(1, 8))
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = g.standard_normal((n, r)) + (1j * g.standard_normal((n, r)) if dt.kind == "c" else 0)
    X = A @ g.standard_normal((r, d)) / math.sqrt(r)
    level = draw(st.sampled_from((0.0, 1e-10, 1e-4, 1e-1)))
    X = X + level * g.standard_normal((n, d))
    return X.astype(dt), draw(st.sampled_from(scale_exponents(dt)))


@profile(40)
@given(case=noisy_low_rank(), sampling=st.sampled_from(("uniform", "pivoted_qr", "aca", "rpcholesky")),
       rtol=st.sampled_from((1e-1, 1e-3, 1e-6)), seed=st.integers(0, 2**32 - 1), sparse=st.booleans())
def test_tolerance_mode_meets_its_bound(case, sampling, rtol, seed, sparse):
    X0, k = case
    if sampling == "rpcholesky":
        X0 = X0 @ X0.conj().T  # Hermitian positive semi-definite
    X = scaled(X0, k)
    if rtol < 100 * eps_w(X.dtype) ** 0.5:
        rtol = 1e-3  # (single precision: a tolerance it can meet)
    Xin = scipy.sparse.csr_matrix(X) if sparse and sampling in ("uniform", "pivoted_qr") else X
    copy = snapshot(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        cur = skeleton_approx(Xin, rtol=rtol, sampling=sampling, rng=seed)
    unchanged([X], copy)
    unmet = any("not reached" in str(w.message) for w in caught)
    event(f"{X.dtype}, scale 2**{k}, " + ("unmet (warned)" if unmet else "met"))
    est = cur.error_estimate
    assert est is not None and est.confidence in (0.99, 1.0) and math.isfinite(est.estimate)  # (1: certain)
    X64 = ref64(X, k)
    true = np.linalg.norm(X64 - scaled(cur.to_array().astype(X64.dtype), -k)) / np.linalg.norm(X64)
    assert math.ldexp(est.norm, -k) == pytest.approx(np.linalg.norm(X64), rel=1e-3 if est.norm_exact else 0.9)
    if not unmet:
        assert est.bound <= rtol * (1 + 1e-9)
        assert true <= 3 * est.bound + 100 * eps_w(X.dtype)


BAD = [
    ({"n_rows": 0, "n_cols": 2}, "n_rows"), ({"n_rows": 2, "n_cols": 99}, "n_cols"), ({"n_rows": 2.5, "n_cols": 2},
                                                                                      "n_rows"),
    ({"rank": 0}, "rank"), ({"rank": 99}, "rank"), ({"rank": True}, "rank"),
    ({"n_rows": 2, "n_cols": 2, "sampling": "random"}, "sampling"), ({"n_rows": 2, "n_cols": 2, "core": "svd"}, "core"),
    ({"n_rows": 2, "n_cols": 2, "tol": -1.0}, "tol"), ({"n_rows": 2, "n_cols": 2, "tol": float("nan")}, "tol"),
    ({"n_rows": 2, "n_cols": 2, "tol": True}, "tol"), ({"rtol": -1.0}, "rtol"), ({"rtol": "small"}, "rtol"),
    ({"atol": float("inf")}, "atol"), ({"rank": 2, "mu": 0.5}, "mu"), ({"rank": 2, "mu": "guess"}, "mu"),
    ({"n_rows": 2, "n_cols": 2, "rng": "seed"}, "rng"), ({"rows": [0, 0], "cols": [0]}, "rows"),
    ({"rows": [0], "cols": [99]}, "cols"), ({"rows": [0.0], "cols": [0]}, "rows"),
    ({"rtol": 0.1, "rows": [0], "cols": [0]}, "rows"), ({"n_rows": 2, "n_cols": 3, "sampling": "aca"}, "n_rows"),
    ({"n_rows": 0, "sampling": "aca"}, "n_rows"), ({"sampling": "aca"}, "rank"),
]


@profile(60)
@given(case=matrices(min_n=3, min_d=3, scale=False, structured=False,
                     dtypes=(np.float64, np.float32, np.complex128, np.int64)), bad=st.sampled_from(BAD))
def test_bad_arguments_name_the_argument(case, bad):
    X, _, _ = case
    kwargs, name = bad
    copy = snapshot(X)
    with raises_naming(name):
        skeleton_approx(X, **kwargs)
    unchanged([X], copy)


@profile(20)
@given(case=matrices(min_n=2, min_d=2, dtypes=(np.float64, np.complex64), scale=False, structured=False),
       how=st.sampled_from(["nan", "inf", "1-D", "empty", "object", "masked", "list"]),
       sampling=st.sampled_from(SAMPLINGS))
def test_bad_matrices_name_X(case, how, sampling):
    X, _, _ = case
    if how in ("nan", "inf"):
        X = X.copy()
        X[0, 0] = np.nan if how == "nan" else np.inf
    elif how == "1-D":
        X = X[0]
    elif how == "empty":
        X = X[:, :0]
    elif how == "object":
        X = X.astype(object)
    elif how == "masked":
        X = np.ma.masked_array(X, mask=np.zeros(X.shape, bool))
    else:
        X = [["a"] * 2] * 2
    with raises_naming("X"):
        skeleton_approx(X, 1, n_rows=1, n_cols=1, sampling=sampling, rng=0)


@profile(100)
@given(rank=st.integers(1, 10**4), n=st.integers(1, 10**6), d=st.integers(1, 10**6),
       mu=st.floats(1.0, 1e3, allow_nan=False))
def test_default_sample_count_is_the_rule(rank, n, d, mu):
    if rank > min(n, d):
        with raises_naming("rank"):
            default_sample_count(rank, n, d, mu)
        return
    k = max(rank, math.ceil(mu * rank * math.log(max(n, d, 2))))
    assert default_sample_count(rank, n, d, mu) == (min(k, n), min(k, d))
    assert default_sample_count(np.int32(rank), np.int64(n), d, np.float32(mu)) == default_sample_count(
        rank, n, d, float(np.float32(mu)))
    if mu < 1e3:  # more coherence, more samples
        bigger = default_sample_count(rank, n, d, mu * 2)
        assert bigger[0] >= min(k, n) and bigger[1] >= min(k, d)


@pytest.mark.parametrize("kwargs,name", [
    ({"rank": 0}, "rank"), ({"rank": 2.0}, "rank"), ({"rank": None}, "rank"), ({"n": 0}, "n"), ({"n": 1.5}, "n"),
    ({"d": -3}, "d"), ({"mu": 0.5}, "mu"), ({"mu": float("nan")}, "mu"), ({"mu": "1"}, "mu"), ({"mu": True}, "mu"),
])
def test_default_sample_count_bad_arguments(kwargs, name):
    args = {"rank": 3, "n": 100, "d": 50, "mu": 1.0, **kwargs}
    with raises_naming(name):
        default_sample_count(args["rank"], args["n"], args["d"], args["mu"])
