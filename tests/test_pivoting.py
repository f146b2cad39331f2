"""skeleton_approx(..., sampling="rpcholesky" / "aca") (skeleton/pivoting.py)."""

import numpy as np
import pytest

from skeleton import KernelMatrix, aca, rpcholesky, skeleton_approx


@pytest.fixture(scope="module")
def kernel():
    x = np.random.default_rng(0).uniform(size=(1500, 2))
    K = KernelMatrix(x, bandwidth=0.25)
    return K, K.to_array()


@pytest.mark.parametrize("sampling", ["rpcholesky", "aca"])
def test_same_pivots_and_factor_as_the_routine(kernel, sampling):
    K, D = kernel
    cur = skeleton_approx(K, 60, sampling=sampling, rng=1)
    direct = (rpcholesky if sampling == "rpcholesky" else aca)(K, 60, rng=1)
    rows = direct.pivots if sampling == "rpcholesky" else direct.rows
    cols = direct.pivots if sampling == "rpcholesky" else direct.cols
    assert np.array_equal(cur.row_idx, np.sort(rows)) and np.array_equal(cur.col_idx, np.sort(cols))
    np.testing.assert_allclose(cur.to_array(), direct.to_array(), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(cur.C, D[:, cur.col_idx])
    np.testing.assert_array_equal(cur.R, D[cur.row_idx])
    # the recorded core is W^+ on the sorted pivots
    W = D[np.ix_(cur.row_idx, cur.col_idx)]
    np.testing.assert_allclose(cur.U @ W, np.eye(60), rtol=0, atol=1e-6)
    assert cur.evaluation == ("cholesky" if sampling == "rpcholesky" else "cross")


def test_the_cholesky_factor_does_not_cancel(kernel):
    # where C W^+ C^T multiplied out loses digits, the factored form does not
    K, D = kernel
    cur = skeleton_approx(K, 200, sampling="rpcholesky", rng=2)
    naive = cur.C @ cur.U @ cur.R
    err = np.linalg.norm(D - cur.to_array()) / np.linalg.norm(D)
    assert err <= 1e-12
    assert np.linalg.norm(D - naive) / np.linalg.norm(D) > 100 * err


@pytest.mark.parametrize("sampling", ["rpcholesky", "aca"])
def test_to_a_tolerance(kernel, sampling):
    K, D = kernel
    for rtol in (1e-6, 1e-11):
        cur = skeleton_approx(K, rtol=rtol, sampling=sampling, rng=3)
        assert cur.error(D) <= rtol
        assert cur.error_estimate.bound <= rtol
        assert 0.05 < cur.error_estimate.estimate / cur.error(D) < 20
    dense = skeleton_approx(D, rtol=1e-9, sampling=sampling, rng=3)
    assert dense.error(D) <= 1e-9 and dense.error_estimate.norm_exact


def test_optimal_core_on_the_pivots(kernel):
    K, D = kernel
    cur = skeleton_approx(D, 40, sampling="aca", core="optimal", rng=4)
    assert cur.evaluation == "projection"
    piv = skeleton_approx(D, 40, sampling="aca", rng=4)
    assert cur.error(D) <= piv.error(D) * (1 + 1e-9)


def test_bad_calls(kernel):
    import dask.array as da

    K, D = kernel
    with pytest.raises(ValueError, match="explicit rows/cols"):
        skeleton_approx(K, sampling="aca", rows=[0, 1], cols=[0, 1])
    for sampling in ("rpcholesky", "aca"):  # one pivot is one row and one column
        with pytest.raises(ValueError, match="as many rows as columns: n_rows=10 != n_cols=12"):
            skeleton_approx(K, sampling=sampling, n_rows=10, n_cols=12)
    with pytest.raises(ValueError, match="n_rows must be at least 1"):
        skeleton_approx(K, sampling="aca", n_rows=0)
    with pytest.raises(ValueError, match="X must be positive semi-definite"):
        skeleton_approx(-np.eye(5), sampling="rpcholesky", n_rows=2)
    with pytest.raises(ValueError, match="number of pivots"):
        skeleton_approx(K, sampling="rpcholesky")
    with pytest.raises(ValueError, match="NumPy array or an entry oracle"):
        skeleton_approx(da.from_array(D, chunks=500), 10, sampling="rpcholesky")
    with pytest.raises(ValueError, match="square"):
        skeleton_approx(np.ones((5, 4)), 2, sampling="rpcholesky")
