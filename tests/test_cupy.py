"""CuPy arrays through the backend seam: the same dense-reference checks on the GPU.

Skipped cleanly where CuPy or a CUDA device is missing (no GPU on the CI machine);
``benchmarks/gpu_check.sh`` runs them where there is one.
"""

import numpy as np
import pytest

from skeleton import incoherence, skeleton_approx
from skeleton._backends import backend_for, namespace_of
from skeleton.matrices import low_rank

# every test takes the ``cp`` fixture (conftest.py): marked gpu, skipped without CuPy
# or a CUDA device


def test_cupy_backend_is_selected_by_the_namespace(cp):
    assert backend_for(cp.ones((3, 3))).name == "cupy"


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("sampling", ["uniform", "pivoted_qr", "leverage"])
def test_skeleton_approx_on_cupy_matches_numpy(cp, dtype, tol, sampling):
    X = low_rank(800, 500, 8, rng=0).astype(dtype)
    Xg = cp.asarray(X)
    cur = skeleton_approx(Xg, n_rows=60, n_cols=60, rank=8, sampling=sampling, rng=1)
    assert isinstance(cur.C, cp.ndarray) and isinstance(cur.U, cp.ndarray) and isinstance(cur.R, cp.ndarray)
    assert cur.C.dtype == dtype
    np.testing.assert_array_equal(cp.asnumpy(cur.C), X[:, cur.col_idx])
    np.testing.assert_array_equal(cp.asnumpy(cur.R), X[cur.row_idx])
    ref = skeleton_approx(X, rows=cur.row_idx, cols=cur.col_idx)
    np.testing.assert_allclose(cp.asnumpy(cur.to_array()), ref.to_array(), atol=10 * tol * np.abs(X).max())
    assert cur.error(Xg) < tol
    v = cp.ones((500, 2), dtype=dtype)
    assert isinstance(cur @ v, cp.ndarray)


@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_incoherence_on_cupy_matches_dense_reference(cp, method):
    X = low_rank(600, 400, 6, mu=3.0, rng=2)
    inc = incoherence(cp.asarray(X), 6, method=method, rng=3)
    U = np.linalg.svd(X, full_matrices=False)[0][:, :6]
    assert isinstance(inc.row_leverage, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(inc.row_leverage), np.sum(U**2, axis=1), atol=1e-6)
    assert inc.mu == pytest.approx(600 / 6 * np.max(np.sum(U**2, axis=1)), rel=1e-2)


def test_nonfinite_and_mixed_namespaces_on_cupy(cp):
    X = cp.asarray(low_rank(100, 80, 3, rng=4))
    X[5, 5] = cp.nan
    with pytest.raises(ValueError, match="NaN"):
        skeleton_approx(X, n_rows=10, n_cols=10, rng=0)
    with pytest.raises(TypeError, match="different libraries were mixed"):
        namespace_of(cp.ones(3), np.ones(3))
