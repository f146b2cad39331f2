"""Adaptive cross approximation: exact on rank-k input, near the SVD tail on smooth
kernels and classic ill-conditioned matrices, reads (k + 1)(n + d) entries at most,
reproduces its crosses; bad inputs."""

import numpy as np
import pytest
import scipy.linalg
import scipy.linalg.interpolative as sli

from skeleton import CrossApproximation, KernelMatrix, aca
from _oracles import DenseOracle


def rank_r(n, d, r, rng, complex_=False):
    g = np.random.default_rng(rng)
    A, B = g.standard_normal((n, r)), g.standard_normal((r, d))
    if complex_:
        A = A + 1j * g.standard_normal((n, r))
        B = B + 1j * g.standard_normal((r, d))
    return A @ B


@pytest.mark.parametrize("shape", [(300, 200), (150, 400)])
@pytest.mark.parametrize("complex_", [False, True])
def test_exact_on_rank_r_input(rel, shape, complex_):
    X = rank_r(*shape, 7, rng=1, complex_=complex_)
    for seed in range(5):
        with np.errstate(all="raise"):
            res = aca(X, rtol=1e-15, rng=seed)
        assert isinstance(res, CrossApproximation) and res.converged
        # at most one cross beyond r, on the rounding noise (|v| <= 1, u ~ eps)
        assert res.rank in (7, 8)
        assert rel(res.to_array(), X) < 1e-14
        assert res.U.dtype == X.dtype and res.V.shape == (shape[1], res.rank)
    # a rank cap above r stops on the vanishing residual too
    capped = aca(X, 30, rng=0)
    assert capped.rank <= 8 and capped.converged and capped.error_estimate == 0.0


def test_crosses_are_reproduced_and_factors_bounded():
    x = np.random.default_rng(2).random((500, 2))
    y = np.random.default_rng(3).random((400, 2)) + [0.7, 0.0]
    X = KernelMatrix(x, y, bandwidth=0.4).to_array()
    res = aca(X, 25, rng=4)
    assert res.rank == 25 and not res.converged
    approx = res.to_array()
    scale = np.abs(X).max()
    np.testing.assert_allclose(approx[res.rows], X[res.rows], atol=1e-13 * scale)
    np.testing.assert_allclose(approx[:, res.cols], X[:, res.cols], atol=1e-13 * scale)
    assert np.abs(res.V).max() <= 1 + 1e-12  # partial pivoting
    # W = X[rows, cols] = U[rows] V[cols]^H, an LU factorisation (unit lower V[cols])
    Ur, Vc = res.U[res.rows], res.V[res.cols]
    assert np.array_equal(Ur, np.tril(Ur)) and np.array_equal(Vc, np.tril(Vc))
    assert np.array_equal(np.diag(Vc), np.ones(25))
    np.testing.assert_allclose(Ur @ Vc.T, X[np.ix_(res.rows, res.cols)], atol=1e-13 * scale)
    # U V^H is the skeleton C W^{-1} R on the pivots (well-conditioned at this rank)
    W = X[np.ix_(res.rows, res.cols)]
    skel = X[:, res.cols] @ np.linalg.solve(W, X[res.rows])
    assert np.linalg.cond(W) < 1e10
    np.testing.assert_allclose(approx, skel, atol=1e-9 * scale)
    i, j = np.array([0, 499, 17]), np.array([3, 0])
    np.testing.assert_allclose(res.entries(i, j), approx[np.ix_(i, j)], atol=1e-15)


def test_near_the_svd_tail_on_a_smooth_kernel(rel, svd_tail):
    g = np.random.default_rng(5)
    K = KernelMatrix(g.random((800, 2)), g.random((600, 2)) + [1.5, 0.0], bandwidth=0.5)
    X = K.to_array()
    for k in (5, 10, 20, 30, 40):
        res = aca(K, k, rng=6)
        # measured ratios 5-34 (the SVD is optimal; a cross reads only k rows and columns)
        assert rel(res.to_array(), X) <= 50 * svd_tail(X, k)


@pytest.mark.parametrize("name", ["hilbert", "cauchy", "vandermonde"])
def test_classic_ill_conditioned_matrices_reach_rounding(rel, svd_tail, name):
    if name == "hilbert":
        X = scipy.linalg.hilbert(300)
    elif name == "cauchy":
        t = np.linspace(0, 1, 250)
        X = 1.0 / (t[:, None] + t[None, :] + 0.1)
    else:
        X = np.vander(np.linspace(0, 1, 500), 60, increasing=True)
    res = aca(X, rtol=1e-15, rng=7)
    err = rel(res.to_array(), X)
    k = res.rank
    floor = max(svd_tail(X, k), 10 * np.finfo(float).eps)
    assert err <= 10 * floor
    # scipy's interpolative decomposition at the same rank, for scale
    idx, proj = sli.interp_decomp(X, k, rand=False)
    B = sli.reconstruct_skel_matrix(X, k, idx)
    id_err = rel(sli.reconstruct_matrix_from_id(B, idx, proj), X)
    assert err <= 10 * max(id_err, 10 * np.finfo(float).eps)


def test_entry_count_is_k_plus_one_crosses_at_most():
    g = np.random.default_rng(8)
    K = KernelMatrix(g.random((700, 2)), g.random((500, 2)), bandwidth=0.5)
    O = DenseOracle(K.to_array())
    res = aca(O, rtol=1e-10, rng=9)
    assert O.count == res.n_entries
    assert res.n_entries <= (res.rank + 1) * (700 + 500)
    exact = aca(DenseOracle(rank_r(200, 100, 4, rng=10)), rtol=1e-14, rng=11)
    # 4 or 5 crosses, then up to three noise-level rows
    assert exact.n_entries <= (exact.rank + 3) * 100 + exact.rank * 200


def test_rtol_estimate_tracks_the_true_error(rel):
    g = np.random.default_rng(12)
    K = KernelMatrix(g.random((900, 2)), g.random((700, 2)) + [1.0, 0.0], bandwidth=0.4)
    X = K.to_array()
    for rtol in (1e-4, 1e-8, 1e-12):
        res = aca(K, rtol=rtol, rng=13)
        assert res.converged and res.error_estimate <= rtol
        err = rel(res.to_array(), X)
        assert err <= 30 * rtol  # a heuristic estimate: within a factor on a smooth kernel


def test_float32_and_oracle_agree_with_dense(rel):
    g = np.random.default_rng(14)
    K = KernelMatrix(g.random((300, 2)).astype(np.float32), bandwidth=0.5)
    res = aca(K, 15, rng=15)
    assert res.U.dtype == np.float32 and res.V.dtype == np.float32
    dense = aca(K.to_array(), 15, rng=15)
    np.testing.assert_array_equal(res.rows, dense.rows)
    np.testing.assert_allclose(res.to_array(), dense.to_array(), atol=1e-6)
    X64 = K.to_array().astype(np.float64)
    res64 = aca(X64, 15, rng=15)
    np.testing.assert_array_equal(res.rows, res64.rows)
    assert rel(res.to_array(), X64) <= rel(res64.to_array(), X64) + 1e-5


def test_factors_outgrowing_their_buffers(monkeypatch):
    import importlib

    mod = importlib.import_module("skeleton.aca")
    g = np.random.default_rng(19)
    K = KernelMatrix(g.random((400, 2)), g.random((300, 2)), bandwidth=0.3)
    ref = aca(K, rtol=1e-9, rng=20)
    monkeypatch.setattr(mod, "reserve_rows", lambda cap, ncols, dtype: np.empty((3, ncols), dtype=dtype))
    res = aca(K, rtol=1e-9, rng=20)
    assert res.rank > 10
    np.testing.assert_array_equal(res.rows, ref.rows)
    np.testing.assert_array_equal(res.U, ref.U)
    np.testing.assert_array_equal(res.V, ref.V)


def test_reproducible_and_input_unmodified():
    X = rank_r(60, 50, 10, rng=16) + 1e-3 * np.random.default_rng(17).standard_normal((60, 50))
    before = X.copy()
    a, b = aca(X, 8, rng=3), aca(X, 8, rng=3)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.cols, b.cols)
    assert np.array_equal(X, before)


def _with_nan():
    X = rank_r(20, 20, 3, rng=18)
    X[:, 5] = np.nan
    return X


@pytest.mark.parametrize(
    "args, kwargs, exc, word",
    [
        ((np.ones(5), 1), {}, ValueError, "2-D"),
        ((np.ones((0, 3)), 1), {}, ValueError, "empty"),
        ((np.array([["a", "b"]]), 1), {}, TypeError, "X"),
        ((np.ones((4, 3)), 0), {}, ValueError, "rank"),
        ((np.ones((4, 3)), 4), {}, ValueError, "rank"),
        ((np.ones((4, 3)), 1.5), {}, TypeError, "rank"),
        ((np.ones((4, 3)),), {}, ValueError, "rtol"),
        ((np.ones((4, 3)),), {"rtol": 2.0}, ValueError, "rtol"),
        ((np.ones((4, 3)),), {"rtol": -1e-3}, ValueError, "rtol"),
        ((np.ones((4, 3)),), {"rtol": None, "rng": 0}, ValueError, "rank"),
        ((np.ones((4, 3)), 2), {"rng": 1.5}, TypeError, "rng"),
        ((_with_nan(), 3), {}, ValueError, "NaN"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        aca(*args, **kwargs)


def test_nan_unchecked_passes_through():
    res = aca(_with_nan(), 3, rng=0, check_finite=False)
    assert res.rank <= 3


def test_full_rank_square_matrix_is_reproduced():
    X = np.random.default_rng(21).standard_normal((12, 12))
    res = aca(X, 12, rng=0)
    assert res.rank == 12 and res.converged and res.error_estimate == 0.0
    np.testing.assert_allclose(res.to_array(), X, atol=1e-12)
