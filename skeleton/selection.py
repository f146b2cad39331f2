r"""Choosing the rows and columns of a skeleton approximation from a matrix.

:mod:`skeleton.sampling` holds the selection rules on a basis; this module applies
them to a matrix of any backend: it computes what each rule reads and, for the
tolerance mode, hands out index sets of growing size (:class:`GrowingSelection`) that
reuse what has been read.

**Small X** (``min(n, d) <= 1500``, :data:`skeleton._backends.EXACT_MAX`): the rules
see X exactly. Pivoted QR takes the column pivots of X itself and the rows from the
columns read (:func:`rows_from_columns`: the row ID of ``C``, extended by volume,
which keeps the classic ill-conditioned matrices accurate to rounding); leverage,
DEIM and maxvol run on the exact singular vectors (``numpy.linalg.svd``).

**Large X** (an array, sparse matrix or LinearOperator): one column sketch
:math:`Y = X\Omega` with :math:`l = \min(k, r) + 10` columns (``r`` the ``rank`` asked
for; :math:`l = k + 10` without one), formed in single precision with the
finiteness scan when that is accurate enough, and power iterations only when the
sketch shows no gap (:func:`skeleton.randomized.selection_sketch`); a NumPy array is
worked on as whichever of X and :math:`X^T` has contiguous rows, so that the sketch
contracts along memory (the roles of rows and columns then swap). Then

* the *rows* are the pivots of :math:`Y` (a column-pivoted QR of :math:`Y^H`), which
  give the row ID :math:`X \approx P X_{I,:}`, :math:`P = Y Y_{I,:}^{-1}`;
* the *columns*, for pivoted QR, are the pivots of the rows read, :math:`X_{I,:}`
  (its column ID: the CUR of Voronin & Martinsson 2017);
* the *singular vectors*, for leverage, DEIM and maxvol, are those of
  :math:`P X_{I,:}` (:func:`skeleton.randomized.svd_from_row_id`), and the rules run on
  them (maxvol's rows start their swaps from the sketch's own pivots, whose
  coefficients come from the factored basis without forming it,
  ``_Sketched.maxvol``; LU pivots serve leverage and DEIM);
* beyond the ``l`` pivots, rows and columns are added by volume
  (:mod:`skeleton.sampling`).

Cost on a large X (n x d), beyond the gather of ``C`` and ``R`` that every rule ends
with: one pass for the sketch and the finiteness scan together
(:math:`2ndl` flops, in single precision when it qualifies, else one more pass in
X's precision), ``2q + 1`` passes more for ``q`` power iterations (``q = 0`` when the
sketch has a gap), ``l`` rows of X, and :math:`O((n + d) l^2)` dense work.  On an
entry oracle (which cannot be multiplied) pivoted QR pivots on a uniform sub-sample
of its entries (:meth:`skeleton._backends.oracle.OracleBackend.pivot_source`).
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._backends import EXACT_MAX
from ._blas import single_threaded_blas
from ._linalg import rank_from_singular_values
from ._validation import nonfinite_message
from .randomized import SELECTION_OVERSAMPLE, factored_svd_from_row_id, selection_sketch, svd_from_row_id
from .sampling import (
    _cpqr_order,
    _cpqr_row_id,
    _deim,
    _extend_by_volume,
    _leverage,
    _lu_row_id,
    _maxvol,
    _maxvol_started,
    _uniform,
)

__all__ = ["SAMPLINGS"]

SAMPLINGS = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol")

_ZERO_BASIS = "X is the zero matrix (numerical rank 0): no basis to select rows or columns from"

# How the pivots of a sketch are found: "qr" (column-pivoted QR of Y^H) or "lu" (LU
# with partial pivoting of Y; Dong & Martinsson 2023 find it nearly as good, and it
# is cheaper: both are measured in benchmarks/bench_selection.py).
SKETCH_PIVOTS = "qr"


def _exact_basis_ok(X):
    # larger matrices get randomized singular vectors (an exact SVD costs O(n d min(n, d)))
    return min(X.shape) <= EXACT_MAX


def _on_transpose(X):
    r"""Whether the sketching rules work on ``X.T`` rather than on the NumPy array ``X``.

    On the one of ``X`` and ``X.T`` whose rows are contiguous: the sketch
    :math:`X\Omega` then contracts along memory, one GEMM per block of rows, where the
    other order sums products of blocks of columns into an ``n x l`` accumulator.
    That costs more than the larger dense work a wide ``X`` then brings (the SVD of
    the rows read is of a ``(long side) x l`` matrix), measured on the four layouts
    of ``benchmarks/bench_selection.py``.  An array contiguous in neither order or in
    both (a vector) is worked on tall.
    """
    if not isinstance(X, np.ndarray):
        return False
    c, f = X.flags.c_contiguous, X.flags.f_contiguous
    if c != f:
        return f
    return X.shape[0] < X.shape[1]


def _sketches(X, backend):
    """Whether the rules read X through a sketch (large, and X can be multiplied)."""
    return backend.multiplies and not _exact_basis_ok(X)


def _row_id(Y, pivots=None, dtype=None, floor=0.0):
    """``(order, P, q)``: pivots of the tall ``Y`` and the interpolation matrix (in
    ``dtype``), by ``pivots`` (``"qr"`` or ``"lu"``; default :data:`SKETCH_PIVOTS`);
    ``q`` counts the pivots above ``Y``'s own error ``floor``."""
    return (_cpqr_row_id if (pivots or SKETCH_PIVOTS) == "qr" else _lu_row_id)(Y, dtype, floor)


def _pick(P, order, q, k):
    """``k`` indices: the first pivots, extended by volume on ``P`` beyond ``q``."""
    if k <= q:
        return np.sort(np.asarray(order[:k], dtype=np.intp))
    return _extend_by_volume(P, order[:q], k)


def _sketch_size(X, k, rank):
    return min(min(X.shape), (k if rank is None else min(k, rank)) + SELECTION_OVERSAMPLE)


class _Sketched:
    """The sketch of a large X and what is derived from it (module docstring)."""

    def __init__(self, X, k, rank, rng, backend, dtype, check_finite, pivots=None):
        # the basis rules need only some well-conditioned row ID for their singular
        # vectors: LU pivots, the cheaper; pivoted QR pivots with the rule's name
        self.X, self.backend, self.dtype, self.pivots = X, backend, dtype, pivots
        self.sketch = selection_sketch(X, _sketch_size(X, k, rank), rank, rng=rng, backend=backend, dtype=dtype,
                                       check_finite=check_finite)
        self._Z = None

    @contextlib.contextmanager
    def dense_work(self):
        """A context for the small dense factorisations that follow the sketch: one
        BLAS thread where they are small (:func:`skeleton._blas.single_threaded_blas`);
        the row ID of the sketch is computed on entering it."""
        n, d = self.X.shape
        l = self.sketch.Y.shape[1]
        with single_threaded_blas(flops=8.0 * (n + d) * l * l):
            # pivots in the sketch's precision, the interpolation matrix in X's
            self.row_order, self.P, self.q = _row_id(self.sketch.Y, self.pivots, np.dtype(self.dtype),
                                                     self.sketch.rounding)
            yield self

    def Z(self):
        """The rows of X at the sketch's pivots (host, ``q x d``)."""
        if self._Z is None:
            rows = np.asarray(self.row_order[: self.q], dtype=np.intp)
            self._Z = self.backend.to_numpy(self.backend.take(self.X, rows, None, self.dtype))
        return self._Z

    def rows(self, k):
        return _pick(self.P, self.row_order, self.q, k)

    def cols(self, k):
        sk = self.sketch
        # the column sketch's counterpart: V S after power iterations, else the rows read
        A = sk.V * sk.s[None, :].astype(sk.V.dtype) if sk.V is not None else self.Z().conj().T
        # pivoted in the precision the sketch was good enough in, interpolated in X's
        low = A.astype(sk.precision, copy=False)
        # the cast's own rounding (at most eps/2 of each entry) is the floor of its pivots
        floor = 0.0 if low.dtype == A.dtype else float(np.finfo(low.dtype).eps) * float(np.linalg.norm(A))
        order, P, q = _row_id(low, None, np.dtype(self.dtype), floor)
        return _pick(P, order, q, k)

    def basis(self, r, tol):
        sk = self.sketch
        if sk.U is not None:
            cut = float(np.finfo(np.dtype(self.dtype)).eps) if tol is None else tol
            k = rank_from_singular_values(sk.s, self.X.shape, self.dtype, tol=cut, rank=r)
            U, V = sk.U[:, :k], sk.V[:, :k]
        else:
            U, _, V = svd_from_row_id(self.P, self.Z(), rank=r, tol=tol)
        if U.shape[1] == 0:
            raise ValueError(_ZERO_BASIS)
        return U, V, U.shape[1]

    def maxvol(self, k_r, k_c, cols, r, tol):
        r"""Rows (and ``cols`` unless given) by maxvol on the singular vectors.

        The rows start their swaps from the sketch's first pivots :math:`I`.  Without
        power iterations the left singular vectors are :math:`U = P M`
        (:func:`skeleton.randomized.factored_svd_from_row_id`), and ``P`` holds the
        identity in its pivot rows, so :math:`U_{I,:} = M_{1:k,:}` and the start's
        coefficients are :math:`U U_{I,:}^{-1} = P G` with :math:`G = M M_{1:k,:}^{-1}`
        (:math:`G_{1:k,:} = I`): the ``n x k`` basis and its interpolation are never
        formed, only the product of ``P``'s ``l - k`` trailing columns with ``G``'s
        rows.
        """
        if self.sketch.U is not None:
            Ub, Vb, _ = self.basis(r, tol)
            rows = _maxvol(Ub, k_r, start=self.row_order[: min(k_r, Ub.shape[1])])
            return rows, _maxvol(Vb, k_c) if cols is None else cols
        M, _, Vb = factored_svd_from_row_id(self.P, self.Z(), rank=r, tol=tol)
        if M.shape[1] == 0:
            raise ValueError(_ZERO_BASIS)
        kk = min(k_r, M.shape[1])
        M = M[:, :kk]
        rows = None
        try:
            # G_{k+1:,:} = M_{k+1:,:} M_{1:k,:}^{-1}, solved (a singular M_{1:k,:} is an
            # unusable start: the fallback below)
            tail = np.linalg.solve(M[:kk].T, M[kk:].T).T
        except np.linalg.LinAlgError:
            tail = None
        if tail is not None:
            C = self.P[:, :kk] + self.P[:, kk:] @ tail if kk < M.shape[0] else self.P[:, :kk].copy()
            rows = _maxvol_started(np.ascontiguousarray(C), self.row_order[:kk], k_r)
        if rows is None:  # (the start is near-singular: maxvol from its own pivots)
            rows = _maxvol(self.P @ M, k_r)
        return rows, _maxvol(Vb, k_c) if cols is None else cols


def singular_basis(X, r, tol, rng, backend, dtype):
    """Top singular vectors (left, right) of X, as host arrays, and the rank used."""
    if _sketches(X, backend):
        sk = _Sketched(X, r, r, rng, backend, dtype, False, pivots="lu")
        with sk.dense_work():
            return sk.basis(r, tol)
    Xf = backend.astype(X, dtype)
    U, s, Vh = backend.svd(backend.dense(Xf, dtype))
    V = backend.xp.conj(Vh).T
    s_host = backend.to_numpy(s)
    # singular vectors down to eps (not max(n, d) eps): the deterministic rules choose
    # well only among directions the basis holds
    cut = float(np.finfo(np.dtype(dtype)).eps) if tol is None else tol
    k = rank_from_singular_values(s_host, X.shape, dtype, tol=cut, rank=r)
    if k == 0:
        raise ValueError(_ZERO_BASIS)
    return backend.to_numpy(U[:, :k]), backend.to_numpy(V[:, :k]), k


def _rule(sampling, rng):
    """The index rule on a basis ``B`` (m x r): ``pick(B, k)``."""
    if sampling == "leverage":
        return lambda B, k: _leverage(np.sum(np.abs(B) ** 2, axis=1), k, rng)
    return _deim if sampling == "deim" else _maxvol


def pivoted_columns(X, k_c, rng, backend, dtype, order=False):
    """Columns by column-pivoted QR of X (or of its sketch, :meth:`Backend.pivot_source`).

    Sorted; with ``order=True`` instead ``(order, valid)``: the whole pivot order and
    how many of its leading pivots are meaningful (all ``d`` for an exact pivoting).
    """
    n, d = X.shape
    A, labels = backend.pivot_source(X, k_c + 10, rng, dtype)
    piv = _cpqr_order(A)
    if not order:
        if k_c > piv.size:
            raise ValueError(f"pivoted QR of a {A.shape} matrix gives at most {piv.size} pivots, asked for {k_c}")
        return np.sort(labels[piv[:k_c]])
    exact = labels.size == d and A.shape[0] >= min(n, d)
    return labels[piv], d if exact else min(A.shape[0], labels.size)


def rows_from_columns(C, k_r, backend):
    r"""Rows for the columns ``C`` already read: the row ID of ``C``, extended by volume.

    The first :math:`\min(k_r, k_c)` rows are the pivots of a column-pivoted QR of
    :math:`C^H` (so :math:`C_{I,:}` is a well-conditioned interpolation basis for
    ``C``: the CUR-from-ID of Voronin & Martinsson 2017); beyond ``k_c`` rows, each
    further row is the one that most grows the volume of :math:`Q_{I,:}` for an
    orthonormal basis ``Q`` of ``C`` (rectangular maxvol), the row oversampling that
    Park & Nakatsukasa (2024) show makes CUR accurate and stable.
    """
    Ch = backend.to_numpy(backend.xp.conj(C).T)  # k_c x n
    k0 = min(k_r, Ch.shape[0])
    piv = _cpqr_order(Ch)[:k0]
    if k_r <= k0:
        return np.sort(piv).astype(np.intp)
    Q = np.linalg.qr(Ch.conj().T)[0]
    # coef = Q Q_I^+, from the SVD of the small Q_I with the usual rank cut-off, applied
    # in factored form: one GEMM over the n rows, where a least-squares solve with n
    # right-hand sides is slow
    U, s, Vh = np.linalg.svd(Q[piv].T)
    k = rank_from_singular_values(s, U.shape, s.dtype)
    coef = ((Q @ U[:, :k].conj()) / s[:k]) @ Vh[:k].conj()
    return _extend_by_volume(coef, [int(i) for i in piv], k_r)


def _from_sketch(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype, check_finite):
    """Rows and columns of a large X by ``sampling`` from its sketch (module docstring)."""
    k = max(k_r if rows is None else 0, k_c if cols is None else 0)
    # maxvol starts its rows from the sketch's pivoted-QR pivots (a well-conditioned
    # choice for the dominant subspace, about one swap from maximal volume on the
    # benchmark), which saves the pivoted QR of the n x r basis; the other basis rules
    # take the cheaper LU pivots
    pivots = "lu" if sampling in ("deim", "leverage") else None
    sk = _Sketched(X, k, rank, rng, backend, dtype, check_finite, pivots=pivots)
    with sk.dense_work():
        if sampling == "pivoted_qr":
            return sk.rows(k_r) if rows is None else rows, sk.cols(k_c) if cols is None else cols
        r = rank if rank is not None else min(k_r, k_c)
        if sampling == "maxvol" and rows is None:
            return sk.maxvol(k_r, k_c, cols, r, tol)
        Ub, Vb, _ = sk.basis(r, tol)
        pick = _rule(sampling, rng)
        return pick(Ub, k_r) if rows is None else rows, pick(Vb, k_c) if cols is None else cols


def select(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype, check_finite=False):
    """Row and column indices by ``sampling``; given ``rows``/``cols`` are kept.

    With ``check_finite``, X has not been scanned yet: the rule scans it (in the pass
    that forms its sketch, where it sketches) and raises ValueError for NaN or inf
    (uniform sampling leaves the scan to the gather of ``C`` and ``R``).
    Returns ``(rows, cols, C)``: ``C = X[:, cols]`` in ``dtype`` when the rule read it
    to choose the rows (pivoted QR on a small X), else None.
    """
    n, d = X.shape
    if sampling == "uniform":
        rows = _uniform(n, k_r, rng) if rows is None else rows
        cols = _uniform(d, k_c, rng) if cols is None else cols
        return rows, cols, None
    if rows is not None and cols is not None or not _sketches(X, backend):
        if check_finite and not backend.all_finite(X):
            raise ValueError(nonfinite_message("X"))
        if rows is not None and cols is not None:
            return rows, cols, None
    else:
        if _on_transpose(X):
            # the roles of rows and columns swap, and a transposed basis is the
            # conjugate of X's, equally good
            cols, rows = _from_sketch(sampling, X.T, k_c, k_r, cols, rows, rank, tol, rng, backend, dtype,
                                      check_finite)
        else:
            rows, cols = _from_sketch(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype,
                                      check_finite)
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
    a small X, else from a sketch redone at twice the rank when needed).
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
        if _exact_basis_ok(self.X) or not self.backend.multiplies:
            if self._basis is None:  # one exact SVD serves every size
                self._basis = singular_basis(self.X, full, self.tol, self.rng, self.backend, self.dtype)
        elif self._basis is None or self._basis[2] < r:
            have = 0 if self._basis is None else self._basis[2]
            self._basis = singular_basis(self.X, min(full, max(r, 2 * have)), self.tol, self.rng, self.backend,
                                         self.dtype)
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
