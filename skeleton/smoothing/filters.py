"""Deterministic causal smoothing filters: a half-Gaussian and a moving average.

Smooth, reproducible time-domain kernels (shape (n, d)) to set against the learned,
random :func:`~skeleton.smoothing.kaiming_kernel`; pass them to
:func:`~skeleton.smoothing.smooth` with ``domain="time"`` or take their spectrum with
:func:`~skeleton.smoothing.to_frequency`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float_dtype, check_int, check_positive

__all__ = ["gaussian_kernel", "moving_average_kernel"]

_REAL = (np.float32, np.float64)


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
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
    width = check_positive(width, "width")
    dtype = check_float_dtype(dtype, _REAL)
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
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
    width = check_int(width, "width", low=1)
    if width > n:
        raise ValueError(f"width={width} exceeds the kernel length n={n}")
    dtype = check_float_dtype(dtype, _REAL)
    K = np.zeros((n, d), dtype=dtype)
    K[:width] = 1.0 / width
    return K
