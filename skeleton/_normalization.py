"""Row standardisation ``(y - mean(y)) / sqrt(var(y) + eps)`` without overflow or
underflow, shared by LayerNorm (:func:`skeleton.attention.layer_norm`) and the batch
statistics of the convolution stem's BatchNorm (:func:`skeleton.stem.conv_stem`).

Computed as written, the variance of a row of size 1e200 overflows (``1e400``) and
the row silently becomes 0; a row of size 1e-200 has a variance that underflows.
Here each row is first divided by its largest magnitude ``a``; with ``y' = y / a``,

.. math:: \\frac{y - \\bar y}{\\sqrt{\\mathrm{var}(y) + \\epsilon}}
          = \\frac{y' - \\bar y'}{\\sqrt{\\mathrm{var}(y') + \\epsilon / a^2}},

where ``|y' - mean(y')| <= 2`` (the mean is taken of ``y' - y'_0``, so that a constant
row gives exactly 0).  ``eps / a^2`` overflows only when ``a`` is so small
that ``a^2 var(y') <= 4 a^2`` is below ``eps`` by a factor ``finfo.max / 10``; those
rows use ``(y' - mean(y')) * a / sqrt(eps)``, exact to that factor.  A constant row
gives zeros, also for ``eps = 0`` (the limit eps -> 0) and where ``eps / a^2``
underflows.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["standardize_rows"]


def standardize_rows(Y, eps, dtype, xp):
    """Each row of the 2-D array ``Y`` (in ``dtype``) to mean 0, biased variance 1,
    with ``eps`` (a Python float >= 0) added to the variance (module docstring)."""
    a = xp.max(xp.abs(Y), axis=1, keepdims=True)
    nonzero = a > 0
    a = xp.where(nonzero, a, xp.ones_like(a))
    Yn = Y / a
    # shifted by the first entry, so that a constant row gives C = 0 exactly (the mean
    # of equal numbers need not round back to them)
    D = Yn - Yn[:, :1]
    C = D - xp.mean(D, axis=1, keepdims=True)
    var = xp.mean(C * C, axis=1, keepdims=True)
    if eps == 0:
        den = var
    else:
        # below `tiny` the term eps / a^2 would overflow; there it dominates var
        tiny = math.sqrt(eps) * math.sqrt(10.0 / float(np.finfo(dtype).max))
        small = a < tiny
        safe = xp.where(small, xp.ones_like(a), a)
        den = var + (eps / safe) / safe  # may underflow to 0 for a huge constant row
    # den = 0 only where C = 0 (a constant row, and eps / a^2 negligible): the result is 0
    positive = den > 0
    r = xp.where(positive, 1 / xp.sqrt(xp.where(positive, den, xp.ones_like(den))), xp.zeros_like(den))
    if eps != 0:
        r = xp.where(small, a / math.sqrt(eps), r)
    return C * xp.where(nonzero, r, xp.zeros_like(r))
