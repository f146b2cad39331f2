"""The rank cut-offs and scaling helpers of skeleton/_linalg.py against what they are
documented to compute."""

import math

import numpy as np
import pytest

from skeleton._backends.numpy import NumpyBackend
import scipy.linalg

import skeleton._linalg as linalg
from skeleton._linalg import (
    InputRounding,
    input_rounding,
    power_of_two_scale,
    rank_from_singular_values,
    solve_lower_right,
)


def test_input_rounding_only_for_data_coarser_than_the_computation():
    assert input_rounding(np.float16, np.float32) == InputRounding(np.dtype(np.float16))
    assert input_rounding(np.float32, np.float64) == InputRounding(np.dtype(np.float32))
    assert input_rounding(np.complex64, np.complex128) == InputRounding(np.dtype(np.float32))
    for data, work in ((np.float32, np.float32), (np.float64, np.float64), (np.int8, np.float64),
                       (np.bool_, np.float64), (np.complex128, np.complex128)):
        assert input_rounding(data, work) is None


def test_input_rounding_cut_is_u_times_the_frobenius_norm():
    s = np.array([4.0, 3.0, 1e-3, 1e-9])
    u = 2.0**-11
    cut = InputRounding(np.dtype(np.float16)).relative(s)
    assert cut == pytest.approx(u * np.linalg.norm(s) / 4.0, rel=1e-15)
    # scale-free: the same cut at 1e-300 and 1e300
    for scale in (1e-300, 1e300):
        assert InputRounding(np.dtype(np.float16)).relative(s * scale) == pytest.approx(cut, rel=1e-14)
    assert rank_from_singular_values(s, (10, 10), np.float32, tol=InputRounding(np.dtype(np.float16))) == 2
    assert rank_from_singular_values(s, (10, 10), np.float32) == 3  # float32's own rule keeps 1e-3
    # the working precision's rule still applies where it is the larger
    t = np.array([1.0, 0.75, 5e-3])
    f16 = InputRounding(np.dtype(np.float16))
    assert rank_from_singular_values(t, (10, 10), np.float32, tol=f16) == 3
    assert rank_from_singular_values(t, (10**5, 10), np.float32, tol=f16) == 2  # 1e5 eps32 = 0.012


@pytest.mark.parametrize("m", [1e-310, 1e-300, 3e-200, 0.75, 1.0, 5e200, 1.7e308])
def test_power_of_two_scale(m):
    A = np.array([[m, -m / 3], [0.0, m / 7]])
    e = power_of_two_scale(A, NumpyBackend())
    assert 0.5 <= math.ldexp(m, -e) < 1.0
    np.testing.assert_array_equal(np.ldexp(np.ldexp(A, -e), e), A)  # exact (normal range)
    assert power_of_two_scale(np.zeros((2, 2)), NumpyBackend()) == 0
    assert power_of_two_scale(np.array([[np.nan, 1.0]]), NumpyBackend()) == 0


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("unit", [False, True])
# (the compiled solve goes in blocks of 32 rows: a partial last block, a single
# partial block, whole blocks only, and one unknown)
@pytest.mark.parametrize("m, q", [(300, 17), (5, 12), (64, 3), (33, 1)])
def test_solve_lower_right_against_scipy(compiled, dtype, unit, m, q, monkeypatch):
    if not compiled:
        monkeypatch.setattr(linalg, "solve_rows_lower", None)
    rng = np.random.default_rng(3)
    real = np.dtype(dtype).kind == "f"
    L = np.tril(rng.standard_normal((q, q))) + 4 * np.eye(q)
    B = rng.standard_normal((m, q))
    if not real:
        L, B = L + 1j * np.tril(rng.standard_normal((q, q))), B + 1j * rng.standard_normal((m, q))
    L, B = L.astype(dtype), B.astype(dtype)
    Lu = np.tril(L, -1) + np.eye(q) if unit else L
    ref = scipy.linalg.solve_triangular(Lu.astype(np.complex128), B.T.astype(np.complex128), trans="T",
                                        lower=True).T
    tol = 1e-4 if dtype == np.float32 else 1e-12
    # what lies above the diagonal (and on it, when unit) is never read
    Lg = (L + np.triu(np.full((q, q), 1e6), 0 if unit else 1)).astype(dtype)
    for Bin in (B, np.asfortranarray(B), np.repeat(B, 2, axis=0)[::2]):
        X = solve_lower_right(Bin, Lg, unit=unit)
        assert X.dtype == dtype and X.flags.c_contiguous
        np.testing.assert_allclose(X, ref, rtol=tol, atol=tol * np.abs(ref).max())
        np.testing.assert_allclose(X @ Lu, B, rtol=tol, atol=tol * np.abs(B).max())
    # rows scattered into a given array, the others left alone
    out = np.full((m + 5, q), 9.0, dtype=dtype)
    rows = rng.permutation(m + 5)[:m]
    solve_lower_right(B, L, unit=unit, out=out, rows=rows)
    np.testing.assert_allclose(out[rows], ref, rtol=tol, atol=tol * np.abs(ref).max())
    rest = np.setdiff1d(np.arange(m + 5), rows)
    assert np.all(out[rest] == 9.0)
    # in place
    M = B.copy()
    assert solve_lower_right(M, L, unit=unit, out=M) is M
    np.testing.assert_allclose(M, ref, rtol=tol, atol=tol * np.abs(ref).max())


def test_solve_lower_right_empty_and_extreme_scales():
    assert solve_lower_right(np.zeros((0, 3)), np.eye(3)).shape == (0, 3)
    assert solve_lower_right(np.zeros((4, 0)), np.zeros((0, 0))).shape == (4, 0)
    rng = np.random.default_rng(0)
    L = np.tril(rng.standard_normal((8, 8))) + 3 * np.eye(8)
    B = rng.standard_normal((50, 8))
    base = solve_lower_right(B, L)
    for s in (1e-200, 1e200):  # scale-free: B and L scaled alike give the same X
        np.testing.assert_allclose(solve_lower_right(B * s, L * s), base, rtol=1e-13, atol=0)


@pytest.mark.parametrize("top, expect", [(1.0, 0), (2.0 ** 399, 0), (2.0 ** -399, 0), (1e200, 665), (1e-200, -664),
                                         (2.0 ** 400, 401), (2.0 ** -400, -399), (0.0, 0), (np.inf, 0), (np.nan, 0)])
def test_square_safe_exponent_rescales_only_where_squares_leave_the_range(top, expect):
    from skeleton._linalg import square_safe_exponent

    e = square_safe_exponent(top)
    assert e == expect
    if e:  # the scaled value lies in [0.5, 1) and its square is a normal double
        assert 0.5 <= top * 2.0 ** -e < 1.0
