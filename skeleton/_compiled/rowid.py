"""The compiled steps of the row IDs of a tall matrix (:mod:`skeleton.sampling`): the
squared row norms; one step of the left-looking pivoted QR of a sketch
(:func:`skeleton.sampling._cpqr_row_id`), the projection of every row on the newest
basis vector with the downdate of its residual norm and the search for the next pivot,
one parallel read of ``Y``; and the triangular solve, row by row, that turns the
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

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath=_FM)
    def solve_rows_lower(B, L, unit, out, dest):  # pragma: no cover - compiled
        """``out[dest[i]] = x`` with ``x L = B[i]`` for every row ``i`` of ``B`` (m x q),
        ``L`` lower triangular (q x q, C-ordered; its diagonal taken as ones when
        ``unit``). Back-substitution from the last unknown, each one an axpy along a row
        of ``L`` (contiguous, so it vectorises), on a copy of the row held by the
        thread; the rows are independent and shared among the threads in chunks."""
        m, q = B.shape
        chunks = min(m, 64)
        step = (m + chunks - 1) // chunks
        for h in numba.prange(chunks):
            b = np.empty(q, dtype=out.dtype)
            for i in range(h * step, min(m, (h + 1) * step)):
                for j in range(q):
                    b[j] = B[i, j]
                for j in range(q - 1, -1, -1):
                    xj = b[j] if unit else b[j] / L[j, j]
                    b[j] = xj
                    for a in range(j):
                        b[a] -= xj * L[j, a]
                o = out[dest[i]]
                for j in range(q):
                    o[j] = b[j]
