"""incoherence(): against a dense numpy.linalg.svd reference written here."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from skeleton import incoherence, leverage_scores
from skeleton.matrices import coherent, low_rank


def reference_mu(X, r):
    """mu at rank r straight from Definition 1, with numpy's SVD."""
    U, s, Vh = np.linalg.svd(X, full_matrices=False)
    n, d = X.shape
    row = np.sum(np.abs(U[:, :r]) ** 2, axis=1)
    col = np.sum(np.abs(Vh[:r].T) ** 2, axis=1)
    return max(n / r * row.max(), d / r * col.max()), row, col


@pytest.mark.parametrize("shape,r", [((60, 40), 3), ((40, 60), 5), ((50, 50), 50), ((80, 7), 7)])
def test_exact_matches_reference(shape, r):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((shape[0], r)) @ rng.standard_normal((r, shape[1]))
    inc = incoherence(X)
    mu, row, col = reference_mu(X, r)
    assert inc.rank == r
    assert inc.mu == pytest.approx(mu, rel=1e-10)
    np.testing.assert_allclose(inc.row_leverage, row, atol=1e-12)
    np.testing.assert_allclose(inc.col_leverage, col, atol=1e-12)
    assert inc.row_leverage.sum() == pytest.approx(r)
    assert inc.col_leverage.sum() == pytest.approx(r)
    assert inc.mu == max(inc.mu_rows, inc.mu_cols)


def test_rank_argument_is_mu_of_top_subspaces():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((70, 30))
    for r in (1, 4, 16, 30):
        mu, row, col = reference_mu(X, r)
        inc = incoherence(X, r)
        assert inc.mu == pytest.approx(mu, rel=1e-10)
        s = np.linalg.svd(X, compute_uv=False)
        expected_gap = np.inf if r == 30 else s[r - 1] / s[r]
        assert inc.gap == pytest.approx(expected_gap)


def test_known_values():
    assert incoherence(np.ones((5, 3))).mu == pytest.approx(1.0)
    X = np.zeros((6, 4))
    X[2, 1] = 3.0
    inc = incoherence(X)
    assert (inc.mu_rows, inc.mu_cols, inc.mu) == (6.0, 4.0, 6.0)
    assert inc.gap == np.inf


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.integers(2, 40),
    r_frac=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_mu_bounds_hypothesis(n, d, r_frac, seed):
    rng = np.random.default_rng(seed)
    r = 1 + int(r_frac * (min(n, d) - 1))
    X = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inc = incoherence(X, r)
    assert 1.0 - 1e-9 <= inc.mu <= max(n, d) / r + 1e-9


@pytest.mark.parametrize("mu", [1.0, 1.5, 4.0, 20.0, 49.0])
def test_low_rank_hits_requested_mu(mu):
    X = low_rank(400, 150, 8, mu=mu, rng=3)
    got = incoherence(X, 8).mu
    assert abs(got - mu) <= 0.05 * mu
    assert reference_mu(X, 8)[0] == pytest.approx(got, rel=1e-9)


def test_randomized_matches_exact_with_gap():
    # singular values 1..0.5 then 1e-3 tail: gap >= 10 at r = 10
    rng = np.random.default_rng(4)
    X = low_rank(600, 300, 10, mu=3.0, singular_values=np.linspace(1, 0.5, 10), rng=rng)
    X = X + 1e-3 * np.linalg.qr(rng.standard_normal((600, 300)))[0] @ np.diag(rng.random(300)) @ np.linalg.qr(rng.standard_normal((300, 300)))[0]
    exact = incoherence(X, 10)
    assert exact.gap >= 10
    for seed in range(5):
        rand = incoherence(X, 10, method="randomized", rng=seed)
        assert rand.mu == pytest.approx(exact.mu, rel=0.01)
        np.testing.assert_allclose(rand.row_leverage, exact.row_leverage, atol=1e-3 * exact.row_leverage.max())
        # stopped early (certified): the gap comes from an unrefined sketch, whose
        # sigma_{r+1} is low, so the estimate is rougher than after all iterations
        assert rand.power_iterations < 4
        assert rand.gap == pytest.approx(exact.gap, rel=0.5)
        full = incoherence(X, 10, method="randomized", rng=seed, rtol=0)
        assert full.power_iterations == 4
        assert full.mu == pytest.approx(exact.mu, rel=1e-6)
        assert full.gap == pytest.approx(exact.gap, rel=0.1)


def test_randomized_numerical_rank_adaptive():
    X = low_rank(300, 200, 45, rng=5)
    rand = incoherence(X, method="randomized", rng=0)
    assert rand.rank == 45
    assert rand.mu == pytest.approx(incoherence(X).mu, rel=1e-6)


def test_randomized_sparse_and_linear_operator():
    rng = np.random.default_rng(6)
    low = scipy.sparse.random(500, 5, density=0.3, random_state=7) @ scipy.sparse.random(5, 300, density=0.3, random_state=8)
    A = (low + 1e-4 * scipy.sparse.random(500, 300, density=0.01, random_state=9)).tocsr()
    r = 5
    exact = incoherence(A.toarray(), r)
    assert exact.gap >= 10
    assert incoherence(A, r, method="randomized", rng=0).mu == pytest.approx(exact.mu, rel=0.01)
    # a LinearOperator of an exactly rank-5 product
    L = rng.standard_normal((400, 5))
    R = rng.standard_normal((5, 250))
    op = scipy.sparse.linalg.LinearOperator(
        (400, 250), matvec=lambda v: L @ (R @ v), rmatvec=lambda v: R.T @ (L.T @ v),
        matmat=lambda M: L @ (R @ M), rmatmat=lambda M: R.T @ (L.T @ M), dtype=np.float64,
    )
    got = incoherence(op, 5, method="randomized", rng=1)
    assert got.mu == pytest.approx(incoherence(L @ R, 5).mu, rel=1e-8)


def test_randomized_warns_without_gap():
    X = np.random.default_rng(7).standard_normal((200, 100))  # no gap at r = 5
    with pytest.warns(RuntimeWarning, match="gap"):
        incoherence(X, 5, method="randomized", rng=0)


def test_exact_warns_on_repeated_singular_value():
    with pytest.warns(RuntimeWarning, match="coincide"):
        incoherence(np.eye(6), 3)


def test_dtypes_preserved_and_input_unchanged():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((30, 20))
    X32 = X.astype(np.float32)
    copy = X32.copy()
    inc = incoherence(X32, 5)
    assert inc.row_leverage.dtype == np.float32
    np.testing.assert_array_equal(X32, copy)
    Xc = X + 1j * rng.standard_normal((30, 20))
    incc = incoherence(Xc, 4)
    assert incc.row_leverage.dtype == np.float64
    assert incc.mu == pytest.approx(reference_mu(Xc, 4)[0], rel=1e-10)
    inci = incoherence(np.arange(12).reshape(4, 3) % 5)
    assert inci.row_leverage.dtype == np.float64


def test_leverage_scores_helper():
    X = coherent(50, 20, 3, rng=0)
    rows, cols = leverage_scores(X)
    assert np.count_nonzero(rows > 0.5) == 3
    assert cols.sum() == pytest.approx(3)


def test_ill_conditioned_hilbert():
    # The Hilbert matrix: numerical rank far below its size; mu at that rank is
    # compared with the reference on the same tolerance.
    H = scipy.linalg.hilbert(12)
    inc = incoherence(H)
    s = np.linalg.svd(H, compute_uv=False)
    r = int(np.sum(s > s[0] * 12 * np.finfo(float).eps))
    assert inc.rank == r == np.linalg.matrix_rank(H)
    assert inc.mu == pytest.approx(reference_mu(H, r)[0], rel=1e-8)


def test_real_data_digits():
    from sklearn.datasets import load_digits

    X = load_digits().data  # 1797 x 64 pixel intensities, shipped with scikit-learn
    for r in (5, 20):
        assert incoherence(X, r).mu == pytest.approx(reference_mu(X, r)[0], rel=1e-8)


@pytest.mark.parametrize(
    "X,kwargs,exc,match",
    [
        (np.ones(5), {}, ValueError, "2-D"),
        (np.ones((0, 3)), {}, ValueError, "empty"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), {}, ValueError, "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), {}, ValueError, "infinity"),
        (np.zeros((4, 3)), {}, ValueError, "zero matrix"),
        (np.ones((4, 3)), {"rank": 0}, ValueError, r"\[1, 3\]"),
        (np.ones((4, 3)), {"rank": 4}, ValueError, "rank"),
        (np.ones((4, 3)), {"method": "svd"}, ValueError, "'exact', 'randomized'"),
        (np.array([["a", "b"]]), {}, TypeError, "numeric"),
        (np.ones((4, 3)), {"rank": 2.5}, TypeError, "integer"),
        (np.ones((4, 3)), {"method": "randomized", "rng": "seed"}, TypeError, "rng"),
    ],
)
def test_bad_input(X, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        incoherence(X, **kwargs)


def test_check_finite_false_skips_the_scan():
    X = np.ones((4, 3))
    X[0, 0] = np.nan
    # Without the scan the NaN reaches LAPACK: whatever happens there, it is not our
    # ValueError about NaN.
    try:
        incoherence(X, check_finite=False)
    except ValueError as exc:
        assert "NaN" not in str(exc)
    except np.linalg.LinAlgError:
        pass


# -- the first sketch in single precision ---------------------------------------------


def _spy_first_sketch(monkeypatch):
    """Record the dtype of the Omega each scan_sketch call gets (NumPy backend)."""
    from skeleton._backends.numpy import NumpyBackend

    seen = []
    original = NumpyBackend.scan_sketch

    def spy(self, X, Omega):
        seen.append(np.dtype(Omega.dtype))
        return original(self, X, Omega)

    monkeypatch.setattr(NumpyBackend, "scan_sketch", spy)
    return seen


@pytest.mark.parametrize("dtype, low", [(np.float64, np.float32), (np.complex128, np.complex64)])
def test_single_precision_first_sketch_is_still_certified(dtype, low, monkeypatch):
    seen = _spy_first_sketch(monkeypatch)
    rng = np.random.default_rng(6)
    X = low_rank(500, 400, 10, mu=2.5, singular_values=np.logspace(0, -2, 10), dtype=dtype, rng=rng)
    X = X + 1e-6 * rng.standard_normal(X.shape) / np.sqrt(500)
    inc = incoherence(X, 10, method="randomized", rng=1)
    mu, row, _ = reference_mu(X, 10)
    assert seen == [np.dtype(low)]
    assert inc.power_iterations == 0 and abs(inc.mu - mu) <= inc.mu_error_bound <= 1e-2 * mu
    np.testing.assert_allclose(inc.row_leverage, row, atol=1e-8)
    assert inc.row_leverage.dtype == np.finfo(dtype).dtype


def test_first_sketch_stays_in_double_precision_where_single_cannot_serve(monkeypatch):
    seen = _spy_first_sketch(monkeypatch)
    X = low_rank(300, 200, 12, rng=3)
    incoherence(X, method="randomized", rng=0)  # numerical rank: needs the double-precision sketch
    incoherence(X, 12, method="randomized", rng=0, n_iter=0)  # nothing would refine a single one
    incoherence(X.astype(np.float32), 12, method="randomized", rng=0)  # already single
    assert seen == []


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_entries_beyond_single_precision_range_are_sketched_in_double(scale):
    # float32 overflows above 3.4e38 and loses precision below 1e-38: the sketch is
    # then formed again in double precision, and mu stays right (and certified)
    X = low_rank(400, 300, 8, mu=3.0, rng=4) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inc = incoherence(X, 8, method="randomized", rng=2)
    mu = reference_mu(X, 8)[0]
    assert inc.power_iterations == 0 and abs(inc.mu - mu) <= inc.mu_error_bound < 1e-8 * mu


def test_integer_matrix_takes_the_single_precision_sketch_too(monkeypatch):
    seen = _spy_first_sketch(monkeypatch)
    rng = np.random.default_rng(8)
    X = rng.integers(-5, 6, size=(400, 5)) @ rng.integers(-5, 6, size=(5, 300))  # rank 5, int64
    inc = incoherence(X, 5, method="randomized", rng=0)
    assert seen == [np.dtype(np.float32)] and inc.row_leverage.dtype == np.float64
    mu = reference_mu(X.astype(np.float64), 5)[0]
    assert abs(inc.mu - mu) <= inc.mu_error_bound < 1e-8 * mu


# -- regressions: tol, numpy.matrix, float16 -------------------------------------------


@pytest.mark.parametrize(
    "tol,exc",
    [(-1, ValueError), (-1e-300, ValueError), (np.nan, ValueError), (np.inf, ValueError), (1.0, ValueError),
     (True, TypeError), (np.True_, TypeError), ("1e-8", TypeError), (1j, TypeError)],
)
@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_tol_is_validated_naming_it(tol, exc, method):
    # tol=-1 used to keep every singular value (rank 200 here) and nan, inf, True to
    # report "X is the zero matrix"
    X = low_rank(300, 200, 8, mu=3.0, rng=0)
    with pytest.raises(exc, match=r"\btol\b"):
        incoherence(X, tol=tol, method=method, rng=0)
    with pytest.raises(exc, match=r"\btol\b"):
        leverage_scores(X, tol=tol, method=method, rng=0)


def test_valid_tol_sets_the_numerical_rank():
    s = np.array([1.0, 1e-3, 1e-6, 1e-9])
    X = low_rank(60, 40, 4, singular_values=s, rng=1)
    assert [incoherence(X, tol=t).rank for t in (1e-12, 1e-7, 1e-4, 1e-2)] == [4, 3, 2, 1]
    assert incoherence(X, tol=0.0).rank >= 4  # every non-zero singular value, rounding included


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # numpy.matrix itself
def test_numpy_matrix_input_is_read_as_an_array():
    # elementwise products on a numpy.matrix are matrix products: mu of a full-rank
    # square matrix came out as 2.45 or 3.37 with negative leverage scores
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 6))
    for method in ("exact", "randomized"):
        inc = incoherence(np.asmatrix(A), method=method, rng=0)
        assert inc.mu == pytest.approx(1.0, abs=1e-12) and inc.rank == 6
        assert type(inc.row_leverage) is np.ndarray and inc.row_leverage.shape == (6,)
        np.testing.assert_allclose(inc.row_leverage, np.ones(6), atol=1e-12)
    B = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    np.testing.assert_allclose(incoherence(np.asmatrix(B)).row_leverage, incoherence(B).row_leverage, atol=1e-13)


@pytest.mark.parametrize("shape", [(200, 100), (1200, 300)])
@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_float16_numerical_rank_follows_float16_rounding(shape, method):
    # a rank-8 matrix stored in float16 carries rounding of relative size 5e-4: the
    # float32 rule max(n, d) eps32 counted it as rank (reported 9 or 69), and
    # matrix_rank's rule with eps16 would cut everything at 1200 rows (1200 eps16 > 1)
    X = low_rank(*shape, 8, singular_values=np.logspace(0, -1, 8), rng=3)
    X16 = X.astype(np.float16)
    inc = incoherence(X16, method=method, rng=4)
    assert inc.rank == 8
    assert inc.row_leverage.dtype == np.float32
    U = np.linalg.svd(X16.astype(np.float64), full_matrices=False)[0][:, :8]
    ref = shape[0] / 8 * np.max(np.sum(U**2, axis=1))
    assert inc.mu_rows == pytest.approx(ref, rel=1e-4)
    # float32 data keep the working precision's rule, which counts the rounding of the
    # smaller matrix as rank (the reported defect)
    s = np.linalg.svd(X16.astype(np.float64), compute_uv=False)
    expected = int(np.sum(s > s[0] * max(shape) * np.finfo(np.float32).eps))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (the rounding has no gaps)
        assert incoherence(X16.astype(np.float32)).rank == expected
    assert expected > 8 or shape[0] > 1024
