"""Small dense linear-algebra building blocks shared by the routines.

All rank decisions go through :func:`rank_from_singular_values`, whose default
tolerance is NumPy's ``matrix_rank`` rule ``S.max() * max(M, N) * eps``, raised to the
rounding level of the data when they were stored in a coarser precision than the
computation's (:class:`InputRounding`).  Pseudo-inverses come from an SVD (never an
explicit inverse), and are applied in factored form.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ._compiled.rowid import row_norms, solve_rows_lower
from ._messages import numpy_dtype

# Sums of squares below this lose digits to underflow (and above it overflow is
# near): such arrays are scaled by their largest entry first.
_SAFE_SUM = (1e-200, 1e200)

__all__ = [
    "InputRounding",
    "input_rounding",
    "power_of_two_scale",
    "square_safe_exponent",
    "default_rtol",
    "frobenius_norm",
    "rank_from_singular_values",
    "reserve_rows",
    "grow_rows",
    "row_sq_norms",
    "solve_lower_right",
]


def default_rtol(shape, dtype):
    """NumPy/SciPy's default relative cut-off ``max(M, N) * eps`` for ``dtype``."""
    return max(shape) * np.finfo(numpy_dtype(dtype)).eps


@dataclass(frozen=True)
class InputRounding:
    r"""The default rank cut-off for data stored in a coarser precision than the
    computation runs in (float16 data, computed in float32).

    Entries rounded to a precision of unit roundoff :math:`u = \epsilon/2` carry an
    error :math:`E` with :math:`|E_{ij}| \le u |X_{ij}|`, so
    :math:`\|E\|_2 \le \|E\|_F \le u \|X\|_F`, and by Weyl's inequality every singular
    value of the stored matrix beyond the rank of the exact one is at most
    :math:`u \|X\|_F` (to first order).  Relative to :math:`\sigma_1` the cut-off is
    :math:`u \|X\|_F / \sigma_1 = u (\sum_j \sigma_j^2)^{1/2} / \sigma_1`, computed from
    the singular values at hand (all of them after a full SVD; the top ones of a
    sketch, which miss only a part of :math:`\|X\|_F` of the rounding's size).  The
    working precision's ``max(n, d) * eps`` rule applies as well; the larger cut wins.
    ``matrix_rank``'s rule with float16's epsilon instead would reach 1 at 1024 rows
    and cut every singular value.

    Passed as the ``tol`` of :func:`rank_from_singular_values`.
    """

    dtype: np.dtype

    def relative(self, s):
        """The cut-off relative to ``s[0]`` for the descending singular values ``s``."""
        s = np.asarray(s, dtype=np.float64)
        u = float(np.finfo(self.dtype).eps) / 2
        return u * float(np.sqrt(np.sum((s / s[0]) ** 2)))  # scaled: no under/overflow


def input_rounding(data_dtype, work_dtype):
    """:class:`InputRounding` for data of ``data_dtype`` computed in ``work_dtype`` when
    the data's precision is the coarser one, else None (the working precision's rule)."""
    data_dtype, work_dtype = numpy_dtype(data_dtype), numpy_dtype(work_dtype)
    if data_dtype.kind not in "fc" or work_dtype.kind not in "fc":
        return None  # integers and bools are exact in the working dtype
    if np.finfo(data_dtype).eps <= np.finfo(work_dtype).eps:
        return None
    return InputRounding(np.dtype(np.finfo(data_dtype).dtype))


def rank_from_singular_values(s, shape, dtype, tol=None, rank=None):
    """Number of singular values kept.

    ``s`` is descending. With ``tol=None`` the cut-off is ``s[0] * max(shape) * eps``
    (``numpy.linalg.matrix_rank``); an :class:`InputRounding` ``tol`` raises it to the
    rounding level of the data; otherwise ``tol`` is *relative* to ``s[0]``.
    ``rank`` caps the result.
    """
    s = np.asarray(s)
    if s.size == 0 or not s[0] > 0:
        return 0
    if isinstance(tol, InputRounding):
        rtol = max(default_rtol(shape, dtype), tol.relative(s))
    else:
        rtol = default_rtol(shape, dtype) if tol is None else float(tol)
    k = int(np.count_nonzero(s > rtol * s[0]))
    return k if rank is None else min(k, int(rank))


def frobenius_norm(A, backend):
    r"""``||A||_F`` as a Python float, free of overflow and underflow.

    The sum of squares is accumulated in float64 (:meth:`Backend.sum_squares`); when it
    is outside ``1e-200 .. 1e200`` (entries beyond about ``1e+-100``, whose squares
    would underflow or overflow) it is recomputed for ``A / max|A|`` and scaled back,
    as LAPACK's ``nrm2`` does.  NaN when ``A`` holds NaN.
    """
    with np.errstate(over="ignore", under="ignore"):  # both are handled below
        ss = backend.sum_squares(A)
    if _SAFE_SUM[0] <= ss <= _SAFE_SUM[1]:
        return math.sqrt(ss)
    xp = backend.xp
    m = float(xp.max(xp.abs(A))) if A.size else 0.0
    if m == 0.0 or not math.isfinite(m):
        return m
    with np.errstate(under="ignore"):  # entries far below the largest may underflow
        return m * math.sqrt(backend.sum_squares(A / m))


def power_of_two_scale(A, backend):
    """The exponent ``e`` with ``max|A| / 2**e`` in ``[0.5, 1)`` (0 for a zero or
    non-finite ``A``): dividing by ``2**e`` is exact (short of the subnormals), so a
    matrix whose squares under- or overflow can be brought to unit scale at no cost
    in accuracy.  One pass over ``A``."""
    m = backend.max_abs(A)
    if m is None or m == 0.0 or not math.isfinite(m):
        return 0
    return math.frexp(m)[1]


def square_safe_exponent(top):
    """The exponent ``e`` with ``top / 2**e`` in ``[0.5, 1)`` when squares of entries of
    size ``top`` (the largest in absolute value) would over- or underflow, that is
    outside ``(2**-400, 2**400)``; else 0 (and 0 for a zero or non-finite ``top``).
    Scaling by ``2**-e`` is exact, and pivots, angles and ratios do not depend on it."""
    if 0.0 < top < math.inf and not 2.0 ** -400 < top < 2.0 ** 400:
        return math.frexp(top)[1]
    return 0


def reserve_rows(cap, ncols, dtype):
    """An uninitialised C-ordered buffer for up to ``cap`` rows of ``ncols`` entries.

    For the factors of the pivoting routines, whose final rank is known only at the
    end: the buffer is made as large as the rank may get (at most rows filling half
    the physical memory) but never written beyond the rows used, and the kernel maps
    memory on first touch - so the unused rows cost address space, not memory, and
    no growth (which would hold the old and the new buffer at once) is needed.
    """
    itemsize = np.dtype(dtype).itemsize
    try:
        phys = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        phys = 1 << 33
    fit = max(1, phys // (2 * max(1, ncols) * itemsize))
    return np.empty((int(min(cap, fit)), ncols), dtype=dtype)


def grow_rows(a, need):
    """A copy of ``a`` with room for ``need`` rows (twice as many at least): the rare
    case where a factor outgrows :func:`reserve_rows`."""
    new = np.empty((max(need, 2 * a.shape[0]),) + a.shape[1:], dtype=a.dtype)
    new[: a.shape[0]] = a
    return new


def row_sq_norms(M):
    """Squared 2-norms of the rows of the host array ``M``, summed in float64: one
    compiled parallel read of a C-ordered float or complex ``M``, else NumPy."""
    M = np.asarray(M)
    if row_norms is not None and M.ndim == 2 and M.dtype.kind in "fc" and M.flags.c_contiguous:
        out = np.empty(M.shape[0])
        row_norms(M, out)
        return out
    A = M.astype(np.result_type(M.dtype, np.float64), copy=False)
    return (A.real ** 2 + A.imag ** 2 if A.dtype.kind == "c" else A * A).sum(axis=1)


def solve_lower_right(B, L, *, unit=False, out=None, rows=None):
    r"""``X`` with :math:`X L = B` for the lower triangular ``L`` (q x q), i.e.
    :math:`X = B L^{-1}` by substitution (never an explicit inverse).

    ``B`` (m x q) is any host array; with ``out`` (C-ordered, ``B``'s dtype) and
    ``rows`` (m distinct indices) row ``i`` of ``X`` is written to ``out[rows[i]]``, else
    to a new C-ordered array. ``unit`` takes ``L``'s diagonal as ones (what is stored
    there is not read). Compiled and parallel over the rows for float or complex data
    (:func:`skeleton._compiled.rowid.solve_rows_lower`, faster than a one-thread
    ``trsm`` for the thin ``B`` of a row ID), else SciPy's ``solve_triangular``.
    Returns the array written.
    """
    m, q = B.shape
    dtype = np.result_type(B.dtype, L.dtype)
    if out is None:
        out = np.empty((m, q), dtype=dtype)
        rows = None
    if rows is None:
        rows = np.arange(m)
    rows = np.asarray(rows, dtype=np.intp)
    if m == 0 or q == 0:
        return out
    if (solve_rows_lower is not None and dtype.kind in "fc" and out.dtype == dtype and B.dtype == dtype
            and out.flags.c_contiguous and out.ndim == 2):
        solve_rows_lower(B, np.ascontiguousarray(L, dtype=dtype), bool(unit), out, rows)
        return out
    import scipy.linalg

    # X L = B  <=>  L^T X^T = B^T
    out[rows] = scipy.linalg.solve_triangular(L, B.T, trans="T", lower=True, unit_diagonal=unit,
                                              check_finite=False).T
    return out
