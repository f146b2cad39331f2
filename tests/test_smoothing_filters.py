"""Tests for skeleton.smoothing.filters (half-Gaussian and moving-average kernels)
against their formulas."""

import numpy as np
import pytest

from skeleton.smoothing import gaussian_kernel, moving_average_kernel


def test_simple_kernels():
    K = gaussian_kernel(50, 3, 2.0)
    np.testing.assert_allclose(K.sum(axis=0), 1.0)
    assert np.all(np.diff(K[:, 0]) <= 0)
    M = moving_average_kernel(10, 2, 3)
    np.testing.assert_allclose(M[:, 0], [1 / 3] * 3 + [0] * 7)
    with pytest.raises(ValueError, match="width"):
        moving_average_kernel(10, 2, 11)
    with pytest.raises(ValueError, match="width"):
        gaussian_kernel(10, 2, 0.0)
    assert gaussian_kernel(10, 2, 1.0, dtype=np.float32).dtype == np.float32


def test_filters_match_their_formulas():
    n, width = 20, 2.5
    t = np.arange(n)
    g = np.exp(-t**2 / (2 * width**2))
    np.testing.assert_allclose(gaussian_kernel(n, 2, width), np.column_stack([g / g.sum()] * 2), rtol=1e-14)
    np.testing.assert_array_equal(moving_average_kernel(5, 1, 5)[:, 0], np.full(5, 0.2))


def test_filters_refuse_integer_dtypes():
    """Regression: dtype=int silently gave all-zero kernels (1/width and the Gaussian
    weights rounded to 0)."""
    with pytest.raises(TypeError, match="dtype must be one of float32, float64"):
        gaussian_kernel(4, 1, 1.0, dtype=int)
    with pytest.raises(TypeError, match="dtype must be one of float32, float64"):
        moving_average_kernel(4, 1, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="dtype must be a NumPy dtype"):
        moving_average_kernel(4, 1, 2, dtype="no such dtype")


def test_filter_arguments():
    with pytest.raises(TypeError, match="width must be an integer"):
        moving_average_kernel(10, 2, 2.5)
    with pytest.raises(ValueError, match="n must be at least 1"):
        gaussian_kernel(0, 2, 1.0)
    with pytest.raises(TypeError, match="d must be an integer"):
        gaussian_kernel(4, 2.0, 1.0)
    with pytest.raises(TypeError, match="width must be a finite real number"):
        gaussian_kernel(4, 2, np.inf)
