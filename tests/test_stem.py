"""Tests for skeleton.stem (concat -> Conv1d -> BatchNorm1d -> activation) against
explicit loops."""

import math

import numpy as np
import pytest

from _references_s3 import as_matrix, dense_conv1d, dense_stem, standardize_scaled
from skeleton.stem import conv_stem


@pytest.mark.parametrize("kernel_size,activation", [(3, "relu"), (1, "elu"), (5, "elu")])
def test_conv_stem_matches_dense(kernel_size, activation):
    rng = np.random.default_rng(14)
    n, d = 12, 5
    X, Xs = rng.standard_normal((2, n, d))
    W = rng.standard_normal((d, 2 * d, kernel_size))
    b = rng.standard_normal(d)
    got = conv_stem(Xs, X, W, b, kernel_size=kernel_size, activation=activation)
    np.testing.assert_allclose(got, dense_stem(Xs, X, W, b, activation, 1e-5), rtol=1e-12, atol=1e-12)
    g, be = rng.random(n) + 0.5, rng.standard_normal(n)
    rm, rv = rng.standard_normal(n), rng.random(n) + 0.5
    got = conv_stem(Xs, X, W, b, kernel_size=kernel_size, activation=activation, bn_weight=g,
                    bn_bias=be, running_mean=rm, running_var=rv)
    ref = dense_stem(Xs, X, W, b, activation, 1e-5, g, be, rm, rv)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_conv_stem_errors_and_float32():
    X = np.ones((6, 3), dtype=np.float32)
    W = np.ones((3, 6, 3), dtype=np.float32)
    assert conv_stem(X, X, W, np.zeros(3)).dtype == np.float32
    with pytest.raises(ValueError, match="weight must have shape"):
        conv_stem(X, X, W, None, kernel_size=1)
    with pytest.raises(ValueError, match="odd"):
        conv_stem(X, X, np.ones((3, 6, 2)), None, kernel_size=2)
    with pytest.raises(ValueError, match="same shape"):
        conv_stem(X, X[:5], W, None)
    with pytest.raises(ValueError, match="bias must have shape"):
        conv_stem(X, X, W, np.zeros(4))
    with pytest.raises(ValueError, match="activation"):
        conv_stem(X, X, W, None, activation="gelu")
    with pytest.raises(ValueError, match="running_mean and running_var"):
        conv_stem(X, X, W, None, running_mean=np.zeros(6))


def test_conv_stem_validation():
    X = np.ones((6, 3))
    W = np.ones((3, 6, 3))
    with pytest.raises(TypeError, match="weight must be real"):
        conv_stem(X, X, W + 0j, None)
    with pytest.raises(TypeError, match="bias must be real"):
        conv_stem(X, X, W, np.zeros(3) + 1j)
    with pytest.raises(ValueError, match="weight must not contain NaN"):
        conv_stem(X, X, W * np.nan, None)
    with pytest.raises(ValueError, match="bn_weight must not contain NaN"):
        conv_stem(X, X, W, None, bn_weight=np.full(6, np.inf))
    with pytest.raises(ValueError, match="running_var must be >= 0"):
        conv_stem(X, X, W, None, running_mean=np.zeros(6), running_var=-np.ones(6))
    with pytest.raises(ValueError, match="running_var must be > 0 when eps = 0"):
        conv_stem(X, X, W, None, eps=0.0, running_mean=np.zeros(6), running_var=np.zeros(6))
    with pytest.raises(TypeError, match="kernel_size must be an integer"):
        conv_stem(X, X, W, None, kernel_size=3.0)
    with pytest.raises(TypeError, match="X_smooth must be real"):
        conv_stem(X + 0j, X, W, None)


def test_numpy_matrix_input_is_converted():
    """Regression: numpy.matrix input failed inside var() with an unrelated message."""
    rng = np.random.default_rng(30)
    X, Xs = rng.standard_normal((2, 8, 4))
    W = rng.standard_normal((4, 8, 3))
    b = rng.standard_normal(4)
    got = conv_stem(as_matrix(Xs), as_matrix(X), W, as_matrix(b)[0].A1)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, dense_stem(Xs, X, W, b, "relu", 1e-5), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [-664, -300, 300, 664])
def test_batch_statistics_at_extreme_scales(k):
    """Regression: inputs of size 1e200 gave var = inf and a stem output of 0.

    With c = 2**k, BatchNorm of c C with eps equals BatchNorm of C with eps / c^2;
    the reference standardises the unit-scale C in that form."""
    rng = np.random.default_rng(31)
    n, d = 9, 4
    X, Xs = rng.standard_normal((2, n, d))
    W = rng.standard_normal((5, 2 * d, 3))
    b = rng.standard_normal(5)
    c = math.ldexp(1.0, k)
    for act in ("relu", "elu"):
        got = conv_stem(Xs * c, X * c, W, b * c, activation=act)
        C = dense_conv1d(Xs, X, W, b)
        H = standardize_scaled(C, k, 1e-5)
        ref = np.maximum(H, 0) if act == "relu" else np.where(H > 0, H, np.expm1(np.minimum(H, 0)))
        assert np.isfinite(got).all() and np.abs(ref).max() > 0
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_constant_rows_with_eps_zero():
    """Regression: eps=0 with a zero-variance row gave NaN; the row maps to beta."""
    X = np.ones((4, 2))
    W = np.zeros((3, 4, 1))
    beta = np.arange(4.0)
    H = conv_stem(X, X, W, np.ones(3), kernel_size=1, eps=0.0, bn_bias=beta)
    np.testing.assert_array_equal(H, np.repeat(beta[:, None], 3, axis=1))
