"""The cores and their stable evaluation (skeleton/cores.py), against dense references.

Every reference is formed with numpy.linalg (the ``dense_cur`` and ``svd_tail``
fixtures of conftest.py): ``C @ pinv(W) @ R`` where that is accurate, and the SVD tail
where it is not.
"""

import numpy as np
import pytest
import scipy.linalg

from skeleton import skeleton_approx
from skeleton.matrices import low_rank, noise

EPS = np.finfo(np.float64).eps


def test_noisy_data_takes_the_direct_path_and_agrees_with_dense(dense_cur):
    # noise makes the dropped part of W large against the rounding of C U R
    rng = np.random.default_rng(0)
    X = low_rank(600, 400, 8, rng=rng)
    X = X + noise(X.shape, 1e-6 * np.linalg.norm(X, 2), rng=rng)
    cur = skeleton_approx(X, 8, n_rows=60, n_cols=50, rng=1)
    assert cur.evaluation == "direct"
    assert cur.factors[1] is cur.U
    ref = dense_cur(X, cur.row_idx, cur.col_idx, rank=8)
    np.testing.assert_allclose(cur.to_array(), ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_exact_ill_conditioned_data_takes_the_stable_path():
    # the same matrix without noise but with singular values down to 1e-12: the
    # naive product would lose digits, so the QR route is taken, and it is accurate
    rng = np.random.default_rng(0)
    X = low_rank(600, 400, 8, singular_values=np.logspace(0, -12, 8), rng=rng)
    cur = skeleton_approx(X, n_rows=30, n_cols=20, sampling="pivoted_qr", rng=1)
    assert cur.evaluation == "column-qr"
    assert cur.error(X) <= 100 * EPS


def test_both_sides_of_the_decision_at_the_predicted_noise_level(svd_tail):
    # X = exact rank 8 with sigma_8 / sigma_1 = 1e-10, plus noise of relative size eta.
    # The naive product's rounding is ~ eps ||C|| ||R|| / sigma_8(W); the dropped part
    # of W grows with eta: the path switches between eta = 1e-9 and eta = 1e-2.
    rng = np.random.default_rng(3)
    S = low_rank(500, 300, 8, singular_values=np.logspace(0, -10, 8), rng=rng)
    E = noise(S.shape, 1.0, rng=rng)
    paths = {}
    for eta in (0.0, 1e-14, 1e-9, 1e-2):
        X = S + eta * np.linalg.norm(S, 2) * E
        cur = skeleton_approx(X, 8, n_rows=40, n_cols=40, sampling="pivoted_qr", rng=2)
        paths[eta] = cur.evaluation
        # either way the approximation is as good as rank 8 allows (plus rounding)
        assert cur.error(X) <= 10 * max(svd_tail(X, 8), 10 * EPS), eta
    assert paths[0.0] != "direct" and paths[1e-14] != "direct"
    assert paths[1e-2] == "direct"


def test_the_direct_product_would_cancel_where_the_stable_path_is_taken(monkeypatch):
    # Hilbert(500) at 40 pivoted rows/columns: forcing the naive C U R shows the
    # digits the decision protects (the table: ~1e-7 against 2e-15)
    import skeleton.cores as cores

    H = scipy.linalg.hilbert(500)
    stable = skeleton_approx(H, n_rows=40, n_cols=40, sampling="pivoted_qr")
    assert stable.evaluation != "direct" and stable.error(H) <= 1e-12
    monkeypatch.setattr(cores, "_naive_is_accurate", lambda *a: True)
    naive = skeleton_approx(H, n_rows=40, n_cols=40, sampling="pivoted_qr")
    assert naive.evaluation == "direct"
    assert naive.error(H) > 1e3 * stable.error(H)


@pytest.mark.parametrize("sampling", ["pivoted_qr", "deim", "maxvol"])
def test_hilbert_does_not_cancel(sampling):
    H = scipy.linalg.hilbert(500)
    for core in ("truncated", "pinv"):
        assert skeleton_approx(H, n_rows=40, n_cols=40, sampling=sampling, core=core).error(H) <= 1e-12


def test_fewer_rows_than_columns_works_on_the_transpose(svd_tail):
    H = scipy.linalg.hilbert(300)
    cur = skeleton_approx(H, n_rows=25, n_cols=40, sampling="pivoted_qr")
    assert cur.evaluation == "row-qr"
    assert cur.error(H) <= 10 * max(svd_tail(H, 25), 10 * EPS)
    # and it is the transposed problem, up to rounding
    curT = skeleton_approx(H.T, rows=cur.col_idx, cols=cur.row_idx)
    assert curT.evaluation == "column-qr"
    np.testing.assert_allclose(cur.to_array(), curT.to_array().T, rtol=0, atol=1e-13)


def test_the_core_attribute_is_the_truncated_pseudo_inverse(svd_tail):
    # U keeps its definition (W_k^+) whichever way the approximation is applied
    H = scipy.linalg.hilbert(200)
    cur = skeleton_approx(H, 6, n_rows=12, n_cols=10, sampling="pivoted_qr")
    W = H[np.ix_(cur.row_idx, cur.col_idx)]
    Uw, s, Vh = np.linalg.svd(W)
    ref = (Vh[:6].T / s[:6]) @ Uw[:, :6].T
    np.testing.assert_allclose(cur.U, ref, rtol=1e-8, atol=0)
    assert cur.core_rank == 6
    # a rank-6 truncation costs about the rank-6 SVD tail, not rounding
    assert svd_tail(H, 6) <= cur.error(H) <= 10 * svd_tail(H, 6)


def test_rows_that_miss_the_rounding_directions_of_C():
    # float32 data with pivots chosen on the float64 matrix: the directions C holds
    # only to float32 rounding are invisible on those rows; dropping them from Q
    # keeps the approximation at float32 accuracy
    x = np.linspace(0, 1, 500)
    V = np.vander(x, 60, increasing=True)
    _, _, pc = scipy.linalg.qr(V, mode="economic", pivoting=True)
    _, _, pr = scipy.linalg.qr(V.T, mode="economic", pivoting=True)
    V32 = V.astype(np.float32)
    cur = skeleton_approx(V32, rows=np.sort(pr[:30]), cols=np.sort(pc[:30]))
    assert cur.error(V32) <= 30 * 10 * np.finfo(np.float32).eps


# (complex64 on the column-qr path only: the row-qr path was already within 1.001x there)
@pytest.mark.parametrize("rows_first,single", [(True, np.float32), (False, np.float32), (True, np.complex64)])
def test_single_precision_core_is_as_accurate_as_the_data(rows_first, single):
    # single-precision data, truncated core: the core's rounding is amplified by
    # sigma_1(W) / sigma_k(W) (here about 100), so computed in single precision it adds
    # about eps_32 * 100 ~ 1e-5 to an approximation that is itself accurate to 1.1e-5
    # (measured before the core was computed in double: 2.75e-5 for float32 and
    # 1.75e-5 for complex64 on the column-qr path); the data, rounded, allow the
    # double-precision figure on the same rows and columns
    double = np.result_type(single, np.float64)
    X = low_rank(3000, 2000, 50, singular_values=np.geomspace(1, 1e-2, 50), dtype=double, rng=0)
    X = X + noise(X.shape, 1e-6, dtype=double, rng=1)
    Xs = X.astype(single)
    ref = skeleton_approx(Xs.astype(double), 50, n_rows=300, n_cols=300, sampling="maxvol", rng=0)
    # with fewer rows than columns the stable path takes the QR of R^H instead of C
    rows = ref.row_idx if rows_first else ref.row_idx[::2]
    cur = skeleton_approx(Xs, 50, rows=rows, cols=ref.col_idx)
    ref = skeleton_approx(Xs.astype(double), 50, rows=cur.row_idx, cols=cur.col_idx)
    assert cur.dtype == single and cur.core_rank == ref.core_rank == 50
    assert cur.evaluation == ("column-qr" if rows_first else "row-qr")
    assert all(f.dtype == single for f in cur.to_factors())
    assert cur.error(Xs) <= 1.02 * ref.error(Xs)


def test_single_precision_pinv_core_on_exact_low_rank_data():
    # exact rank 20 rounded to float32: the plain pseudo-inverse core (cut at the
    # samples' eps) is as accurate as the double-precision core on the same indices,
    # at the rounding of the data (eps_32 = 1.2e-7)
    X = low_rank(600, 400, 20, rng=3).astype(np.float32)
    for sampling in ("pivoted_qr", "uniform"):
        cur = skeleton_approx(X, n_rows=40, n_cols=40, sampling=sampling, core="pinv", rng=0)
        ref = skeleton_approx(X.astype(np.float64), rows=cur.row_idx, cols=cur.col_idx, core="pinv")
        assert cur.dtype == np.float32 and all(f.dtype == np.float32 for f in cur.to_factors())
        assert 20 <= cur.core_rank <= 40
        assert cur.error(X) <= 1.25 * ref.error(X), sampling
        assert cur.error(X) <= 10 * np.finfo(np.float32).eps, sampling


def test_single_precision_core_keeps_the_directions_of_q_i_the_data_hold():
    # Q_I with sigma_min / sigma_max = 3.4e-5, just under float32's cut 300 eps_32 but
    # real in the double-precision QR: cutting it there broke Q (Q_I)^+ U_k = C V_k / S_k
    # (error 4.3e-2 against 3.5e-4)
    rng = np.random.default_rng(0)

    def orth(m, r):
        return np.linalg.qr(rng.standard_normal((m, r)))[0]

    for gap in (1e-2, 1e-4):  # (the draws of the reviewed reproducer; the second is kept)
        s = np.concatenate([np.geomspace(1, 1e-2, 50), gap * np.geomspace(1, 1e-1, 250)])
        X = ((orth(1500, 300) * s) @ orth(1000, 300).T).astype(np.float32)
        rows, cols = rng.choice(1500, 300, replace=False), rng.choice(1000, 300, replace=False)
    cur = skeleton_approx(X, 50, rows=rows, cols=cols)
    ref = skeleton_approx(X.astype(np.float64), 50, rows=rows, cols=cols)
    assert cur.evaluation == "column-qr" and cur.core_rank == 50
    assert cur.error(X) <= 1.02 * ref.error(X)


def test_optimal_core_is_the_projection():
    rng = np.random.default_rng(5)
    X = low_rank(300, 200, 10, singular_values=np.logspace(0, -13, 10), rng=rng)
    cur = skeleton_approx(X, n_rows=12, n_cols=11, sampling="uniform", core="optimal", rng=6)
    assert cur.evaluation == "projection"
    C, R = X[:, cur.col_idx], X[cur.row_idx]
    Qc, Qr = np.linalg.qr(C)[0], np.linalg.qr(R.T)[0]
    ref = Qc @ (Qc.T @ X @ Qr) @ Qr.T
    np.testing.assert_allclose(cur.to_array(), ref, rtol=0, atol=1e-14 * np.abs(X).max())
    assert cur.error(X) <= 100 * EPS  # 12 columns and 11 rows of a rank-10 matrix
    # the core attribute is C^+ X R^+ (compared where the pseudo-inverses are well defined)
    Y = low_rank(300, 200, 10, singular_values=np.logspace(0, -2, 10), rng=rng)
    cur = skeleton_approx(Y, n_rows=8, n_cols=9, core="optimal", rng=6)
    C, R = Y[:, cur.col_idx], Y[cur.row_idx]
    np.testing.assert_allclose(cur.U, np.linalg.pinv(C) @ Y @ np.linalg.pinv(R), rtol=1e-8, atol=0)


def test_complex_input_through_the_stable_path(svd_tail):
    rng = np.random.default_rng(7)
    m = 80
    U = np.linalg.qr(rng.standard_normal((200, m)) + 1j * rng.standard_normal((200, m)))[0]
    V = np.linalg.qr(rng.standard_normal((150, m)) + 1j * rng.standard_normal((150, m)))[0]
    X = (U * 2.0 ** -np.arange(m)) @ V.conj().T
    # DEIM's greedy points carry a larger constant than pivoting (Sorensen & Embree
    # 2016 bound the error by (eta_p + eta_q) sigma_{k+1}): measured 10.5x here
    for sampling, factor in (("pivoted_qr", 10), ("deim", 20), ("maxvol", 10)):
        cur = skeleton_approx(X, n_rows=40, n_cols=40, sampling=sampling)
        assert cur.dtype == np.complex128
        assert cur.error(X) <= factor * max(svd_tail(X, 40), 10 * EPS), sampling


@pytest.mark.parametrize("core", ["pinv", "truncated"])
@pytest.mark.parametrize("sampling", ["uniform", "pivoted_qr"])
def test_float16_data_cut_at_their_own_rounding(core, sampling):
    # float16 data computed in float32: the eps32-level cut kept the rounding of the
    # intersection as directions (core rank = the sample size) and amplified it, up to
    # ~45x the error the rounding itself makes; the cut at float16's rounding keeps
    # the 8 directions the data have
    X = low_rank(600, 400, 8, rng=5)
    X16 = X.astype(np.float16)
    X32 = X16.astype(np.float32)
    floor = np.linalg.norm(X32 - X) / np.linalg.norm(X)  # what the rounding costs
    for k in (20, 60, 200):
        cur = skeleton_approx(X16, n_rows=k, n_cols=k, core=core, sampling=sampling, rng=0)
        assert cur.dtype == np.float32 and cur.core_rank == 8
        assert cur.error(X32) <= 3 * floor  # (the eps32 cut: up to 13x with these samples)
        # the same values given as float32 keep float32's cut-off
        assert skeleton_approx(X32, n_rows=k, n_cols=k, core=core, sampling=sampling, rng=0).core_rank > 8


@pytest.mark.parametrize("side", ["columns", "rows", "both"])
def test_optimal_core_with_rank_deficient_samples_is_C_U_R(side, dense_cur):
    # a rank-deficient C (or R): its QR factor's extra columns are Householder's
    # completion, not directions of C; projecting onto them gave an evaluation 27 %
    # away from C U R (which it must be)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 25))
    rows, cols = [0, 3, 5, 8, 11, 20], [1, 2, 4, 9]
    if side in ("columns", "both"):
        X[:, 2] = 2 * X[:, 1]
    if side in ("rows", "both"):
        X[5] = -X[0]
    cur = skeleton_approx(X, rows=rows, cols=cols, core="optimal")
    ref = dense_cur(X, rows, cols, "optimal")
    assert cur.core_rank == {"columns": 3, "rows": 4, "both": 3}[side]
    np.testing.assert_allclose(cur.to_array(), ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    np.testing.assert_allclose(cur.C @ cur.U @ cur.R, ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    L, Rt = cur.to_factors()
    np.testing.assert_allclose(L @ Rt, ref, rtol=0, atol=1e-13 * np.abs(ref).max())
