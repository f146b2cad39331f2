"""skeleton.sampling: each rule against a plain reference written here, and bad input.

References: DEIM as the textbook loop of Chaturantabut & Sorensen (a solve per step),
maxvol recomputing ``B B_I^{-1}`` from scratch after every swap, rectangular maxvol
recomputing every row's volume gain from scratch (a least-squares solve per step),
pivoted QR from scipy.linalg.qr.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from skeleton import sampling
from skeleton.sampling import (
    _cpqr_row_id,
    _extend_by_volume,
    _lu_row_id,
    _maxvol,
    _maxvol_square,
    _maxvol_swaps,
    deim_indices,
    leverage_indices,
    maxvol_indices,
    pivoted_qr_indices,
    uniform_indices,
)


def basis(m, r, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, r))
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal((m, r))
    # graded row norms, so that the choices are far from ties
    A *= np.exp(rng.uniform(-2, 0, size=m))[:, None]
    return np.linalg.qr(A)[0].astype(dtype)


# -- references --------------------------------------------------------------------


def deim_reference(B, k):
    """Chaturantabut & Sorensen's loop, extended by the volume reference."""
    r = min(B.shape[1], k)
    p = [int(np.argmax(np.abs(B[:, 0])))]
    for j in range(1, r):
        c = np.linalg.solve(B[p, :j], B[p, j])
        res = np.abs(B[:, j] - B[:, :j] @ c)
        res[p] = -1
        p.append(int(np.argmax(res)))
    return volume_reference(B[:, :r], p, k)


def volume_reference(B, chosen, k):
    """Greedy rectangular maxvol, every row's gain recomputed from scratch."""
    chosen = list(chosen)
    while len(chosen) < k:
        G = B[chosen].conj().T @ B[chosen]
        gain = np.real(np.einsum("ij,jk,ik->i", B, np.linalg.inv(G), B.conj()))
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return np.sort(chosen)


def maxvol_reference(B, start=None, tol=1.05, max_iter=200):
    """Square maxvol from ``start`` (default: maxvol's own, the pivoted QR), with
    C = B B_I^{-1} recomputed after each swap."""
    idx = np.array(_cpqr_row_id(B)[0] if start is None else start)
    for _ in range(max_iter):
        C = np.linalg.solve(B[idx].T, B.T).T
        i, j = np.unravel_index(np.argmax(np.abs(C)), C.shape)
        if abs(C[i, j]) <= tol:
            break
        idx[j] = i
    return idx


def swaps_from(B, start, tol=1.05):
    """Maxvol's rank-one-update swaps from ``start``: ``(idx, C, swaps)``."""
    idx = np.array(start, dtype=np.intp)
    C = np.ascontiguousarray(np.linalg.solve(B[idx].T, B.T).T)
    return idx, C, _maxvol_swaps(C, idx, tol, 200)


# -- the rules against their references --------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("k", [6, 10, 25])
def test_deim_by_lu_equals_the_textbook_loop(dtype, k):
    B = basis(300, 10, 1, dtype)
    assert deim_indices(B, k).tolist() == deim_reference(B, k).tolist()


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_maxvol_rank_one_updates_equal_a_recomputed_maxvol(dtype):
    B = basis(400, 12, 5, dtype)
    # from the LU pivots, a start that needs several swaps
    start = _lu_row_id(B)[0]
    idx, C, swaps = swaps_from(B, start)
    assert swaps >= 3
    assert idx.tolist() == maxvol_reference(B, start).tolist()
    # the updated coefficients are B B_I^{-1} computed afresh, and bounded by tol
    np.testing.assert_allclose(C, np.linalg.solve(B[idx].T, B.T).T, atol=1e-10)
    assert np.abs(C).max() <= 1.05 + 1e-12
    # each swap grew the volume
    assert abs(np.linalg.det(B[idx])) >= abs(np.linalg.det(B[start])) * 1.05 ** swaps * (1 - 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_maxvol_starts_from_pivoted_qr(dtype):
    B = basis(400, 12, 3, dtype)
    idx, C = _maxvol_square(B.copy())
    assert sorted(idx.tolist()) == sorted(maxvol_reference(B).tolist())
    np.testing.assert_allclose(C, np.linalg.solve(B[idx].T, B.T).T, atol=1e-10)
    assert np.abs(C).max() <= 1.05 + 1e-12
    start = _cpqr_row_id(B)[0]
    assert abs(np.linalg.det(B[idx])) >= abs(np.linalg.det(B[start])) * (1 - 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_maxvol_from_a_given_start_swaps_from_it(dtype):
    B = basis(400, 12, 5, dtype)
    start = _lu_row_id(B)[0]  # a start that needs several swaps
    idx, C = _maxvol_square(B.copy(), start=start)
    assert idx.tolist() == maxvol_reference(B, start).tolist()
    assert idx.tolist() != list(start)
    np.testing.assert_allclose(C, np.linalg.solve(B[idx].T, B.T).T, atol=1e-10)
    assert np.abs(C).max() <= 1.05 + 1e-12
    # _maxvol takes it for k >= r, ignores one of the wrong length
    full = _maxvol(B, 12, start=start)
    assert full.tolist() == np.sort(maxvol_reference(B, start)).tolist()
    assert _maxvol(B, 12, start=start[:5]).tolist() == np.sort(_maxvol_square(B.copy())[0]).tolist()


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_maxvol_drops_a_singular_start(dtype):
    B = basis(400, 12, 5, dtype)
    B[7] = B[3]  # rows 3 and 7 alike: any start holding both is singular
    start = np.array([3, 7] + list(range(20, 30)))
    idx, C = _maxvol_square(B.copy(), start=start)
    ref, _ = _maxvol_square(B.copy())  # the pivoted-QR start
    assert idx.tolist() == ref.tolist()
    assert np.isfinite(C).all() and np.abs(C).max() <= 1.05 + 1e-12


def test_maxvol_without_numba_takes_the_same_swaps(monkeypatch):
    B = basis(400, 12, 5)
    start = _lu_row_id(B)[0]
    with_kernel, _, swaps = swaps_from(B, start)
    assert swaps >= 3
    monkeypatch.setattr(sampling, "HAVE_NUMBA", False)
    assert swaps_from(B, start)[0].tolist() == with_kernel.tolist()


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("m,q,k", [(200, 5, 40), (3000, 10, 300)])
def test_volume_extension_is_the_greedy_choice(dtype, m, q, k, compiled, monkeypatch):
    if not compiled:  # the NumPy loops, as without numba
        for name in ("pool_picks", "downdate_gains"):
            monkeypatch.setattr(sampling, name, None)
    # (3000, 10, 300): a pool of 512 rows out of 3000, refreshed as it runs dry
    B = basis(m, q, 4, dtype)
    order, C, r = _lu_row_id(B)
    assert r == q
    ext = _extend_by_volume(C, order, k)
    assert ext.tolist() == volume_reference(B, list(order), k).tolist()
    assert len(set(ext.tolist())) == k


@pytest.mark.parametrize("k", [12, 30])
def test_maxvol_indices_against_the_references(k):
    B = basis(300, 12, 5)
    idx, _ = _maxvol_square(B.copy())
    assert maxvol_indices(B, k).tolist() == volume_reference(B, list(idx), k).tolist()


def test_maxvol_with_k_below_r_uses_the_leading_columns():
    B = basis(200, 8, 6)
    assert maxvol_indices(B, 5).tolist() == np.sort(maxvol_reference(B[:, :5])).tolist()


def test_pivoted_qr_equals_scipy():
    A = np.random.default_rng(7).standard_normal((9, 60))
    piv = scipy.linalg.qr(A, pivoting=True)[2]
    assert pivoted_qr_indices(A, 7).tolist() == np.sort(piv[:7]).tolist()


@pytest.mark.parametrize("row_id", [_cpqr_row_id, _lu_row_id])
def test_row_ids_interpolate_and_see_the_rank(row_id):
    rng = np.random.default_rng(8)
    Y = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 9))  # rank 6, 9 columns
    order, C, q = row_id(Y)
    assert q == 6
    np.testing.assert_allclose(C[order[:q]], np.eye(q), atol=1e-12)
    np.testing.assert_allclose(C @ Y[order[:q]], Y, atol=1e-10 * np.abs(Y).max())


@pytest.mark.parametrize("dtype, low", [(np.float64, np.float32), (np.complex128, np.complex64)])
@pytest.mark.parametrize("row_id", [_cpqr_row_id, _lu_row_id])
def test_row_ids_of_a_single_precision_sketch_interpolate_in_double(row_id, dtype, low):
    # pivots found in the sketch's precision, C = Y Y_I^+ formed in X's
    rng = np.random.default_rng(9)
    Y = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 9))
    if np.dtype(dtype).kind == "c":
        Y = Y + 1j * (rng.standard_normal((500, 6)) @ rng.standard_normal((6, 9)))
    Ylow = Y.astype(low)
    Yd = Ylow.astype(dtype)
    floor = 4 * float(np.finfo(low).eps) * float(np.linalg.norm(Y))
    order, C, q = row_id(Ylow, dtype, floor)
    assert C.dtype == dtype and q == (6 if np.dtype(dtype).kind == "f" else 9)
    np.testing.assert_allclose(C[order[:q]], np.eye(q), atol=1e-12)
    # interpolates the sketch to its own rounding (a transposed triangular factor gave 0.6)
    assert np.linalg.norm(C @ Yd[order[:q]] - Yd) <= 10 * floor


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e200])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("compiled", [True, False])
def test_left_looking_pivoted_qr_takes_the_pivots_of_geqp3(dtype, scale, compiled, monkeypatch):
    if not compiled:
        monkeypatch.setattr(sampling, "project_rows", None)
    rng = np.random.default_rng(10)
    # graded columns over 11 decades: the downdated norms fall below sqrt(eps) of their
    # start and must be recomputed for the last pivots to come out right
    G = rng.standard_normal((3000, 16))
    if np.dtype(dtype).kind == "c":
        G = G + 1j * rng.standard_normal((3000, 16))
    Y = (G * np.logspace(0, -11, 16)) @ np.linalg.qr(rng.standard_normal((16, 16)))[0] * scale
    order, C, q = _cpqr_row_id(Y)
    piv = scipy.linalg.qr(Y.conj().T, mode="r", pivoting=True)[1]
    assert q == 16 and order.tolist() == piv[:q].tolist()
    np.testing.assert_allclose(C[order], np.eye(q), atol=1e-12)
    assert np.linalg.norm((C @ Y[order] - Y) / scale) <= 1e-13 * np.linalg.norm(Y / scale)
    # a rank-deficient Y stops at its rank
    Z = Y[:, :1] @ rng.standard_normal((1, 16)) + Y[:, 1:2] @ rng.standard_normal((1, 16))
    assert _cpqr_row_id(Z)[2] == 2
    assert _cpqr_row_id(np.zeros((50, 4)))[2] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("updates", [3, 40])
@pytest.mark.parametrize("compiled", [True, False])
def test_volume_refresh_subtracts_the_pending_updates(dtype, updates, compiled, monkeypatch):
    from skeleton.sampling import _downdate

    if not compiled:
        monkeypatch.setattr(sampling, "downdate_gains", None)
    rng = np.random.default_rng(11)
    C = rng.standard_normal((700, 13)).astype(dtype)
    U = rng.standard_normal((updates, 13)).astype(dtype)
    if np.dtype(dtype).kind == "c":
        C = C + 1j * rng.standard_normal((700, 13))
        U = U + 1j * rng.standard_normal((updates, 13))
    nu = np.full(700, 1e3)
    _downdate(C, U, nu)
    ref = 1e3 - np.sum(np.abs(C.astype(np.complex128) @ U.astype(np.complex128).T) ** 2, axis=1)
    # each |c_j u_t|^2 to a few roundings of |c_j|^2 |u_t|^2 in C's precision
    bound = 20 * np.finfo(dtype).eps * np.sum(np.abs(C) ** 2, axis=1) * np.sum(np.abs(U) ** 2)
    assert np.all(np.abs(nu - ref) <= bound + 1e-12)


def test_deim_on_dependent_columns_extends_by_volume():
    B = basis(100, 4, 9)
    B = np.hstack([B, B[:, :1]])  # the fifth column repeats the first
    idx = deim_indices(B, 5)
    assert len(set(idx.tolist())) == 5
    assert deim_indices(B, 4).tolist() == deim_reference(B[:, :4], 4).tolist()


def test_leverage_draws_follow_the_scores():
    p = np.array([0.0, 1.0, 2.0, 5.0, 0.0, 2.0])
    rng = np.random.default_rng(10)
    counts = np.bincount([int(leverage_indices(p, 1, rng)[0]) for _ in range(4000)], minlength=p.size)
    np.testing.assert_allclose(counts / 4000, p / p.sum(), atol=0.03)
    # zero scores are drawn only once the positive ones run out
    assert leverage_indices(p, 4, 0).tolist() == [1, 2, 3, 5]
    assert set(leverage_indices(p, 5, 0).tolist()) >= {1, 2, 3, 5}


def test_uniform_is_sorted_distinct_and_seeded():
    a = uniform_indices(1000, 50, 3)
    assert np.all(np.diff(a) > 0) and a.dtype == np.intp and a.max() < 1000
    assert a.tolist() == uniform_indices(1000, 50, np.random.default_rng(3)).tolist()
    assert uniform_indices(5, 0, None).size == 0


def test_rules_accept_a_seed_or_none_and_lists():
    B = basis(40, 3, 11)
    assert uniform_indices(10, 3, None).size == 3
    assert leverage_indices([1.0, 2.0, 3.0], 2, 5).tolist() == leverage_indices([1.0, 2.0, 3.0], 2, 5).tolist()
    assert deim_indices(B.tolist(), 3).tolist() == deim_indices(B, 3).tolist()
    assert maxvol_indices(B.astype(np.float32), 3).dtype == np.intp


# -- bad input -------------------------------------------------------------------------

NAN_B = np.full((20, 3), np.nan)
B0 = np.linalg.qr(np.random.default_rng(0).standard_normal((20, 3)))[0]


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: uniform_indices(10, -1, 0), ValueError, "k must be at least 0"),
        (lambda: uniform_indices(10, 11, 0), ValueError, "k must be at most 10"),
        (lambda: uniform_indices(-3, 1, 0), ValueError, "m must be at least 0"),
        (lambda: uniform_indices(10.0, 1, 0), TypeError, "m must be an integer"),
        (lambda: uniform_indices(10, 2.5, 0), TypeError, "k must be an integer"),
        (lambda: uniform_indices(10, True, 0), TypeError, "k must be an integer"),
        (lambda: uniform_indices(10, 2, "seed"), TypeError, "rng"),
        (lambda: uniform_indices(10, 2, -1), ValueError, "rng"),
        (lambda: leverage_indices([1.0, np.nan, 2.0], 1, 0), ValueError, "scores must not contain NaN"),
        (lambda: leverage_indices([1.0, np.inf], 1, 0), ValueError, "scores must not contain NaN"),
        (lambda: leverage_indices([1.0, -2.0], 1, 0), ValueError, "scores must be non-negative"),
        (lambda: leverage_indices(np.ones((2, 2)), 1, 0), ValueError, "scores must have shape"),
        (lambda: leverage_indices([1j, 2.0], 1, 0), TypeError, "scores must be real"),
        (lambda: leverage_indices([1.0, 2.0], 3, 0), ValueError, "k must be at most 2"),
        (lambda: leverage_indices([1.0, 2.0], -1, 0), ValueError, "k must be at least 0"),
        (lambda: leverage_indices([1.0, 2.0], 1, 1.5), TypeError, "rng"),
        (lambda: pivoted_qr_indices(NAN_B.T, 1), ValueError, "A must not contain NaN"),
        (lambda: pivoted_qr_indices(B0.T, 4), ValueError, "k must be at most 3"),
        (lambda: pivoted_qr_indices(B0.T, -1), ValueError, "k must be at least 0"),
        (lambda: pivoted_qr_indices(np.ones(3), 1), ValueError, "A must be 2-D"),
        (lambda: pivoted_qr_indices(np.ones((0, 3)), 0), ValueError, "A must not be empty"),
        (lambda: pivoted_qr_indices(np.array([["a"]]), 1), TypeError, "A must have a numeric dtype"),
        (lambda: deim_indices(NAN_B, 2), ValueError, "B must not contain NaN"),
        (lambda: deim_indices(B0, -1), ValueError, "k must be at least 0"),
        (lambda: deim_indices(B0, 21), ValueError, "k must be at most 20"),
        (lambda: deim_indices(B0, 2.0), TypeError, "k must be an integer"),
        (lambda: deim_indices(B0[:, 0], 1), ValueError, "B must be 2-D"),
        (lambda: maxvol_indices(NAN_B, 2), ValueError, "B must not contain NaN"),
        (lambda: maxvol_indices(B0, -1), ValueError, "k must be at least 0"),
        (lambda: maxvol_indices(B0, 21), ValueError, "k must be at most 20"),
        (lambda: maxvol_indices(B0, 2, tol=0.5), ValueError, "tol must be at least 1"),
        (lambda: maxvol_indices(B0, 2, tol="x"), TypeError, "tol must be a finite real"),
        (lambda: maxvol_indices(B0, 2, tol=np.nan), TypeError, "tol must be a finite real"),
        (lambda: maxvol_indices(np.hstack([B0[:, :1], B0[:, :1]]), 2), np.linalg.LinAlgError, "numerical rank 1"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_k_zero_gives_no_indices():
    assert deim_indices(B0, 0).size == maxvol_indices(B0, 0).size == pivoted_qr_indices(B0.T, 0).size == 0
    assert leverage_indices([1.0, 2.0], 0, 0).size == 0


def test_k_equal_to_m_gives_every_index():
    assert deim_indices(B0, 20).tolist() == list(range(20))
    assert maxvol_indices(B0, 20).tolist() == list(range(20))
