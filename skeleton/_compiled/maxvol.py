"""Maxvol's compiled loops (:mod:`skeleton.sampling`): the rank-one update of the
coefficients ``C = B B_I^{-1}`` fused with the search for the next swap, and the
refresh of the volume extension's gains, each one parallel sweep over ``C``."""

from __future__ import annotations

from . import HAVE_NUMBA, numba

__all__ = ["update_and_search", "downdate_gains", "subtract_row_norms"]

# (without numba the callers do the same with NumPy)
update_and_search = None
downdate_gains = None
subtract_row_norms = None

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

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"reassoc", "contract"})
    def subtract_row_norms(D, nu):  # pragma: no cover - compiled
        """``nu[a] -= sum_t |D[a, t]|^2`` in float64 (NumPy's row sums of a thin ``D``
        are slow)."""
        for a in numba.prange(D.shape[0]):
            acc = 0.0
            for t in range(D.shape[1]):
                acc += float(D[a, t].real) ** 2 + float(D[a, t].imag) ** 2
            nu[a] -= acc
