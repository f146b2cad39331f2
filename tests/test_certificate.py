"""The a-posteriori bound behind incoherence(method="randomized", rtol=...).

The bound must hold whenever it is reported (checked against numpy.linalg.svd on
families built to sit near and far from acceptance), the early stop must happen when
the bound allows it and not otherwise, and pass counts must follow."""

import numpy as np
import pytest
import scipy.sparse

from skeleton import incoherence
from skeleton._backends.numpy import NumpyBackend
from skeleton._certificate import MuCertificate
from skeleton.matrices import coherent, low_rank, noise


def exact_mu(X, r):
    U, s, Vh = np.linalg.svd(X, full_matrices=False)
    n, d = X.shape
    return max(n / r * np.max(np.sum(np.abs(U[:, :r]) ** 2, 1)), d / r * np.max(np.sum(np.abs(Vh[:r]) ** 2, 0)))


def family(kind, seed, dtype=np.float64):
    """(X, r): low rank plus noise, from well inside to just outside acceptance."""
    rng = np.random.default_rng(seed)
    n, d, r = 500, 300, 8
    if kind == "coherent":
        X = coherent(n, d, r, singular_values=np.logspace(0, -1, r), dtype=dtype, rng=rng)
    else:
        mu = {"spread": None, "mu3": 3.0}[kind]
        X = low_rank(n, d, r, mu=mu, singular_values=np.logspace(0, -1, r), dtype=dtype, rng=rng)
    level = 10.0 ** rng.uniform(-7, -2.5)  # ||E||_2 relative to sigma_r = 0.1 at 1e-6 .. 3e-2
    X = X + noise((n, d), level, dtype=dtype, rng=rng)
    if np.dtype(dtype).kind == "c":
        X = X + 1j * noise((n, d), level, dtype=np.float64, rng=rng)
    return X.astype(dtype), r


@pytest.mark.parametrize("kind", ["spread", "mu3", "coherent"])
def test_reported_bound_holds(kind):
    accepted = 0
    for seed in range(12):
        X, r = family(kind, seed)
        inc = incoherence(X, r, method="randomized", rng=seed, rtol=0.05, n_iter=3)
        mu = exact_mu(X, r)
        if np.isfinite(inc.mu_error_bound):
            accepted += 1
            assert abs(inc.mu - mu) <= inc.mu_error_bound
            assert inc.mu_error_bound <= 0.05 * mu
        else:  # no certificate: all iterations ran
            assert inc.power_iterations == 3
    assert accepted >= 6  # most of these noise levels are certifiable


def test_bound_holds_complex():
    X, r = family("mu3", 3, dtype=np.complex128)
    inc = incoherence(X, r, method="randomized", rng=0, rtol=0.05)
    assert np.isfinite(inc.mu_error_bound)
    assert abs(inc.mu - exact_mu(X, r)) <= inc.mu_error_bound


def test_exact_low_rank_stops_after_one_sketch():
    X = low_rank(400, 300, 12, mu=2.0, rng=1)
    inc = incoherence(X, 12, method="randomized", rng=2)
    assert inc.power_iterations == 0
    assert inc.mu_error_bound < 1e-8
    assert inc.mu == pytest.approx(exact_mu(X, 12), rel=1e-9)


def test_rtol_zero_runs_every_iteration():
    X = low_rank(200, 150, 5, rng=3)
    inc = incoherence(X, 5, method="randomized", rng=0, rtol=0, n_iter=3)
    assert inc.power_iterations == 3 and np.isnan(inc.mu_error_bound)


def test_heavy_noise_tail_is_not_certified_but_still_accurate():
    # gap 10 at r = 5 over a flat 595-dimensional noise tail: ||tail||_F ~ 1.2 > s_r = 1,
    # so the bound cannot accept; the iterations run to the end, as without one.
    rng = np.random.default_rng(4)
    n, d, r = 600, 600, 5
    X = low_rank(n, d, r, singular_values=np.ones(r), rng=rng)
    E = rng.standard_normal((n, d))
    X = X + 0.1 * E / np.linalg.norm(E, 2)
    inc = incoherence(X, r, method="randomized", rng=1, n_iter=4)
    assert np.isnan(inc.mu_error_bound) and inc.power_iterations == 4
    assert inc.mu == pytest.approx(exact_mu(X, r), rel=0.01)


def test_exact_method_reports_no_bound():
    inc = incoherence(np.diag([3.0, 2.0, 1.0]), 2)
    assert np.isnan(inc.mu_error_bound) and inc.power_iterations == 0


def test_certificate_rejects_without_gap():
    # alpha (the sigma_{r+1} bound) above the half-step values: no certificate
    X = np.random.default_rng(5).standard_normal((120, 80))
    b = NumpyBackend()
    Q, _ = np.linalg.qr(X @ np.random.default_rng(6).standard_normal((80, 15)))
    V, s, Wh = np.linalg.svd(X.T @ Q, full_matrices=False)
    U = Q @ Wh.T
    cert = MuCertificate(X.shape, float(np.sum(X**2)), 0.5, X.dtype, b)
    assert cert(U, s, V, X @ V, 5) is None
    # the same sketch of a nearly rank-5 matrix is accepted (the test can fail)
    X5 = low_rank(120, 80, 5, rng=5) + 1e-9 * X
    Q, _ = np.linalg.qr(X5 @ np.random.default_rng(6).standard_normal((80, 15)))
    V, s, Wh = np.linalg.svd(X5.T @ Q, full_matrices=False)
    cert5 = MuCertificate(X5.shape, float(np.sum(X5**2)), 0.5, X5.dtype, b)
    assert cert5(Q @ Wh.T, s, V, X5 @ V, 5) is not None


def test_sparse_with_duplicate_entries(monkeypatch):
    import importlib

    inc_mod = importlib.import_module("skeleton.incoherence")
    seen = []
    real = inc_mod.MuCertificate

    def spy(shape, fro2, *args):
        seen.append(fro2)
        return real(shape, fro2, *args)

    monkeypatch.setattr(inc_mod, "MuCertificate", spy)
    rng = np.random.default_rng(7)
    L = low_rank(300, 200, 4, rng=rng) + noise((300, 200), 1e-6, rng=rng)
    coo = scipy.sparse.coo_matrix(L)
    # every entry split into two halves stored twice: the same matrix, duplicated data
    rows = np.concatenate([coo.row, coo.row])
    cols = np.concatenate([coo.col, coo.col])
    data = np.concatenate([coo.data / 2, coo.data / 2])
    for fmt in ("coo", "csr", "csc"):
        A = scipy.sparse.coo_matrix((data, (rows, cols)), shape=L.shape)
        A = A.tocsr(copy=False) if fmt == "csr" else A
        if fmt == "csc":  # built directly, so the duplicates stay unsummed
            order = np.lexsort((rows, cols))
            indptr = np.searchsorted(cols[order], np.arange(L.shape[1] + 1))
            A = scipy.sparse.csc_matrix((data[order], rows[order], indptr), shape=L.shape)
        seen.clear()
        inc = incoherence(A, 4, method="randomized", rng=0)
        assert seen[0] == pytest.approx(np.sum(L**2), rel=1e-12), fmt
        assert inc.power_iterations == 0 and np.isfinite(inc.mu_error_bound)
        assert abs(inc.mu - exact_mu(L, 4)) <= inc.mu_error_bound


def test_float32_slack_keeps_the_bound_honest():
    # the float32 rounding slack (about (n + d) sqrt(l) eps ||X||_F) is far above what
    # a rank-6 matrix with a 1e-4 tail can pass: no certificate, all iterations run
    rng = np.random.default_rng(8)
    X = (low_rank(300, 200, 6, rng=rng) + noise((300, 200), 1e-4, rng=rng)).astype(np.float32)
    inc = incoherence(X, 6, method="randomized", rng=0, n_iter=2)
    assert inc.row_leverage.dtype == np.float32
    assert np.isnan(inc.mu_error_bound) and inc.power_iterations == 2
    # the same matrix in float64 is certified after one sketch
    X64 = X.astype(np.float64)
    inc64 = incoherence(X64, 6, method="randomized", rng=0, n_iter=2)
    assert np.isfinite(inc64.mu_error_bound)
    assert abs(inc64.mu - exact_mu(X64, 6)) <= inc64.mu_error_bound


def test_wrong_norm_gives_no_certificate():
    # a Frobenius norm below what the sketch already holds is inconsistent: refused
    X = low_rank(200, 150, 5, rng=9)
    b = NumpyBackend()
    Q, _ = np.linalg.qr(X @ np.random.default_rng(1).standard_normal((150, 15)))
    V, s, Wh = np.linalg.svd(X.T @ Q, full_matrices=False)
    U = Q @ Wh.T
    good = MuCertificate(X.shape, float(np.sum(X**2)), 0.5, X.dtype, b)
    assert good(U, s, V, X @ V, 5) is not None
    bad = MuCertificate(X.shape, 0.5 * float(np.sum(X**2)), 0.5, X.dtype, b)
    assert bad(U, s, V, X @ V, 5) is None
    # a norm of 0 or not finite (a sum of squares that under- or overflowed) neither
    for fro2 in (0.0, np.inf, np.nan):
        assert MuCertificate(X.shape, fro2, 0.5, X.dtype, b)(U, s, V, X @ V, 5) is None


def test_non_finite_norm_gives_no_certificate():
    # check_finite=False with NaN in X leaves ||X||_F NaN: the iterations run without
    # a certificate (here on a finite X, so that LAPACK has something to work on)
    import importlib

    inc_mod = importlib.import_module("skeleton.incoherence")
    X = low_rank(100, 80, 3, rng=10)
    out = inc_mod._randomized_core(X, 3, None, np.random.default_rng(0), 10, 2, NumpyBackend(), X.dtype,
                                   rtol=0.01, fro2=float("nan"))
    assert np.isnan(out[4]) and out[5] == 2
    out = inc_mod._randomized_core(X, 3, None, np.random.default_rng(0), 10, 2, NumpyBackend(), X.dtype,
                                   rtol=0.01, fro2=float(np.sum(X**2)))
    assert np.isfinite(out[4]) and out[5] == 0


def test_numerical_rank_is_certified_at_the_rank_found():
    X = low_rank(300, 200, 7, rng=11)
    inc = incoherence(X, method="randomized", rng=0)
    assert inc.rank == 7 and inc.power_iterations == 0
    assert abs(inc.mu - exact_mu(X, 7)) <= inc.mu_error_bound


@pytest.mark.parametrize(
    "kw,exc,match",
    [
        ({"rtol": -0.1}, ValueError, "rtol"),
        ({"rtol": "a"}, TypeError, "rtol"),
        ({"n_iter": -1}, ValueError, "n_iter"),
        ({"n_iter": 1.5}, TypeError, "n_iter"),
        ({"oversample": -2}, ValueError, "oversample"),
    ],
)
def test_bad_options_name_the_argument(kw, exc, match):
    with pytest.raises(exc, match=match):
        incoherence(np.eye(5), 2, method="randomized", **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int16, np.uint8])
@pytest.mark.parametrize("shape,order", [((300, 200), "C"), ((300, 200), "F"), ((7, 5), "C")])
def test_sum_squares_against_float64_reference(dtype, shape, order):
    from skeleton._compiled.scan import sum_squares

    def ref(a):
        return float(np.sum(np.abs(a.astype(np.complex128)) ** 2))

    rng = np.random.default_rng(12)
    A = rng.standard_normal(shape) * 100
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal(shape)
    A = (np.abs(A) if np.dtype(dtype).kind == "u" else A).astype(dtype)
    A = np.asfortranarray(A) if order == "F" else A
    assert sum_squares(A) == pytest.approx(ref(A), rel=1e-12)
    assert sum_squares(A[::2, 1:]) == pytest.approx(ref(A[::2, 1:]), rel=1e-12)
    finite, fro2 = NumpyBackend().finite_sum_squares(A)
    assert finite and fro2 == pytest.approx(ref(A), rel=1e-12)


def test_sum_squares_float32_extremes():
    from skeleton._compiled.scan import sum_squares

    tiny = np.full((300, 200), 1e-25, dtype=np.float32)  # squares underflow in float32
    assert sum_squares(tiny) == pytest.approx(300 * 200 * float(np.float32(1e-25)) ** 2, rel=1e-6)
    huge = np.full((300, 200), 1e25, dtype=np.float32)  # squares overflow in float32
    assert sum_squares(huge) == pytest.approx(300 * 200 * float(np.float32(1e25)) ** 2, rel=1e-6)
    X = np.ones((300, 200))
    X[5, 7] = np.inf
    assert NumpyBackend().finite_sum_squares(X)[0] is False


def test_oracle_with_randomized_method_is_refused_clearly():
    from skeleton import KernelMatrix

    K = KernelMatrix(np.random.default_rng(0).random((50, 2)), bandwidth=0.3)
    with pytest.raises(ValueError, match="entry oracle"):
        incoherence(K, 3, method="randomized")


# -- scale invariance ---------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300, 2.0**-1000, 2.0**1000])
def test_certificate_is_scale_invariant(scale):
    # ||X||_F^2 underflowed at 1e-200: the certificate accepted the first sketch with a
    # bound of 0.0 while mu was 10 % off; at 1e+200 it overflowed and nothing was
    # certified. The same matrix at any scale: the same iterations, mu and bound.
    X, r = family("mu3", 4)
    mu = exact_mu(X, r)
    unit = incoherence(X, r, method="randomized", rng=5, rtol=0.05, n_iter=3)
    assert np.isfinite(unit.mu_error_bound) and abs(unit.mu - mu) <= unit.mu_error_bound
    Xs = X * scale
    for rank in (r, None):  # the single-precision seed (rank given) and the adaptive sketch
        inc = incoherence(Xs, rank, method="randomized", rng=5, rtol=0.05, n_iter=3)
        ref = unit if rank is not None else incoherence(X, None, method="randomized", rng=5, rtol=0.05, n_iter=3)
        assert inc.power_iterations == ref.power_iterations
        assert inc.rank == ref.rank
        assert inc.mu == pytest.approx(ref.mu, rel=1e-9)
        # the bound rests on residuals at the rounding level: equal for an exact
        # (power-of-two) scaling, of the same size otherwise
        exact_scaling = np.frexp(scale)[0] == 0.5
        assert inc.mu_error_bound == pytest.approx(ref.mu_error_bound, rel=1e-12 if exact_scaling else 0.5,
                                                   nan_ok=True)
        if rank is not None:  # (the numerical rank of this noisy matrix has no gap: no bound)
            assert abs(inc.mu - exact_mu(X, inc.rank)) <= inc.mu_error_bound  # a true bound
        r_ = inc.rank  # (the trailing values are noise estimates, rounding-sensitive)
        np.testing.assert_allclose(inc.singular_values[:r_] / scale, ref.singular_values[:r_], rtol=1e-9)


def test_noisy_matrix_at_tiny_scale_is_not_falsely_certified():
    # the reported case: noise well above what one sketch resolves, at 1e-200
    rng = np.random.default_rng(1)
    X = low_rank(400, 300, 10, rng=2) + noise((400, 300), 0.05, rng=3)
    for scale in (1.0, 1e-200, 1e-300):
        inc = incoherence(X * scale, 10, method="randomized", rng=4)
        assert np.isnan(inc.mu_error_bound) and inc.power_iterations == 4
        assert inc.mu == pytest.approx(exact_mu(X, 10), rel=1e-3)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_sparse_input_is_certified_at_any_scale(scale):
    X, r = family("spread", 6)
    X[np.abs(X) < 0.5 * np.abs(X).mean()] = 0.0
    S = scipy.sparse.csr_matrix(X)
    ref = incoherence(S, r, method="randomized", rng=1, rtol=0.05)
    inc = incoherence(S * scale, r, method="randomized", rng=1, rtol=0.05)
    assert inc.power_iterations == ref.power_iterations
    assert inc.mu == pytest.approx(ref.mu, rel=1e-9)
    if np.isfinite(ref.mu_error_bound):
        assert abs(inc.mu - exact_mu(X, r)) <= inc.mu_error_bound


