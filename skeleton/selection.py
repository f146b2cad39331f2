"""Choosing the rows and columns of a skeleton approximation from a matrix.

:mod:`skeleton.sampling` holds the selection rules on a basis; this module applies
them to a matrix of any backend: it computes what each rule reads (the top singular
vectors for leverage, DEIM and maxvol; a Gaussian sketch for pivoted QR; nothing for
uniform sampling) and, for the tolerance mode, hands out index sets of growing size
(:class:`GrowingSelection`) that reuse what has been read.
"""

from __future__ import annotations

import numpy as np

from ._backend import EXACT_MAX
from ._linalg import rank_from_singular_values
from .sampling import deim_indices, leverage_indices, maxvol_indices, pivoted_qr_indices, uniform_indices

__all__ = ["SAMPLINGS"]

SAMPLINGS = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol")

def _exact_basis_ok(X):
    # larger matrices get randomized singular vectors (an exact SVD costs O(n d min(n, d)))
    return min(X.shape) <= EXACT_MAX


def singular_basis(X, r, tol, rng, backend, dtype):
    """Top singular vectors (left, right) of X, as host arrays, and the rank used."""
    from .incoherence import _randomized_core

    Xf = backend.astype(X, dtype)
    if _exact_basis_ok(X):
        U, s, Vh = backend.svd(backend.dense(Xf, dtype))
        V = backend.xp.conj(Vh).T
    else:
        U, s, V, *_ = _randomized_core(Xf, r, tol, rng, 10, 4, backend, dtype)
    s_host = backend.to_numpy(s)
    # singular vectors down to eps (not max(n, d) eps): the deterministic rules choose
    # well only among directions the basis holds
    cut = float(np.finfo(np.dtype(dtype)).eps) if tol is None else tol
    k = rank_from_singular_values(s_host, X.shape, dtype, tol=cut, rank=r)
    if k == 0:
        raise ValueError("X is the zero matrix (numerical rank 0): no basis to select rows or columns from")
    return backend.to_numpy(U[:, :k]), backend.to_numpy(V[:, :k]), k


def _rule(sampling, rng):
    """The index rule on a basis ``B`` (m x r): ``pick(B, k)``."""
    if sampling == "leverage":
        return lambda B, k: leverage_indices(np.sum(np.abs(B) ** 2, axis=1), k, rng)
    return deim_indices if sampling == "deim" else maxvol_indices


def _pivot_order(A):
    """The full column pivot order of a pivoted QR of the host array ``A``."""
    import scipy.linalg

    _, piv = scipy.linalg.qr(A, mode="r", pivoting=True, check_finite=False)
    return piv


def pivoted_columns(X, k_c, rng, backend, dtype, order=False):
    """Columns by column-pivoted QR of X (or of its sketch, :meth:`Backend.pivot_source`).

    Sorted; with ``order=True`` instead ``(order, valid)``: the whole pivot order and
    how many of its leading pivots are meaningful (all ``d`` for an exact pivoting).
    """
    n, d = X.shape
    A, labels = backend.pivot_source(X, k_c + 10, rng, dtype)
    if not order:
        return np.sort(labels[pivoted_qr_indices(A, k_c)])
    exact = labels.size == d and A.shape[0] >= min(n, d)
    return labels[_pivot_order(A)], d if exact else min(A.shape[0], labels.size)


def rows_from_columns(C, k_r, backend):
    r"""Rows for the columns ``C`` already read: the row ID of ``C``, extended by volume.

    The first :math:`\min(k_r, k_c)` rows are the pivots of a column-pivoted QR of
    :math:`C^H` (so :math:`C_{I,:}` is a well-conditioned interpolation basis for
    ``C``: the CUR-from-ID of Voronin & Martinsson 2017); beyond ``k_c`` rows, each
    further row is the one that most grows the volume of :math:`Q_{I,:}` for an
    orthonormal basis ``Q`` of ``C`` (rectangular maxvol), the row oversampling that
    Park & Nakatsukasa (2024) show makes CUR accurate and stable.
    """
    import scipy.linalg

    from .sampling import _extend_by_volume

    Ch = backend.to_numpy(backend.xp.conj(C).T)  # k_c x n
    k0 = min(k_r, Ch.shape[0])
    piv = _pivot_order(Ch)[:k0]
    if k_r <= k0:
        return np.sort(piv).astype(np.intp)
    Q = np.linalg.qr(Ch.conj().T)[0]
    coef = scipy.linalg.lstsq(Q[piv].T, Q.T, check_finite=False)[0].T  # Q Q_I^{-1}
    return _extend_by_volume(coef, [int(i) for i in piv], k_r)


def select(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype):
    """Row and column indices by ``sampling``; given ``rows``/``cols`` are kept.

    Returns ``(rows, cols, C)``: ``C = X[:, cols]`` in ``dtype`` when the rule read it
    to choose the rows (pivoted QR), else None.
    """
    n, d = X.shape
    if sampling == "uniform":
        rows = uniform_indices(n, k_r, rng) if rows is None else rows
        cols = uniform_indices(d, k_c, rng) if cols is None else cols
        return rows, cols, None
    if sampling == "pivoted_qr":
        cols = pivoted_columns(X, k_c, rng, backend, dtype) if cols is None else cols
        if rows is not None:
            return rows, cols, None
        C = backend.take(X, None, cols, dtype)
        return rows_from_columns(C, k_r, backend), cols, C
    r = rank if rank is not None else min(k_r, k_c)
    Ub, Vb, _ = singular_basis(X, r, tol, rng, backend, dtype)
    pick = _rule(sampling, rng)
    rows = pick(Ub, k_r) if rows is None else rows
    cols = pick(Vb, k_c) if cols is None else cols
    return rows, cols, None


class GrowingSelection:
    """Index sets of growing size for ``skeleton_approx(..., rtol=...)``.

    ``indices(k_r, k_c)`` returns sorted row and column indices. Where the rule allows,
    the sets are nested, so growing the sample reads only the new rows and columns:
    uniform sampling takes prefixes of one random permutation; pivoted QR prefixes of
    the column pivot order of X or its sketch (formed anew, twice as large, when it
    runs out), with rows chosen anew from the columns read;
    DEIM on a basis of the current rank is a prefix of the greedy order. Leverage and
    maxvol choose anew at each size from singular vectors computed once (exactly for
    a small X, else by a randomized SVD redone at twice the rank when needed).
    """

    def __init__(self, sampling, X, rank, tol, rng, backend, dtype):
        self.sampling, self.X, self.rank, self.tol = sampling, X, rank, tol
        self.rng, self.backend, self.dtype = rng, backend, dtype
        n, d = X.shape
        if sampling == "uniform":
            self._perm = (rng.permutation(n), rng.permutation(d))
        self._orders = None  # pivoted QR: (column pivot order, meaningful pivots)
        self._basis = None  # (U, V, rank) for the basis rules

    def _pivot_columns(self, k_c):
        d = self.X.shape[1]
        if self._orders is None or self._orders[1] < min(d, k_c + 10):
            size = k_c if self._orders is None else max(k_c, 2 * self._orders[1])
            self._orders = pivoted_columns(self.X, size, self.rng, self.backend, self.dtype, order=True)
        order = self._orders[0]
        if k_c > order.size:
            # fewer pivots than asked for: complete with the unchosen columns
            order = np.concatenate([order, np.setdiff1d(np.arange(d), order)])
        return np.sort(order[:k_c]).astype(np.intp)

    def _basis_for(self, r):
        full = min(self.X.shape)
        if _exact_basis_ok(self.X):
            if self._basis is None:  # one exact SVD serves every size
                self._basis = singular_basis(self.X, full, self.tol, self.rng, self.backend, self.dtype)
        elif self._basis is None or self._basis[2] < r:
            have = 0 if self._basis is None else self._basis[2]
            self._basis = singular_basis(self.X, min(full, max(r, 2 * have)), self.tol, self.rng, self.backend, self.dtype)
        U, V, k = self._basis
        return U[:, : min(r, k)], V[:, : min(r, k)]

    def indices(self, k_r, k_c, columns):
        """Sorted row and column indices, ``k_r`` and ``k_c`` of them.

        ``columns(J)`` returns ``X[:, J]`` (read once and kept by the caller); the
        pivoted rule chooses its rows from it.
        """
        if self.sampling == "uniform":
            return np.sort(self._perm[0][:k_r]).astype(np.intp), np.sort(self._perm[1][:k_c]).astype(np.intp)
        if self.sampling == "pivoted_qr":
            cols = self._pivot_columns(k_c)
            return rows_from_columns(columns(cols), k_r, self.backend), cols
        r = min(k_r, k_c) if self.rank is None else min(self.rank, k_r, k_c)
        Ub, Vb = self._basis_for(r)
        pick = _rule(self.sampling, self.rng)
        return pick(Ub, k_r), pick(Vb, k_c)
