"""SkeletonApprox (skeleton/approximation.py): evaluation, entries, operators, error()."""

import numpy as np
import pytest
import scipy.linalg

from skeleton import skeleton_approx
from skeleton.matrices import low_rank, noise


@pytest.fixture(scope="module")
def hilbert_approx():
    H = scipy.linalg.hilbert(200)
    return H, skeleton_approx(H, n_rows=30, n_cols=25, sampling="pivoted_qr")


def test_every_view_agrees_with_to_array(hilbert_approx):
    H, cur = hilbert_approx
    A = cur.to_array()
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 200, 17), rng.integers(0, 200, 9)  # repeats allowed
    np.testing.assert_allclose(cur.entries(rows, cols), A[np.ix_(rows, cols)], rtol=0, atol=1e-15)
    B = rng.standard_normal((200, 3))
    np.testing.assert_allclose(cur @ B, A @ B, rtol=0, atol=1e-13)
    np.testing.assert_allclose(cur @ B[:, 0], A @ B[:, 0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(B.T @ cur, B.T @ A, rtol=0, atol=1e-13)
    np.testing.assert_allclose(B[:, 0] @ cur, B[:, 0] @ A, rtol=0, atol=1e-13)
    L, Rt = cur.to_factors()
    assert L.shape[1] == Rt.shape[0] <= 30
    np.testing.assert_allclose(L @ Rt, A, rtol=0, atol=1e-15)


def test_an_approximation_is_an_entry_oracle(hilbert_approx):
    H, cur = hilbert_approx
    # sampling the approximation reads only its entries and recovers it
    again = skeleton_approx(cur, n_rows=40, n_cols=40, sampling="pivoted_qr", rng=1)
    assert again.error(cur.to_array()) <= 1e-10
    assert cur.entries([], [1, 2]).shape == (0, 2)


@pytest.mark.parametrize("operand", [[1.0, 2.0], 3.0, "x", None, (1, 2)])
def test_matmul_with_a_non_array_is_a_type_error(hilbert_approx, operand):
    _, cur = hilbert_approx
    with pytest.raises(TypeError):
        cur @ operand
    with pytest.raises(TypeError):
        operand @ cur


def test_matmul_shape_errors_name_the_sizes(hilbert_approx):
    _, cur = hilbert_approx
    with pytest.raises(ValueError, match="200 columns"):
        cur @ np.ones(7)
    with pytest.raises(ValueError, match="200 rows"):
        np.ones((2, 7)) @ cur
    with pytest.raises(ValueError, match="does not fit"):
        cur @ np.ones((200, 2, 2))


@pytest.mark.parametrize(
    "rows,cols,exc,match",
    [([200], [0], ValueError, "out of range"), ([-1], [0], ValueError, "out of range"),
     ([[0]], [0], ValueError, "1-D"), ([0.5], [0], TypeError, "integer")],
)
def test_entries_validates_indices(hilbert_approx, rows, cols, exc, match):
    _, cur = hilbert_approx
    with pytest.raises(exc, match=match):
        cur.entries(rows, cols)


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e-300, 1e300])
def test_error_is_free_of_overflow_and_underflow(scale):
    # a poor approximation (uniform rows of a coherent matrix) keeps its relative error
    rng = np.random.default_rng(2)
    X = low_rank(300, 200, 10, rng=rng) + noise((300, 200), 1e-2, rng=rng)
    cur = skeleton_approx(X, 4, n_rows=12, n_cols=12, rng=3)
    ref = cur.error(X)
    assert 1e-3 < ref < 1
    scaled = skeleton_approx(X * scale, 4, n_rows=12, n_cols=12, rng=3)
    with np.errstate(over="raise", under="ignore"):
        e = scaled.error(X * scale)
    assert e == pytest.approx(ref, rel=1e-6)
    assert scaled.error(X * scale, ord=2) == pytest.approx(cur.error(X, ord=2), rel=1e-6)


def test_error_of_a_zero_matrix():
    Z = np.zeros((5, 4))
    cur = skeleton_approx(np.eye(5, 4), rows=[0, 1], cols=[0, 1])
    assert cur.error(Z) == np.inf
    with pytest.warns(RuntimeWarning, match="numerically zero"):
        zero = skeleton_approx(np.diag([0, 0, 1.0, 1.0]), rows=[0], cols=[0], check_finite=False)
    assert zero.error(np.zeros((4, 4))) == 0.0


def test_result_is_frozen(hilbert_approx):
    _, cur = hilbert_approx
    with pytest.raises(Exception):
        cur.core = "pinv"
    with pytest.raises(Exception):
        cur.factors = None
