"""Kaiming initialisation of the frequency-domain smoothing kernel L.

The two code versions of S3Attention initialise L (shape (n//2+1, d), stored as a real
(n//2+1, d, 2) tensor) with PyTorch's ``kaiming_normal_`` (the paper's appendix) or
``kaiming_uniform_`` (the repository).  :func:`kaiming_kernel` draws from the same
distributions; :func:`kaiming_variance` gives the exact variances in the frequency and
the time domain that Proposition 2's remark is about.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_float_dtype, check_int, check_rng

__all__ = ["kaiming_kernel", "kaiming_variance"]


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
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
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
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
    check_choice(distribution, ("normal", "uniform"), "distribution")
    dtype = check_float_dtype(dtype, (np.complex64, np.complex128))
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
