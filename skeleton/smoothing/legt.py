"""HiPPO-LegT memory as a smoothing kernel (the construction behind Proposition 3).

The Legendre memory ``c(t) = Ad c(t-1) + Bd u(t)`` of a time-invariant state-space
system is a causal convolution with kernel ``K[k] = Ad^k Bd``; :func:`legt_kernel`
builds that kernel so that :func:`~skeleton.smoothing.smooth` (``mode="linear"``)
computes the memory of every segment average in one pass.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_bool, check_choice, check_float_dtype, check_int, check_positive
from .segments import LAYOUTS

__all__ = ["legt_system", "legt_kernel"]


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
    s = check_int(s, "s", low=1)
    theta = check_positive(theta, "theta")
    discrete = check_bool(discrete, "discrete")
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
    n = check_int(n, "n", low=1)
    r = check_int(r, "r", low=1)
    check_choice(layout, LAYOUTS, "layout")
    dtype = check_float_dtype(dtype, (np.float32, np.float64))
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
