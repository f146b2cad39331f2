"""Maxvol's compiled loops (:mod:`skeleton.sampling`): the rank-one update of the
coefficients ``C = B B_I^{-1}`` fused with the search for the next swap, the refresh
of the volume extension's gains (each one parallel sweep over ``C``), and the
extension's greedy picks within its candidate pool."""

from __future__ import annotations

import numpy as np

from . import HAVE_NUMBA, numba
from .blas import HAVE_NUMBA_BLAS

__all__ = ["update_and_search", "downdate_gains", "pool_picks", "downdate_blocks"]

# (without numba the callers do the same with NumPy)
update_and_search = None
downdate_gains = None
pool_picks = None
downdate_blocks = None  # (without numba's BLAS the caller multiplies with NumPy)

if HAVE_NUMBA:

    @numba.njit(parallel=True, nogil=True, cache=True)
    def update_and_search(C, cj, ci, best, where):  # pragma: no cover - compiled
        """``C -= cj ci^T`` and, per row, the largest ``|C[a, :]|`` and its column."""
        m, r = C.shape
        for a in numba.prange(m):
            f = cj[a]
            v, arg = -1.0, 0
            for b in range(r):
                C[a, b] -= f * ci[b]
                x = abs(C[a, b])
                if x > v:
                    v, arg = x, b
            best[a] = v
            where[a] = arg

    # "reassoc" lets LLVM vectorise the dot products (no "nnan"/"ninf": a NaN stays NaN)
    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"reassoc", "contract"})
    def downdate_gains(C, U, nu):  # pragma: no cover - compiled
        """``nu[a] -= sum_t |C[a, :] . U[t, :]|^2`` (the squares summed in float64).

        The same as ``D = C @ U.T; nu -= (abs(D)**2).sum(axis=1)`` without forming
        ``D``: one read of ``C``, faster than the GEMM for a few rows of ``U`` (each
        dot product is reduced on its own, so for many the GEMM wins)."""
        m, q = C.shape
        for a in numba.prange(m):
            acc = 0.0
            for t in range(U.shape[0]):
                d = C[a, 0] * U[t, 0]
                for b in range(1, q):
                    d += C[a, b] * U[t, b]
                acc += float(d.real) ** 2 + float(d.imag) ** 2
            nu[a] -= acc

    @numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
    def pool_picks(CpT, vals, K, outside, n_max, picks, W):  # pragma: no cover - compiled
        r"""The volume extension's greedy picks within its pool (module
        :mod:`skeleton.sampling`), until ``n_max`` are made or the pool's best gain
        falls below ``outside``.

        ``CpT`` (q x P) holds the pool's rows of ``C`` as columns (so the update of
        the gains runs along contiguous memory), ``vals`` their gains, ``K`` the
        current :math:`(C_I^H C_I)^{-1}` (updated in place).  Pick ``n`` is the pool
        position ``picks[n]``, and ``W[n]`` its update :math:`w/\sqrt{1+\nu}` for the
        rows outside.  Returns the number of picks."""
        q, P = CpT.shape
        w = np.empty(q, dtype=K.dtype)
        acc = np.empty(P, dtype=K.dtype)
        n = 0
        while n < n_max:
            t = np.argmax(vals)
            beta = vals[t]
            if beta < outside:
                break
            for a in range(q):
                s = K[a, 0] * np.conj(CpT[0, t])
                for b in range(1, q):
                    s += K[a, b] * np.conj(CpT[b, t])
                w[a] = s
            g = 1.0 / (1.0 + beta)
            for p in range(P):
                acc[p] = CpT[0, p] * w[0]
            for b in range(1, q):
                wb = w[b]
                for p in range(P):
                    acc[p] += CpT[b, p] * wb
            for p in range(P):
                x = acc[p]
                vals[p] -= (x.real * x.real + x.imag * x.imag) * g
            vals[t] = -np.inf
            for a in range(q):
                for b in range(q):
                    K[a, b] -= w[a] * np.conj(w[b]) * g
            sg = np.sqrt(g)
            for a in range(q):
                W[n, a] = w[a] * sg
            picks[n] = t
            n += 1
        return n


if HAVE_NUMBA_BLAS:
    from .blas import gemm_rowmajor

    @numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
    def _subtract_block(D, nu, i0, rows):  # pragma: no cover - compiled
        for i in range(rows):
            acc = 0.0
            for s in range(D.shape[1]):
                acc += float(D[i, s]) ** 2
            nu[i0 + i] -= acc

    @numba.njit(parallel=True, nogil=True, cache=True)
    def _downdate_blocks(C, Ut, nu, b, workers):  # pragma: no cover - compiled
        m, q = C.shape
        t = Ut.shape[1]
        size = C.itemsize
        blocks = (m + b - 1) // b
        for w in numba.prange(workers):
            D = np.empty((b, t), dtype=C.dtype)
            for blk in range(w, blocks, workers):
                i0 = blk * b
                rows = min(m, i0 + b) - i0
                gemm_rowmajor(size == 8, C.ctypes.data + i0 * q * size, q, False, Ut.ctypes.data, t, False,
                              D.ctypes.data, t, rows, t, q, 1.0, 0.0)
                _subtract_block(D, nu, i0, rows)

    def downdate_blocks(C, U, nu):
        """``nu -= sum_t |C @ U[t]|^2`` per row for a real C-ordered ``C`` (float32 or
        float64) and ``U`` (t x q) of its dtype: a one-thread GEMM per block of rows
        and thread, its row sums taken while the block is in cache (the caller holds
        BLAS to one thread). Returns False where it does not apply."""
        if C.dtype not in (np.float32, np.float64) or U.dtype != C.dtype or not C.flags.c_contiguous:
            return False
        b = 256
        _downdate_blocks(C, np.ascontiguousarray(U.T), nu, b, min(numba.get_num_threads(), -(-C.shape[0] // b)))
        return True
