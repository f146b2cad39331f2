"""The a-posteriori bound behind incoherence(method="randomized", rtol=...).

The bound must hold whenever it is reported (checked against numpy.linalg.svd on
families built to sit near and far from acceptance), the early stop must happen when
the bound allows it and not otherwise, and pass counts must follow."""

import numpy as np
import pytest
import scipy.sparse

from skeleton import incoherence
from skeleton._backend import NumpyBackend
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


def test_sparse_with_duplicate_entries():
    rng = np.random.default_rng(7)
    L = low_rank(300, 200, 4, rng=rng)
    coo = scipy.sparse.coo_matrix(L)
    # split every entry into two halves stored twice: same matrix, duplicated data
    rows = np.concatenate([coo.row, coo.row])
    cols = np.concatenate([coo.col, coo.col])
    data = np.concatenate([coo.data / 2, coo.data / 2])
    A = scipy.sparse.coo_matrix((data, (rows, cols)), shape=L.shape)
    inc = incoherence(A, 4, method="randomized", rng=0)
    assert inc.power_iterations == 0 and np.isfinite(inc.mu_error_bound)
    assert abs(inc.mu - exact_mu(L, 4)) <= inc.mu_error_bound


def test_float32_is_bounded_with_its_own_epsilon():
    X = low_rank(300, 200, 6, rng=8).astype(np.float32)
    inc = incoherence(X, 6, method="randomized", rng=0)
    assert inc.row_leverage.dtype == np.float32
    if np.isfinite(inc.mu_error_bound):
        assert abs(inc.mu - exact_mu(X.astype(np.float64), 6)) <= inc.mu_error_bound


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
