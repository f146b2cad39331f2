"""The fused CPU path of :func:`skeleton.smoothing.smooth`: numba kernels for the
segment means and the d spectrum products, transforms along contiguous rows.

Everything runs in the transposed (column-major) layout, so that every 1-D transform
reads and writes contiguous memory; the transformed averages are never repeated in
memory.  The array-namespace path of ``fourier._smooth`` does the same arithmetic with
broadcasting (and is what non-NumPy arrays use).
"""

from __future__ import annotations

import numpy as np

try:  # numba is a hard dependency; keep the module importable without it
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

if HAVE_NUMBA:

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
    return out.T
