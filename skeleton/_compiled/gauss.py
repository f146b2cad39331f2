"""Gaussian kernel entries, compiled: ``exp(-(s1 * ||x_i - y_j||^2) * s2)`` in blocks,
and the fused Cholesky rows of a Gaussian kernel matrix (:class:`skeleton.KernelMatrix`).

The float64 kernels evaluate the exponential with the inlined, vectorisable
:func:`_exp_neg` (Cody-Waite reduction and a degree-12 Taylor polynomial; arguments
below -708 give 0), whose accuracy the module docstring of :mod:`skeleton.kernel_matrix`
derives; float32 output uses the library ``exp``.
"""

from __future__ import annotations

import numpy as np

from . import HAVE_NUMBA, numba
from .blas import HAVE_NUMBA_BLAS, cholesky_update_chunk

__all__ = ["gauss64", "gauss_generic", "gauss64_cholesky_rows"]

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_T_MIN = -708.0

if HAVE_NUMBA:
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def _bits_as_float64(typingctx, i):  # pragma: no cover - compiled
        """Reinterpret the bits of an int64 as a float64 (an LLVM bitcast, vectorisable)."""
        if not (isinstance(i, types.Integer) and i.bitwidth == 64):
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(i), codegen

    @numba.njit(inline="always", fastmath={"contract", "nsz"})
    def _exp_neg(arg):  # pragma: no cover - compiled
        """exp(arg) for arg <= 0, 0 below -708 (see the module docstring)."""
        flush = arg < _T_MIN
        arg = max(arg, _T_MIN)
        m = np.floor(arg * _INV_LN2 + 0.5)
        r = arg - m * _LN2_HI - m * _LN2_LO
        q = 1.0 / 479001600.0
        q = q * r + 1.0 / 39916800.0
        q = q * r + 1.0 / 3628800.0
        q = q * r + 1.0 / 362880.0
        q = q * r + 1.0 / 40320.0
        q = q * r + 1.0 / 5040.0
        q = q * r + 1.0 / 720.0
        q = q * r + 1.0 / 120.0
        q = q * r + 1.0 / 24.0
        q = q * r + 1.0 / 6.0
        q = q * r + 0.5
        q = q * r + 1.0
        q = q * r + 1.0
        # 2**m as the double with biased exponent m + 1023 (m >= -1022 here)
        val = q * _bits_as_float64((np.int64(m) + 1023) << 52)
        return 0.0 if flush else val

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"contract", "nsz"})
    def gauss64(xs, ys, s1, s2, out):  # pragma: no cover - compiled
        """out[i, j] = exp(-(s1 * sum_t (xs[t, i] - ys[t, j])^2) * s2), float64.

        The loop over j is innermost so that LLVM vectorises it; points in the
        plane (p = 2, the common case) get their own branch, other p accumulate the
        squared distances in the output row first.
        """
        p, n = xs.shape
        k = ys.shape[1]
        for i in numba.prange(n):
            if p == 2:
                a = xs[0, i]
                b = xs[1, i]
                for j in range(k):
                    d0 = a - ys[0, j]
                    d1 = b - ys[1, j]
                    out[i, j] = _exp_neg(-((d0 * d0 + d1 * d1) * s1) * s2)
            else:
                for j in range(k):
                    out[i, j] = 0.0
                for t in range(p):
                    a = xs[t, i]
                    for j in range(k):
                        diff = a - ys[t, j]
                        out[i, j] += diff * diff
                for j in range(k):
                    out[i, j] = _exp_neg(-(out[i, j] * s1) * s2)

    @numba.njit(parallel=True, nogil=True, cache=True)
    def gauss_generic(xs, ys, s1, s2, out):  # pragma: no cover - compiled
        """Same as _gauss64 with the library exp (float32 output)."""
        p, n = xs.shape
        k = ys.shape[1]
        for i in numba.prange(n):
            for j in range(k):
                acc = 0.0
                for t in range(p):
                    diff = np.float64(xs[t, i]) - np.float64(ys[t, j])
                    acc += diff * diff
                out[i, j] = np.exp(-(acc * s1) * s2)


if HAVE_NUMBA and HAVE_NUMBA_BLAS:

    @numba.njit(parallel=True, nogil=True, cache=True, fastmath={"contract", "nsz"})
    def gauss64_cholesky_rows(xs, T, s1, s2, Ft, i, P, Lf, d, m):  # pragma: no cover - compiled
        """Rows ``i : i + a`` of ``Ft`` := ``L^{-1} (K[T, :] - P @ Ft[:i, :])``, and
        ``d -= `` their squares, column chunk by column chunk (``m`` wide).

        Each thread takes whole chunks and works in place on ``Ft[i:i+a, chunk]``: it
        evaluates ``K[T, chunk]`` there and hands it to ``cholesky_update_chunk``
        (GEMM, triangular solve, ``d`` update; single-threaded BLAS), all while the
        chunk is in cache.  ``P`` is ``F[T, :i]`` (a x i, C-ordered), ``Lf`` the
        Fortran-ordered lower Cholesky factor of the pivot block.
        """
        p, n = xs.shape
        a = T.shape[0]
        nchunks = (n + m - 1) // m
        xt = np.empty((p, a))
        for q in range(p):
            for t in range(a):
                xt[q, t] = xs[q, T[t]]
        for c in numba.prange(nchunks):
            c0 = c * m
            mm = min(n, c0 + m) - c0
            # 1-D views of the chunk indexed from 0 (see cholesky_update_chunk): with
            # an offset index the loops compile to gathers and scatters
            for t in range(a):
                fr = Ft[i + t, c0 : c0 + mm]
                if p == 2:
                    u0 = xt[0, t]
                    u1 = xt[1, t]
                    x0 = xs[0, c0 : c0 + mm]
                    x1 = xs[1, c0 : c0 + mm]
                    for r in range(mm):
                        e0 = u0 - x0[r]
                        e1 = u1 - x1[r]
                        fr[r] = _exp_neg(-((e0 * e0 + e1 * e1) * s1) * s2)
                else:
                    for r in range(mm):
                        fr[r] = 0.0
                    for q in range(p):
                        u0 = xt[q, t]
                        xq = xs[q, c0 : c0 + mm]
                        for r in range(mm):
                            e0 = u0 - xq[r]
                            fr[r] += e0 * e0
                    for r in range(mm):
                        fr[r] = _exp_neg(-(fr[r] * s1) * s2)
            cholesky_update_chunk(Ft, i, a, P, Lf, d, c0, mm)
