"""Property tests (hypothesis) of every public routine of skeleton.smoothing (the
property and the strategies: ``_strategies_s3``).

Scale behaviour: ``segment_average`` (X), ``smooth``, ``smooth_full`` (X and kernel) and
``to_frequency`` (kernel) are linear, hence scale-equivariant, and are drawn at scales
up to 1e+-200.  The parameter-only routines (``linear_fft_length``, ``kaiming_kernel``,
``kaiming_variance``, ``gaussian_kernel``, ``moving_average_kernel``, ``legt_system``,
``legt_kernel``) are checked against their formulas, shapes, dtypes and argument
errors.
"""

import math

import numpy as np
from hypothesis import event, given, strategies as st

import skeleton.smoothing.fourier as fourier
from _references_s3 import S_matrix, conv_matrix, dense_irfft, dense_rfft, legt_continuous
from _strategies_s3 import (
    arrays,
    assert_close,
    complex_arrays,
    eps_of,
    f64,
    profile,
    raises_naming,
    smooth_reference,
    snapshot,
    underflow_floor,
    unchanged,
    work_dtype,
)
from skeleton.smoothing import (
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


@profile(80)
@given(data=st.data())
def test_segment_average(data):
    n, d = data.draw(st.integers(1, 10)), data.draw(st.integers(1, 12))
    X, _ = data.draw(arrays((n, d), scaled=True))
    r = data.draw(st.integers(0, d + 1))
    layout, repeat = data.draw(st.sampled_from(["block", "tile"])), data.draw(st.booleans())
    copies = snapshot(X)
    if r < 1 or r > d or d % r:
        with raises_naming("r"):
            segment_average(X, r, layout=layout, repeat=repeat)
    else:
        out = segment_average(X, r, layout=layout, repeat=repeat)
        ref = f64(X) @ S_matrix(d, r, layout)
        if not repeat:  # the r distinct columns: group g sits in column g*s (block) or g (tile)
            s = d // r
            ref = ref[:, [g * s if layout == "block" else g for g in range(r)]]
        tol = 4 * eps_of(X.dtype) * np.abs(f64(X)).max(axis=1, keepdims=True)
        assert_close(out, ref, tol, work_dtype(X.dtype))
    unchanged([X], copies)


@profile(150)
@given(data=st.data())
def test_smooth(data):
    n = data.draw(st.integers(1, 12))
    r, s = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    d = r * s
    mode = data.draw(st.sampled_from(["circular", "linear"]))
    domain = data.draw(st.sampled_from(["frequency", "time"]))
    layout = data.draw(st.sampled_from(["block", "tile"]))
    X, kx = data.draw(arrays((n, d), scaled=True))
    m = n if mode == "circular" else linear_fft_length(n)
    if domain == "frequency":
        kernel, _ = data.draw(complex_arrays((m // 2 + 1, d), scaled=kx == 0 and work_dtype(X.dtype) == np.float64))
    else:
        kernel, _ = data.draw(arrays((n, d), scaled=False))
    bad = data.draw(st.sampled_from([None] * 6 + ["r", "kernel", "X", "mode", "workers"]))
    args, kw = [X, kernel, r], {"mode": mode, "domain": domain, "layout": layout}
    if bad == "r":
        args[2] = data.draw(st.sampled_from([0, d + 1, 2.0, True]))
        if args[2] == d + 1 and d + 1 <= d:  # pragma: no cover
            bad = None
    elif bad == "kernel":
        args[1] = data.draw(st.sampled_from([kernel[:-1], kernel.real if domain == "frequency" else kernel + 0j,
                                             np.where(np.ones(kernel.shape, bool), np.nan, kernel)]))
    elif bad == "X":
        args[0] = data.draw(st.sampled_from([X[:, 0], np.full(X.shape, np.inf), X + 1j]))
    elif bad == "mode":
        kw["mode"] = "wrap"
    elif bad == "workers":
        kw["workers"] = data.draw(st.sampled_from([0, 1.5]))
    fused = data.draw(st.booleans())
    event(f"bad argument: {bad}")
    copies = snapshot(X, kernel)
    old = fourier._FUSED_MIN_ENTRIES
    fourier._FUSED_MIN_ENTRIES = 1 if fused else 1 << 62
    try:
        if bad is not None:
            with raises_naming(bad):
                smooth(*args, **kw)
        else:
            out = smooth(*args, **kw)
            ref, A, m, Lmax = smooth_reference(X, kernel, r, mode, domain, layout)
            col = math.sqrt(n) * np.abs(A).max()  # bounds ||a_j||_2 (no squares: no underflow)
            tol = 30 * eps_of(X.dtype, kernel.real.dtype) * math.log2(2 * m) * (Lmax * col)
            assert_close(out, ref, tol + underflow_floor(X.dtype, m * d), work_dtype(X.dtype))
    finally:
        fourier._FUSED_MIN_ENTRIES = old
    unchanged([X, kernel], copies)


@profile(80)
@given(data=st.data())
def test_smooth_full_and_to_frequency(data):
    n, d = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 5))
    mode = data.draw(st.sampled_from(["circular", "linear"]))
    X, kx = data.draw(arrays((n, d), scaled=True))
    K, _ = data.draw(arrays((n, d), scaled=kx == 0))
    copies = snapshot(X, K)
    if np.abs(f64(K)).max() > np.finfo(work_dtype(X.dtype)).max:  # K cast to X's dtype overflows
        with raises_naming("kernel"):
            smooth_full(X, K, mode=mode)
        return
    out = smooth_full(X, K, mode=mode)
    ref = np.column_stack([conv_matrix(f64(K)[:, j], mode) @ f64(X)[:, j] for j in range(d)])
    m = n if mode == "circular" else linear_fft_length(n)
    Lmax = np.abs(dense_rfft(f64(K), m)).max()
    tol = 30 * eps_of(X.dtype, K.dtype) * math.log2(2 * m) * (Lmax * np.abs(f64(X)).max()) * math.sqrt(n)
    assert_close(out, ref, tol + underflow_floor(X.dtype, m), work_dtype(X.dtype))
    n_fft = data.draw(st.integers(n - 1, 2 * n + 3))
    if n_fft < n or n_fft < 1:
        with raises_naming("n_fft"):
            to_frequency(K, n_fft)
    else:
        L = to_frequency(K, n_fft)
        refL = dense_rfft(f64(K), n_fft)
        cdt = np.complex64 if work_dtype(K.dtype) == np.float32 else np.complex128
        tol = 8 * eps_of(K.dtype) * math.log2(2 * n_fft) * np.abs(f64(K)).sum(axis=0).max()
        assert L.dtype == cdt and np.isfinite(L).all()
        assert np.abs(L - refL).max() <= tol + underflow_floor(K.dtype, n_fft)
    with raises_naming("kernel"):
        smooth_full(X, K[:, :-1] if d > 1 else K[:-1] if n > 1 else K + 1j, mode=mode)
    unchanged([X, K], copies)


@profile(60)
@given(n=st.integers(-2, 5000) | st.sampled_from([2.0, True, "8"]))
def test_linear_fft_length(n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        with raises_naming("n"):
            linear_fft_length(n)
        return
    m = linear_fft_length(n)

    def smooth5(v):
        for p in (2, 3, 5):
            while v % p == 0:
                v //= p
        return v == 1

    assert m >= 2 * n - 1 and smooth5(m)
    assert not any(smooth5(v) for v in range(2 * n - 1, m))  # the smallest such length


# ----------------------------------------------------------------- kernels
POSITIVE = st.integers(1, 20)
BAD_INTS = st.sampled_from([0, -3, 2.0, True, "4", None])


@profile(60)
@given(n=POSITIVE | BAD_INTS, d=POSITIVE | BAD_INTS, dist=st.sampled_from(["normal", "uniform", "cauchy"]),
       dtype=st.sampled_from([np.complex128, np.complex64, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_kaiming_kernel_and_variance(n, d, dist, dtype, seed):
    valid_int = [isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (n, d)]
    if not all(valid_int):
        with raises_naming("n" if not valid_int[0] else "d"):
            kaiming_kernel(n, d, distribution=dist, rng=seed, dtype=dtype)
        with raises_naming("n" if not valid_int[0] else "d"):
            kaiming_variance(n, d)
        return
    if dist == "cauchy" or dtype == np.float64:
        with raises_naming("distribution" if dist == "cauchy" else "dtype"):
            kaiming_kernel(n, d, distribution=dist, rng=seed, dtype=dtype)
        return
    L = kaiming_kernel(n, d, distribution=dist, rng=seed, dtype=dtype)
    assert L.shape == (n // 2 + 1, d) and L.dtype == dtype and np.isfinite(L).all()
    np.testing.assert_array_equal(L, kaiming_kernel(n, d, distribution=dist, rng=seed, dtype=dtype))
    if dist == "uniform":
        bound = np.sqrt(3.0 / d) * (1 + 1e-6)
        assert np.abs(L.real).max() <= bound and np.abs(L.imag).max() <= bound
    # the closed-form variances against a direct sum over the DFT (as in the docstring)
    v = kaiming_variance(n, d)
    nf = n // 2 + 1
    g = dense_irfft(np.eye(nf), n), dense_irfft(1j * np.eye(nf), n)
    var_t = (np.sum(g[0] ** 2, axis=1) + np.sum(g[1] ** 2, axis=1)) / d
    np.testing.assert_allclose(var_t, v["time"], rtol=1e-12)
    assert v["part"] == 1 / d and v["abs2"] == 2 / d


@profile(60)
@given(n=POSITIVE | BAD_INTS, d=st.integers(1, 4), width=st.floats(0.1, 30) | st.sampled_from([0.0, -1.0, np.nan, np.inf]),
       iwidth=st.integers(-1, 25), dtype=st.sampled_from([np.float64, np.float32, np.int32, np.complex128]))
def test_gaussian_and_moving_average_kernels(n, d, width, iwidth, dtype):
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        with raises_naming("n"):
            gaussian_kernel(n, d, 1.0)
        with raises_naming("n"):
            moving_average_kernel(n, d, 1)
        return
    if not (np.isfinite(width) and width > 0):
        with raises_naming("width"):
            gaussian_kernel(n, d, width)
    elif np.dtype(dtype).kind != "f":
        with raises_naming("dtype"):
            gaussian_kernel(n, d, width, dtype=dtype)
    else:
        K = gaussian_kernel(n, d, width, dtype=dtype)
        t = np.arange(n)
        w = np.exp(-t**2 / (2 * width**2))
        assert K.dtype == dtype and K.shape == (n, d)
        np.testing.assert_allclose(K, np.column_stack([w / w.sum()] * d), rtol=4 * np.finfo(dtype).eps, atol=1e-300)
    if not 1 <= iwidth <= n:
        with raises_naming("width"):
            moving_average_kernel(n, d, iwidth)
    elif np.dtype(dtype).kind != "f":
        with raises_naming("dtype"):
            moving_average_kernel(n, d, iwidth, dtype=dtype)
    else:
        M = moving_average_kernel(n, d, iwidth, dtype=dtype)
        ref = np.where(np.arange(n)[:, None] < iwidth, 1.0 / iwidth, 0.0) * np.ones(d)
        assert M.dtype == dtype
        np.testing.assert_allclose(M, ref, rtol=np.finfo(dtype).eps)


@profile(60)
@given(s=st.integers(1, 8) | BAD_INTS, theta=st.floats(0.5, 50) | st.sampled_from([0.0, -2.0, np.inf]),
       n=st.integers(1, 40), r=st.integers(1, 3), layout=st.sampled_from(["block", "tile", "diag"]),
       discrete=st.sampled_from([True, False, "yes"]))
def test_legt_system_and_kernel(s, theta, n, r, layout, discrete):
    if not (isinstance(s, int) and not isinstance(s, bool) and s >= 1):
        with raises_naming("s"):
            legt_system(s, 10.0)
        return
    if not (np.isfinite(theta) and theta > 0):
        with raises_naming("theta"):
            legt_kernel(n, s, theta, r=r)
        return
    if discrete == "yes":
        with raises_naming("discrete"):
            legt_system(s, theta, discrete=discrete)
        return
    A, B = legt_continuous(s, theta)
    Ac, Bc = legt_system(s, theta, discrete=False)
    np.testing.assert_allclose(Ac, A, rtol=1e-15)
    np.testing.assert_allclose(Bc, B, rtol=1e-15)
    Ad, Bd = legt_system(s, theta)
    I = np.eye(s)
    np.testing.assert_allclose((I - A / 2) @ Ad, I + A / 2, atol=1e-12 * np.abs(A).max() * s)
    np.testing.assert_allclose((I - A / 2) @ Bd, B, atol=1e-12 * np.abs(B).max() * s)
    if layout == "diag":
        with raises_naming("layout"):
            legt_kernel(n, s, theta, r=r, layout=layout)
        return
    K = legt_kernel(n, s, theta, r=r, layout=layout)
    powers = np.array([np.linalg.matrix_power(Ad, t) @ Bd for t in range(n)])  # (n, s)
    ref = np.tile(powers, (1, r)) if layout == "block" else np.repeat(powers, r, axis=1)
    assert K.shape == (n, r * s) and np.isfinite(K).all()
    np.testing.assert_allclose(K, ref, rtol=1e-10, atol=1e-12 * np.abs(Bd).max())
