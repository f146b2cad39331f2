"""The compiled loops of randomly pivoted Cholesky (:mod:`skeleton.rpcholesky`): the
rejection step of a round, the diagonal update and its settling, and the fused column pass over a dense
symmetric matrix."""

from __future__ import annotations

import math

import numpy as np

from . import HAVE_NUMBA, numba
from .blas import HAVE_NUMBA_BLAS, cholesky_update_chunk

__all__ = ["rejection", "subtract_sumsq", "settle", "array_cholesky_rows"]


def _rejection_body(Araw, FsT, g0, u, tau, lmax):
    """Left-looking Cholesky with rejection on the candidates ``cand`` of one round.

    ``Araw = A[cand, cand]``, ``FsT = F[cand, :i]`` and ``g0`` the candidates' fresh
    residual diagonal.  Candidate ``t`` (in order) gets its residual against the
    pivots accepted so far in this round, ``w = L^{-1} G[acc, t]`` with
    ``G = A - F F^H`` formed only on those entries, so that its current residual is
    ``g0[t] - |w|^2``; it is accepted when that exceeds ``tau[t]`` and
    ``u[t] * g0[t]`` (``u = 0``: every candidate above the threshold), and then
    ``L`` gains the row ``[conj(w), sqrt(residual)]``.

    Left-looking, a round costs about ``b a (i + a)`` flops for ``b`` candidates and
    ``a`` acceptances, against ``b^2 i`` to form the whole residual block: most
    candidates are rejected, and only their residual against the accepted ones is
    ever needed.  Returns ``(acc, L)``: the accepted positions and the lower
    Cholesky factor of ``G[acc][:, acc]``.
    """
    b = Araw.shape[0]
    i = FsT.shape[1]
    m = min(b, lmax)
    acc = np.empty(m, dtype=np.intp)
    L = np.zeros((m, m), dtype=Araw.dtype)
    w = np.zeros(m, dtype=Araw.dtype)
    a = 0
    for t in range(b):
        if g0[t] <= tau[t]:
            continue
        gtt = g0[t]
        for q in range(a):
            s = acc[q]
            v = Araw[s, t]
            for l in range(i):
                v -= FsT[s, l] * np.conj(FsT[t, l])
            for q2 in range(q):
                v -= L[q, q2] * w[q2]
            v = v / L[q, q].real
            w[q] = v
            gtt -= v.real * v.real + v.imag * v.imag
        if gtt <= tau[t] or u[t] * g0[t] > gtt:
            continue
        acc[a] = t
        for q in range(a):
            L[a, q] = np.conj(w[q])
        L[a, a] = math.sqrt(gtt)
        a += 1
        if a == m:
            break
    return acc[:a], L[:a, :a].copy()


def _subtract_sumsq_body(B, d):
    """``d[j] -= sum_t |B[t, j]|^2`` (the columns of the C-ordered block ``B``)."""
    a, m = B.shape
    for t in range(a):
        for j in range(m):
            v = B[t, j]
            d[j] -= v.real * v.real + v.imag * v.imag


def _settle_body(d, scale, noise, low, check_finite, c):
    """One pass over the residual diagonal after a round: ``d[j] <= noise * scale[j]``
    (rounding) becomes 0, and ``c`` the running sum of the result in float64 (what
    ``numpy.cumsum(d, dtype=float64)`` gives: the next round samples from it).
    Returns ``(0, -1, 0.0)``, or ``(1, j, d[j])`` for a non-finite ``d[j]`` when
    ``check_finite`` (before anything else), or ``(2, j, d[j])`` for the first
    finite ``d[j] < -low * scale[j]`` (below what rounding allows: not
    semi-definite), with ``d[j]`` as it was before the clipping."""
    acc = 0.0
    below = -1
    below_value = 0.0
    for j in range(d.size):
        v = d[j]
        if not math.isfinite(v):
            if check_finite:
                return 1, j, v
        elif v < -low * scale[j]:
            if below < 0:
                below = j
                below_value = v
        if v <= noise * scale[j]:
            d[j] = 0.0
            v = 0.0
        acc += v
        c[j] = acc
    return (2, below, below_value) if below >= 0 else (0, -1, 0.0)


if HAVE_NUMBA:
    rejection = numba.njit(nogil=True, cache=True)(_rejection_body)
    subtract_sumsq = numba.njit(nogil=True, cache=True)(_subtract_sumsq_body)
    settle = numba.njit(nogil=True, cache=True)(_settle_body)
else:  # pragma: no cover
    rejection, subtract_sumsq, settle = _rejection_body, _subtract_sumsq_body, _settle_body


if HAVE_NUMBA_BLAS:

    @numba.njit(parallel=True, nogil=True, cache=True)
    def array_cholesky_rows(A, T, Ft, i, P, Lf, d, m, fortran):  # pragma: no cover - compiled
        """The column pass for a dense symmetric ``A``: chunk by chunk (``m`` wide),
        copy ``A[T, chunk]`` into rows ``i : i + a`` of ``Ft`` - reading the
        contiguous direction of ``A``: ``A[chunk, T]`` when Fortran-ordered, equal by
        symmetry - and finish them with ``cholesky_update_chunk``."""
        n = Ft.shape[1]
        a = T.shape[0]
        for c in numba.prange((n + m - 1) // m):
            c0 = c * m
            mm = min(n, c0 + m) - c0
            # 1-D views indexed from 0 (see cholesky_update_chunk)
            for t in range(a):
                fr = Ft[i + t, c0 : c0 + mm]
                s = T[t]
                if fortran:
                    for r in range(mm):
                        fr[r] = A[c0 + r, s]
                else:
                    ar = A[s, c0 : c0 + mm]
                    for r in range(mm):
                        fr[r] = ar[r]
            cholesky_update_chunk(Ft, i, a, P, Lf, d, c0, mm)
