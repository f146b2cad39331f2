"""KernelMatrix (skeleton/kernel_matrix.py): entries against the kernel written out,
bandwidth extremes, the diagonal, output buffers, the inlined exponential, bad input."""

import numpy as np
import pytest

from _oracles import gaussian_reference
from skeleton import KernelMatrix


@pytest.mark.parametrize("p", [1, 2, 3])
def test_kernel_entries_match_dense_reference(p):
    rng = np.random.default_rng(p)
    x, y = rng.random((70, p)), rng.random((50, p))
    K = KernelMatrix(x, y, bandwidth=0.3)
    ref = gaussian_reference(x, y, 0.3)
    assert K.shape == (70, 50) and K.dtype == np.float64
    np.testing.assert_allclose(K.to_array(), ref, rtol=1e-14, atol=0)
    rows, cols = np.array([69, 3, 3, 10]), np.array([0, 49, 7])
    np.testing.assert_allclose(K.entries(rows, cols), ref[np.ix_(rows, cols)], rtol=1e-14, atol=0)


def test_kernel_symmetric_float32_and_far_entries():
    rng = np.random.default_rng(0)
    x = rng.random((40, 2)).astype(np.float32)
    K = KernelMatrix(x, bandwidth=0.5)
    E = K.to_array()
    assert E.dtype == np.float32
    np.testing.assert_allclose(E, gaussian_reference(x, x, 0.5), rtol=1e-6)
    np.testing.assert_allclose(E, E.T)
    # arguments below -708 give 0: absolute error below the smallest normal double
    far = KernelMatrix(np.array([0.0, 1.0]), np.array([0.0, 40.0]), bandwidth=1.0).to_array()
    assert far[0, 0] == 1.0 and 0 <= far[0, 1] < 3.4e-308 and abs(far[1, 0] - np.exp(-0.5)) < 1e-16


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [1, 2, 3, 5])
@pytest.mark.parametrize("bandwidth", [0.2, 1e300])
def test_symmetric_kernel_blocks_are_exactly_hermitian(p, dtype, bandwidth):
    # rpcholesky skips its Hermitian check of sampled blocks for a KernelMatrix on the
    # strength of this: K[s, t] and K[t, s] are the same number, whichever of the
    # compiled loops (vector body or remainder, either point order) computes them
    rng = np.random.default_rng(p)
    x = (rng.random((301, p)) * 3).astype(dtype)
    K = KernelMatrix(x, bandwidth=bandwidth)
    idx = rng.permutation(301)[:157]
    G = K.entries(idx, idx)
    np.testing.assert_array_equal(G, G.T)
    full = K.entries(np.arange(301), idx)  # the full range in order is read without a gather
    np.testing.assert_array_equal(full[idx], G)


def test_kernel_matrix_is_exported():
    import skeleton
    import skeleton.matrices

    assert skeleton.KernelMatrix is KernelMatrix is skeleton.matrices.KernelMatrix


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        (dict(x=np.ones((3, 2)), bandwidth=0.0), ValueError, "bandwidth"),
        (dict(x=np.ones((3, 2)), bandwidth=-1.0), ValueError, "bandwidth"),
        (dict(x=np.ones((3, 2)), kernel="laplace"), ValueError, "kernel"),
        (dict(x=np.ones((3, 2)), y=np.ones((4, 3))), ValueError, "dimension"),
        (dict(x=np.array([[np.nan, 1.0]])), ValueError, "x"),
        (dict(x=np.ones((0, 2))), ValueError, "x"),
        (dict(x=np.ones((2, 2, 2))), ValueError, "x"),
    ],
)
def test_kernel_matrix_bad_arguments(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        KernelMatrix(**kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_bandwidth_extremes_give_the_correctly_rounded_matrix(dtype):
    x = np.random.default_rng(7).random((6, 2)).astype(dtype)
    x[3] = x[1]  # a repeated point
    same = np.all(x[:, None, :] == x[None, :, :], axis=-1)
    with np.errstate(all="raise"):
        tiny = KernelMatrix(x, bandwidth=1e-300).to_array()
        huge = KernelMatrix(x, bandwidth=1e300).to_array()
    # h -> 0: exp(-r^2 / 2h^2) is 1 for equal points and underflows to 0 otherwise
    np.testing.assert_array_equal(tiny, same.astype(dtype))
    # h -> inf: the exponent underflows to 0, every entry is 1
    np.testing.assert_array_equal(huge, np.ones((6, 6), dtype=dtype))
    for h in (1e-160, 1e-150):
        np.testing.assert_array_equal(KernelMatrix(x, bandwidth=h).to_array(), same.astype(dtype))
    for h in (1e150, 1e160):
        np.testing.assert_array_equal(KernelMatrix(x, bandwidth=h).to_array(), np.ones((6, 6), dtype=dtype))


def test_kernel_huge_bandwidth_with_huge_coordinates():
    # points h apart with h = 1e200: the squared distance (1e400) overflows a double,
    # the kernel in units of h does not
    h = 1e200
    x = np.array([[0.0], [1e200], [3e200]])
    ref = gaussian_reference(x / h, x / h, 1.0)
    np.testing.assert_allclose(KernelMatrix(x, bandwidth=h).to_array(), ref, rtol=1e-14)
    np.testing.assert_allclose(KernelMatrix(x, bandwidth=h).diagonal(), np.ones(3))
    # and a tiny bandwidth with coordinates whose squared distance overflows: entry 0
    far = KernelMatrix(np.array([0.0, 1e200]), bandwidth=1e-300).to_array()
    np.testing.assert_array_equal(far, np.eye(2))


@pytest.mark.parametrize(
    "bandwidth, exc",
    [
        (0.0, ValueError),
        (-0.2, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (-float("inf"), ValueError),
        (5e-324, ValueError),  # subnormal: 1/bandwidth overflows
        (True, TypeError),
        ("0.2", TypeError),
        (None, TypeError),
        (np.array([0.2]), TypeError),
        (1 + 2j, TypeError),
    ],
)
def test_kernel_bad_bandwidth_names_bandwidth(bandwidth, exc):
    with pytest.raises(exc, match="bandwidth"):
        KernelMatrix(np.ones((3, 2)), bandwidth=bandwidth)


def test_kernel_integer_and_numpy_scalar_bandwidths():
    x = np.random.default_rng(8).random((5, 2))
    ref = gaussian_reference(x, x, 2.0)
    for h in (2, np.float32(2.0), np.int64(2), np.float64(2.0)):
        np.testing.assert_allclose(KernelMatrix(x, bandwidth=h).to_array(), ref, rtol=1e-15)


def test_kernel_diagonal():
    g = np.random.default_rng(9)
    x, y = g.random((7, 3)), g.random((4, 3))
    assert np.array_equal(KernelMatrix(x, bandwidth=0.3).diagonal(), np.ones(7))
    K = KernelMatrix(x, y, bandwidth=0.3)
    np.testing.assert_allclose(K.diagonal(), np.diag(gaussian_reference(x, y, 0.3)), rtol=1e-15)
    assert K.diagonal().shape == (4,)
    K32 = KernelMatrix(x.astype(np.float32), y.astype(np.float32), bandwidth=0.3)
    assert K32.diagonal().dtype == np.float32
    assert np.array_equal(KernelMatrix(x, bandwidth=1e-300).diagonal(), np.ones(7))
    far = KernelMatrix(x, y + 1e3, bandwidth=1e-300).diagonal()
    assert np.array_equal(far, np.zeros(4))


def test_kernel_entries_into_a_buffer():
    x = np.random.default_rng(10).random((30, 2))
    K = KernelMatrix(x, bandwidth=0.4)
    rows, cols = np.array([3, 1, 29]), np.arange(5, 25)
    out = np.full((3, 20), np.nan)
    got = K.entries(rows, cols, out=out)
    assert got is out
    np.testing.assert_allclose(out, gaussian_reference(x, x, 0.4)[np.ix_(rows, cols)], rtol=1e-14)
    with pytest.raises(ValueError, match="out"):
        K.entries(rows, cols, out=np.empty((3, 19)))
    with pytest.raises(ValueError, match="out"):
        K.entries(rows, cols, out=np.empty((20, 3)).T)
    with pytest.raises(TypeError, match="out"):
        K.entries(rows, cols, out=np.empty((3, 20), dtype=np.float32))
    with pytest.raises(TypeError, match="out"):
        K.entries(rows, cols, out=[[0.0] * 20] * 3)


def test_kernel_exponential_is_within_two_ulp_of_numpy():
    # the inlined exponential against numpy.exp on the very same arguments
    t = np.linspace(0.0, 700.0, 200_001)
    y = np.sqrt(t)
    K = KernelMatrix(np.zeros(1), y, bandwidth=1.0)
    got = K.to_array()[0]
    ref = np.exp(-((y * y) * K._s1) * K._s2)
    ulp = np.abs(got - ref) / np.spacing(ref)
    assert ulp.max() <= 2.0
