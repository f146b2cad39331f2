"""Maxvol's swap, compiled (:func:`skeleton.sampling.maxvol_indices`): the rank-one
update of the coefficients ``C = B B_I^{-1}`` and the search for the next swap, in
one parallel sweep over ``C``."""

from __future__ import annotations

from . import HAVE_NUMBA, numba

__all__ = ["update_and_search"]

update_and_search = None  # (without numba the caller updates C with NumPy)

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
