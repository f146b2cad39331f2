"""Tests for skeleton.smoothing.legt (HiPPO-LegT memory, Proposition 3): the HiPPO
formulas written out, a step-by-step state-space recurrence, Legendre reconstruction."""

import numpy as np
import pytest

from _references_s3 import legt_continuous, path  # noqa: F401 (path: a fixture)
from skeleton.smoothing import legt_kernel, legt_system, segment_average, smooth


def test_discrete_legt_system_is_stable():
    """The continuous LegT matrix is Hurwitz, so the bilinear Ad has spectral radius < 1
    (the formulas themselves are checked in the property tests)."""
    for s, theta in ((1, 1.0), (5, 7.0), (16, 100.0)):
        Ac, _ = legt_system(s, theta, discrete=False)
        np.testing.assert_allclose(Ac, legt_continuous(s, theta)[0], rtol=1e-15)
        Ad, _ = legt_system(s, theta)
        assert np.max(np.abs(np.linalg.eigvals(Ad))) < 1
        assert np.max(np.linalg.eigvals(Ac).real) < 0


@pytest.mark.parametrize("layout", ["block", "tile"])
def test_legt_linear_smoothing_is_the_recurrence(rel, layout, path):
    n, s, r, theta = 300, 6, 3, 40.0
    d = r * s
    rng = np.random.default_rng(10)
    X = np.cumsum(rng.standard_normal((n, d)), axis=0) / 10
    Ad, Bd = legt_system(s, theta)
    U = segment_average(X, r)  # (n, r) averaged histories
    C = np.zeros((n, r, s))
    c = np.zeros((r, s))
    for t in range(n):
        c = c @ Ad.T + U[t][:, None] * Bd[None, :]  # c_g(t) = Ad c_g(t-1) + Bd u_g(t)
        C[t] = c
    ref = C.reshape(n, d) if layout == "block" else C.transpose(0, 2, 1).reshape(n, d)
    K = legt_kernel(n, s, theta, r=r, layout=layout)
    lin = smooth(X, K, r, mode="linear", domain="time", layout=layout)
    assert rel(lin, ref) < 1e-12
    circ = smooth(X, K, r, mode="circular", domain="time", layout=layout)
    err = rel(circ, ref)
    first = rel(circ[:50], ref[:50])
    late = rel(circ[-50:], ref[-50:])
    print(f"\nLegT n={n} s={s} theta={theta}: circular vs recurrence rel. error {err:.3e} "
          f"(rows 0-49: {first:.3e}, last 50 rows: {late:.3e}); "
          f"|K[n-1]|/|K[0]| = {np.linalg.norm(K[-1]) / np.linalg.norm(K[0]):.2e}")
    assert err > 1e-6  # circular wraps around: not the recurrence
    assert late < first  # the wrap-around hurts the early rows most


def test_legt_kernel_rows_are_powers():
    n, s, theta = 70, 4, 9.0
    Ad, Bd = legt_system(s, theta)
    K = legt_kernel(n, s, theta)
    v = Bd.copy()
    for t in range(n):
        np.testing.assert_allclose(K[t], v, rtol=1e-11, atol=1e-14)
        v = Ad @ v


def test_legt_rows_hold_legendre_coefficients_of_the_window():
    """Row t of the linear LegT smoothing reconstructs the last theta samples with
    shifted Legendre polynomials: u(t - tau) ~ sum_i c_i(t) P_i(2 tau / theta - 1)."""
    from scipy.special import eval_legendre

    n, s, theta = 600, 8, 60.0
    t = np.arange(n)
    u = np.sin(2 * np.pi * t / 150) + 0.5 * np.cos(2 * np.pi * t / 97)
    X = np.repeat(u[:, None], s, axis=1)  # r = 1: the segment average is u itself
    C = smooth(X, legt_kernel(n, s, theta), 1, mode="linear", domain="time")
    taus = np.arange(int(theta) + 1)
    P = np.column_stack([eval_legendre(i, 2 * taus / theta - 1) for i in range(s)])
    worst = max(np.max(np.abs(P @ C[tt] - u[tt - taus])) for tt in range(200, n, 50))
    # bilinear discretisation with dt = 1 and 8 coefficients: a few percent of max|u|
    assert worst < 0.05 * np.max(np.abs(u))
    # the reversed window (tau -> theta - tau) is not what the rows encode
    Prev = P[::-1]
    assert max(np.max(np.abs(Prev @ C[tt] - u[tt - taus])) for tt in range(200, n, 50)) > 0.5


def test_legt_arguments():
    with pytest.raises(ValueError, match="s must be at least 1"):
        legt_system(0, 3.0)
    with pytest.raises(TypeError, match="theta must be a finite real number"):
        legt_system(3, np.nan)
    with pytest.raises(TypeError, match="discrete must be True or False"):
        legt_system(3, 2.0, discrete="yes")
    with pytest.raises(ValueError, match="layout"):
        legt_kernel(8, 2, 3.0, layout="wide")
    assert legt_kernel(8, 2, 3.0, dtype=np.float32).dtype == np.float32


def test_legt_kernel_refuses_integer_dtype():
    """Regression: dtype=int rounded every entry to 0 without a word."""
    with pytest.raises(TypeError, match="dtype must be one of float32, float64"):
        legt_kernel(8, 2, 3.0, dtype=int)
