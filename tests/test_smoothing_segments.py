"""Tests for skeleton.smoothing.segments (the segment average S of eq. (4)) against an
explicit S matrix."""

import numpy as np
import pytest

from _references_s3 import S_matrix, as_matrix
from skeleton.smoothing import segment_average


@pytest.mark.parametrize("layout", ["block", "tile"])
def test_segment_average_matches_explicit_S(layout):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 12))
    for r in (1, 2, 3, 4, 6, 12):
        full = segment_average(X, r, layout=layout, repeat=True)
        np.testing.assert_allclose(full, X @ S_matrix(12, r, layout), rtol=1e-14, atol=1e-14)
        A = segment_average(X, r, layout=layout)
        assert A.shape == (7, r)
        np.testing.assert_allclose(A, X.reshape(7, r, 12 // r).mean(axis=2), rtol=1e-14)


def test_segment_average_errors_and_dtype():
    X = np.ones((4, 6))
    with pytest.raises(ValueError, match="r=4 must divide"):
        segment_average(X, 4)
    with pytest.raises(ValueError, match="r=7 exceeds"):
        segment_average(X, 7)
    with pytest.raises(ValueError, match="r must be at least 1"):
        segment_average(X, 0)
    with pytest.raises(TypeError, match="r must be an integer"):
        segment_average(X, 2.0)
    with pytest.raises(ValueError, match="layout"):
        segment_average(X, 2, layout="bad")
    with pytest.raises(ValueError, match="X must not contain NaN"):
        segment_average(np.full((2, 2), np.nan), 1)
    assert segment_average(X.astype(np.float32), 3).dtype == np.float32
    assert segment_average(np.ones((3, 4), dtype=int), 2).dtype == np.float64


def test_segment_average_returns_new_arrays():
    Y = np.arange(12.0).reshape(3, 4)
    before = Y.copy()
    segment_average(Y, 4)[0, 0] = 99  # r = d: a copy, not X itself
    out = segment_average(Y, 2, repeat=True)
    out[0, 0] = 99  # repeat: a writable copy, not a broadcast view of the means
    np.testing.assert_array_equal(Y, before)


def test_numpy_matrix_input_is_converted():
    """Regression: a numpy.matrix failed with 'shape too large to be a matrix'."""
    X = np.arange(24.0).reshape(4, 6)
    for repeat in (False, True):
        got = segment_average(as_matrix(X), 3, repeat=repeat)
        assert type(got) is np.ndarray
        np.testing.assert_array_equal(got, segment_average(X, 3, repeat=repeat))


def test_repeat_must_be_a_bool():
    """Regression: repeat="no" was truthy and silently repeated."""
    with pytest.raises(TypeError, match="repeat must be True or False"):
        segment_average(np.ones((2, 4)), 2, repeat="no")


def test_masked_array_is_refused():
    X = np.ma.masked_array(np.ones((2, 4)), mask=np.eye(2, 4, dtype=bool))
    with pytest.raises(TypeError, match="X is a masked array"):
        segment_average(X, 2)
