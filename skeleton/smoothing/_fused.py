"""The fused CPU path of :func:`skeleton.smoothing.smooth`: numba kernels for the
segment means and the d spectrum products, transforms along contiguous rows.

Everything runs in the transposed (column-major) layout, so that every 1-D transform
reads and writes contiguous memory; the transformed averages are never repeated in
memory.  The array-namespace path of ``fourier._smooth`` does the same arithmetic with
broadcasting (and is what non-NumPy arrays use).
"""

from __future__ import annotations

import numpy as np

from .._compiled import HAVE_NUMBA
from .._compiled.segments import avg_transposed, mul_transposed

__all__ = ["HAVE_NUMBA", "smooth_fused"]


def smooth_fused(X, K, r, m, domain, layout, dtype, fft):
    """``X_smooth`` (n, d) for a NumPy ``X`` in ``dtype`` and a checked kernel ``K``.

    Returns the transposed view of a (d, n) buffer (Fortran order): a C-order copy
    would be an (n x d) strided transpose costing about as much as all d inverse
    transforms.
    """
    n, d = X.shape
    s = d // r
    nf = m // 2 + 1
    AT = np.empty((r, n), dtype=dtype)
    avg_transposed(np.asarray(X), r, AT)  # asarray: drop memmap & co., no copy
    YT = fft.rfft(AT, n=m, axis=-1)  # r transforms
    Lf = fft.rfft(K, n=m, axis=0) if domain == "time" else K  # d transforms (time only)
    ZT = np.empty((d, nf), dtype=YT.dtype)
    mul_transposed(np.asarray(Lf), YT, ZT, s, layout == "tile")
    out = fft.irfft(ZT, n=m, axis=-1, overwrite_x=True)  # d transforms
    if m != n:
        # linear mode: copy the first n entries of each row (contiguous, cheap) so
        # the result does not keep the (d, m ~ 2n) buffer alive
        out = np.ascontiguousarray(out[:, :n])
    return out.T
