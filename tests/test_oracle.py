"""Entry oracles (skeleton/_backends/oracle.py): skeleton_approx on objects read through
entries(), against the same approximation of the dense matrix; oracles that break the
interface; what reads all of X is refused."""

import numpy as np
import pytest

from _oracles import BadDtype, BadShape, DenseOracle, NotArray, gaussian_reference
from skeleton import KernelMatrix, incoherence, skeleton_approx
from skeleton.matrices import low_rank


def test_oracle_cur_equals_dense_cur_with_same_indices():
    rng = np.random.default_rng(1)
    x = rng.random((300, 2))
    K = KernelMatrix(x, bandwidth=0.2)
    D = gaussian_reference(x, x, 0.2)
    rows, cols = np.sort(rng.choice(300, 40, replace=False)), np.sort(rng.choice(300, 50, replace=False))
    a = skeleton_approx(K, rows=rows, cols=cols)
    b = skeleton_approx(D, rows=rows, cols=cols)
    np.testing.assert_allclose(a.C, D[:, cols], rtol=1e-13)
    np.testing.assert_allclose(a.R, D[rows], rtol=1e-13)
    np.testing.assert_allclose(a.to_array(), b.to_array(), atol=1e-9)
    # error() reads the oracle blockwise and agrees with the dense error
    assert a.error(K) == pytest.approx(a.error(D), rel=1e-8)


def test_oracle_reads_only_sampled_rows_and_columns():
    n, d, r = 400, 300, 5
    X = low_rank(n, d, r, rng=2)
    O = DenseOracle(X)
    cur = skeleton_approx(O, n_rows=30, n_cols=20, rng=3)
    assert O.count == n * 20 + 30 * d  # C and R, nothing else
    assert cur.error(X) < 1e-10  # exact recovery of a rank-5 matrix


def test_oracle_pivoted_selection_reads_a_subsample_and_beats_uniform():
    rng = np.random.default_rng(4)
    x = rng.random((2000, 2))
    K = KernelMatrix(x, bandwidth=0.2)
    D = gaussian_reference(x, x, 0.2)
    O = DenseOracle(D)
    k = 100
    piv = skeleton_approx(O, n_rows=k, n_cols=k, sampling="pivoted_qr", rng=5)
    m = 4 * (k + 10)  # the sub-sample the pivots are chosen from (4x the sketch size)
    assert O.count == m * m + 2000 * k * 2
    uni = skeleton_approx(K, n_rows=k, n_cols=k, sampling="uniform", rng=5)
    e_piv, e_uni = piv.error(D), uni.error(D)
    assert e_piv < 1e-4 and e_piv < e_uni / 10


def test_oracle_float32_stays_float32():
    x = np.random.default_rng(6).random((200, 2)).astype(np.float32)
    cur = skeleton_approx(KernelMatrix(x, bandwidth=0.3), n_rows=30, n_cols=30, rng=0)
    assert cur.C.dtype == cur.U.dtype == cur.R.dtype == np.float32
    D = gaussian_reference(x, x, 0.3).astype(np.float32)
    dense = skeleton_approx(D, rows=cur.row_idx, cols=cur.col_idx)
    np.testing.assert_allclose(cur.C, D[:, cur.col_idx], rtol=1e-6)
    np.testing.assert_allclose(cur.to_array(), dense.to_array(), atol=1e-4)


@pytest.mark.parametrize(
    "cls, exc, pattern",
    [
        (BadShape, ValueError, r"X\.entries\(rows, cols\) returned shape"),
        (BadDtype, TypeError, r"X\.entries\(rows, cols\) returned dtype float32, but X\.dtype is float64"),
        (NotArray, TypeError, r"X\.entries\(rows, cols\) must return a numpy\.ndarray"),
    ],
)
def test_oracle_returning_wrong_result(cls, exc, pattern):
    with pytest.raises(exc, match=pattern):
        skeleton_approx(cls(np.ones((50, 40))), n_rows=5, n_cols=5, rng=0)


def test_oracle_non_finite_entries_and_options_that_read_everything():
    A = low_rank(60, 50, 3, rng=0)
    A[7, :] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        skeleton_approx(DenseOracle(A), n_rows=60, n_cols=10, rng=0)  # every row sampled: row 7 is read
    O = DenseOracle(low_rank(60, 50, 3, rng=0))
    for kwargs in (dict(sampling="leverage", rank=3), dict(core="optimal"), dict(sampling="deim", rank=3)):
        with pytest.raises(ValueError, match="entry oracle"):
            skeleton_approx(O, n_rows=10, n_cols=10, rng=0, **kwargs)
    with pytest.raises(ValueError, match="entry oracle"):
        incoherence(O, 3)
