"""Property tests (hypothesis) of ``incoherence`` and ``leverage_scores``.

Any finite matrix of any supported dtype (bool, integers, float16/32/64,
complex64/128) and layout gives leverage scores and μ that agree with a dense
``numpy.linalg.svd`` of the matrix in double precision, to a tolerance that follows
the gap :math:`\\sigma_r - \\sigma_{r+1}` (Wedin: rounding of size
:math:`\\epsilon\\sigma_1` moves the subspaces by :math:`\\epsilon\\sigma_1/\\delta`);
the numerical rank is the documented cut (``max(n, d) eps`` of the working dtype,
float16 data at their own rounding); a certified ``mu_error_bound`` is a true bound.
μ and the leverage scores are scale-invariant and the singular values scale-
equivariant: the draws scale float64/complex128 matrices by 2**+-664 (1e+-200) and
float32/complex64 by 2**+-40.  Bad arguments raise ValueError/TypeError naming the
argument; the input is never modified.  Sparse input (randomized) is checked against
the same reference.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import event, given, strategies as st

from _strategies_linalg import ALL_DTYPES, eps_w, matrices, profile, raises_naming, real_work, ref64, snapshot, unchanged
from skeleton import incoherence, leverage_scores


def reference(X64, r):
    """Leverage scores and mu at rank r from numpy's SVD, and the gap-based tolerance."""
    U, s, Vh = np.linalg.svd(X64, full_matrices=False)
    n, d = X64.shape
    row = np.sum(np.abs(U[:, :r]) ** 2, axis=1)
    col = np.sum(np.abs(Vh[:r].T) ** 2, axis=1)
    mu = max(n / r * row.max(), d / r * col.max())
    return row, col, mu, s


def lev_tolerance(s, r, n, d, eps):
    """Bound on the leverage error from rounding of size ~eps sigma_1 (both SVDs)."""
    gap = s[r - 1] - (s[r] if r < s.size else 0.0)
    if not gap > 0:
        return math.inf
    t = 64 * math.sqrt(n + d) * eps * s[0] / gap
    return 2 * t + t * t if t < 1 else math.inf


def expected_rank(s, X, n, d):
    """The documented default cut: max(n, d) eps_work, and for float16 data at least
    their rounding u ||X||_F (relative to sigma_1).  None when a singular value is
    within the working precision's rounding of the cut (the library's SVD, in that
    precision, may then see it on either side)."""
    if not s[0] > 0:
        return 0
    eps = eps_w(X.dtype)
    cut = max(n, d) * eps
    if X.dtype == np.float16:
        cut = max(cut, float(np.finfo(np.float16).eps) / 2 * np.linalg.norm(s / s[0]))
    rel = s / s[0]
    if np.any(np.abs(rel - cut) <= 64 * math.sqrt(n + d) * eps):
        return None
    return int(np.sum(rel > cut))


def check_result(inc, X, k, r_expected=None, accurate=True):
    n, d = X.shape
    X64 = ref64(X, k)
    r = inc.rank
    assert 1 <= r <= min(n, d)
    if r_expected is not None:
        assert r == r_expected
    rw = real_work(X.dtype)
    assert inc.row_leverage.dtype == rw and inc.col_leverage.dtype == rw
    assert inc.row_leverage.shape == (n,) and inc.col_leverage.shape == (d,)
    eps = eps_w(X.dtype)
    for lev in (inc.row_leverage, inc.col_leverage):
        assert np.all(np.isfinite(lev))
        assert np.all(lev >= -8 * eps) and np.all(lev <= 1 + 64 * eps * max(n, d))
        assert abs(float(np.sum(lev, dtype=np.float64)) - r) <= 64 * eps * r * max(n, d)
    assert inc.mu == max(inc.mu_rows, inc.mu_cols)
    assert 1 - 1e-3 <= inc.mu <= max(n, d) / r * (1 + 1e-3)
    row, col, mu, s = reference(X64, r)
    tol = lev_tolerance(s, r, n, d, eps)
    event(f"{X.dtype}, scale 2**{k}")
    event("compared with the SVD" if tol < 0.1 else "no gap at rank r: invariants only")
    if tol < 0.1 and accurate:  # (a partial sketch without a certificate is only an estimate)
        np.testing.assert_allclose(inc.row_leverage, row, rtol=0, atol=tol)
        np.testing.assert_allclose(inc.col_leverage, col, rtol=0, atol=tol)
        assert abs(inc.mu - mu) <= max(n, d) / r * tol
    sv = np.asarray(inc.singular_values, dtype=np.float64)
    assert np.all(np.isfinite(sv))
    # the singular values carry the scale 2**k (the first r of them, to rounding)
    if accurate:
        np.testing.assert_allclose(np.ldexp(sv[:r], -k), s[:r], rtol=0, atol=64 * math.sqrt(n + d) * eps * s[0])
    return mu, tol


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
@profile(40)
@given(data=st.data(), rank_given=st.booleans())
def test_exact(dtype, data, rank_given):
    X, k, _ = data.draw(matrices(dtypes=(dtype,)))
    n, d = X.shape
    copy = snapshot(X)
    s = np.linalg.svd(ref64(X, k), compute_uv=False)
    rank = data.draw(st.integers(1, min(n, d))) if rank_given else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # repeated singular values
        if not s[0] > 0:
            with raises_naming("X"):
                incoherence(X, rank)
            unchanged([X], copy)
            return
        inc = incoherence(X, rank)
        rows, cols = leverage_scores(X, rank)
    unchanged([X], copy)
    expected = rank if rank_given else expected_rank(s, X, n, d)
    event("rank compared" if expected is not None else "rank at the cut: not compared")
    check_result(inc, X, k, expected)
    assert inc.method == "exact" and math.isnan(inc.mu_error_bound)
    np.testing.assert_array_equal(rows, inc.row_leverage)
    np.testing.assert_array_equal(cols, inc.col_leverage)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
@profile(30)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), sparse=st.sampled_from([None, "csr", "coo"]),
       oversample=st.sampled_from([0, 1, 3, 10]), n_iter=st.sampled_from([0, 1, 4]))
def test_randomized_and_its_bound(dtype, data, seed, sparse, oversample, n_iter):
    X, k, _ = data.draw(matrices(dtypes=(dtype,)))
    n, d = X.shape
    if sparse and X.dtype == np.float16:
        sparse = None  # scipy.sparse has no float16
    s = np.linalg.svd(ref64(X, k), compute_uv=False)
    if not s[0] > 0:
        return
    rank = data.draw(st.integers(1, min(n, d)))
    Xin = scipy.sparse.csr_matrix(X).asformat(sparse) if sparse else X
    copy = snapshot(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inc = incoherence(Xin, rank, method="randomized", rng=seed, rtol=0.05, oversample=oversample,
                          n_iter=n_iter)
    unchanged([X], copy)
    if sparse:
        np.testing.assert_array_equal(Xin.toarray(), X)
    assert inc.method == "randomized" and inc.rank == rank
    full_sketch = min(n, d, rank + oversample) == min(n, d)
    mu, tol = check_result(inc, X, k, rank, accurate=full_sketch)
    if math.isfinite(inc.mu_error_bound):
        # certified: a true bound on the error of mu (up to the reference's own rounding)
        slack = max(n, d) / rank * tol if tol < 0.1 else 0.0
        assert abs(inc.mu - mu) <= inc.mu_error_bound * (1 + 1e-9) + slack
        assert inc.mu_error_bound <= 0.05 * inc.mu
    else:
        assert inc.power_iterations == n_iter


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.complex128],
                         ids=lambda t: np.dtype(t).name)
@profile(25)
@given(data=st.data(), method=st.sampled_from(["exact", "randomized"]))
def test_numerical_rank_of_a_rounded_low_rank_matrix(dtype, data, method):
    # rounding a rank-r matrix to the dtype leaves noise at the data's precision: the
    # default cut must not count it (float16 data in a float32 computation included)
    X, k, r = data.draw(matrices(min_n=2, min_d=2, dtypes=(dtype,), kinds=("rounded product",)))
    n, d = X.shape
    s = np.linalg.svd(ref64(X, k), compute_uv=False)
    expected = expected_rank(s, X, n, d)
    event(f"rank {r} of {min(n, d)}" + ("" if expected is not None else ": at the cut"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inc = incoherence(X, method=method, rng=0)
    if expected is not None:
        assert inc.rank == expected
    if s[r - 1] / s[0] > 1e3 * max(n, d) * eps_w(X.dtype) + np.finfo(np.float16).eps * (X.dtype == np.float16):
        assert inc.rank == r  # a clear gap above the rounding: exactly the rank before it


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@profile(20)
@given(case=matrices(dtypes=(np.float64, np.complex128, np.int64), scale=False))
def test_numpy_matrix_gives_the_array_result(case):
    X, _, _ = case
    if not np.any(X):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a, m = incoherence(X), incoherence(np.asmatrix(X))
    assert m.rank == a.rank and m.mu == a.mu and type(m.row_leverage) is np.ndarray
    np.testing.assert_array_equal(m.row_leverage, a.row_leverage)


BAD = [
    ({"rank": 0}, "rank"), ({"rank": 99}, "rank"), ({"rank": 2.5}, "rank"), ({"rank": True}, "rank"),
    ({"tol": -1}, "tol"), ({"tol": float("nan")}, "tol"), ({"tol": float("inf")}, "tol"), ({"tol": 1.0}, "tol"),
    ({"tol": True}, "tol"), ({"tol": "1e-8"}, "tol"), ({"method": "svd"}, "method"),
    ({"oversample": -1}, "oversample"), ({"oversample": 1.5}, "oversample"), ({"n_iter": -1}, "n_iter"),
    ({"rtol": -0.1}, "rtol"), ({"rtol": float("nan")}, "rtol"), ({"rtol": "a"}, "rtol"), ({"rng": "seed"}, "rng"),
    ({"rng": -1}, "rng"), ({"rng": 1.5}, "rng"),
]


@profile(40)
@given(case=matrices(min_n=2, min_d=2, scale=False, structured=False), bad=st.sampled_from(BAD),
       method=st.sampled_from(["exact", "randomized"]))
def test_bad_arguments_name_the_argument(case, bad, method):
    X, _, _ = case
    kwargs, name = bad
    kwargs = {"method": method, **kwargs}
    copy = snapshot(X)
    with raises_naming(name):
        incoherence(X, **kwargs)
    with raises_naming(name):
        leverage_scores(X, **kwargs)
    unchanged([X], copy)


@profile(30)
@given(case=matrices(min_n=2, min_d=2, dtypes=(np.float64, np.float32, np.complex128), scale=False,
                     structured=False),
       how=st.sampled_from(["nan", "inf", "1-D", "3-D", "empty", "object", "masked"]),
       method=st.sampled_from(["exact", "randomized"]))
def test_bad_matrices_name_X(case, how, method):
    X, _, _ = case
    if how in ("nan", "inf"):
        X = X.copy()
        X[X.shape[0] // 2, -1] = np.nan if how == "nan" else np.inf
    elif how == "1-D":
        X = X[0]
    elif how == "3-D":
        X = X[None]
    elif how == "empty":
        X = X[:0]
    elif how == "object":
        X = X.astype(object)
    else:
        X = np.ma.masked_array(X, mask=np.zeros(X.shape, bool))
    with raises_naming("X"):
        incoherence(X, method=method, rng=0)
