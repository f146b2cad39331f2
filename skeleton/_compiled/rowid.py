"""The compiled steps of the row IDs of a tall matrix (:mod:`skeleton.sampling`): the
squared row norms; one step of the left-looking pivoted QR of a sketch
(:func:`skeleton.sampling._cpqr_row_id`), the projection of every row on the newest
basis vector with the downdate of its residual norm and the search for the next pivot,
one parallel read of ``Y``; and the triangular solve, in blocks of rows, that turns the
factors into the interpolation matrix (:func:`skeleton._linalg.solve_lower_right`)."""

from __future__ import annotations

import numpy as np

from . import HAVE_NUMBA, numba

__all__ = ["row_norms", "project_rows", "solve_rows_lower"]

# (without numba the caller does the same with NumPy)
row_norms = None
project_rows = None
solve_rows_lower = None

if HAVE_NUMBA:
    # "reassoc" vectorises the dot products; NaN/inf semantics are kept
    _FM = {"reassoc", "contract"}

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath=_FM)
    def row_norms(Y, out):  # pragma: no cover - compiled
        """``out[i] = sum_j |Y[i, j]|^2`` in float64."""
        for i in numba.prange(Y.shape[0]):
            acc = 0.0
            for j in range(Y.shape[1]):
                a = np.float64(Y[i, j].real)
                b = np.float64(Y[i, j].imag)
                acc += a * a + b * b
            out[i] = acc

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath=_FM)
    def project_rows(Y, qc, c, norms, last, tolsq, errf, best, arg, stale):  # pragma: no cover - compiled
        """One step for every row ``i``: ``c[i] = Y[i, :] . qc`` (in ``qc``'s
        precision: a single-precision ``Y`` is widened exactly, entry by entry) and,
        unless the row is taken (``norms[i] = -inf``), ``norms[i] -= |c[i]|^2``.

        Per chunk ``h`` of rows: ``best[h]``, ``arg[h]`` the largest norm among rows
        whose downdated norm is reliable (above ``tolsq * last[i]``) and its row, and
        ``stale[h]`` the largest upper bound ``norms[i] + errf * last[i]`` among the
        others (their norm is then known only to that absolute accuracy)."""
        n, l = Y.shape
        chunks = best.shape[0]
        step = (n + chunks - 1) // chunks
        for h in numba.prange(chunks):
            bv, ba, sv = -np.inf, -1, -np.inf
            for i in range(h * step, min(n, (h + 1) * step)):
                s = qc[0] * Y[i, 0]
                for j in range(1, l):
                    s += qc[j] * Y[i, j]
                c[i] = s
                v = norms[i]
                if v == -np.inf:
                    continue
                v -= s.real * s.real + s.imag * s.imag
                norms[i] = v
                if v <= tolsq * last[i]:
                    u = v + errf * last[i]
                    if u > sv:
                        sv = u
                elif v > bv:
                    bv, ba = v, i
            best[h], arg[h], stale[h] = bv, ba, sv

    # rows per block of the triangular solve: the block, transposed (q x _BLOCK), stays
    # in L1 for the q's of a sketch, and each update is one vector loop along it
    _BLOCK = 32

    @numba.njit(nogil=True, cache=True, fastmath=_FM)
    def _substitute_block(T, L, unit):  # pragma: no cover - compiled
        """``T := (T^T L^{-1})^T`` in place for ``T`` (q x P, C-ordered): back-substitution
        from the last unknown, each step an update of whole rows of ``T`` (the unknowns
        of ``P`` right-hand sides at once, contiguous)."""
        q, P = T.shape
        for j in range(q - 1, -1, -1):
            tj = T[j]
            if not unit:
                d = L[j, j]
                for p in range(P):
                    tj[p] = tj[p] / d
            for a in range(j):
                c = L[j, a]
                ta = T[a]
                for p in range(P):
                    ta[p] -= c * tj[p]

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath=_FM)
    def solve_rows_lower(B, L, unit, out, dest):  # pragma: no cover - compiled
        """``out[dest[i]] = x`` with ``x L = B[i]`` for every row ``i`` of ``B`` (m x q),
        ``L`` lower triangular (q x q, C-ordered; its diagonal taken as ones when
        ``unit``). The rows go in blocks of ``_BLOCK``, each copied transposed into a
        buffer held by the thread and solved there (:func:`_substitute_block`: one
        vector loop along the block per entry of ``L``, where a row at a time gives
        loops only as long as a row of ``L``); the blocks are shared among the threads."""
        m, q = B.shape
        P = _BLOCK
        for blk in numba.prange((m + P - 1) // P):
            i0 = blk * P
            n = min(m, i0 + P) - i0
            T = np.zeros((q, P), dtype=out.dtype)
            for p in range(n):
                for j in range(q):
                    T[j, p] = B[i0 + p, j]
            _substitute_block(T, L, unit)
            for p in range(n):
                o = out[dest[i0 + p]]
                for j in range(q):
                    o[j] = T[j, p]
