"""Randomly pivoted Cholesky against dense references: same pivots, same Nystrom
approximation; greedy pivots equal LAPACK's; block and sequential sampling the same
distribution; exact recovery, precisions, ill-conditioned kernels; bad inputs."""

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from skeleton import KernelMatrix, PivotedCholesky, rpcholesky
from _oracles import BadDtype, BadShape, DenseOracle, gaussian_reference

METHODS = ["accelerated", "sequential", "greedy"]


def decaying_psd(n, rate=0.8, rng=0, dtype=np.float64):
    """Q diag(rate**j) Q^H with a random orthogonal / unitary Q."""
    g = np.random.default_rng(rng)
    M = g.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        M = M + 1j * g.standard_normal((n, n))
    Q, _ = np.linalg.qr(M)
    A = (Q * rate ** np.arange(n)) @ Q.conj().T
    A = (A + A.conj().T) / 2
    return A.astype(dtype)


def nystrom_reference(A, piv):
    """C W^{-1} C^H from a dense Cholesky of W = A[piv, piv] and a triangular solve."""
    L = np.linalg.cholesky(A[np.ix_(piv, piv)])
    G = scipy.linalg.solve_triangular(L, A[piv, :], lower=True)  # L^{-1} C^H
    return G.conj().T @ G


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["spectrum", "kernel"])
def test_same_pivots_give_the_dense_nystrom_approximation(method, kind):
    if kind == "spectrum":
        A, k = decaying_psd(200), 40
    else:
        x = np.random.default_rng(1).random((400, 2))
        A, k = gaussian_reference(x, x, 0.3), 60
    res = rpcholesky(A, k, method=method, rng=2)
    assert isinstance(res, PivotedCholesky) and res.rank == k and res.method == method
    assert res.pivots.dtype == np.intp and len(set(res.pivots.tolist())) == k
    ref = nystrom_reference(A, res.pivots)
    scale = np.abs(A).max()
    assert np.abs(res.to_array() - ref).max() <= 1e-12 * scale
    true_trace_error = np.trace(A - ref) / np.trace(A)
    assert res.trace_error == pytest.approx(true_trace_error, rel=1e-6, abs=1e-14)
    np.testing.assert_allclose(res.residual_diagonal, np.clip(np.diag(A - ref), 0, None), atol=1e-13 * scale)
    # F[pivots] is the Cholesky factor of W, and F L^H reproduces the columns C
    L = res.L
    assert np.array_equal(L, np.tril(L)) and np.all(np.diag(L) > 0)
    np.testing.assert_allclose(L @ L.T, A[np.ix_(res.pivots, res.pivots)], atol=1e-13 * scale)
    np.testing.assert_allclose(res.F @ L.T, A[:, res.pivots], atol=1e-13 * scale)
    assert np.all(res.residual_diagonal[res.pivots] == 0)


def test_greedy_pivots_are_lapack_pstrf_pivots():
    A = decaying_psd(150, rate=0.85, rng=3)
    c, piv, rank, info = scipy.linalg.lapack.dpstrf(A, lower=1)
    k = 50
    res = rpcholesky(A, k, method="greedy")
    np.testing.assert_array_equal(res.pivots, piv[:k] - 1)
    L = np.tril(c)[:, :k]  # pstrf's factor, rows in pivot order
    F_ref = np.empty_like(L)
    F_ref[piv - 1] = L
    np.testing.assert_allclose(res.F, F_ref, atol=1e-13)


def _pair_probabilities(A):
    """Exact law of the first two pivots of sequential RPCholesky (ordered pairs)."""
    n = A.shape[0]
    p = np.zeros((n, n))
    d = np.diag(A)
    for a in range(n):
        S = A - np.outer(A[:, a], A[a, :]) / A[a, a]
        s = np.clip(np.diag(S), 0, None)
        p[a] = d[a] / d.sum() * s / s.sum()
    return p


@pytest.mark.parametrize("method, block_size", [("sequential", None), ("accelerated", 3), ("accelerated", 8)])
def test_block_and_sequential_sample_the_same_pivot_distribution(method, block_size):
    # chi-square goodness of fit of the first two pivots against the exact law
    A = decaying_psd(6, rate=0.5, rng=4) + 0.05 * np.eye(6)
    p = _pair_probabilities(A)
    seeds = np.random.SeedSequence(5).spawn(4000)
    counts = np.zeros_like(p)
    for s in seeds:
        a, b = rpcholesky(A, 2, method=method, block_size=block_size, rng=np.random.default_rng(s)).pivots
        counts[a, b] += 1
    mask = p > 0
    stat = ((counts[mask] - len(seeds) * p[mask]) ** 2 / (len(seeds) * p[mask])).sum()
    assert counts[~mask].sum() == 0
    assert scipy.stats.chi2.sf(stat, mask.sum() - 1) > 1e-4


def test_block_and_sequential_agree_in_quality():
    x = np.random.default_rng(6).random((1500, 2))
    K = KernelMatrix(x, bandwidth=0.25)
    seeds = np.random.SeedSequence(7).spawn(12)
    err = {
        m: np.array([rpcholesky(K, 80, method=m, rng=np.random.default_rng(s)).trace_error for s in seeds])
        for m in ("accelerated", "sequential")
    }
    ratio = np.median(err["accelerated"]) / np.median(err["sequential"])
    # the same pivot distribution: over 20 SeedSequence roots this ratio of medians of
    # 12 draws ranged 0.86-1.13, so a sampler half as good fails here
    assert 1 / 1.5 < ratio < 1.5
    # and both near greedy pivoting, far better than uniform sampling
    greedy = rpcholesky(K, 80, method="greedy").trace_error
    assert np.median(err["accelerated"]) < 30 * greedy


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_rank_deficient_input_is_recovered_exactly_without_nan(method, dtype):
    g = np.random.default_rng(8)
    B = g.standard_normal((120, 5))
    if np.dtype(dtype).kind == "c":
        B = B + 1j * g.standard_normal((120, 5))
    A = B @ B.conj().T
    with np.errstate(all="raise"):  # no division by a zero pivot, no NaN
        res = rpcholesky(A, 30, method=method, rng=9)
    assert res.rank == 5 and res.F.dtype == dtype
    assert res.trace_error == 0.0
    np.testing.assert_allclose(res.to_array(), A, atol=1e-12 * np.abs(A).max())
    # the zero matrix: nothing to pivot on
    zero = rpcholesky(np.zeros((10, 10)), 3, method=method, rng=0)
    assert zero.rank == 0 and zero.F.shape == (10, 0) and zero.trace_error == 0.0


def test_rtol_stops_on_the_trace_error():
    A = decaying_psd(300, rate=0.9, rng=10)
    for rtol in (1e-3, 1e-8, 1e-12):
        res = rpcholesky(A, rtol=rtol, rng=11)
        assert res.trace_error <= rtol
        # a round adds a few pivots at most beyond the fewest that meet rtol
        fewer = rpcholesky(A, res.rank - 8, rng=11) if res.rank > 8 else None
        if fewer is not None:
            assert fewer.trace_error > rtol
    capped = rpcholesky(A, 10, rtol=1e-12, rng=11)
    assert capped.rank == 10 and capped.trace_error > 1e-12
    # below the rounding level it stops when the residual is resolved (eigenvalues
    # 0.7^j fall under eps from j ~ 100 on)
    A = decaying_psd(300, rate=0.7, rng=10)
    floor = rpcholesky(A, rtol=1e-300, rng=11)
    assert 80 < floor.rank < 150 and np.abs(floor.to_array() - A).max() < 1e-14


def test_many_pivots_and_a_factor_outgrowing_its_buffer(monkeypatch):
    import importlib

    x = np.random.default_rng(12).random((1200, 2))
    K = KernelMatrix(x, bandwidth=0.05)
    res = rpcholesky(K, rtol=1e-6, rng=13)
    assert res.rank > 256 and res.trace_error <= 1e-6
    A = K.to_array()
    np.testing.assert_allclose(res.to_array(), nystrom_reference(A, res.pivots), atol=1e-10)
    # the same with a buffer reserved for 16 rows only: it is grown (copied), same result
    mod = importlib.import_module("skeleton.rpcholesky")
    monkeypatch.setattr(mod, "reserve_rows", lambda cap, ncols, dtype: np.empty((16, ncols), dtype=dtype))
    small = rpcholesky(K, rtol=1e-6, rng=13)
    np.testing.assert_array_equal(small.pivots, res.pivots)
    np.testing.assert_array_equal(small.F, res.F)


def test_float32_stays_float32_at_float32_accuracy():
    x = np.random.default_rng(14).random((500, 2)).astype(np.float32)
    K = KernelMatrix(x, bandwidth=0.3)
    A32 = K.to_array()
    for src in (K, A32):
        res = rpcholesky(src, rtol=1e-4, rng=15)
        assert res.F.dtype == np.float32 and res.residual_diagonal.dtype == np.float32
        assert res.trace_error <= 1e-4
        A64 = A32.astype(np.float64)
        ref = nystrom_reference(A64, res.pivots)
        # the Cholesky route's rounding: eps * kappa(L) * max A_jj, kappa(L) =
        # sqrt(kappa(W)) for the pivot block W (kappa about 1e6 here, so ~1.5e-4;
        # measured 0.01-0.1 of it over seeds and BLAS kernels; an explicit inverse
        # of W would give eps * kappa(W), about 0.2)
        W = A64[np.ix_(res.pivots, res.pivots)]
        assert np.abs(res.to_array() - ref).max() < np.finfo(np.float32).eps * np.sqrt(np.linalg.cond(W))
    floor = rpcholesky(K, rtol=1e-30, rng=15)  # float32's rounding level: stops, no NaN
    assert np.all(np.isfinite(floor.F)) and np.abs(floor.to_array() - A32).max() < 1e-4


def test_complex_hermitian_matches_the_dense_reference():
    A = decaying_psd(120, rate=0.8, rng=16, dtype=np.complex128)
    res = rpcholesky(A, 40, rng=17)
    assert res.F.dtype == np.complex128
    np.testing.assert_allclose(res.to_array(), nystrom_reference(A, res.pivots), atol=1e-13)
    A64 = A.astype(np.complex64)
    res = rpcholesky(A64, 20, rng=17)
    assert res.F.dtype == np.complex64
    assert np.abs(res.to_array() - nystrom_reference(A.astype(np.complex128), res.pivots)).max() < 1e-5


def test_stable_factor_reaches_rounding_where_the_explicit_core_cancels():
    # A smooth kernel at ~1e-13 trace error: W = A[S, S] has condition number ~1e16,
    # so C pinv(W) C^T loses most digits; F F^T stays at rounding level.
    x = np.random.default_rng(18).random((1500, 2))
    K = KernelMatrix(x, bandwidth=0.3)
    res = rpcholesky(K, rtol=1e-13, rng=19)
    A = K.to_array()
    S = res.pivots
    W = A[np.ix_(S, S)]
    assert np.linalg.cond(W) > 1e14
    ours = np.linalg.norm(res.to_array() - A) / np.linalg.norm(A)
    naive = np.linalg.norm(A[:, S] @ np.linalg.pinv(W) @ A[S, :] - A) / np.linalg.norm(A)
    assert ours <= 1e-13  # measured 2e-14
    assert naive > 1e-8  # measured 6e-3: the cancellation this test guards against
    # entries() evaluates the same factored form
    i, j = np.arange(0, 1500, 7), np.arange(3, 1500, 11)
    np.testing.assert_allclose(res.entries(i, j), res.to_array()[np.ix_(i, j)], atol=1e-15)


@pytest.mark.parametrize("h", [0.05, 0.2, 1.0])
def test_compiled_column_passes_equal_the_numpy_one(h):
    x = np.random.default_rng(20).random((700, 3))
    K = KernelMatrix(x, bandwidth=h)
    a = rpcholesky(K, 40, rng=21)  # compiled kernel pass
    b = rpcholesky(K.to_array(), 40, rng=21)  # compiled array pass
    c = rpcholesky(DiagonalOracle(K.to_array()), 40, rng=21)  # NumPy/SciPy chunk loop
    for other in (b, c):
        np.testing.assert_array_equal(a.pivots, other.pivots)
        np.testing.assert_allclose(a.F, other.F, atol=1e-13)
        assert a.n_entries == other.n_entries


def test_entry_counts_and_oracles_without_diagonal():
    x = np.random.default_rng(22).random((600, 2))
    D = gaussian_reference(x, x, 0.3)
    O = DenseOracle(D)
    res = rpcholesky(O, 50, rng=23)
    assert O.count == res.n_entries  # every entry read is counted
    n = 600
    assert 32 * n <= res.n_entries - 50 * n  # diagonal from 32 x 32 blocks, no diagonal() here
    with_diag = DiagonalOracle(D)
    res2 = rpcholesky(with_diag, 50, rng=23)
    np.testing.assert_array_equal(res.pivots, res2.pivots)
    np.testing.assert_allclose(res.F, res2.F, atol=1e-14)
    assert with_diag.count + n == res2.n_entries  # diagonal(): n entries
    seq = rpcholesky(DenseOracle(D), 50, method="sequential", rng=23)
    diag_blocks = sum(min(32, n - i) ** 2 for i in range(0, n, 32))
    assert seq.n_entries == diag_blocks + 50 * (n + 1)  # 1 x 1 candidate blocks, then the columns


class DiagonalOracle(DenseOracle):
    def diagonal(self):
        return np.diag(self.A).copy()


def test_reproducible_and_generator_advances():
    A = decaying_psd(80, rng=24)
    a = rpcholesky(A, 10, rng=5)
    b = rpcholesky(A, 10, rng=5)
    np.testing.assert_array_equal(a.pivots, b.pivots)
    g = np.random.default_rng(5)
    c, d = rpcholesky(A, 10, rng=g), rpcholesky(A, 10, rng=g)
    assert not np.array_equal(c.pivots, d.pivots)
    np.testing.assert_array_equal(c.pivots, a.pivots)  # int seed == default_rng(seed)


def test_input_is_not_modified_and_fortran_input_agrees():
    A = decaying_psd(60, rng=25)
    before = A.copy()
    a = rpcholesky(A, 15, rng=1)
    assert np.array_equal(A, before)
    b = rpcholesky(np.asfortranarray(A), 15, rng=1)
    np.testing.assert_array_equal(a.pivots, b.pivots)
    np.testing.assert_allclose(a.F, b.F, atol=1e-15)
    c = rpcholesky((A * 1000).round().astype(np.int64), 5, rng=1)  # integers compute in float64
    assert c.F.dtype == np.float64


def _indefinite():
    return np.array([[1.0, 2.0], [2.0, 1.0]])


def _non_hermitian():
    A = decaying_psd(30, rng=26)
    A[np.triu_indices(30, 1)] += 0.3
    return A


@pytest.mark.parametrize(
    "args, kwargs, exc, word",
    [
        ((np.eye(3, 4), 2), {}, ValueError, "square"),
        ((np.ones((2, 2, 2)), 1), {}, ValueError, "2-D"),
        ((np.ones((0, 0)), 1), {}, ValueError, "empty"),
        ((np.array([["a"]]), 1), {}, TypeError, "A"),
        ((np.diag([1.0, -1.0, 2.0]), 2), {}, ValueError, "semi-definite"),
        ((_indefinite(), 2), {"method": "greedy"}, ValueError, "semi-definite"),
        ((_non_hermitian(), 10), {"block_size": 16}, ValueError, "Hermitian"),
        ((np.diag([1.0 + 1j, 2.0]), 1), {}, ValueError, "Hermitian"),
        ((KernelMatrix(np.ones((4, 2)), np.zeros((4, 2))), 2), {}, ValueError, "Hermitian"),
        ((np.eye(4), 0), {}, ValueError, "rank"),
        ((np.eye(4), 5), {}, ValueError, "rank"),
        ((np.eye(4), -1), {}, ValueError, "rank"),
        ((np.eye(4), 2.5), {}, TypeError, "rank"),
        ((np.eye(4), True), {}, TypeError, "rank"),
        ((np.eye(4),), {}, ValueError, "rtol"),
        ((np.eye(4),), {"rtol": 0.0}, ValueError, "rtol"),
        ((np.eye(4),), {"rtol": 1.0}, ValueError, "rtol"),
        ((np.eye(4),), {"rtol": float("nan")}, ValueError, "rtol"),
        ((np.eye(4),), {"rtol": "small"}, TypeError, "rtol"),
        ((np.eye(4), 2), {"method": "qr"}, ValueError, "method"),
        ((np.eye(4), 2), {"method": "greedy", "block_size": 4}, ValueError, "block_size"),
        ((np.eye(4), 2), {"block_size": 0}, ValueError, "block_size"),
        ((np.eye(4), 2), {"block_size": 2.0}, TypeError, "block_size"),
        ((np.eye(4), 2), {"rng": "seed"}, TypeError, "rng"),
        ((np.eye(4), 2), {"rng": -1}, ValueError, "rng"),
        ((np.diag([1.0, np.nan, 1.0]), 2), {}, ValueError, "NaN"),
        ((BadShape(np.eye(5)), 2), {}, ValueError, r"A\.entries\(rows, cols\) returned shape"),
        ((BadDtype(np.eye(5)), 2), {}, TypeError, r"A\.entries\(rows, cols\) returned dtype"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        rpcholesky(*args, **kwargs)


def test_an_indefinite_schur_complement_is_reported_with_its_value():
    # the greedy rule pivots on index 0 (the first largest diagonal entry); then the
    # residual diagonal at 1 is 1 - 4^2 / 4 = -3, found when the diagonal is updated
    A = np.array([[4.0, 4.0, 0.0], [4.0, 1.0, 0.0], [0.0, 0.0, 4.0]])
    with pytest.raises(ValueError, match=r"residual diagonal at index 1 became -3 < 0"):
        rpcholesky(A, 3, method="greedy")
    for method in ("sequential", "accelerated"):  # whichever pivot comes first
        with pytest.raises(ValueError, match=r"residual diagonal at index [01] became -(3|12) < 0"):
            rpcholesky(A, 3, method=method, rng=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_off_diagonal_entries_are_caught_where_read(bad):
    A = decaying_psd(40, rng=27)
    A[:, 7] = A[7, :] = bad
    A[7, 7] = 1.0
    with pytest.raises(ValueError, match="NaN or infinity"):
        rpcholesky(A, 40, method="greedy")
    res = rpcholesky(A, 40, method="greedy", check_finite=False)  # no check: no error raised
    assert res.rank <= 40


def test_result_entries_validate_indices():
    res = rpcholesky(decaying_psd(20, rng=28), 5, rng=0)
    with pytest.raises(ValueError, match="rows"):
        res.entries([20], [0])
    with pytest.raises(TypeError, match="cols"):
        res.entries([0], [0.5])
    assert res.shape == (20, 20)


def test_compiled_rejection_equals_its_python_source():
    import importlib

    mod = importlib.import_module("skeleton._compiled.cholesky")
    if not hasattr(mod.rejection, "py_func"):
        pytest.skip("numba not available: the Python source is what runs")
    g = np.random.default_rng(29)
    A = decaying_psd(40, rate=0.7, rng=30)
    cand = g.integers(0, 40, 25)
    Araw = A[np.ix_(cand, cand)]
    FsT = np.ascontiguousarray(g.standard_normal((25, 10)) * 0.05)
    g0 = np.diag(Araw) - (FsT**2).sum(axis=1)
    u, tau = g.random(25), np.full(25, 1e-14)
    acc1, L1 = mod.rejection(Araw, FsT, g0, u, tau, 12)
    acc2, L2 = mod.rejection.py_func(Araw, FsT, g0, u, tau, 12)
    np.testing.assert_array_equal(acc1, acc2)
    np.testing.assert_allclose(L1, L2, rtol=1e-13, atol=1e-15)
    # and L is the Cholesky factor of the residual block on the accepted candidates
    G = Araw - FsT @ FsT.T
    np.testing.assert_allclose(L1 @ L1.T, G[np.ix_(acc1, acc1)], atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_settling_pass_matches_numpy(dtype):
    # clipping to 0, the running sums the next round samples from (equal to
    # numpy.cumsum's, so the pivots drawn are the same), and the two failures
    from skeleton._compiled.cholesky import settle

    rng = np.random.default_rng(31)
    d = rng.random(10001).astype(dtype)
    d[::7] = 1e-30
    scale = rng.random(10001).astype(dtype) + 0.5
    ref = d.copy()
    ref[ref <= 1e-20 * scale] = 0
    cum = np.empty(d.size)
    got = d.copy()
    assert settle(got, scale, 1e-20, 1e-19, True, cum) == (0, -1, 0.0)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(cum, np.cumsum(ref, dtype=np.float64))
    bad = d.copy()
    bad[[5, 9]] = -1.0
    bad[12] = np.nan
    assert settle(bad.copy(), scale, 1e-20, 1e-19, False, cum) == (2, 5, -1.0)  # NaN: the caller's business
    assert settle(bad.copy(), scale, 1e-20, 1e-19, True, cum)[:2] == (1, 12)  # non-finite first
