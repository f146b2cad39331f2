r"""Adaptive cross approximation: a low-rank factorisation read from a few crosses.

For :math:`X \in \mathbb{C}^{n\times d}`, step :math:`p` of adaptive cross
approximation (ACA) with partial pivoting (Bebendorf 2000) reads one row and one
column of the residual :math:`R_p = X - U_{:,1:p} V_{:,1:p}^H`:

.. math::

    \rho = (R_p)_{i,:},\quad j = \arg\max_l |\rho_l|,\quad \delta = \rho_j,\qquad
    u = (R_p)_{:,j},\quad v^H = \rho / \delta,

appends :math:`u v^H` (it reproduces row :math:`i` and column :math:`j` of
:math:`R_p` exactly), and moves to the row :math:`i = \arg\max |u_l|` among those
not used yet.  After ``k`` steps :math:`U V^H = C W^{-1} R` with :math:`C = X_{:,J}`,
:math:`R = X_{I,:}`, :math:`W = X_{I,J}` (the skeleton on the pivots) - computed as
Gaussian elimination with the cross pivots, never by inverting :math:`W`; every entry
of :math:`V` is at most 1 in modulus, as in partial pivoting.  Cost: ``k`` rows and
``k`` columns, :math:`k(n + d)` entries, and :math:`O(k^2 (n + d))` flops.

Stopping (Bebendorf & Rjasanow 2003): the step's contribution estimates the error
left, :math:`\|X - U V^H\|_F \approx \|u\|\,\|v\|`, and the Frobenius norm of the
approximation is updated in :math:`O(p (n + d))`:

.. math::

    \|S_{p+1}\|_F^2 = \|S_p\|_F^2 + 2\,\mathrm{Re}\sum_{q \le p} (u_q^H u)(v^H v_q)
    + \|u\|^2 \|v\|^2,

and ACA stops once :math:`\|u\|\,\|v\| \le \mathrm{rtol}\,\|S_{p+1}\|_F`.  The
estimate is a heuristic, reliable for asymptotically smooth kernels (Bebendorf's
setting) and for matrices whose rows all "see" the same low-rank structure; it can
stop early on a matrix with a block that none of the rows it visits reaches.

A row whose residual is at the rounding-noise level (:math:`|\delta| \le
8\sqrt{p+1}\,\epsilon\max_l|X_{il}|`, the rounding error of the residual of a row
of that scale) carries no new direction: it is
skipped for a random unused row, and three such rows in a row end the approximation
(exact recovery of a rank-``k`` matrix, with no division by a zero pivot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._entry_source import EntrySource
from ._lowrank import FactoredEntries
from ._linalg import grow_rows, reserve_rows
from ._validation import check_rank_rtol, check_rng, nonfinite_message

__all__ = ["CrossApproximation", "aca"]

# |delta| below _NOISE * sqrt(p + 1) * eps * (largest entry of the row) is rounding noise.
_NOISE = 8.0
# Consecutive noise-level rows after which the residual is taken as zero.
_ZERO_ROWS = 3


@dataclass(frozen=True)
class CrossApproximation(FactoredEntries):
    r"""A cross (skeleton) approximation :math:`X \approx U V^H` on pivot rows and columns.

    Returned by :func:`aca`; the parameters are its (read-only) attributes.

    Parameters
    ----------
    rows, cols : ndarray of intp, shape (k,)
        Pivot rows :math:`I` and columns :math:`J`, in the order chosen.
    U : ndarray, shape (n, k)
        Residual columns: ``U[:, p]`` is column ``cols[p]`` of
        :math:`X - U_{:,:p} V_{:,:p}^H`.  ``U[rows]`` is lower triangular.
    V : ndarray, shape (d, k)
        ``V[:, p]^H`` is row ``rows[p]`` of that residual over its pivot entry, so
        :math:`|V| \le 1`; ``V[cols]`` is unit lower triangular, and
        ``U[rows] @ V[cols]^H`` is the LU factorisation of :math:`W = X_{I,J}`.
        :math:`U V^H = X_{:,J} W^{-1} X_{I,:}`, the skeleton on the pivots,
        evaluated stably (never through :math:`W^{-1}`).
    error_estimate : float
        :math:`\|u_k\|\|v_k\| / \|U V^H\|_F` of the last step: the estimated
        relative Frobenius error (0 when the residual vanished).  It is not a bound, and
        it can exceed 1 when the crosses cancel: for ``[[6, 1, 1], [1, 1, 1], [1, 1, 1]]``
        at rank 2 it is :math:`5\sqrt{2}/\sqrt{44} \approx 1.07` though the
        approximation is exact.
    n_entries : int
        Entries of ``X`` evaluated.
    converged : bool
        Whether ACA stopped on ``rtol`` or on a vanishing residual (not on ``rank``).

    See Also
    --------
    aca : computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import aca
    >>> X = np.outer(np.arange(1.0, 6.0), np.ones(4)) + np.outer(np.ones(5), np.arange(4.0))
    >>> res = aca(X, rtol=1e-12, rng=0)        # rank 2
    >>> res.rank, res.converged, bool(np.allclose(res.to_array(), X))
    (2, True, True)
    """

    rows: Any
    cols: Any
    U: Any = field(repr=False)
    V: Any = field(repr=False)
    error_estimate: float
    n_entries: int
    converged: bool

    def _factors(self):
        return self.U, self.V


def aca(X, rank=None, *, rtol=None, rng=None, check_finite=True):
    r"""Adaptive cross approximation with partial pivoting: :math:`X \approx U V^H`.

    Reads ``k`` rows and ``k`` columns of ``X`` - about :math:`k (n + d)` entries -
    choosing each cross from the residual of the previous ones (module docstring).

    Parameters
    ----------
    X : (n, d) array_like or entry oracle
        Any matrix (need not be square or symmetric): a NumPy array (only the rows
        and columns used are read) or an object with ``shape``, ``dtype`` and
        ``entries(rows, cols)``, such as :class:`skeleton.KernelMatrix`.  Never
        modified.
    rank : int, optional
        Number of crosses ``k`` (an upper bound when ``rtol`` is given too), in
        ``[1, min(n, d)]``.
    rtol : float, optional
        Stop once the estimate :math:`\|u_k\|\|v_k\| \le \mathrm{rtol}\,\|U V^H\|_F`,
        ``0 < rtol < 1``.  At least one of ``rank`` and ``rtol`` is required.
    rng : {None, int, numpy.random.Generator, numpy.random.SeedSequence}, optional
        Random state (SPEC 7) for the first row and for restarts after a row whose
        residual vanished.
    check_finite : bool, default True
        Raise on NaN or infinity in the rows and columns read.

    Returns
    -------
    CrossApproximation
        ``rows``, ``cols``, ``U``, ``V`` (:math:`X \approx UV^H`),
        ``error_estimate``, ``n_entries``, ``converged``; ``rank``,
        ``entries(rows, cols)``, ``to_array()``.

    Raises
    ------
    ValueError
        ``X`` not 2-D, empty, or with NaN/inf in what is read; ``rank`` outside
        ``[1, min(n, d)]``; ``rtol`` outside ``(0, 1)``; neither given.
    TypeError
        Non-numeric ``X``; non-integer ``rank``; non-real ``rtol``; a bad ``rng``.

    Notes
    -----
    The error estimate is not a bound (module docstring); for a certified error
    compare with held-out entries of ``X``.  For a Hermitian positive semi-definite
    matrix, :func:`skeleton.rpcholesky` reads half as many entries for the same
    pivots' worth of accuracy and has a provable trace-error guarantee.

    References
    ----------
    M. Bebendorf, "Approximation of boundary element matrices", Numer. Math. 86,
    2000.
    M. Bebendorf, S. Rjasanow, "Adaptive low-rank approximation of collocation
    matrices", Computing 70, 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import KernelMatrix, aca
    >>> rng = np.random.default_rng(0)
    >>> K = KernelMatrix(rng.random((3000, 2)), rng.random((2000, 2)) + 0.5, bandwidth=0.5)
    >>> res = aca(K, rtol=1e-10, rng=1)
    >>> res.rank < 80, res.n_entries <= (res.rank + 1) * (3000 + 2000)
    (True, True)
    >>> err = np.linalg.norm(res.to_array() - K.to_array()) / np.linalg.norm(K.to_array())
    >>> bool(err < 1e-8)
    True
    """
    src = EntrySource(X, "X")
    n, d = src.shape
    rank, rtol = check_rank_rtol(rank, rtol, n, d)
    rng = check_rng(rng)
    return _aca(src, min(n, d) if rank is None else rank, rtol, rng, bool(check_finite))


def _checked(v, check_finite):
    if check_finite and not np.all(np.isfinite(v)):
        raise ValueError(nonfinite_message("X", "found in the entries read"))
    return v


def _aca(src, cap, rtol, rng, check_finite):
    n, d = src.shape
    dtype = src.dtype
    eps = float(np.finfo(dtype).eps)
    Ut = reserve_rows(cap, n, dtype)  # Ut[p] = U[:, p]
    Vh = reserve_rows(cap, d, dtype)  # Vh[p] = V[:, p]^H
    I = np.empty(cap, dtype=np.intp)
    J = np.empty(cap, dtype=np.intp)
    row_used = np.zeros(n, dtype=bool)
    col_used = np.zeros(d, dtype=bool)
    norm2 = 0.0  # ||U V^H||_F^2 in units of unit**2 (see below)
    unit = None
    estimate = 1.0
    converged = False
    zero_rows = 0
    p = 0
    i = int(rng.integers(n))
    while p < cap:
        raw = _checked(src.row(i), check_finite)
        scale = float(np.abs(raw).max())
        rho = raw - Ut[:p, i] @ Vh[:p] if p else raw
        row_used[i] = True
        mag = np.abs(rho)
        mag[col_used] = -1.0
        j = int(np.argmax(mag))
        delta = rho[j]
        if not abs(delta) > _NOISE * math.sqrt(p + 1) * eps * scale:
            # this row is reproduced already: try another one
            zero_rows += 1
            free = np.flatnonzero(~row_used)
            if zero_rows >= _ZERO_ROWS or free.size == 0:
                converged, estimate = True, 0.0
                break
            i = int(free[rng.integers(free.size)])
            continue
        zero_rows = 0
        raw = _checked(src.col(j), check_finite)
        u = raw - Ut[:p].T @ Vh[:p, j] if p else raw
        vh = rho / delta
        # the residual vanishes on the crosses taken (exactly, in exact arithmetic):
        # U[rows] and V[cols] come out triangular, W = X[rows, cols] = U[rows] V[cols]^H
        vh[col_used] = 0
        ui = u[i]
        u[row_used] = 0
        u[i] = ui
        if p == Ut.shape[0]:
            Ut = grow_rows(Ut, p + 1)
        if p == Vh.shape[0]:
            Vh = grow_rows(Vh, p + 1)
        Ut[p] = u
        Vh[p] = vh
        I[p], J[p] = i, j
        col_used[j] = True
        if unit is None:
            # |v| <= 1 and u has X's scale: u is measured in units of a power of two near
            # the first cross's entries (exact), so that the squares below neither under-
            # nor overflow and the estimate is the same at any scale of X
            unit = math.ldexp(1.0, -math.frexp(scale)[1])
        us = u * unit
        uu = float(np.vdot(us, us).real)
        vv = float(np.vdot(vh, vh).real)
        if p:
            cross = ((Ut[:p].conj() @ us) * unit) * (Vh[:p].conj() @ vh)
            norm2 += 2.0 * float(np.sum(cross).real)
        norm2 += uu * vv
        p += 1
        estimate = math.sqrt(uu * vv) / math.sqrt(norm2) if norm2 > 0 else 1.0
        if rtol is not None and estimate <= rtol:
            converged = True
            break
        mag = np.abs(u)
        mag[row_used] = -1.0
        i = int(np.argmax(mag))
        if mag[i] < 0:  # every row used
            converged, estimate = True, 0.0
            break
    if p == min(n, d):  # every row or every column interpolated: exact
        converged, estimate = True, 0.0
    return CrossApproximation(
        rows=I[:p].copy(),
        cols=J[:p].copy(),
        U=Ut[:p].T,
        V=Vh[:p].T.conj() if dtype.kind == "c" else Vh[:p].T,
        error_estimate=float(estimate),
        n_entries=int(src.n_entries),
        converged=bool(converged),
    )
