"""Tests for skeleton.smoothing against dense references written here.

References: explicit circulant / lower-triangular Toeplitz convolution matrices, an
explicit segment-average matrix S, a step-by-step state-space recurrence, explicit
loops for the convolution stem.
"""

import numpy as np
import pytest
import scipy.fft
import scipy.stats
from hypothesis import given, settings, strategies as st

import skeleton.smoothing as sm
from skeleton.smoothing import (
    conv_stem,
    gaussian_kernel,
    kaiming_kernel,
    kaiming_variance,
    legt_kernel,
    legt_system,
    linear_fft_length,
    moving_average_kernel,
    segment_average,
    smooth,
    smooth_full,
    to_frequency,
)


# ----------------------------------------------------------------- dense references
def S_matrix(d, r, layout):
    s = d // r
    S = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            g = j // s if layout == "block" else j % r
            if i // s == g:
                S[i, j] = 1.0 / s
    return S


def conv_matrix(k, mode):
    """Circulant (mode circular) or lower-triangular Toeplitz matrix of kernel k."""
    n = k.shape[0]
    t = np.arange(n)[:, None]
    u = np.arange(n)[None, :]
    if mode == "circular":
        return k[(t - u) % n]
    M = np.where(t >= u, k[np.clip(t - u, 0, n - 1)], 0.0)
    return M


def dense_smooth(X, K_time, r, mode, layout):
    A = X @ S_matrix(X.shape[1], r, layout)
    return np.column_stack([conv_matrix(K_time[:, j], mode) @ A[:, j] for j in range(X.shape[1])])


def rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


@pytest.fixture(params=["fused", "namespace"])
def path(request, monkeypatch):
    """Run a test on both implementations (numba-fused and array-namespace)."""
    if request.param == "fused":
        monkeypatch.setattr(sm, "_FUSED_MIN_ENTRIES", 1)
    else:
        monkeypatch.setattr(sm, "_FUSED_MIN_ENTRIES", 1 << 62)
    return request.param


# ----------------------------------------------------------------- segment average
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
    with pytest.raises(ValueError, match="layout"):
        segment_average(X, 2, layout="bad")
    with pytest.raises(ValueError, match="X must not contain NaN"):
        segment_average(np.full((2, 2), np.nan), 1)
    assert segment_average(X.astype(np.float32), 3).dtype == np.float32
    assert segment_average(np.ones((3, 4), dtype=int), 2).dtype == np.float64
    Y = np.arange(12.0).reshape(3, 4)
    before = Y.copy()
    segment_average(Y, 4)[0, 0] = 99  # r = d returns a copy
    np.testing.assert_array_equal(Y, before)


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
def test_smooth_equals_dense_convolution(name, mode, n, r, s, layout, fused, seed):
    rng = np.random.default_rng(seed)
    d = r * s
    X = rng.standard_normal((n, d))
    Kt, Lf = _kernel(name, n, d, r, rng)
    ref = dense_smooth(X, Kt, r, mode, layout)
    old = sm._FUSED_MIN_ENTRIES
    sm._FUSED_MIN_ENTRIES = 1 if fused else 1 << 62
    try:
        got_t = smooth(X, Kt, r, mode=mode, domain="time", layout=layout)
        m = n if mode == "circular" else linear_fft_length(n)
        got_f = smooth(X, to_frequency(Kt, m), r, mode=mode, domain="frequency", layout=layout)
        if Lf is not None and mode == "circular":
            got_L = smooth(X, Lf, r, layout=layout)
            assert rel(got_L, ref) < 1e-12
    finally:
        sm._FUSED_MIN_ENTRIES = old
    assert got_t.shape == (n, d)
    assert rel(got_t, ref) < 1e-12
    assert rel(got_f, ref) < 1e-12


@pytest.mark.parametrize("mode", ["circular", "linear"])
def test_smooth_full_equals_dense(mode):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((33, 6))
    K = rng.standard_normal((33, 6))
    ref = np.column_stack([conv_matrix(K[:, j], mode) @ X[:, j] for j in range(6)])
    assert rel(smooth_full(X, K, mode=mode), ref) < 1e-12


def test_repository_variant_without_averaging(path):
    """r = d: no segment average, each column with its own kernel (2d transforms)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64, 8))
    L = kaiming_kernel(64, 8, distribution="uniform", rng=5)
    ref = smooth_full(X, scipy.fft.irfft(L, 64, axis=0))
    assert rel(smooth(X, L, 8), ref) < 1e-12


def test_block_and_tile_layouts_differ():
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


def test_smooth_and_smooth_full_agree_on_segment_constant_input(path):
    n, d, r = 96, 24, 6
    rng = np.random.default_rng(9)
    X = segment_average(rng.standard_normal((n, d)), r, repeat=True)  # X = X S
    L0 = rng.standard_normal((n, d))
    assert rel(smooth(X, to_frequency(L0), r), smooth_full(X, L0)) < 1e-12


# ----------------------------------------------------------------- LegT
def test_legt_system_matches_hippo_formulas():
    s, theta = 5, 7.0
    A = np.zeros((s, s))
    for i in range(s):
        for k in range(s):
            A[i, k] = (2 * i + 1) / theta * ((-1.0) ** (i - k + 1) if i >= k else -1.0)
    B = np.array([(2 * i + 1) * (-1.0) ** i / theta for i in range(s)])
    Ac, Bc = legt_system(s, theta, discrete=False)
    np.testing.assert_allclose(Ac, A, rtol=1e-15)
    np.testing.assert_allclose(Bc, B, rtol=1e-15)
    Ad, Bd = legt_system(s, theta)
    I = np.eye(s)
    np.testing.assert_allclose((I - A / 2) @ Ad, I + A / 2, atol=1e-13)
    np.testing.assert_allclose((I - A / 2) @ Bd, B, atol=1e-13)
    # stable: the continuous LegT matrix is Hurwitz, so Ad is a contraction in spectrum
    assert np.max(np.abs(np.linalg.eigvals(Ad))) < 1


@pytest.mark.parametrize("layout", ["block", "tile"])
def test_legt_linear_smoothing_is_the_recurrence(layout, path):
    n, s, r, theta = 300, 6, 3, 40.0
    d = r * s
    rng = np.random.default_rng(10)
    X = np.cumsum(rng.standard_normal((n, d)), axis=0) / 10
    Ad, Bd = legt_system(s, theta)
    U = segment_average(X, r)  # (n, r) averaged histories
    C = np.zeros((n, r, s))
    c = np.zeros((r, s))
    for t in range(n):
        c = c @ Ad.T + U[t][:, None] * Bd[None, :]  # c_g(t) = Ad c_g(t-1) + Bd u_g(t)
        C[t] = c
    ref = C.reshape(n, d) if layout == "block" else C.transpose(0, 2, 1).reshape(n, d)
    K = legt_kernel(n, s, theta, r=r, layout=layout)
    lin = smooth(X, K, r, mode="linear", domain="time", layout=layout)
    assert rel(lin, ref) < 1e-12
    circ = smooth(X, K, r, mode="circular", domain="time", layout=layout)
    err = rel(circ, ref)
    first = rel(circ[:50], ref[:50])
    late = rel(circ[-50:], ref[-50:])
    print(f"\nLegT n={n} s={s} theta={theta}: circular vs recurrence rel. error {err:.3e} "
          f"(rows 0-49: {first:.3e}, last 50 rows: {late:.3e}); "
          f"|K[n-1]|/|K[0]| = {np.linalg.norm(K[-1]) / np.linalg.norm(K[0]):.2e}")
    assert err > 1e-6  # circular wraps around: not the recurrence
    assert late < first  # the wrap-around hurts the early rows most


def test_legt_kernel_rows_are_powers():
    n, s, theta = 70, 4, 9.0
    Ad, Bd = legt_system(s, theta)
    K = legt_kernel(n, s, theta)
    v = Bd.copy()
    for t in range(n):
        np.testing.assert_allclose(K[t], v, rtol=1e-11, atol=1e-14)
        v = Ad @ v


# ----------------------------------------------------------------- Kaiming variance
def _chi2_ok(sumsq, N, var, alpha):
    """Two-sided chi-square test of sum of N squared N(0, var) draws."""
    stat = sumsq / var
    lo, hi = scipy.stats.chi2.ppf([alpha / 2, 1 - alpha / 2], N)
    return lo <= stat <= hi


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize("n", [64, 63])
def test_kaiming_variance(distribution, n):
    d = 4000
    L = kaiming_kernel(n, d, distribution=distribution, rng=11)
    v = kaiming_variance(n, d)
    assert L.shape == (n // 2 + 1, d)
    # frequency domain: real and imaginary parts, variance 1/d (mean 0)
    for part in (L.real, L.imag):
        N = part.size
        m2 = np.mean(part**2)
        m4 = np.mean(part**4)
        se = np.sqrt((m4 - m2**2) / N)  # standard error of the mean of squares
        assert abs(m2 - v["part"]) < 5 * se
    assert abs(np.mean(np.abs(L) ** 2) - v["abs2"]) < 5 * np.sqrt(np.var(np.abs(L) ** 2) / L.size)
    if distribution == "uniform":
        assert np.max(np.abs(L.real)) <= np.sqrt(3.0 / d) + 1e-15
    # time domain: every time index has the same variance; the d columns are independent
    k = scipy.fft.irfft(L, n, axis=0)
    alpha = 1e-4 / n  # Bonferroni over the n time indices
    for t in range(n):
        if distribution == "normal":  # k_t is exactly Gaussian
            assert _chi2_ok(np.sum(k[t] ** 2), d, v["time"], alpha), t
        else:  # a sum of uniforms: z-test with the empirical fourth moment
            m2 = np.mean(k[t] ** 2)
            se = np.sqrt((np.mean(k[t] ** 4) - m2**2) / d)
            assert abs(m2 - v["time"]) < 5 * se, t
    # the formula is not the paper's sigma^2/(2 n^2): it is about 2/(d n)
    assert abs(v["time"] * d * n / 2 - 1) < 2 / n


def test_kaiming_dtype_and_errors():
    assert kaiming_kernel(8, 2, rng=0, dtype=np.complex64).dtype == np.complex64
    with pytest.raises(ValueError, match="distribution"):
        kaiming_kernel(8, 2, distribution="cauchy")
    with pytest.raises(TypeError, match="dtype"):
        kaiming_kernel(8, 2, dtype=np.float64)
    np.testing.assert_array_equal(kaiming_kernel(8, 2, rng=3), kaiming_kernel(8, 2, rng=3))


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
def test_float32_end_to_end(mode, path):
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


# ----------------------------------------------------------------- conv stem
def dense_stem(Xs, X, W, b, act, eps, gamma=None, beta=None, rm=None, rv=None):
    n, d = X.shape
    Z = np.concatenate([Xs, X], axis=1)
    k = W.shape[2]
    p = (k - 1) // 2
    C = np.zeros((n, W.shape[0]))
    for t in range(n):
        for o in range(W.shape[0]):
            acc = b[o]
            for q in range(k):
                tt = t + q - p
                if 0 <= tt < n:
                    acc += W[o, :, q] @ Z[tt]
            C[t, o] = acc
    mu = C.mean(axis=1) if rm is None else rm
    var = C.var(axis=1) if rv is None else rv
    gamma = np.ones(n) if gamma is None else gamma
    beta = np.zeros(n) if beta is None else beta
    H = (C - mu[:, None]) / np.sqrt(var[:, None] + eps) * gamma[:, None] + beta[:, None]
    return np.maximum(H, 0) if act == "relu" else np.where(H > 0, H, np.expm1(np.minimum(H, 0)))


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


# ----------------------------------------------------------------- LegT memory
def test_legt_rows_hold_legendre_coefficients_of_the_window():
    """Row t of the linear LegT smoothing reconstructs the last theta samples with
    shifted Legendre polynomials: u(t - tau) ~ sum_i c_i(t) P_i(2 tau / theta - 1)."""
    from scipy.special import eval_legendre

    n, s, theta = 600, 8, 60.0
    t = np.arange(n)
    u = np.sin(2 * np.pi * t / 150) + 0.5 * np.cos(2 * np.pi * t / 97)
    X = np.repeat(u[:, None], s, axis=1)  # r = 1: the segment average is u itself
    C = smooth(X, legt_kernel(n, s, theta), 1, mode="linear", domain="time")
    taus = np.arange(int(theta) + 1)
    P = np.column_stack([eval_legendre(i, 2 * taus / theta - 1) for i in range(s)])
    worst = max(np.max(np.abs(P @ C[tt] - u[tt - taus])) for tt in range(200, n, 50))
    # bilinear discretisation with dt = 1 and 8 coefficients: a few percent of max|u|
    assert worst < 0.05 * np.max(np.abs(u))
    # the reversed window (tau -> theta - tau) is not what the rows encode
    Prev = P[::-1]
    assert max(np.max(np.abs(Prev @ C[tt] - u[tt - taus])) for tt in range(200, n, 50)) > 0.5


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


def test_fft_seam_uses_the_backend_namespace(monkeypatch):
    """A registered backend other than NumPy/CuPy gets its transforms from
    ``backend.xp.fft`` (the Array-API fft extension); scipy.fft is not touched."""
    import array_api_compat.numpy as xpn

    from skeleton import _backend

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
def test_cupy_input_goes_through_the_gpu_fft(monkeypatch):
    cp = pytest.importorskip("cupy")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except cp.cuda.runtime.CUDARuntimeError:
        pytest.skip("no CUDA device")
    from skeleton._backend import backend_for

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
