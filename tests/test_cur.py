"""skeleton_approx(): exact recovery, noise, selection rules, dtypes, bad input.

Every check compares with a dense reference formed here (numpy.linalg.svd / pinv).
"""

import math
import warnings

import numpy as np
import pytest
import scipy.linalg

from skeleton import skeleton_approx
from skeleton.cur import default_sample_count
from skeleton.matrices import coherent, low_rank, noise

SAMPLINGS = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol")
CORES = ("pinv", "truncated", "optimal")


@pytest.mark.parametrize("core", CORES)
def test_agrees_with_dense_reference(dense_cur, core):
    rng = np.random.default_rng(0)
    X = low_rank(120, 80, 6, rng=rng) + 1e-3 * rng.standard_normal((120, 80))
    cur = skeleton_approx(X, n_rows=25, n_cols=20, rank=6, core=core, rng=1)
    ref = dense_cur(X, cur.row_idx, cur.col_idx, core, rank=6)
    np.testing.assert_allclose(cur.to_array(), ref, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("noise_level", [0.0, 1e-6, 1e-3])
def test_sketched_truncated_core_agrees_with_dense_reference(dense_cur, noise_level):
    # a 240 x 240 intersection with rank 6: the truncated core comes from a randomized
    # SVD of W (or, when the sketch cannot vouch for itself, the full SVD); either
    # way it is the truncated pseudo-inverse to working accuracy
    rng = np.random.default_rng(5)
    X = low_rank(1500, 1000, 6, singular_values=np.logspace(0, -2, 6), rng=rng)
    X = X + noise(X.shape, noise_level, rng=rng)
    cur = skeleton_approx(X, n_rows=240, n_cols=240, rank=6, core="truncated", rng=2)
    ref = dense_cur(X, cur.row_idx, cur.col_idx, "truncated", rank=6)
    np.testing.assert_allclose(cur.to_array(), ref, rtol=1e-8, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4), (np.complex128, 1e-10), (np.complex64, 1e-4)])
def test_exact_recovery_noiseless(core, dtype, tol):
    X = low_rank(300, 200, 8, mu=2.0, dtype=dtype, rng=3)
    cur = skeleton_approx(X, rank=8, core=core, rng=4)
    assert cur.dtype == np.dtype(dtype)
    assert cur.C.dtype == cur.U.dtype == cur.R.dtype == np.dtype(dtype)
    assert cur.error(X) <= tol
    assert cur.error(X, ord=2) <= 10 * tol


def test_exact_recovery_many_seeds_uniform_default_count():
    X = low_rank(500, 300, 10, mu=1.5, rng=5)
    errs = [skeleton_approx(X, rank=10, rng=s).error(X) for s in range(20)]
    assert max(errs) <= 1e-10


@pytest.mark.slow
def test_noise_sweep_slow():
    _check_noise_sweep(_noise_sweep(sizes=[(400, 300), (1600, 800)], trials=10), sizes=2, trials=10)


def test_noise_sweep():
    _check_noise_sweep(_noise_sweep(sizes=[(300, 200)], trials=2), sizes=1, trials=2)


NOISE_LEVELS = (1e-8, 1e-6, 1e-4, 1e-3, 1e-2)


def _noise_sweep(sizes, trials):
    """Spectral error ``||X - CUR(X + E)||_2`` of each core against the noise level,
    with ``bound = ||E||_2 sqrt(n d / (k_r k_c))`` (Hamm & Huang 2021, Cor. 4.3)."""
    records = []
    for n, d in sizes:
        r = 5
        k = default_sample_count(r, n, d, mu=2.0)
        for eps in NOISE_LEVELS:
            for t in range(trials):
                rng = np.random.default_rng([n, t, int(-math.log10(eps))])
                X = low_rank(n, d, r, mu=2.0, rng=rng)
                E = noise((n, d), eps * np.linalg.norm(X, 2), rng=rng)
                bound = np.linalg.norm(E, 2) * math.sqrt(n * d / (k[0] * k[1]))
                for core in CORES:
                    cur = skeleton_approx(X + E, n_rows=k[0], n_cols=k[1], rank=r, core=core, rng=rng)
                    err = np.linalg.norm(X - cur.to_array(), 2)
                    records.append({"n": n, "eps": eps, "trial": t, "core": core, "err": err, "bound": bound})
    return records


def _check_noise_sweep(records, sizes, trials):
    """What Proposition 1 / Hamm & Huang state, on every draw of the sweep.

    The truncated core (and the optimal one) stay within a modest constant (10) of
    ``||E|| sqrt(n d / (k_r k_c))`` and their error is proportional to ``||E||``
    (log-log slope 1 over six decades of noise); the plain pseudo-inverse is never
    better than the truncated core on the same draw (it amplifies the noise through
    the small singular values of the intersection: Chiu & Demanet 2013).
    """
    assert len(records) == sizes * len(NOISE_LEVELS) * trials * len(CORES)
    by_draw = {}
    for rec in records:
        assert math.isfinite(rec["err"]) and rec["err"] >= 0
        by_draw.setdefault((rec["n"], rec["eps"], rec["trial"]), {})[rec["core"]] = rec
    for key, draw in by_draw.items():
        for core in ("truncated", "optimal"):
            assert draw[core]["err"] <= 10 * draw[core]["bound"], (key, core, draw[core]["err"] / draw[core]["bound"])
        assert draw["pinv"]["err"] >= draw["truncated"]["err"], key
    for n in {rec["n"] for rec in records}:
        for core in ("truncated", "optimal"):
            med = [np.median([r["err"] for r in records if (r["n"], r["eps"], r["core"]) == (n, eps, core)])
                   for eps in NOISE_LEVELS]
            slope = np.polyfit(np.log(NOISE_LEVELS), np.log(med), 1)[0]
            assert 0.9 < slope < 1.1, (n, core, slope)


def test_truncated_beats_pinv_under_noise():
    # The plain pseudo-inverse amplifies noise through the tiny singular values of
    # the intersection; truncation to the rank removes them.
    rng = np.random.default_rng(9)
    X = low_rank(1000, 500, 10, mu=2.0, rng=rng)
    E = noise((1000, 500), 1e-6 * np.linalg.norm(X, 2), rng=rng)
    k = default_sample_count(10, 1000, 500, 2.0)
    errs = {c: np.median([skeleton_approx(X + E, n_rows=k[0], n_cols=k[1], rank=10, core=c, rng=s).error(X) for s in range(5)]) for c in CORES}
    assert errs["truncated"] < errs["pinv"] / 10
    assert errs["optimal"] <= 2 * errs["truncated"]


def test_coherent_matrix_uniform_fails_others_recover():
    X = coherent(2000, 300, 5, rng=11)
    k = default_sample_count(5, 2000, 300)
    assert k[0] < 2000 / 10  # the default count sees under 10 % of the rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "intersection is zero" on misses
        uniform = [skeleton_approx(X, rank=5, sampling="uniform", rng=s).error(X) for s in range(10)]
    assert np.median(uniform) > 0.1  # misses some of the five informative rows
    for sampling in ("leverage", "pivoted_qr", "deim", "maxvol"):
        cur = skeleton_approx(X, rank=5, sampling=sampling, rng=0)
        assert cur.error(X) <= 1e-10, sampling


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_each_sampling_rule_recovers_incoherent(sampling):
    X = low_rank(250, 180, 7, mu=3.0, rng=12)
    cur = skeleton_approx(X, n_rows=20, n_cols=20, rank=7, sampling=sampling, rng=13)
    assert len(set(cur.row_idx.tolist())) == 20 and len(set(cur.col_idx.tolist())) == 20
    assert cur.error(X) <= 1e-10


def test_explicit_indices_and_matmul():
    rng = np.random.default_rng(14)
    X = low_rank(60, 40, 4, rng=rng)
    rows, cols = [3, 10, 20, 30, 50], [1, 5, 9, 33]
    cur = skeleton_approx(X, rows=rows, cols=cols)
    assert cur.row_idx.tolist() == rows and cur.col_idx.tolist() == cols
    np.testing.assert_array_equal(cur.C, X[:, cols])
    np.testing.assert_array_equal(cur.R, X[rows, :])
    A = cur.to_array()
    v = rng.standard_normal(40)
    M = rng.standard_normal((40, 3))
    np.testing.assert_allclose(cur @ v, A @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cur @ M, A @ M, rtol=1e-10, atol=1e-12)
    W = rng.standard_normal((2, 60))
    np.testing.assert_allclose(W @ cur, W @ A, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="rows"):
        cur @ np.ones(7)


def test_same_seed_same_result_and_input_unchanged():
    X = low_rank(100, 80, 5, rng=15)
    X.setflags(write=False)  # any write would raise
    a = skeleton_approx(X, rank=5, sampling="leverage", rng=7)
    b = skeleton_approx(X, rank=5, sampling="leverage", rng=7)
    np.testing.assert_array_equal(a.row_idx, b.row_idx)
    np.testing.assert_array_equal(a.U, b.U)


def test_int_and_bool_input_compute_in_float64():
    X = (np.arange(60).reshape(10, 6) % 4).astype(np.int32)
    cur = skeleton_approx(X, n_rows=10, n_cols=6)
    assert cur.dtype == np.float64 and cur.C.dtype == np.float64
    assert cur.error(X) <= 1e-12  # all rows and columns: exact
    Xb = np.eye(5, dtype=bool)
    assert skeleton_approx(Xb, n_rows=5, n_cols=5).dtype == np.float64


def test_hilbert_matrix_to_rounding_level(svd_tail):
    # Classic ill-conditioned test matrix (SciPy's suites use it): the default core,
    # evaluated stably, is as accurate as the SVD allows; a rank cut costs what the
    # SVD tail at that rank says, no more.
    H = scipy.linalg.hilbert(60)
    eps = np.finfo(float).eps
    for sampling in ("pivoted_qr", "deim", "maxvol"):
        cur = skeleton_approx(H, n_rows=20, n_cols=20, sampling=sampling, rng=0)
        assert cur.evaluation != "direct", sampling  # the naive product would cancel here
        assert cur.error(H) <= 10 * max(svd_tail(H, 20), 10 * eps), sampling
        cut = skeleton_approx(H, 15, n_rows=20, n_cols=20, sampling=sampling, rng=0)
        assert cut.core_rank == 15
        assert svd_tail(H, 15) <= cut.error(H) <= 10 * svd_tail(H, 15), sampling


def test_vandermonde_ill_conditioned():
    x = np.linspace(0, 1, 200)
    V = np.vander(x, 40, increasing=True)  # condition number ~1e17
    for sampling in ("pivoted_qr", "deim", "maxvol"):
        assert skeleton_approx(V, n_rows=40, n_cols=25, sampling=sampling, rng=0).error(V) <= 1e-11, sampling
        # an explicit cut-off regularises: the error then sits at that level
        reg = skeleton_approx(V, n_rows=40, n_cols=25, sampling=sampling, tol=1e-8, rng=0).error(V)
        assert 1e-12 < reg <= 1e-6, sampling


def test_real_data_digits_against_svd():
    from sklearn.datasets import load_digits

    X = load_digits().data.astype(np.float64)  # 1797 x 64, shipped with scikit-learn
    r = 20
    s = np.linalg.svd(X, compute_uv=False)
    def best(k):  # Eckart-Young: the smallest relative error of any rank-k matrix
        return np.sqrt(np.sum(s[k:] ** 2)) / np.linalg.norm(X)

    cur = skeleton_approx(X, n_rows=4 * r, n_cols=2 * r, rank=r, sampling="leverage", core="optimal", rng=0)
    # the optimal core C^+ X R^+ is not truncated: its rank is that of C (2r columns)
    assert cur.core_rank == 2 * r
    assert best(cur.core_rank) <= cur.error(X) <= 2.5 * best(r)
    trunc = skeleton_approx(X, n_rows=4 * r, n_cols=2 * r, rank=r, sampling="leverage", core="truncated", rng=0)
    assert trunc.core_rank == r
    assert best(r) <= trunc.error(X) <= 2.5 * best(r)


class RecordingMemmap(np.memmap):
    """A memmap that records every __getitem__ key and forbids whole-array math."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise AssertionError(f"whole-array ufunc {ufunc.__name__} on the memmap")

    def __array_function__(self, func, types, args, kwargs):
        raise AssertionError(f"whole-array function {func.__name__} on the memmap")


def test_memmap_reads_only_sampled_rows_and_columns(tmp_path):
    X = low_rank(400, 300, 5, rng=16)
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    ro = RecordingMemmap(path, dtype=np.float64, mode="r", shape=X.shape)
    for core in ("pinv", "truncated"):
        cur = skeleton_approx(ro, n_rows=30, n_cols=30, rank=5, core=core, check_finite=False, rng=0)
        assert cur.error(X) <= 1e-10
    with pytest.raises(AssertionError, match="whole-array"):
        skeleton_approx(ro, n_rows=30, n_cols=30, rank=5, rng=0)  # the finiteness scan reads all of X


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"X": np.ones(4), "n_rows": 2, "n_cols": 2}, ValueError, "2-D"),
        ({"X": np.ones((0, 4)), "n_rows": 1, "n_cols": 1}, ValueError, "empty"),
        ({"X": np.array([[np.nan, 1.0], [1.0, 1.0]]), "n_rows": 1, "n_cols": 1}, ValueError, "NaN"),
        ({"X": np.ones((5, 4)), "n_rows": 6, "n_cols": 2}, ValueError, r"n_rows=6 asks for more rows than exist \(5\)"),
        ({"X": np.ones((5, 4)), "n_rows": 2, "n_cols": 5}, ValueError, "more columns than exist"),
        ({"X": np.ones((5, 4)), "n_rows": 0, "n_cols": 2}, ValueError, "n_rows must be at least 1"),
        ({"X": np.ones((5, 4)), "rows": [0, 5], "n_cols": 2}, ValueError, "out of range"),
        ({"X": np.ones((5, 4)), "rows": [1, 1], "n_cols": 2}, ValueError, "duplicate"),
        ({"X": np.ones((5, 4)), "rows": [0, 1], "cols": [-1, 2]}, ValueError, "out of range"),
        ({"X": np.ones((5, 4)), "rows": [0.0, 1.0], "n_cols": 2}, TypeError, "integer"),
        ({"X": np.ones((5, 4)), "rank": 5}, ValueError, r"\[1, 4\]"),
        ({"X": np.ones((5, 4)), "rank": 0}, ValueError, "rank"),
        ({"X": np.ones((5, 4)), "n_rows": 2, "n_cols": 2, "sampling": "random"}, ValueError, "'uniform', 'leverage'"),
        ({"X": np.ones((5, 4)), "n_rows": 2, "n_cols": 2, "core": "inverse"}, ValueError, "'pinv', 'truncated', 'optimal'"),
        ({"X": np.zeros((5, 4)), "n_rows": 2, "n_cols": 2}, ValueError, "zero matrix"),
        ({"X": np.ones((5, 4))}, ValueError, "rank"),
        ({"X": np.ones((5, 4)), "n_rows": 2.0, "n_cols": 2}, TypeError, "n_rows must be an integer"),
        ({"X": np.ones((5, 4)), "n_rows": 2, "n_cols": 2, "rng": 1.5}, TypeError, "rng"),
        ({"X": np.ones((5, 4)), "n_rows": 3, "rows": [0, 1], "n_cols": 2}, ValueError, "disagrees"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        skeleton_approx(**kwargs)


def test_error_method_checks_shape():
    X = low_rank(20, 10, 2, rng=0)
    cur = skeleton_approx(X, n_rows=5, n_cols=5)
    with pytest.raises(ValueError, match="shape"):
        cur.error(X[:10])
    with pytest.raises(ValueError, match="ord"):
        cur.error(X, ord=1)


def test_result_is_frozen():
    cur = skeleton_approx(np.eye(4), n_rows=4, n_cols=4)
    with pytest.raises(Exception):
        cur.core = "pinv"


def test_sketched_core_adapts_its_power_iterations():
    from skeleton._backends.numpy import NumpyBackend
    from skeleton.cores import _CORE_TAIL_SHARE, _sketched_svd

    rng = np.random.default_rng(8)
    Uw = np.linalg.qr(rng.standard_normal((300, 300)))[0]
    Vw = np.linalg.qr(rng.standard_normal((300, 300)))[0]
    b = NumpyBackend()

    def truncated(s):
        return (Uw[:, :10] * s[:10]) @ Vw[:, :10].T, (Vw[:, :10] / s[:10]) @ Uw[:, :10].T

    # sigma_l / sigma_k about 0.05 and a tail far above rounding: the iterations stop
    # once what more of them would change is negligible beside the tail the
    # truncation drops; the singular values are exact, the approximation on W is the
    # exact truncated one up to that share of its own error
    s = np.concatenate([np.logspace(0, -1, 10), 0.005 * np.logspace(0, -3, 290)])
    W = (Uw * s) @ Vw.T
    fast = _sketched_svd(W, b, 1e-8, 10, W.dtype)
    assert fast is not None and fast[3] == 10
    Uk, s_sketch, Vhk, _ = fast
    np.testing.assert_allclose(s_sketch[:10], s[:10], rtol=1e-12)
    Wk, _ = truncated(s)
    moved = np.linalg.norm(W @ ((Vhk.T / s_sketch[:10]) @ Uk.T) @ W - Wk)
    assert moved <= _CORE_TAIL_SHARE * np.linalg.norm(W - Wk)
    # a kept spectrum spanning eight decades over a tail near 1e-9: the gap rule
    # decides, and the core is the exact truncated SVD's to working accuracy
    s = np.concatenate([np.logspace(0, -8, 10), 1e-9 * np.logspace(0, -3, 290)])
    W = (Uw * s) @ Vw.T
    fast = _sketched_svd(W, b, 1e-12, 10, W.dtype)
    assert fast is not None and fast[3] == 10
    Uk, s_sketch, Vhk, _ = fast
    # (W carries rounding of about eps * s_1 = 2e-16 from being formed, the limit of
    # any method's absolute accuracy on its singular values: atol 50 times that)
    np.testing.assert_allclose(s_sketch[:10], s[:10], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.abs(np.sum(Uk * Uw[:, :10], axis=0)), 1.0, atol=1e-10)
    _, exact = truncated(s)
    np.testing.assert_allclose((Vhk.T / s_sketch[:10]) @ Uk.T, exact, rtol=0, atol=1e-7 * np.abs(exact).max())
    # no gap after rank 10: the sketch cannot vouch for itself and defers to the SVD
    s_flat = np.linspace(1, 0.5, 300)
    assert _sketched_svd((Uw * s_flat) @ Vw.T, b, 1e-8, 10, np.float64) is None
