"""The Fourier smoothing operator of S3Attention, equations (2)-(3).

The paper smooths the token matrix ``X`` (n x d) along the sequence axis by a
convolution computed with FFTs:

* full form (2):  ``X_smooth = F^{-1}[F(X) . F(L0)]`` - every column of ``X`` circularly
  convolved with its own kernel column ``L0[:, j]`` (3d transforms of length n);
  :func:`smooth_full`;
* used form (3):  ``X_smooth = F^{-1}[F(X S) . L]`` with the segment-average matrix S
  of (4) (:func:`~skeleton.smoothing.segment_average`) and a learnable
  frequency-domain kernel ``L`` of shape (n//2+1, d).  ``X S`` has only r distinct
  columns, so r forward and d inverse transforms suffice ("r + d FFTs");
  :func:`smooth`.

Every public function validates its arguments and then calls a private body
(``_check_smoother``, ``_smooth``) that other modules (the S3 block) call on arguments
they have already checked, so that nothing is validated or scanned twice.
"""

from __future__ import annotations

import numpy as np

from .._messages import numpy_dtype

from .._fft import _fft_module, next_fast_len
from .._validation import (
    check_choice,
    check_cast,
    check_int,
    check_matrix,
    check_real_matrix,
)
from ._fused import HAVE_NUMBA, smooth_fused
from .segments import LAYOUTS, check_groups, group_means

__all__ = ["smooth", "smooth_full", "linear_fft_length", "to_frequency"]

MODES = ("circular", "linear")
DOMAINS = ("frequency", "time")

# Below this many entries of X the fused (numba) path is not worth its call overhead.
_FUSED_MIN_ENTRIES = 1 << 14


def _complex_of(dtype):
    return np.dtype(np.complex64) if numpy_dtype(dtype) == np.float32 else np.dtype(np.complex128)


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
    n = check_int(n, "n", low=1)
    return next_fast_len(2 * n - 1)


def _check_kernel(kernel, n, d, m, domain, mode, dtype, backend, check, name="kernel"):
    """The kernel of :func:`smooth` checked for ``domain``/``mode``, on ``backend`` in the
    working dtype (complex for a spectrum); raises naming ``name``."""
    K, kdtype = check_matrix(kernel, name)
    nf_c, nf_m = n // 2 + 1, m // 2 + 1
    if domain == "frequency":
        if numpy_dtype(K.dtype).kind != "c":
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
    return check_cast(backend.asarray(K), cdtype, name, backend, check)


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
    >>> from skeleton.smoothing import kaiming_kernel, moving_average_kernel
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
    r, K, m, fft = _check_smoother(X, kernel, r, mode, domain, layout, workers, dtype, backend,
                                   check_finite)
    return _smooth(X, K, r, m, domain, layout, dtype, backend, fft)


def _check_smoother(X, kernel, r, mode, domain, layout, workers, dtype, backend, check):
    """:func:`smooth`'s arguments other than the (checked) X: ``(r, K, m, fft)`` with K
    from :func:`_check_kernel`, m the FFT length and fft the transform adapter."""
    n, d = X.shape
    r = check_groups(r, d)
    check_choice(mode, MODES, "mode")
    check_choice(domain, DOMAINS, "domain")
    check_choice(layout, LAYOUTS, "layout")
    m = n if mode == "circular" else linear_fft_length(n)
    K = _check_kernel(kernel, n, d, m, domain, mode, dtype, backend, check)
    return r, K, m, _fft_module(X, workers)


def _smooth(X, K, r, m, domain, layout, dtype, backend, fft):
    """:func:`smooth` on checked arguments: X (n, d) in ``dtype``, K from
    :func:`_check_kernel`, FFT length m (n: circular, ``linear_fft_length(n)``: linear)."""
    n, d = X.shape
    if HAVE_NUMBA and getattr(backend, "compiled_kernels", False) and n * d >= _FUSED_MIN_ENTRIES:
        return smooth_fused(X, K, r, m, domain, layout, dtype, fft)
    xp = backend.xp
    s = d // r
    nf = m // 2 + 1
    A = group_means(X, r, xp)
    Y = fft.rfft(A, n=m, axis=0)  # r transforms
    Lf = fft.rfft(K, n=m, axis=0) if domain == "time" else K  # d transforms (time domain only)
    # the d products by broadcasting an (nf, r, 1) or (nf, 1, r) view of the r
    # transformed averages against the kernel: nothing is repeated in memory
    if s == 1:
        Z = Lf * Y
    elif layout == "block":
        Z = xp.reshape(xp.reshape(Lf, (nf, r, s)) * Y[:, :, None], (nf, d))
    else:
        Z = xp.reshape(xp.reshape(Lf, (nf, s, r)) * Y[:, None, :], (nf, d))
    out = fft.irfft(Z, n=m, axis=0)  # d transforms
    if m != n:
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
    >>> from skeleton.smoothing import gaussian_kernel
    >>> X = np.random.default_rng(0).standard_normal((32, 4))
    >>> K = gaussian_kernel(32, 4, 2.0)
    >>> bool(np.allclose(smooth_full(X, K), smooth(X, to_frequency(K), 4)))
    True
    """
    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    check_choice(mode, MODES, "mode")
    m = n if mode == "circular" else linear_fft_length(n)
    K = _check_kernel(kernel, n, d, m, "time", mode, dtype, backend, check_finite)
    fft = _fft_module(X, workers)
    Z = fft.rfft(X, n=m, axis=0) * fft.rfft(K, n=m, axis=0)
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
    n_fft = check_int(n_fft, "n_fft", low=1)
    if n_fft < n:
        raise ValueError(f"n_fft={n_fft} must be at least the kernel length n={n}")
    return _fft_module(K, workers).rfft(K, n=n_fft, axis=0)

