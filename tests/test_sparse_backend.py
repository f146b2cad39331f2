"""scipy.sparse and LinearOperator input to skeleton_approx (skeleton/_backends/sparse.py).

Each result is compared with the dense input on the same indices.
"""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from skeleton import skeleton_approx
from skeleton.matrices import low_rank

FORMATS = ["csr_matrix", "csc_matrix", "coo_matrix", "csr_array", "csc_array", "coo_array", "lil_matrix"]


@pytest.fixture(scope="module")
def sparse_low_rank():
    # rank 6, about 10 % non-zeros: sparse factors
    rng = np.random.default_rng(0)
    A = scipy.sparse.random(500, 6, density=0.3, random_state=1).toarray()
    B = scipy.sparse.random(6, 400, density=0.3, random_state=2).toarray()
    X = A @ B
    return X


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("core", ["truncated", "pinv", "optimal"])
def test_sparse_agrees_with_dense_on_the_same_indices(sparse_low_rank, fmt, core):
    X = sparse_low_rank
    S = getattr(scipy.sparse, fmt)(X)
    cur = skeleton_approx(S, n_rows=60, n_cols=50, core=core, rng=3)
    ref = skeleton_approx(X, rows=cur.row_idx, cols=cur.col_idx, core=core)
    assert isinstance(cur.C, np.ndarray) and isinstance(cur.R, np.ndarray)  # dense factors
    np.testing.assert_array_equal(cur.C, X[:, cur.col_idx])
    np.testing.assert_array_equal(cur.R, X[cur.row_idx])
    np.testing.assert_allclose(cur.to_array(), ref.to_array(), rtol=0, atol=1e-13)
    assert cur.error(S) == pytest.approx(ref.error(X), rel=1e-6, abs=1e-15)


@pytest.mark.parametrize("sampling", ["pivoted_qr", "deim", "maxvol", "leverage"])
def test_sparse_deterministic_rules(sparse_low_rank, sampling):
    X = sparse_low_rank
    S = scipy.sparse.csr_array(X)
    cur = skeleton_approx(S, 6, n_rows=12, n_cols=12, sampling=sampling, rng=4)
    dense = skeleton_approx(X, 6, n_rows=12, n_cols=12, sampling=sampling, rng=4)
    assert cur.error(X) <= 1e-10 and dense.error(X) <= 1e-10


def test_linear_operator_agrees_with_dense():
    X = low_rank(300, 200, 8, rng=5)
    op = scipy.sparse.linalg.aslinearoperator(X)
    for sampling in ("uniform", "pivoted_qr", "deim"):
        cur = skeleton_approx(op, 8, n_rows=30, n_cols=30, sampling=sampling, rng=6)
        ref = skeleton_approx(X, rows=cur.row_idx, cols=cur.col_idx)
        np.testing.assert_allclose(cur.C, X[:, cur.col_idx], rtol=0, atol=1e-14)
        np.testing.assert_allclose(cur.to_array(), ref.to_array(), rtol=0, atol=1e-12)
        assert cur.error(op) <= 1e-10
    # a user's own LinearOperator subclass, with only matvec/rmatvec
    class Op(scipy.sparse.linalg.LinearOperator):
        def __init__(self):
            super().__init__(X.dtype, X.shape)

        def _matvec(self, v):
            return X @ v

        def _rmatvec(self, v):
            return X.T @ v

    cur = skeleton_approx(Op(), n_rows=20, n_cols=20, rng=7)
    assert cur.error(X) <= 1e-10


class NeverDense(scipy.sparse.csr_array):
    """A CSR array that refuses to become dense beyond 10^8 entries (slices keep the
    class, and a sampled n x k slice may become dense)."""

    def toarray(self, *args, **kwargs):
        if self.shape[0] * self.shape[1] > 10**8:
            raise AssertionError(f"a {self.shape} sparse matrix was made dense")
        return super().toarray(*args, **kwargs)

    todense = toarray


def test_a_large_sparse_matrix_never_becomes_dense():
    # 10^5 x 10^5 with 10^6 stored entries: dense it would take 80 GB
    n = 100_000
    rng = np.random.default_rng(8)
    rows, cols = rng.integers(0, n, 10**6), rng.integers(0, n, 10**6)
    S = NeverDense(scipy.sparse.csr_array((rng.standard_normal(10**6), (rows, cols)), shape=(n, n)))
    cur = skeleton_approx(S, n_rows=50, n_cols=40, rng=9)
    assert cur.C.shape == (n, 40) and cur.R.shape == (50, n)
    Sc = scipy.sparse.csc_array(S)
    np.testing.assert_array_equal(cur.C, Sc[:, cur.col_idx].toarray())
    # the deterministic rules go through products with thin sketches, not a dense copy
    piv = skeleton_approx(S, n_rows=30, n_cols=30, sampling="pivoted_qr", rng=10)
    assert piv.C.shape == (n, 30)


def test_sparse_finiteness_and_dtypes():
    X = scipy.sparse.csr_array(np.array([[1.0, 0.0], [0.0, np.nan]]))
    with pytest.raises(ValueError, match="NaN"):
        skeleton_approx(X, n_rows=1, n_cols=1)
    Xi = scipy.sparse.csr_array(np.eye(5, dtype=np.int64))
    assert skeleton_approx(Xi, n_rows=5, n_cols=5).dtype == np.float64
    X32 = scipy.sparse.csr_array(np.eye(5, dtype=np.float32))
    assert skeleton_approx(X32, n_rows=5, n_cols=5).C.dtype == np.float32
    # duplicates in COO input are summed before anything is read from them
    coo = scipy.sparse.coo_array((np.array([1.0, 2.0]), (np.array([0, 0]), np.array([0, 0]))), shape=(2, 2))
    cur = skeleton_approx(coo, rows=[0], cols=[0])
    assert cur.C[0, 0] == 3.0
