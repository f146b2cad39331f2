"""The kernels of the fused smoothing path (:mod:`skeleton.smoothing._fused`): segment
means and the spectrum products, written in the transposed layout the transforms read."""

from __future__ import annotations

from . import HAVE_NUMBA, numba

__all__ = ["avg_transposed", "mul_transposed"]

avg_transposed = mul_transposed = None  # (without numba smoothing takes the namespace path)

if HAVE_NUMBA:

    @numba.njit(parallel=True, nogil=True, cache=True)
    def avg_transposed(X, r, out):  # pragma: no cover - compiled
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
    def mul_transposed(L, YT, out, s, tile):  # pragma: no cover - compiled
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
