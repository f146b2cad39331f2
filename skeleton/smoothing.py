"""The Fourier smoothing operator of S3Attention (equations (2)-(4)) and its kernels.

The paper smooths the token matrix ``X`` (n x d) along the sequence axis by a
convolution computed with FFTs:

* full form (2):  ``X_smooth = F^{-1}[F(X) . F(L0)]`` - every column of ``X`` circularly
  convolved with its own kernel column ``L0[:, j]`` (3d transforms of length n);
* used form (3):  ``X_smooth = F^{-1}[F(X S) . L]`` with the segment-average matrix S
  of (4) (d = s r; r groups of s columns replaced by their mean) and a learnable
  frequency-domain kernel ``L`` of shape (n//2+1, d).  ``X S`` has only r distinct
  columns, so r forward and d inverse transforms suffice ("r + d FFTs").

Three versions exist (see ``CLAIMS.md``) and all can be written with this module:

===================== =================================================================
eq. (3)-(4)           ``smooth(X, L, r, layout="block")`` - column j uses group j // s
appendix ``Smoother`` ``smooth(X, L, r, layout="tile")`` - ``torch.repeat`` tiles the
                      transformed block, column j uses group j mod r
repository (LRA)      ``smooth(X, L, d)`` - no averaging (r = d, s = 1), 2d FFTs
===================== =================================================================

Kernels: :func:`kaiming_kernel` (the two code versions' initialisations),
:func:`gaussian_kernel`, :func:`moving_average_kernel`, :func:`legt_kernel` (HiPPO-LegT
memory, the construction behind Proposition 3) and :func:`to_frequency`.
:func:`conv_stem` is the "CNN + BN + ReLU" stem that follows the smoother.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._backend import backend_for
from ._fft import _fft_module, next_fast_len
from ._validation import (
    check_choice,
    check_finite as _finite_or_raise,
    check_matrix,
    check_positive,
    check_real_matrix,
    check_rng,
)

__all__ = [
    "segment_average",
    "smooth",
    "smooth_full",
    "linear_fft_length",
    "to_frequency",
    "kaiming_kernel",
    "kaiming_variance",
    "gaussian_kernel",
    "moving_average_kernel",
    "legt_system",
    "legt_kernel",
    "conv_stem",
]

try:  # numba is a hard dependency; keep the module importable without it
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

_LAYOUTS = ("block", "tile")

# Below this many entries of X the fused (numba) path is not worth its call overhead.
_FUSED_MIN_ENTRIES = 1 << 14

if _HAVE_NUMBA:

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _avg_transposed(X, r, out):  # pragma: no cover - compiled
        """out[g, t] = mean(X[t, g*s:(g+1)*s]): segment means, written transposed (r, n)."""
        n, d = X.shape
        s = d // r
        inv = 1.0 / s
        for t in numba.prange(n):
            for g in range(r):
                acc = X[t, g * s] * 0.0
                for k in range(g * s, g * s + s):
                    acc += X[t, k]
                out[g, t] = acc * inv

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _mul_transposed(L, YT, out, s, tile):  # pragma: no cover - compiled
        """out[j, f] = L[f, j] * YT[g(j), f]; the d products, written transposed (d, nf).

        Blocks of 32 frequencies keep the strided reads of L in cache; the r
        transformed averages are read in place (never repeated in memory).
        """
        nf, d = L.shape
        r = YT.shape[0]
        B = 32
        nb = (nf + B - 1) // B
        for b in numba.prange(nb):
            f0 = b * B
            f1 = min(nf, f0 + B)
            for j in range(d):
                g = j % r if tile else j // s
                for f in range(f0, f1):
                    out[j, f] = L[f, j] * YT[g, f]

_MODES = ("circular", "linear")
_DOMAINS = ("frequency", "time")


# --------------------------------------------------------------------------- helpers
def _int(value, name, lo=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < lo:
        raise ValueError(f"{name} must be at least {lo}, got {value}")
    return value


def _check_groups(r, d, name="r"):
    r = _int(r, name)
    if r > d:
        raise ValueError(f"{name}={r} exceeds the number of columns d={d}")
    if d % r:
        raise ValueError(f"{name}={r} must divide the number of columns d={d} (d = s*r)")
    return r


def _complex_of(dtype):
    return np.dtype(np.complex64) if np.dtype(dtype) == np.float32 else np.dtype(np.complex128)


def linear_fft_length(n):
    """FFT length used by ``mode="linear"``: the fast length ``m >= 2n - 1``.

    Parameters
    ----------
    n : int
        Sequence length (rows of ``X``).

    Returns
    -------
    int
        ``scipy.fft.next_fast_len(2*n - 1, real=True)``.

    Raises
    ------
    ValueError
        If n < 1.
    TypeError
        If n is not an integer.

    Notes
    -----
    A linear (non-wrapping) convolution of two length-n sequences has length 2n - 1;
    zero-padding both to ``m >= 2n - 1`` makes the length-m circular convolution equal
    to it.  A frequency-domain kernel for ``smooth(..., mode="linear")`` must have
    ``m//2 + 1`` rows for this ``m`` (build it with ``to_frequency(K, m)``).

    References
    ----------
    A. V. Oppenheim, R. W. Schafer, *Discrete-Time Signal Processing*, 3rd ed.,
    Section 8.7 (linear convolution using the DFT).

    Examples
    --------
    >>> linear_fft_length(1000)
    2000
    """
    n = _int(n, "n")
    return next_fast_len(2 * n - 1)


def _segment_average(X, r, layout, xp):
    """(n, r) group means of consecutive column blocks (shared by both layouts)."""
    n, d = X.shape
    s = d // r
    if s == 1:
        return X
    return xp.mean(xp.reshape(X, (n, r, s)), axis=2)


def _expand(A, r, s, layout, xp):
    """(n, r) -> (n, d): column j takes group j // s (block) or j mod r (tile)."""
    n = A.shape[0]
    if s == 1:
        return A
    if layout == "block":
        return xp.reshape(xp.broadcast_to(A[:, :, None], (n, r, s)), (n, r * s))
    return xp.reshape(xp.broadcast_to(A[:, None, :], (n, s, r)), (n, r * s))


# --------------------------------------------------------------------------- S
def segment_average(X, r, *, layout="block", repeat=False, check_finite=True):
    """``X S``: replace each group of ``s = d / r`` consecutive columns by its mean.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Real token matrix.
    r : int
        Number of groups; must divide d.  ``r = d`` is no averaging.
    layout : {"block", "tile"}, default "block"
        How the r averages are laid out when ``repeat=True``.  ``"block"`` is the
        block-diagonal S of eq. (4): column j holds the average of group ``j // s``.
        ``"tile"`` is the appendix code (``reshape(n, fold, d//fold).mean(-1)`` then
        ``torch.repeat``): column j holds the average of group ``j mod r``.  Both
        layouts average the same groups (consecutive columns); only the placement of
        the repeats differs, so without ``repeat`` the result is the same.
    repeat : bool, default False
        Return the n x d matrix ``X S`` instead of its r distinct columns.
    check_finite : bool, default True
        Raise on NaN/inf in ``X``.

    Returns
    -------
    ndarray, shape (n, r) or (n, d)
        Group means (in X's computing dtype: float32 stays float32).

    Raises
    ------
    ValueError
        If r does not divide d, r < 1, X is not 2-D, or X holds NaN/inf.
    TypeError
        If X is complex or r is not an integer.

    Notes
    -----
    ``S = I_r (x) (1/s) 1_s 1_s^T`` (block layout) is never formed: the means are one
    reshape and one reduction, O(nd) work.  For the tile layout the matrix is
    ``S[i, j] = 1/s`` if ``i // s == j mod r``.

    References
    ----------
    Wang et al., "S3Attention", arXiv:2408.08567, eq. (4) and Appendix (``Smoother``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(2, 4)
    >>> segment_average(X, 2)
    array([[0.5, 2.5],
           [4.5, 6.5]])
    >>> segment_average(X, 2, repeat=True)[0]
    array([0.5, 0.5, 2.5, 2.5])
    >>> segment_average(X, 2, repeat=True, layout="tile")[0]
    array([0.5, 2.5, 0.5, 2.5])
    """
    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    r = _check_groups(r, d)
    check_choice(layout, _LAYOUTS, "layout")
    xp = backend.xp
    A = _segment_average(X, r, layout, xp)
    if not repeat:
        return xp.asarray(A, copy=True) if A is X else A
    return xp.asarray(_expand(A, r, d // r, layout, xp), copy=True)


# --------------------------------------------------------------------------- smooth
def _check_kernel(kernel, n, d, m, domain, mode, dtype, check, name="kernel"):
    K, kdtype = check_matrix(kernel, name)
    backend = backend_for(K, name)
    nf_c, nf_m = n // 2 + 1, m // 2 + 1
    if domain == "frequency":
        if np.dtype(K.dtype).kind != "c":
            raise ValueError(
                f"{name} must be complex for domain='frequency' (the paper's L, shape "
                f"(n//2+1, d)); got dtype {K.dtype}. Pass domain='time' for a real "
                "time-domain kernel"
            )
        want = (nf_c, d) if mode == "circular" else (nf_m, d)
        if tuple(K.shape) != want:
            if mode == "linear" and tuple(K.shape) == (nf_c, d):
                raise ValueError(
                    f"{name} has shape {tuple(K.shape)} = (n//2+1, d), a length-n spectrum; "
                    f"mode='linear' zero-pads to m = linear_fft_length(n) = {m} and needs a "
                    f"spectrum of shape (m//2+1, d) = {want} (to_frequency(K_time, {m})), "
                    "or pass the time-domain kernel with domain='time'"
                )
            raise ValueError(
                f"{name} must have shape {want} for domain='frequency', mode={mode!r}; "
                f"got {tuple(K.shape)}"
            )
        cdtype = _complex_of(dtype)
    else:
        if kdtype.kind == "c":
            raise ValueError(
                f"{name} must be real for domain='time' (shape (n, d)); got dtype {K.dtype}. "
                "Pass domain='frequency' for a spectrum"
            )
        if tuple(K.shape) != (n, d):
            raise ValueError(f"{name} must have shape (n, d) = {(n, d)} for domain='time'; got {tuple(K.shape)}")
        cdtype = dtype
    if check:
        _finite_or_raise(K, name)
    return backend.astype(K, cdtype)


def smooth(X, kernel, r, *, mode="circular", domain="frequency", layout="block", workers=None,
           check_finite=True):
    """Smoothed token matrix ``X_smooth = irfft(rfft(X S) * L)`` along the sequence axis.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Real token matrix (rows = sequence positions).
    kernel : array_like
        ``domain="frequency"``: complex spectrum L, shape ``(n//2+1, d)`` (the paper's
        learnable L) for ``mode="circular"``, or ``(m//2+1, d)`` with
        ``m = linear_fft_length(n)`` for ``mode="linear"``.
        ``domain="time"``: real time-domain kernel, shape ``(n, d)``; column j is the
        impulse response applied to output column j.
    r : int
        Number of segments (d = s r).  ``r = d`` is the repository's variant without
        averaging.
    mode : {"circular", "linear"}, default "circular"
        ``"circular"`` is the paper's computation (length-n FFTs, the convolution wraps
        around).  ``"linear"`` zero-pads to ``m = linear_fft_length(n) >= 2n - 1`` and
        keeps the first n rows: a causal linear convolution, which is what a
        recurrence (e.g. :func:`legt_kernel`) computes.
    domain : {"frequency", "time"}, default "frequency"
        How ``kernel`` is given (see above).  Wrong dtype or shape for the domain
        raises ValueError.
    layout : {"block", "tile"}, default "block"
        Which average feeds output column j: group ``j // s`` (eq. (4)) or ``j mod r``
        (the appendix code's ``torch.repeat``).  See :func:`segment_average`.
    workers : int, optional
        Threads for :mod:`scipy.fft` (default all cores, negative as in SciPy: -1 =
        all cores; ignored off the CPU).  The transforms of CuPy input run on the
        GPU (cuFFT, via the backend's ``fft_module()``; see ``skeleton/_fft.py``).
    check_finite : bool, default True
        Raise on NaN/inf in ``X`` or ``kernel``.

    Returns
    -------
    ndarray, shape (n, d)
        ``X_smooth`` in X's computing dtype (float32 stays float32; the kernel is cast
        to it).  On the fused CPU path the result is Fortran-ordered (the transposed
        view of a (d, n) buffer, so that the inverse transforms run along contiguous
        memory); ``np.ascontiguousarray`` it if C order matters.

    Raises
    ------
    ValueError
        Bad shapes, r not dividing d, kernel of the wrong shape/dtype for ``domain``
        and ``mode``, NaN/inf, ``workers=0``.
    TypeError
        Complex ``X``, non-integer ``r`` or ``workers``.

    Notes
    -----
    With ``A = X S`` (r distinct columns ``a_g``) and spectrum ``L``:

    .. math:: X_{smooth}[:, j] = \\mathcal{F}^{-1}[\\mathcal{F}(a_{g(j)}) \\odot L[:, j]],
              \\quad g(j) = \\lfloor j/s \\rfloor \\text{ (block) or } j \\bmod r \\text{ (tile)}.

    Transform count (1-D transforms of length n, or m in linear mode): **r forward
    (rfft of the r averages) + d inverse (irfft of the d products)** for a
    frequency-domain kernel - the paper's "r + d".  A time-domain kernel adds d
    forward transforms (its rfft), i.e. r + 2d; precompute ``to_frequency(K)`` when
    the kernel is reused.  The transformed averages are never repeated in memory: the
    d products are formed by broadcasting an (nf, r, 1) or (nf, 1, r) view against the
    kernel reshaped to (nf, r, s) or (nf, s, r).

    In time-domain terms, circular mode computes
    ``X_smooth[t, j] = sum_k K[k, j] A[(t - k) mod n, g(j)]`` (a circulant matrix
    applied to each column) and linear mode the lower-triangular Toeplitz product
    ``sum_{k<=t} K[k, j] A[t - k, g(j)]``.

    Implementation: for NumPy input of at least 2^14 entries a fused path runs the
    segment means and the d products as numba kernels (parallel over cores) and the
    transforms with :mod:`scipy.fft` along contiguous rows of transposed buffers
    (measured in ``docs/benchmarks/smoothing.md``); otherwise (small input, CuPy)
    the array-namespace path does the same arithmetic with broadcasting.

    References
    ----------
    Wang et al., "S3Attention: Improving Long Sequence Attention with Smoothed Skeleton
    Sketching", arXiv:2408.08567, eqs. (2)-(4).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((16, 8))
    >>> L = kaiming_kernel(16, 8, rng=1)
    >>> Y = smooth(X, L, 4)
    >>> Y.shape
    (16, 8)
    >>> K = moving_average_kernel(16, 8, 16)        # mean over the whole sequence
    >>> Z = smooth(X, K, 8, domain="time")
    >>> bool(np.allclose(Z, X.mean(axis=0)))
    True
    """
    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    r = _check_groups(r, d)
    check_choice(mode, _MODES, "mode")
    check_choice(domain, _DOMAINS, "domain")
    check_choice(layout, _LAYOUTS, "layout")
    m = n if mode == "circular" else linear_fft_length(n)
    K = _check_kernel(kernel, n, d, m, domain, mode, dtype, check_finite)
    fft = _fft_module(X, workers)
    xp = backend.xp
    s = d // r
    nf = m // 2 + 1

    if _HAVE_NUMBA and backend.name == "numpy" and n * d >= _FUSED_MIN_ENTRIES:
        # Fused CPU path: everything in the transposed (column-major) layout so that
        # the transforms run along contiguous memory.
        AT = np.empty((r, n), dtype=dtype)
        _avg_transposed(np.asarray(X), r, AT)  # asarray: drop memmap & co., no copy
        YT = fft.rfft(AT, n=m, axis=-1)  # r transforms
        Lf = fft.rfft(K, n=m, axis=0) if domain == "time" else K  # d transforms (time only)
        ZT = np.empty((d, nf), dtype=YT.dtype)
        _mul_transposed(np.asarray(Lf), YT, ZT, s, layout == "tile")
        out = fft.irfft(ZT, n=m, axis=-1, overwrite_x=True)  # d transforms
        if m != n:
            # linear mode: copy the first n entries of each row (contiguous, cheap) so
            # the result does not keep the (d, m ~ 2n) buffer alive
            out = np.ascontiguousarray(out[:, :n])
        # the transposed view is Fortran-ordered; a C-order copy would be an (n x d)
        # strided transpose costing as much as all d inverse FFTs (measured)
        return out.T

    A = _segment_average(X, r, layout, xp)
    Y = fft.rfft(A, n=m, axis=0)  # r transforms
    Lf = fft.rfft(K, n=m, axis=0) if domain == "time" else K  # d transforms (time domain only)
    if s == 1:
        Z = Lf * Y
    elif layout == "block":
        Z = xp.reshape(xp.reshape(Lf, (nf, r, s)) * Y[:, :, None], (nf, d))
    else:
        Z = xp.reshape(xp.reshape(Lf, (nf, s, r)) * Y[:, None, :], (nf, d))
    out = fft.irfft(Z, n=m, axis=0)  # d transforms
    if mode == "linear":
        out = out[:n]
    return backend.astype(out, dtype)


def smooth_full(X, kernel, *, mode="circular", workers=None, check_finite=True):
    """The paper's full form ``X_smooth = F^{-1}[F(X) * F(L0)]`` (reference and baseline).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Real token matrix.
    kernel : array_like, shape (n, d)
        Real time-domain kernel ``L0``; column j is convolved with column j of X.
    mode : {"circular", "linear"}, default "circular"
        As in :func:`smooth`.
    workers : int, optional
        Threads for :mod:`scipy.fft` (default all cores).
    check_finite : bool, default True
        Raise on NaN/inf.

    Returns
    -------
    ndarray, shape (n, d)
        ``X_smooth`` in X's computing dtype.

    Raises
    ------
    ValueError
        Shapes differ, kernel complex, NaN/inf.
    TypeError
        Complex X.

    Notes
    -----
    ``X_smooth[:, j] = L0[:, j] (*) X[:, j]`` (circular convolution, or linear when
    ``mode="linear"``) computed with **3d** transforms: d rfft of X, d rfft of L0, d
    irfft.  When X's columns are already segment-constant (``X = X S``) and
    ``L = to_frequency(L0)``, ``smooth(X, L, r)`` gives the same matrix with r + d.

    References
    ----------
    Wang et al., arXiv:2408.08567, eq. (2).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((32, 4))
    >>> K = gaussian_kernel(32, 4, 2.0)
    >>> bool(np.allclose(smooth_full(X, K), smooth(X, to_frequency(K), 4)))
    True
    """
    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    check_choice(mode, _MODES, "mode")
    m = n if mode == "circular" else linear_fft_length(n)
    K = _check_kernel(kernel, n, d, m, "time", mode, dtype, check_finite)
    fft = _fft_module(X, workers)
    Z = fft.rfft(X, n=m, axis=0)
    Z *= fft.rfft(K, n=m, axis=0)
    out = fft.irfft(Z, n=m, axis=0)
    if mode == "linear":
        out = out[:n]
    return backend.astype(out, dtype)


def to_frequency(kernel, n_fft=None, *, workers=None):
    """Spectrum of a time-domain kernel: ``rfft(kernel, n_fft, axis=0)``.

    Parameters
    ----------
    kernel : array_like, shape (n, d)
        Real time-domain kernel.
    n_fft : int, optional
        Transform length (>= n; zero-padded).  Default n (circular smoothing); use
        ``linear_fft_length(n)`` for ``smooth(..., mode="linear")``.
    workers : int, optional
        Threads for :mod:`scipy.fft`.

    Returns
    -------
    ndarray, shape (n_fft//2 + 1, d), complex
        complex64 for float32 input, else complex128.

    Raises
    ------
    ValueError
        ``n_fft < n``, NaN/inf.
    TypeError
        Complex kernel.

    Notes
    -----
    .. math:: L[f, j] = \\sum_{t=0}^{n-1} K[t, j]\\, e^{-2\\pi i f t / n_{fft}},
              \\qquad f = 0, \\dots, \\lfloor n_{fft}/2 \\rfloor,

    d real transforms (``scipy.fft.rfft``, norm "backward").  ``smooth(X,
    to_frequency(K), r)`` equals ``smooth(X, K, r, domain="time")``; computing L once
    saves the d forward transforms when a kernel is reused.

    References
    ----------
    Wang et al., arXiv:2408.08567, eq. (2) (``F(L0)``).

    Examples
    --------
    >>> import numpy as np
    >>> to_frequency(np.ones((4, 2))).shape
    (3, 2)
    >>> to_frequency(np.eye(4, 1))[:, 0]          # a unit impulse has a flat spectrum
    array([1.+0.j, 1.+0.j, 1.+0.j])
    """
    K, dtype, _ = check_real_matrix(kernel, "kernel", True)
    n = K.shape[0]
    if n_fft is None:
        n_fft = n
    n_fft = _int(n_fft, "n_fft")
    if n_fft < n:
        raise ValueError(f"n_fft={n_fft} must be at least the kernel length n={n}")
    return _fft_module(K, workers).rfft(K, n=n_fft, axis=0)


# --------------------------------------------------------------------------- kernels
def kaiming_variance(n, d):
    """Variances of :func:`kaiming_kernel`'s entries, frequency and time domain.

    Parameters
    ----------
    n, d : int
        Sequence length and number of columns.

    Returns
    -------
    dict
        ``"part"``: variance of the real and of the imaginary part of each L entry
        (``1/d``); ``"abs2"``: ``E|L|^2 = 2/d``; ``"time"``: variance of every entry of
        ``irfft(L, n)`` (the same for every time index t):
        ``(2n - 2)/(d n^2)`` for even n, ``(2n - 1)/(d n^2)`` for odd n.

    Raises
    ------
    ValueError
        n or d < 1.
    TypeError
        n or d not an integer.

    Notes
    -----
    See :func:`kaiming_kernel` for the derivation:
    :math:`\\sigma^2 = 1/d` per part and
    :math:`\\mathrm{Var}(k_t) = \\sigma^2 (1 + 4\\lfloor (n-1)/2\\rfloor + [n \\text{ even}])/n^2`.

    References
    ----------
    K. He, X. Zhang, S. Ren, J. Sun, "Delving deep into rectifiers", ICCV 2015
    (the fan-in variance 2/fan_in).

    Examples
    --------
    >>> v = kaiming_variance(8, 4)
    >>> v["part"], v["abs2"], round(v["time"], 6)
    (0.25, 0.5, 0.054688)
    """
    n, d = _int(n, "n"), _int(d, "d")
    part = 1.0 / d
    bins = 1 + 4 * ((n - 1) // 2) + (1 if n % 2 == 0 else 0)
    return {"part": part, "abs2": 2.0 * part, "time": part * bins / n**2}


def kaiming_kernel(n, d, *, distribution="normal", rng=None, dtype=np.complex128):
    """Random frequency-domain kernel L as the two code versions initialise it.

    Parameters
    ----------
    n : int
        Sequence length; L has ``n//2 + 1`` rows (rfft bins).
    d : int
        Number of columns (hidden size).
    distribution : {"normal", "uniform"}, default "normal"
        ``"normal"``: PyTorch ``kaiming_normal_(W, mode="fan_in", nonlinearity="relu")``
        (the paper's appendix ``Smoother``); ``"uniform"``: ``kaiming_uniform_`` with
        the same arguments (the repository's ``LMUFFT_nccl``).
    rng : Generator, int, SeedSequence or None
        Random state.
    dtype : complex64 or complex128, default complex128
        Output dtype.

    Returns
    -------
    ndarray, shape (n//2 + 1, d), complex
        ``L = W[..., 0] + 1j W[..., 1]`` for the real (n//2+1, d, 2) tensor W.

    Raises
    ------
    ValueError
        n, d < 1 or an unknown distribution.
    TypeError
        A non-complex dtype.

    Notes
    -----
    PyTorch's fan_in of a tensor of shape (a, b, c) is ``b c = 2d``; the ReLU gain is
    sqrt(2), so ``std = sqrt(2)/sqrt(2d) = 1/sqrt(d)`` (normal) and the uniform bound
    is ``sqrt(3) std = sqrt(3/d)`` (same variance).  Hence every real and imaginary
    part has variance ``1/d`` and ``E|L_{f,j}|^2 = 2/d``, independent of n.

    Time domain: ``k = irfft(L[:, j], n)`` (norm "backward") is

    .. math:: k_t = \\frac1n\\Big[\\mathrm{Re}\\,L_0 + 2\\sum_{f=1}^{\\lfloor (n-1)/2\\rfloor}
              (a_f\\cos\\theta_{ft} - b_f\\sin\\theta_{ft}) + [n \\text{ even}]\\,
              \\mathrm{Re}\\,L_{n/2}(-1)^t\\Big],\\quad \\theta_{ft} = 2\\pi f t/n,

    (irfft discards the imaginary parts of the DC and Nyquist bins).  With independent
    parts of variance ``sigma^2 = 1/d`` each term ``a cos - b sin`` has variance
    ``sigma^2``, so for every t

    .. math:: \\mathrm{Var}(k_t) = \\frac{\\sigma^2}{n^2}\\big(1 + 4\\lfloor (n-1)/2\\rfloor
              + [n\\text{ even}]\\big) = \\frac{2n-2}{d n^2}\\ (n \\text{ even}),\\
              \\frac{2n-1}{d n^2}\\ (n \\text{ odd}) \\approx \\frac{2}{d n}.

    :func:`kaiming_variance` returns these numbers.  (The paper's remark after
    Proposition 2 says "variance sigma^2/(2 n^2)" for the time domain; the exact value
    is the one above.)  This reproduces the distribution, not PyTorch's random stream.

    References
    ----------
    K. He et al., "Delving deep into rectifiers", ICCV 2015;
    ``torch.nn.init.kaiming_normal_`` / ``kaiming_uniform_``.

    Examples
    --------
    >>> L = kaiming_kernel(1024, 64, rng=0)
    >>> L.shape, L.dtype
    ((513, 64), dtype('complex128'))
    >>> bool(abs(L.real.var() * 64 - 1) < 0.05)
    True
    """
    n, d = _int(n, "n"), _int(d, "d")
    check_choice(distribution, ("normal", "uniform"), "distribution")
    dtype = np.dtype(dtype)
    if dtype.kind != "c" or dtype not in (np.complex64, np.complex128):
        raise TypeError(f"dtype must be complex64 or complex128, got {dtype}")
    gen = check_rng(rng)
    real = np.float32 if dtype == np.complex64 else np.float64
    std = np.sqrt(2.0) / np.sqrt(2.0 * d)
    shape = (n // 2 + 1, d, 2)
    if distribution == "normal":
        W = gen.standard_normal(shape, dtype=real) * real(std)
    else:
        bound = np.sqrt(3.0) * std
        W = gen.uniform(-bound, bound, size=shape).astype(real, copy=False)
    W = np.ascontiguousarray(W, dtype=real)
    return W.view(dtype)[..., 0]


def gaussian_kernel(n, d, width, *, dtype=np.float64):
    """Causal, normalised half-Gaussian time-domain kernel (n x d, identical columns).

    Parameters
    ----------
    n, d : int
        Kernel length (sequence length) and number of columns.
    width : float
        Standard deviation in samples (> 0).
    dtype : float32 or float64, default float64
        Floating dtype of the returned kernel (the values are computed in float64
        and rounded once).

    Returns
    -------
    ndarray, shape (n, d)
        ``K[t, j] = exp(-t^2 / (2 width^2)) / sum_u exp(-u^2 / (2 width^2))``, t = 0..n-1.

    Raises
    ------
    ValueError
        n, d < 1 or width <= 0.
    TypeError
        n or d not an integer.

    Notes
    -----
    Causal (supported on t >= 0), so ``smooth(X, K, r, domain="time", mode="linear")``
    is a Gaussian-weighted average of each position's past (the weights of the
    ``min(t+1, n)`` available lags sum to at most 1).  Use :func:`to_frequency` for
    the spectrum L.  A smooth deterministic L for comparing against the learned,
    random :func:`kaiming_kernel`.

    References
    ----------
    Wang et al., arXiv:2408.08567, Section 3 (the smoother as a low-pass convolution).

    Examples
    --------
    >>> K = gaussian_kernel(64, 3, 4.0)
    >>> K.shape, bool(np.allclose(K.sum(axis=0), 1.0))
    ((64, 3), True)
    """
    n, d = _int(n, "n"), _int(d, "d")
    width = check_positive(width, "width")
    t = np.arange(n, dtype=np.float64)
    k = np.exp(-0.5 * (t / width) ** 2)
    k /= k.sum()
    return np.ascontiguousarray(np.broadcast_to(k[:, None], (n, d)), dtype=dtype)


def moving_average_kernel(n, d, width, *, dtype=np.float64):
    """Causal moving-average kernel: ``K[t, j] = 1/width`` for ``t < width``, else 0.

    Parameters
    ----------
    n, d : int
        Kernel length and number of columns.
    width : int
        Window length, 1 <= width <= n.
    dtype : float32 or float64, default float64
        Floating dtype of the returned kernel (the values are computed in float64
        and rounded once).

    Returns
    -------
    ndarray, shape (n, d)
        ``K[t, j] = 1/width`` for ``t < width`` and 0 otherwise (each column sums
        to 1), of dtype ``dtype``.

    Raises
    ------
    ValueError
        width outside [1, n]; n or d < 1.
    TypeError
        n, d or width not an integer.

    Notes
    -----
    With ``mode="linear"`` row t of the smoothed matrix is

    .. math:: X_{smooth}[t, j] = \\frac{1}{w}\\sum_{k=0}^{\\min(t, w-1)} (XS)[t-k, j],

    the sum of the last ``min(t+1, width)`` rows divided by width; with
    ``mode="circular"`` the window wraps around to the end of the sequence.

    References
    ----------
    Oppenheim & Schafer, *Discrete-Time Signal Processing*, 3rd ed., Section 2.3
    (moving-average systems).

    Examples
    --------
    >>> moving_average_kernel(4, 1, 2)[:, 0]
    array([0.5, 0.5, 0. , 0. ])
    """
    n, d = _int(n, "n"), _int(d, "d")
    width = _int(width, "width")
    if width > n:
        raise ValueError(f"width={width} exceeds the kernel length n={n}")
    K = np.zeros((n, d), dtype=dtype)
    K[:width] = 1.0 / width
    return K


def legt_system(s, theta, *, discrete=True):
    """HiPPO-LegT state-space matrices (A, B), continuous or bilinear-discretised (dt = 1).

    Parameters
    ----------
    s : int
        State dimension N (number of Legendre coefficients).
    theta : float
        Window length (> 0), in samples.
    discrete : bool, default True
        Return the bilinear (Tustin) discretisation with step 1.

    Returns
    -------
    A : ndarray, shape (s, s)
        State matrix: continuous :math:`A`, or :math:`A_d` when ``discrete``
        (float64).
    B : ndarray, shape (s,)
        Input vector: continuous :math:`B`, or :math:`B_d` when ``discrete``
        (float64).

    Raises
    ------
    ValueError
        s < 1 or theta <= 0.
    TypeError
        s not an integer.

    Notes
    -----
    Continuous system ``c'(t) = A c(t) + B u(t)`` with (Gu et al. 2020, LegT;
    Voelker et al. 2019, eq. (2))

    .. math:: A_{ik} = \\frac{2i+1}{\\theta}\\begin{cases}(-1)^{i-k+1} & i \\ge k\\\\
              -1 & i < k\\end{cases},\\qquad B_i = \\frac{(2i+1)(-1)^i}{\\theta},

    i, k = 0..s-1 (HiPPO writes ``c' = -A c + B u`` with the sign folded into its A).
    Bilinear discretisation, dt = 1: ``Ad = (I - A/2)^{-1}(I + A/2)``,
    ``Bd = (I - A/2)^{-1} B`` (linear solves, no inverse).

    References
    ----------
    A. Gu, T. Dao, S. Ermon, A. Rudra, C. Re, "HiPPO: Recurrent memory with optimal
    polynomial projections", NeurIPS 2020 (Section 3, LegT).
    A. Voelker, I. Kajic, C. Eliasmith, "Legendre Memory Units", NeurIPS 2019.

    Examples
    --------
    >>> A, B = legt_system(3, 10.0, discrete=False)
    >>> A * 10
    array([[-1., -1., -1.],
           [ 3., -3., -3.],
           [-5.,  5., -5.]])
    >>> B * 10
    array([ 1., -3.,  5.])
    """
    s = _int(s, "s")
    theta = check_positive(theta, "theta")
    i = np.arange(s)[:, None]
    k = np.arange(s)[None, :]
    sign = np.where(i >= k, (-1.0) ** (i - k + 1), -1.0)
    A = (2 * i + 1) / theta * sign
    B = (2 * np.arange(s) + 1) * (-1.0) ** np.arange(s) / theta
    if not discrete:
        return A.astype(np.float64), B.astype(np.float64)
    I = np.eye(s)
    M = I - A / 2
    Ad = np.linalg.solve(M, I + A / 2)
    Bd = np.linalg.solve(M, B)
    return Ad, Bd


def legt_kernel(n, s, theta, *, r=1, layout="block", dtype=np.float64):
    """HiPPO-LegT impulse response as a causal convolution kernel (Proposition 3's L).

    Parameters
    ----------
    n : int
        Kernel length (sequence length).
    s : int
        State dimension = number of Legendre coefficients per segment.
    theta : float
        Memory window in samples.
    r : int, default 1
        Number of segments; the kernel has d = r*s columns.
    layout : {"block", "tile"}, default "block"
        Column order, matching :func:`smooth`'s ``layout``: block column ``g*s + i``,
        tile column ``i*r + g`` holds coefficient i of segment g.
    dtype : float32 or float64, default float64
        Floating dtype of the returned kernel (the values are computed in float64
        and rounded once).

    Returns
    -------
    ndarray, shape (n, r*s)
        ``K[t, j] = (Ad^t Bd)_{i(j)}``, t = 0..n-1 (time domain).

    Raises
    ------
    ValueError
        n, s, r < 1, theta <= 0, unknown layout.
    TypeError
        n, s or r not an integer.

    Notes
    -----
    With ``(Ad, Bd) = legt_system(s, theta)`` the recurrence
    ``c(t) = Ad c(t-1) + Bd u(t)``, ``c(-1) = 0``, unrolls to
    ``c(t) = sum_{k=0}^{t} Ad^k Bd u(t-k)``: a causal convolution with kernel
    ``K[k] = Ad^k Bd``.  Hence

    ``smooth(X, legt_kernel(n, s, theta, r=r), r, domain="time", mode="linear")``

    has in row t, columns ``g*s .. g*s+s-1``, the s LegT coefficients of segment g's
    averaged history ``u_g(0..t)`` (``u_g`` = column g of ``segment_average(X, r)``):
    ``u_g(t - tau) ~ sum_i c_i(t) P_i(tau/theta)`` (shifted Legendre P_i on [0, 1])
    for the last theta steps (the tests reconstruct a signal's window this way).
    This is the construction Proposition 3 needs, made
    exact: a time-invariant A (unlike the proof's t-dependent one) is what makes the
    memory a convolution.  ``mode="circular"`` adds wrap-around terms
    ``sum_{k>t} K[k] u(t-k+n)``; they are small only when ``Ad^t`` has decayed over
    the sequence (measured in the tests).

    Powers are built by doubling (``K[2^p:2^{p+1}] = K[:2^p] (Ad^{2^p})^T``), O(s^2 n)
    work in log n matrix products.

    References
    ----------
    Gu et al., "HiPPO", NeurIPS 2020; Voelker et al., "Legendre Memory Units",
    NeurIPS 2019; Wang et al., arXiv:2408.08567, Proposition 3.

    Examples
    --------
    >>> K = legt_kernel(100, 4, 20.0, r=2)
    >>> K.shape
    (100, 8)
    >>> Ad, Bd = legt_system(4, 20.0)
    >>> bool(np.allclose(K[1, :4], Ad @ Bd))
    True
    """
    n = _int(n, "n")
    r = _int(r, "r")
    check_choice(layout, _LAYOUTS, "layout")
    Ad, Bd = legt_system(s, theta)
    s = Ad.shape[0]
    K = np.empty((n, s))
    K[0] = Bd
    P = Ad  # Ad^(filled)
    filled = 1
    while filled < n:
        take = min(filled, n - filled)
        K[filled:filled + take] = K[:take] @ P.T
        filled += take
        if filled < n:
            P = P @ P
    if layout == "block":
        out = np.tile(K, (1, r))
    else:
        out = np.repeat(K, r, axis=1)
    return out.astype(dtype, copy=False)


# --------------------------------------------------------------------------- stem
def conv_stem(X_smooth, X, weight, bias, *, kernel_size=3, activation="relu", eps=1e-5,
              bn_weight=None, bn_bias=None, running_mean=None, running_var=None,
              check_finite=True):
    """The convolution stem after the smoother: concat -> Conv1d -> BatchNorm1d(n) -> act.

    Parameters
    ----------
    X_smooth, X : array_like, shape (n, d)
        Smoothed and original token matrices.
    weight : array_like, shape (d_out, 2d, kernel_size)
        Conv1d weight in PyTorch's layout (out channels, in channels, taps); input
        channels 0..d-1 are X_smooth's, d..2d-1 are X's.
    bias : array_like, shape (d_out,) or None
        Conv1d bias.
    kernel_size : int, default 3
        Odd number of taps; padding ``(kernel_size-1)//2`` keeps the length (3 with
        padding 1 is the paper's stem, 1 the repository's).
    activation : {"relu", "elu"}, default "relu"
        ReLU (paper) or ELU with alpha = 1 (repository).
    eps : float, default 1e-5
        BatchNorm epsilon (PyTorch's default).
    bn_weight, bn_bias : array_like, shape (n,), optional
        BatchNorm affine parameters (default 1 and 0).
    running_mean, running_var : array_like, shape (n,), optional
        If both given, normalise with them (PyTorch eval mode); otherwise with the
        statistics of this input (training-mode batch statistics for a batch of one).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in ``X_smooth``, ``X``, ``weight`` and the
        given vectors (reads all of them).

    Returns
    -------
    ndarray, shape (n, d_out)
        The stem output ``H`` (Notes), in the promoted dtype of ``X_smooth`` and
        ``X`` and on their array library.

    Raises
    ------
    ValueError
        Mismatched shapes, even kernel_size, complex weight/bias, NaN/inf.
    TypeError
        Complex ``X_smooth`` or ``X``, non-integer ``kernel_size``.

    Notes
    -----
    With ``Z = [X_smooth, X]`` zero-padded by p rows at both ends,
    ``C[t, o] = bias[o] + sum_{c, q} weight[o, c, q] Z[t + q, c]`` (PyTorch's Conv1d is a
    cross-correlation).  BatchNorm1d(n) treats the n positions as channels: position
    t is normalised with ``mu_t = mean_o C[t, o]`` and the biased variance
    ``var_t`` over the d_out channels (batch of one sample),
    ``H[t] = act(gamma_t (C[t] - mu_t)/sqrt(var_t + eps) + beta_t)``.  Dropout is
    omitted (inference).  Cost O(n d d_out kernel_size).

    References
    ----------
    Wang et al., arXiv:2408.08567, Section 3 (smoother) and Appendix code.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((10, 4)); Xs = rng.standard_normal((10, 4))
    >>> W = rng.standard_normal((4, 8, 3)); b = np.zeros(4)
    >>> H = conv_stem(Xs, X, W, b)
    >>> H.shape, bool((H >= 0).all())
    ((10, 4), True)
    """
    Xs, dtype, backend = check_real_matrix(X_smooth, "X_smooth", check_finite)
    X0, dtype0, _ = check_real_matrix(X, "X", check_finite)
    if Xs.shape != X0.shape:
        raise ValueError(f"X_smooth and X must have the same shape, got {tuple(Xs.shape)} and {tuple(X0.shape)}")
    dtype = np.promote_types(dtype, dtype0)
    n, d = Xs.shape
    kernel_size = _int(kernel_size, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (same-length padding), got {kernel_size}")
    check_choice(activation, ("relu", "elu"), "activation")
    eps = check_positive(eps, "eps", allow_zero=True)
    xp = backend.xp
    W = backend.asarray(weight) if not hasattr(weight, "shape") else weight
    if len(W.shape) != 3 or W.shape[1] != 2 * d or W.shape[2] != kernel_size:
        raise ValueError(
            f"weight must have shape (d_out, 2d, kernel_size) = (d_out, {2 * d}, {kernel_size}), "
            f"got {tuple(W.shape)}"
        )
    if np.dtype(W.dtype).kind not in "biuf":
        raise ValueError(f"weight must be real, got dtype {W.dtype}")
    d_out = W.shape[0]
    if check_finite:
        _finite_or_raise(W, "weight")
    W = backend.astype(W, dtype)

    def vec(v, name, size, default):
        if v is None:
            return xp.full(size, default, dtype=dtype)
        v = backend.asarray(v) if not hasattr(v, "shape") else v
        if tuple(v.shape) != (size,):
            raise ValueError(f"{name} must have shape ({size},), got {tuple(v.shape)}")
        if np.dtype(v.dtype).kind not in "biuf":
            raise ValueError(f"{name} must be real, got dtype {v.dtype}")
        if check_finite:
            _finite_or_raise(v, name)
        return backend.astype(v, dtype)

    b = vec(bias, "bias", d_out, 0.0)
    gamma = vec(bn_weight, "bn_weight", n, 1.0)
    beta = vec(bn_bias, "bn_bias", n, 0.0)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must be given together")
    Xs, X0 = backend.astype(Xs, dtype), backend.astype(X0, dtype)
    p = (kernel_size - 1) // 2
    # zero padding of p rows at both ends = PyTorch's Conv1d(padding=p)
    zpad = xp.zeros((p, 2 * d), dtype=dtype)
    Z = xp.concat([zpad, xp.concat([Xs, X0], axis=1), zpad], axis=0)
    C = xp.zeros((n, d_out), dtype=dtype) + b
    for q in range(kernel_size):  # tap q reads rows t + q - p: one GEMM per tap
        C = C + Z[q:q + n] @ xp.permute_dims(W[:, :, q], (1, 0))
    if running_mean is None:
        mu = xp.mean(C, axis=1)
        var = xp.var(C, axis=1)  # biased, as BatchNorm's normalisation
    else:
        mu = vec(running_mean, "running_mean", n, 0.0)
        var = vec(running_var, "running_var", n, 1.0)
    H = (C - mu[:, None]) * (gamma / xp.sqrt(var + dtype.type(eps)))[:, None] + beta[:, None]
    if activation == "relu":
        return xp.maximum(H, dtype.type(0))
    return xp.where(H > 0, H, xp.expm1(xp.minimum(H, dtype.type(0))))
