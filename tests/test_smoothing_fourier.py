"""Tests for skeleton.smoothing.fourier (the smoothing operator, eqs. (2)-(3)) against
explicit circulant / lower-triangular Toeplitz convolution matrices."""

import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings, strategies as st

import skeleton.smoothing as smoothing
import skeleton.smoothing.fourier as fourier
from _references_s3 import as_matrix, conv_matrix, dense_smooth, path  # noqa: F401
from skeleton.smoothing import (
    gaussian_kernel,
    kaiming_kernel,
    legt_kernel,
    linear_fft_length,
    moving_average_kernel,
    segment_average,
    smooth,
    smooth_full,
    to_frequency,
)


def test_public_names_unchanged():
    """Everything importable from skeleton.smoothing before the split still is."""
    old = ["segment_average", "smooth", "smooth_full", "linear_fft_length", "to_frequency",
           "kaiming_kernel", "kaiming_variance", "gaussian_kernel", "moving_average_kernel",
           "legt_system", "legt_kernel", "conv_stem"]
    assert sorted(smoothing.__all__) == sorted(old)
    for name in old:
        assert callable(getattr(smoothing, name)), name
    from skeleton.s3 import conv_stem

    assert smoothing.conv_stem is conv_stem


# ----------------------------------------------------------------- smooth vs dense
def _kernel(name, n, d, r, rng):
    """(time-domain kernel, frequency kernel or None) for each kernel family."""
    if name == "kaiming":
        L = kaiming_kernel(n, d, rng=rng, distribution=rng.choice(["normal", "uniform"]))
        return scipy.fft.irfft(L, n, axis=0), L
    if name == "gaussian":
        return gaussian_kernel(n, d, 1.0 + 3 * rng.random()), None
    if name == "moving":
        return moving_average_kernel(n, d, int(rng.integers(1, n + 1))), None
    if name == "legt":
        return legt_kernel(n, d // r, 2.0 + 10 * rng.random(), r=r), None
    return rng.standard_normal((n, d)), None


@pytest.mark.parametrize("mode", ["circular", "linear"])
@pytest.mark.parametrize("name", ["kaiming", "gaussian", "moving", "legt", "random"])
@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, 40),
    r=st.integers(1, 4),
    s=st.integers(1, 4),
    layout=st.sampled_from(["block", "tile"]),
    fused=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_smooth_equals_dense_convolution(rel, name, mode, n, r, s, layout, fused, seed):
    rng = np.random.default_rng(seed)
    d = r * s
    X = rng.standard_normal((n, d))
    Kt, Lf = _kernel(name, n, d, r, rng)
    ref = dense_smooth(X, Kt, r, mode, layout)
    old = fourier._FUSED_MIN_ENTRIES
    fourier._FUSED_MIN_ENTRIES = 1 if fused else 1 << 62
    try:
        got_t = smooth(X, Kt, r, mode=mode, domain="time", layout=layout)
        m = n if mode == "circular" else linear_fft_length(n)
        got_f = smooth(X, to_frequency(Kt, m), r, mode=mode, domain="frequency", layout=layout)
        if Lf is not None and mode == "circular":
            got_L = smooth(X, Lf, r, layout=layout)
            assert rel(got_L, ref) < 1e-12
    finally:
        fourier._FUSED_MIN_ENTRIES = old
    assert got_t.shape == (n, d)
    assert rel(got_t, ref) < 1e-12
    assert rel(got_f, ref) < 1e-12


@pytest.mark.parametrize("mode", ["circular", "linear"])
def test_smooth_full_equals_dense(rel, mode):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((33, 6))
    K = rng.standard_normal((33, 6))
    ref = np.column_stack([conv_matrix(K[:, j], mode) @ X[:, j] for j in range(6)])
    assert rel(smooth_full(X, K, mode=mode), ref) < 1e-12


def test_repository_variant_without_averaging(rel, path):
    """r = d: no segment average, each column with its own kernel (2d transforms)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64, 8))
    L = kaiming_kernel(64, 8, distribution="uniform", rng=5)
    ref = smooth_full(X, scipy.fft.irfft(L, 64, axis=0))
    assert rel(smooth(X, L, 8), ref) < 1e-12


def test_block_and_tile_layouts_differ(rel):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((32, 8))
    L = kaiming_kernel(32, 8, rng=7)
    assert rel(smooth(X, L, 2, layout="block"), smooth(X, L, 2, layout="tile")) > 1e-2


# ----------------------------------------------------------------- counting FFTs
class _Counter:
    def __init__(self, monkeypatch):
        self.forward = 0
        self.inverse = 0
        real_rfft, real_irfft = scipy.fft.rfft, scipy.fft.irfft

        def rfft(a, n=None, axis=-1, **kw):
            a = np.asarray(a)
            self.forward += a.size // a.shape[axis]
            return real_rfft(a, n=n, axis=axis, **kw)

        def irfft(a, n=None, axis=-1, **kw):
            a = np.asarray(a)
            self.inverse += a.size // a.shape[axis]
            return real_irfft(a, n=n, axis=axis, **kw)

        monkeypatch.setattr(scipy.fft, "rfft", rfft)
        monkeypatch.setattr(scipy.fft, "irfft", irfft)
        for name in ("fft", "ifft", "fftn", "ifftn", "rfftn", "irfftn"):
            monkeypatch.setattr(scipy.fft, name, self._forbidden(name))

    @staticmethod
    def _forbidden(name):
        def f(*a, **k):  # pragma: no cover - would be a failure
            raise AssertionError(f"unexpected scipy.fft.{name} call")

        return f


@pytest.mark.parametrize("mode", ["circular", "linear"])
@pytest.mark.parametrize("layout", ["block", "tile"])
def test_smooth_uses_r_plus_d_transforms(monkeypatch, path, mode, layout):
    n, d, r = 128, 32, 4
    rng = np.random.default_rng(8)
    X = rng.standard_normal((n, d))
    K0 = rng.standard_normal((n, d))
    m = n if mode == "circular" else linear_fft_length(n)
    L = to_frequency(K0, m)
    c = _Counter(monkeypatch)
    smooth(X, L, r, mode=mode, layout=layout)
    assert (c.forward, c.inverse) == (r, d)
    c.forward = c.inverse = 0
    smooth(X, K0, r, mode=mode, layout=layout, domain="time")
    assert (c.forward, c.inverse) == (r + d, d)  # the kernel's own rfft adds d
    c.forward = c.inverse = 0
    smooth_full(X, K0, mode=mode)
    assert (c.forward, c.inverse) == (2 * d, d)  # 3d in all


def test_smooth_and_smooth_full_agree_on_segment_constant_input(rel, path):
    n, d, r = 96, 24, 6
    rng = np.random.default_rng(9)
    X = segment_average(rng.standard_normal((n, d)), r, repeat=True)  # X = X S
    L0 = rng.standard_normal((n, d))
    assert rel(smooth(X, to_frequency(L0), r), smooth_full(X, L0)) < 1e-12


# ----------------------------------------------------------------- bad input, dtypes
def test_smooth_bad_input():
    X = np.ones((16, 8))
    L = kaiming_kernel(16, 8, rng=0)
    K = np.ones((16, 8))
    with pytest.raises(ValueError, match="kernel must have shape"):
        smooth(X, L[:-1], 2)
    with pytest.raises(ValueError, match="kernel must be complex"):
        smooth(X, K[:9], 2)
    with pytest.raises(ValueError, match="kernel must be real"):
        smooth(X, L, 2, domain="time")
    with pytest.raises(ValueError, match=r"kernel must have shape \(n, d\)"):
        smooth(X, K[:, :4], 2, domain="time")
    with pytest.raises(ValueError, match="mode='linear' zero-pads"):
        smooth(X, L, 2, mode="linear")
    with pytest.raises(ValueError, match="r=3 must divide"):
        smooth(X, L, 3)
    with pytest.raises(ValueError, match="r=9 exceeds"):
        smooth(X, L, 9)
    bad = X.copy()
    bad[3, 3] = np.inf
    with pytest.raises(ValueError, match="X must not contain NaN"):
        smooth(bad, L, 2)
    badL = L.copy()
    badL[0, 0] = np.nan
    with pytest.raises(ValueError, match="kernel must not contain NaN"):
        smooth(X, badL, 2)
    with pytest.raises(ValueError, match="mode"):
        smooth(X, L, 2, mode="wrap")
    with pytest.raises(ValueError, match="domain"):
        smooth(X, L, 2, domain="space")
    with pytest.raises(TypeError, match="X must be real"):
        smooth(X + 0j, L, 2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        smooth(np.ones(16), L, 2)
    with pytest.raises(ValueError, match="kernel must have shape"):
        smooth_full(X, K[:8])
    with pytest.raises(ValueError, match="n_fft"):
        to_frequency(K, 8)


@pytest.mark.parametrize("mode", ["circular", "linear"])
def test_float32_end_to_end(rel, mode, path):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((64, 16)).astype(np.float32)
    K = gaussian_kernel(64, 16, 3.0, dtype=np.float32)
    m = 64 if mode == "circular" else linear_fft_length(64)
    L = to_frequency(K, m)
    assert L.dtype == np.complex64
    Y = smooth(X, L, 4, mode=mode)
    Yt = smooth(X, K, 4, mode=mode, domain="time")
    Yf = smooth_full(X, K, mode=mode)
    ref = dense_smooth(X.astype(np.float64), K.astype(np.float64), 4, mode, "block")
    for out in (Y, Yt):
        assert out.dtype == np.float32
        assert rel(out, ref) < 1e-5
    assert Yf.dtype == np.float32
    # float64 kernel with float32 X: X's dtype wins
    assert smooth(X, to_frequency(K.astype(np.float64), m), 4, mode=mode).dtype == np.float32


def test_inputs_not_modified(path):
    rng = np.random.default_rng(13)
    X = rng.standard_normal((40, 8))
    L = kaiming_kernel(40, 8, rng=1)
    X0, L0 = X.copy(), L.copy()
    smooth(X, L, 2)
    smooth(X, L, 8)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(L, L0)


def test_linear_fft_length():
    for n in (1, 2, 7, 100, 1000, 4097):
        m = linear_fft_length(n)
        assert m >= 2 * n - 1 and m == scipy.fft.next_fast_len(2 * n - 1, real=True)
    with pytest.raises(ValueError, match="n must be at least 1"):
        linear_fft_length(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        linear_fft_length(3.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        linear_fft_length(True)


def test_numpy_matrix_input_is_converted(rel, path):
    """Regression: numpy.matrix X or kernel failed ('shape too large to be a matrix')
    or, in smooth_full, reached an in-place product that is a matrix product."""
    rng = np.random.default_rng(20)
    X = rng.standard_normal((16, 8))
    K = rng.standard_normal((16, 8))
    L = to_frequency(K)
    ref = dense_smooth(X, K, 2, "circular", "block")
    for args in ((as_matrix(X), L), (X, as_matrix(L)), (as_matrix(X), as_matrix(K))):
        domain = "time" if args[1].dtype.kind == "f" else "frequency"
        got = smooth(*args, 2, domain=domain)
        assert type(got) is np.ndarray
        assert rel(got, ref) < 1e-12
    full = smooth_full(as_matrix(X), as_matrix(K))
    assert type(full) is np.ndarray
    assert rel(full, np.column_stack([conv_matrix(K[:, j], "circular") @ X[:, j] for j in range(8)])) < 1e-12
    assert type(to_frequency(as_matrix(K))) is np.ndarray


def test_fused_path_is_a_backend_capability(monkeypatch):
    """The fused numba path is chosen by the backend's ``compiled_kernels``, not by its name."""
    from skeleton._backends.numpy import NumpyBackend

    calls = []
    real = fourier.smooth_fused
    monkeypatch.setattr(fourier, "smooth_fused", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(fourier, "_FUSED_MIN_ENTRIES", 1)
    rng = np.random.default_rng(21)
    X = rng.standard_normal((16, 8))
    L = kaiming_kernel(16, 8, rng=0)
    fused = smooth(X, L, 2)
    assert calls == [1]
    monkeypatch.setattr(NumpyBackend, "compiled_kernels", False)
    plain = smooth(X, L, 2)
    assert calls == [1]
    np.testing.assert_allclose(plain, fused, rtol=1e-13, atol=1e-14)


# ----------------------------------------------------------------- workers, FFT seam
def test_workers_argument():
    rng = np.random.default_rng(15)
    X = rng.standard_normal((256, 64))
    L = kaiming_kernel(256, 64, rng=1)
    ref = smooth(X, L, 8, workers=1)
    for w in (2, -1, None):
        np.testing.assert_allclose(smooth(X, L, 8, workers=w), ref, rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="workers must be non-zero"):
        smooth(X, L, 8, workers=0)
    with pytest.raises(TypeError, match="workers must be an integer"):
        smooth(X, L, 8, workers=1.5)
    with pytest.raises(ValueError, match="workers=-1000"):
        smooth_full(X, scipy.fft.irfft(L, 256, axis=0), workers=-1000)


class _Tagged(np.ndarray):
    """Stands in for an array library the package has no special code for."""


def test_fft_seam_uses_the_backend_namespace(rel, monkeypatch):
    """A registered backend other than NumPy/CuPy gets its transforms from
    ``backend.xp.fft`` (the Array-API fft extension); scipy.fft is not touched."""
    import array_api_compat.numpy as xpn

    from skeleton import _backends as _backend

    class TaggedBackend(_backend.Backend):
        name = "tagged"

        def __init__(self):
            super().__init__(xpn)

    monkeypatch.setattr(_backend, "_REGISTRY", list(_backend._REGISTRY))
    _backend.register_backend(lambda A: isinstance(A, _Tagged), TaggedBackend, first=True)
    counts = {"rfft": 0, "irfft": 0}

    def counting(fname):
        real = getattr(xpn.fft, fname)

        def f(a, *, n=None, axis=-1, **kw):
            counts[fname] += a.size // a.shape[axis]
            return real(a, n=n, axis=axis, **kw)

        return f

    for fname in ("rfft", "irfft"):
        monkeypatch.setattr(xpn.fft, fname, counting(fname))
    for fname in ("rfft", "irfft"):
        monkeypatch.setattr(scipy.fft, fname, _Counter._forbidden(fname))
    n, d, r = 64, 12, 3
    rng = np.random.default_rng(16)
    X = rng.standard_normal((n, d))
    K0 = rng.standard_normal((n, d))
    L = np.fft.rfft(K0, axis=0)
    got = smooth(X.view(_Tagged), L.view(_Tagged), r)
    assert counts == {"rfft": r, "irfft": d}
    ref = dense_smooth(X, K0, r, "circular", "block")
    assert rel(np.asarray(got), ref) < 1e-12


@pytest.mark.gpu
def test_cupy_input_goes_through_the_gpu_fft(rel, cp, monkeypatch):
    from skeleton._backends import backend_for

    gpu_fft = backend_for(cp.zeros((2, 2))).fft_module()  # the seam's GPU FFT module
    counts = {"rfft": 0, "irfft": 0}
    for fname in ("rfft", "irfft"):
        real = getattr(gpu_fft, fname)

        def f(a, n=None, axis=-1, _real=real, _name=fname, **kw):
            counts[_name] += a.size // a.shape[axis]
            return _real(a, n=n, axis=axis, **kw)

        monkeypatch.setattr(gpu_fft, fname, f)
    monkeypatch.setattr(scipy.fft, "rfft", _Counter._forbidden("rfft"))
    monkeypatch.setattr(scipy.fft, "irfft", _Counter._forbidden("irfft"))
    n, d, r = 512, 32, 4
    rng = np.random.default_rng(17)
    X = rng.standard_normal((n, d))
    K0 = rng.standard_normal((n, d))
    L = np.fft.rfft(K0, axis=0)
    for dt in (np.float64, np.float32):
        Y = smooth(cp.asarray(X, dtype=dt), cp.asarray(L), r)
        assert isinstance(Y, cp.ndarray) and Y.dtype == dt
        ref = dense_smooth(X, K0, r, "circular", "block")
        assert rel(cp.asnumpy(Y).astype(np.float64), ref) < (1e-12 if dt == np.float64 else 1e-5)
    assert counts == {"rfft": 2 * r, "irfft": 2 * d}
    Yl = smooth(cp.asarray(X), cp.asarray(K0), r, mode="linear", domain="time")
    assert rel(cp.asnumpy(Yl), dense_smooth(X, K0, r, "linear", "block")) < 1e-12
    Yf = smooth_full(cp.asarray(X), cp.asarray(K0))
    assert isinstance(Yf, cp.ndarray)
