r"""Row and column selection rules for skeleton (CUR) approximation.

Each rule picks ``k`` indices out of ``m``. The randomised rules take ``rng`` (SPEC 7:
a Generator, an int seed, a SeedSequence or None); the deterministic ones a basis
``B`` (``m x r``) whose rows describe the rows (or columns) being chosen among,
normally the top-r singular vectors.

* :func:`uniform_indices` - ``k`` of ``m`` uniformly without replacement, the rule of
  Chiu & Demanet (2013) and of the S3Attention paper; reliable when μ is small.
* :func:`leverage_indices` - without replacement with probability proportional to the
  leverage scores :math:`\|B_{i,:}\|^2` (Drineas, Mahoney & Muthukrishnan 2008);
  robust to coherence.
* :func:`pivoted_qr_indices` - the first ``k`` pivots of a column-pivoted QR
  (Businger-Golub), deterministic; the skeleton of an interpolative decomposition.
* :func:`deim_indices` - the discrete empirical interpolation method
  (Chaturantabut & Sorensen 2010; Sorensen & Embree 2016 for CUR), computed as the
  row pivots of an LU factorisation with partial pivoting of ``B``, which makes the
  same greedy choices.
* :func:`maxvol_indices` - rows of ``B`` spanning a (locally) maximal-volume
  submatrix (Goreinov et al. 2010), extended to ``k > r`` rows by rectangular maxvol
  (Mikhalev & Oseledets 2018).

All return sorted NumPy ``intp`` arrays without duplicates, and validate their
arguments (a non-finite basis, a count outside ``[0, m]``, a bad ``rng`` raise errors
naming the argument).

**Cost.** The rules work on ``B`` alone; what it costs to *get* ``B`` from a matrix
X (a sketch, an SVD) is :mod:`skeleton.selection`'s business, summarised in the
user guide. On an ``m x r`` basis: uniform ``O(k)``; leverage ``O(m r)`` for the
scores and ``O(m)`` per round of draws; pivoted QR ``O(m r k)`` (LAPACK ``geqp3``,
half of it matrix-vector work); DEIM ``O(m r^2)`` (LAPACK ``getrf``, matrix-matrix
work); maxvol ``O(m r^2)`` for the start (a pivoted QR) and ``O(m r)`` per swap (a
rank-one update fused with the search for the next swap); each row beyond ``r``
(DEIM and maxvol with ``k > r``) ``O(P r)`` on a candidate pool of ``P`` rows plus
``O(m r)`` in the refreshes. The loops that sweep all ``m`` rows (the swaps, the
refreshes, the steps of the sketch's pivoted QR) are compiled and parallel
(:mod:`skeleton._compiled`), and BLAS runs on one thread meanwhile, so that its idle
workers do not spin against numba's on the same cores.

**Volume extension.** Beyond ``r`` rows, DEIM, maxvol and the pivoted selection of
:mod:`skeleton.selection` add rows greedily by volume: with :math:`C = B B_I^{-1}`
(so :math:`C_{I,:} = I`) and :math:`K = (C_I^H C_I)^{-1}`, adding row ``i`` multiplies
:math:`\sqrt{\det(C_I^H C_I)}` by :math:`\sqrt{1 + c_i K c_i^H}`, so the row of largest
:math:`\nu_i = c_i K c_i^H` is added; then :math:`K \leftarrow K - w w^H/(1 + \nu_i)`,
:math:`w = K c_i^H`, and :math:`\nu_j \leftarrow \nu_j - |c_j w|^2 / (1 + \nu_i)`
(Sherman-Morrison). The :math:`\nu_j` only decrease, so a value computed earlier is an
upper bound: each update is applied at once only to a pool of the
``max(k - |I|, 512)`` rows with the largest values, and the pool's best is taken
while it is at least the largest value outside the pool - the greedy choice, at
``O(P r)`` per row for a pool of ``P``; when the pool runs dry, the updates since the
last refresh are applied to every row (a compiled sweep for a few updates, a matrix
product for more) and a new pool is drawn. The refresh is formed in single precision
(twice as fast) where its rounding is far below the gains, so rows whose gains agree
to about 1e-7 may be taken in either order.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.linalg

from ._blas import single_threaded_blas
from ._compiled import HAVE_NUMBA
from ._compiled.maxvol import downdate_blocks, downdate_gains, pool_picks, update_and_search
from ._compiled.rowid import project_rows
from ._linalg import row_sq_norms, solve_lower_right, square_safe_exponent
from ._validation import check_int, check_matrix, check_rng, check_vector, host_array, nonfinite_message

__all__ = [
    "uniform_indices",
    "leverage_indices",
    "pivoted_qr_indices",
    "deim_indices",
    "maxvol_indices",
]

# The volume extension refreshes in single precision when its rounding is below this
# (absolute, on gains 1 + nu >= 1).
_LOW_REFRESH = 1e-4
# Most swaps of square maxvol.
_MAXVOL_MAX_ITER = 200
# A given maxvol start is used while its coefficients |B B_I^{-1}| stay below this
# (each swap at least multiplies |det B_I| by tol, so a start this far from maximal
# volume would cost many swaps; a near-singular one, inaccurate coefficients).
_START_COEF = 1e3
# The candidate pool of the volume extension: the rows still to add times this, at
# least this many rows. A larger pool refreshes less often but costs more per pick;
# with the compiled refresh, pools this small were the fastest on 5000-200000 x 20-100
# bases and k up to 2000 (the greedy choice itself does not depend on the pool).
_POOL_FACTOR = 1
_POOL_MIN = 512
# Below this many pending updates a refresh runs the compiled dot products, above it
# a GEMM (faster from about 12 on).
_DOT_ROWS = 12


# -- validation ----------------------------------------------------------------------


def _count(k, m, name="k"):
    """A count ``0 <= k <= m`` (an int, not a bool)."""
    return check_int(k, name, low=0, high=m)


def _basis(B, name="B"):
    """A finite, non-empty 2-D basis as a NumPy float/complex array."""
    B, dtype = check_matrix(host_array(B), name)  # (the rules run on the host)
    B = np.asarray(B)
    if not np.isfinite(B).all():
        raise ValueError(nonfinite_message(name))
    return B.astype(dtype, copy=False)


# -- the rules -----------------------------------------------------------------------


def uniform_indices(m, k, rng=None):
    """``k`` distinct indices of ``range(m)``, uniformly at random, sorted.

    Every ``k``-subset of ``range(m)`` is equally likely (sampling without
    replacement), the row/column rule of Chiu & Demanet (2013) and of the
    S3Attention paper. Cost: ``O(k)`` work and memory beyond the draw (NumPy's
    Floyd/tail-shuffle sampling), nothing read of the matrix but the sampled rows.

    Parameters
    ----------
    m : int
        Size of the population ``range(m)``, ``m >= 0``.
    k : int
        How many indices to draw, ``0 <= k <= m``.
    rng : {None, int, numpy.random.Generator, numpy.random.SeedSequence}, optional
        Source of randomness (SPEC 7); a Generator's stream advances.

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    ValueError
        If ``m < 0``, or ``k`` is outside ``[0, m]``.
    TypeError
        If ``m`` or ``k`` is not an integer, or ``rng`` is not a valid random state.

    References
    ----------
    J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton
    decompositions", SIAM J. Matrix Anal. Appl. 34(3), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import uniform_indices
    >>> idx = uniform_indices(10, 4, np.random.default_rng(0))
    >>> len(set(idx.tolist())) == 4 and int(idx.max()) < 10
    True
    """
    m = check_int(m, "m", low=0)
    k = _count(k, m)
    return _uniform(m, k, check_rng(rng))


def _uniform(m, k, rng):
    return np.sort(rng.choice(m, size=k, replace=False)).astype(np.intp)


def leverage_indices(scores, k, rng=None):
    r"""``k`` distinct indices drawn without replacement, probability ∝ ``scores``.

    Successive draws pick index ``i`` with probability
    :math:`p_i / \sum_{j \notin S} p_j` among those not yet chosen (``S``), with
    :math:`p_i = s_i` (leverage-score sampling, Drineas, Mahoney & Muthukrishnan
    2008). Indices of zero score are drawn (uniformly) only once the positive ones
    run out. Cost: ``O(m)`` per round of draws (a few rounds). The scores of an
    ``m x r`` basis ``B`` are its squared row norms, ``O(m r)``.

    Parameters
    ----------
    scores : array_like, shape (m,)
        Non-negative finite weights, normally leverage scores.
    k : int
        How many indices to draw, ``0 <= k <= m``.
    rng : {None, int, numpy.random.Generator, numpy.random.SeedSequence}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    ValueError
        If ``scores`` is not 1-D, holds NaN, inf or a negative value, or ``k`` is
        outside ``[0, m]``.
    TypeError
        If ``scores`` is complex or not numeric, ``k`` not an integer, or ``rng``
        not a valid random state.

    References
    ----------
    P. Drineas, M. W. Mahoney, S. Muthukrishnan, "Relative-error CUR matrix
    decompositions", SIAM J. Matrix Anal. Appl. 30(2), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import leverage_indices
    >>> leverage_indices(np.array([0.0, 1.0, 0.0, 1.0]), 2, np.random.default_rng(0)).tolist()
    [1, 3]
    """
    p = np.asarray(check_vector(host_array(scores), "scores", dtype=np.float64))
    if p.size and float(p.min()) < 0:
        raise ValueError(f"scores must be non-negative, got {float(p.min())!r} at index {int(np.argmin(p))}")
    k = _count(k, p.size)
    return _leverage(p, k, check_rng(rng))


def _leverage(p, k, rng):
    positive = np.flatnonzero(p > 0)
    if positive.size <= k:
        rest = np.setdiff1d(np.arange(p.size), positive)
        extra = rng.choice(rest, size=k - positive.size, replace=False) if k > positive.size else []
        return np.sort(np.concatenate([positive, np.asarray(extra, dtype=np.intp)])).astype(np.intp)
    return np.sort(rng.choice(p.size, size=k, replace=False, p=p / p.sum())).astype(np.intp)


def pivoted_qr_indices(A, k):
    r"""The first ``k`` column pivots of the column-pivoted QR of ``A`` (sorted).

    The pivoted QR :math:`A P = Q R` (Businger & Golub 1965) moves, at each step,
    the column of largest norm orthogonal to those already chosen to the front;
    the first ``k`` pivots are the skeleton columns of an interpolative
    decomposition. To select rows, pass the transpose of a basis. Cost: about
    :math:`4 r m k` flops for ``A`` of shape ``(r, m)`` (LAPACK ``geqp3``; half of
    them matrix-vector work).

    Parameters
    ----------
    A : array_like, shape (r, m)
        Finite matrix whose columns are chosen among (e.g. :math:`V_r^H`).
    k : int
        How many pivots, ``0 <= k <= min(r, m)``.

    Returns
    -------
    ndarray of intp, shape (k,)
        The sorted column indices.

    Raises
    ------
    ValueError
        If ``A`` is not a non-empty 2-D finite matrix, or ``k`` is outside
        ``[0, min(r, m)]`` (the pivots a pivoted QR has).
    TypeError
        If ``A`` is not numeric or ``k`` not an integer.

    References
    ----------
    P. Businger, G. H. Golub, "Linear least squares solutions by Householder
    transformations", Numer. Math. 7, 1965.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import pivoted_qr_indices
    >>> A = np.array([[1.0, 0.0, 5.0], [0.0, 0.1, 0.0]])
    >>> pivoted_qr_indices(A, 1).tolist()   # the column of largest norm
    [2]
    """
    A = _basis(A, "A")
    k = _count(k, min(A.shape))
    return np.sort(_cpqr_order(A)[:k]).astype(np.intp)


def _cpqr_order(A):
    """The full column pivot order of a pivoted QR of the host array ``A``."""
    _, piv = scipy.linalg.qr(A, mode="r", pivoting=True, check_finite=False)
    return piv


def deim_indices(B, k):
    r"""DEIM selection from the basis ``B`` (``m x r``), extended to ``k`` indices.

    Greedy: the first index is :math:`\arg\max_i |B_{i1}|`; for column ``j`` the
    interpolation residual :math:`b_j - B_{:,<j}(B_{p,<j})^{-1} b_{j,p}` is formed and
    its largest entry added (Chaturantabut & Sorensen 2010). That residual is column
    ``j`` of the Schur complement after ``j - 1`` steps of Gaussian elimination, so
    the DEIM indices are the row pivots of the LU factorisation with partial pivoting
    of ``B`` (as Drmač & Gugercin 2016 observe), which is how they are computed:
    :math:`O(m r^2)` flops in matrix-matrix work. This yields ``r`` indices; when
    ``k > r`` the rest are added one at a time by volume (the oversampling of DEIM
    advocated by Peherstorfer, Drmač & Gugercin 2020; module docstring). When the
    leading columns of ``B`` are linearly dependent (a zero pivot), the indices past
    the dependence are added by volume on the independent columns.

    Parameters
    ----------
    B : array_like, shape (m, r)
        Finite basis whose rows are chosen among, normally the top-r singular vectors.
    k : int
        How many indices, ``0 <= k <= m``.

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    ValueError
        If ``B`` is not a non-empty 2-D finite matrix, or ``k`` is outside ``[0, m]``.
    TypeError
        If ``B`` is not numeric or ``k`` not an integer.

    References
    ----------
    S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete
    empirical interpolation", SIAM J. Sci. Comput. 32(5), 2010.
    D. C. Sorensen, M. Embree, "A DEIM induced CUR factorization", SIAM J. Sci.
    Comput. 38(3), 2016.
    Z. Drmač, S. Gugercin, "A new selection operator for the discrete empirical
    interpolation method", SIAM J. Sci. Comput. 38(2), 2016.
    B. Peherstorfer, Z. Drmač, S. Gugercin, "Stability of discrete empirical
    interpolation and gappy proper orthogonal decomposition with randomized and
    deterministic sampling points", SIAM J. Sci. Comput. 42(5), 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import deim_indices
    >>> deim_indices(np.eye(4)[:, :2], 2).tolist()
    [0, 1]
    """
    B = _basis(B)
    k = _count(k, B.shape[0])
    return _deim(B, k)


def _lu_row_id(B, dtype=None, floor=0.0):
    r"""Row pivots of ``B`` (m x r, m >= r) by LU with partial pivoting, and the
    interpolation matrix.

    Returns ``(order, C, rank)``: ``order`` the ``r`` pivot rows in the order chosen,
    ``C = B B_{order[:q]}^{-1}`` restricted to the first ``q = rank`` pivots (m x q,
    ``C[order[:q]] = I``; computed as :math:`L L_1^{-1}` from :math:`\Pi B = L U`), where
    ``q`` stops before the first pivot that is zero to rounding. With ``dtype`` wider
    than ``B``'s (a single-precision sketch of double-precision data), the pivots are
    found in ``B``'s precision and ``C`` is formed in ``dtype`` (:func:`_interpolation`).
    ``floor`` is the size of ``B``'s own error (the rounding of a single-precision
    sketch, say): pivots at or below it are noise, and ``q`` stops before them too.
    """
    m, r = B.shape
    lu, perm = _lu_modulus(B) if B.dtype.kind == "c" else _lu_lapack(B)
    diag = np.abs(np.diagonal(lu))
    eps = np.finfo(lu.dtype if dtype is None else dtype).eps
    cut = max(max(m, r) * eps * (float(diag.max()) if diag.size else 0.0), float(floor))
    small = np.flatnonzero(diag <= cut)
    q = int(small[0]) if small.size else r
    if dtype is not None and np.dtype(dtype) != lu.dtype:
        return perm[:r], _interpolation(B, perm[:q], dtype), q
    C = np.empty((m, q), dtype=lu.dtype)
    C[perm[:q]] = np.eye(q, dtype=lu.dtype)
    # C[perm[q:]] = L_2 L_1^{-1}: a triangular solve with the unit lower L_1 = L[:q]
    solve_lower_right(lu[q:, :q], lu[:q, :q], unit=True, out=C, rows=perm[q:])
    return perm[:r], C, q


def _interpolation(Y, pivots, dtype):
    r"""``C = Y Y_I^+`` in ``dtype`` for the pivot rows ``I`` (``C[I] = I``): with
    :math:`Y_I^H = Q_1 R_1`, :math:`C = (Y Q_1) R_1^{-H}` - a QR of the small
    :math:`Y_I^H`, a product and a triangular solve, ``O(m l q)``."""
    Y = np.asarray(Y).astype(dtype, copy=False)
    pivots = np.asarray(pivots, dtype=np.intp)
    q = pivots.size
    if q == 0:
        return np.empty((Y.shape[0], 0), dtype=Y.dtype)
    Q1, R1 = np.linalg.qr(Y[pivots].conj().T)
    # C = M R_1^{-H} for M = Y Q_1: C L = M with the lower triangular L = R_1^H, solved
    # row by row in M's memory
    M = np.ascontiguousarray(Y @ Q1)
    C = solve_lower_right(M, R1.conj().T, out=M)
    C[pivots] = np.eye(q, dtype=Y.dtype)
    return C


def _lu_lapack(B):
    """``(lu, perm)``: LAPACK's ``getrf`` of the real ``B`` as the packed factors of
    ``B[perm]`` (pivoting on ``|b|``)."""
    lu, swaps = scipy.linalg.lu_factor(B, check_finite=False)
    perm = np.arange(B.shape[0])
    for i, s in enumerate(swaps):
        perm[i], perm[s] = perm[s], perm[i]
    return lu, perm


def _lu_modulus(B):
    """The same for a complex ``B``, pivoting on the modulus ``|b|`` (LAPACK's complex
    ``getrf`` pivots on ``|Re b| + |Im b|``, which would not be DEIM's choice):
    Gaussian elimination, ``r`` rank-one updates of ``O(m r)``."""
    A = np.array(B, dtype=B.dtype, copy=True)
    m, r = A.shape
    perm = np.arange(m)
    for j in range(min(m, r)):
        i = j + int(np.argmax(np.abs(A[j:, j])))
        if i != j:
            A[[j, i]] = A[[i, j]]
            perm[[j, i]] = perm[[i, j]]
        if A[j, j] != 0:
            A[j + 1:, j] /= A[j, j]
            A[j + 1:, j + 1:] -= np.outer(A[j + 1:, j], A[j, j + 1:])
    return A, perm


def _cpqr_row_id(Y, dtype=None, floor=0.0):
    r"""Row pivots of the tall ``Y`` (m x l) by a column-pivoted QR of :math:`Y^H`, and
    the interpolation matrix.

    The pivots are those of the pivoted QR :math:`Y^H \Pi = Q R` (Businger-Golub: at
    each step the row of ``Y`` of largest norm orthogonal to the rows already chosen),
    computed *left-looking*, which for ``l`` much smaller than ``m`` is several times
    faster than LAPACK's ``geqp3`` on the wide :math:`Y^H`: step ``s`` takes the
    residual of the pivot row against the orthonormal rows :math:`q_1, \dots, q_{s-1}`
    found so far (Gram-Schmidt, twice) and normalises it to :math:`q_s`; then one read
    of ``Y`` gives every row's coefficient :math:`c_{is} = y_i q_s^H`, downdates its
    squared residual norm by :math:`|c_{is}|^2` and finds the next pivot
    (:func:`skeleton._compiled.rowid.project_rows`).  A norm downdated to below
    ``sqrt(eps)`` of its last exact value (the test of LAPACK's ``xLAQP2``) is known
    only to about ``(l + q) eps`` of that value.  Such a row is recomputed when its
    upper bound could make it the next pivot: its residual against ``Q`` (Gram-Schmidt
    twice) gives its norm and replaces the row in the coefficients that follow, which
    are then accurate relative to that residual, as LAPACK's updated trailing columns
    are.  The pivots are ``geqp3``'s up to rounding, and rows that can no longer
    matter cost nothing.

    With :math:`Y \approx c\, Q` and the pivot rows :math:`Y_{I,:} = T Q` (``T`` the
    lower triangular :math:`c_{I,:}`), the interpolation matrix is
    :math:`C = Y Y_{I,:}^+ = c\, T^{-1}` (``C[I] = I``): a triangular solve.  The
    arithmetic is in ``dtype`` (default ``Y``'s; a single-precision sketch of
    double-precision data is widened exactly, entry by entry).  The rank ``q`` stops
    before the first pivot norm at or below ``max(m, l) eps`` relative (``eps`` of
    ``dtype``) or at or below ``floor``, the size of ``Y``'s own error.  Returns
    ``(order, C, q)``: the ``q`` pivots in the order chosen, ``C`` (m x q) and ``q``.
    """
    with single_threaded_blas():  # (as in _extend_by_volume)
        return _cpqr_row_id_body(np.asarray(Y), dtype, floor)


def _cpqr_row_id_body(Y, dtype, floor):
    m, l = Y.shape
    work = np.dtype(Y.dtype if dtype is None else dtype)
    qmax = min(m, l)
    compiled = project_rows is not None and Y.dtype.kind in "fc"
    if compiled:
        Y = np.ascontiguousarray(Y)  # (the kernels read rows)
    top = float(np.max(np.abs(Y), initial=0.0))
    # squares of entries beyond about 1e+-120 would over- or underflow: work at unit
    # scale (a power of two, exact); pivots and C do not depend on the scale
    e = square_safe_exponent(top)
    if e:
        Y, floor = Y * math.ldexp(1.0, -e), floor * math.ldexp(1.0, -e)
    norms = row_sq_norms(Y)
    if not compiled:
        Y = Y.astype(work, copy=False)
    last = norms.copy()  # each row's squared norm when it was last computed exactly
    # W: the rows the coefficients are computed from, Y's own until a row's norm is
    # recomputed; then its residual, so that what is downdated after is accurate
    # relative to that residual rather than to the row (as LAPACK's trailing columns)
    W, own = Y, False
    Q = np.zeros((qmax, l), dtype=work)
    coef = np.zeros((qmax, m), dtype=work)  # coef[s, i] = y_i q_s^H
    piv = np.zeros(qmax, dtype=np.intp)
    eps = float(np.finfo(work).eps)
    tolsq, errf = np.sqrt(eps), 4.0 * (l + qmax) * eps
    chunks = 16
    best, arg, stale = np.empty(chunks), np.empty(chunks, dtype=np.intp), np.empty(chunks)
    i, q, cut2 = int(np.argmax(norms)), 0, 0.0
    for s in range(qmax):
        r = Y[i].astype(work) - coef[:s, i] @ Q[:s]
        r -= (Q[:s].conj() @ r) @ Q[:s]  # the second Gram-Schmidt pass
        rn = float(np.linalg.norm(r))
        if s == 0:
            cut2 = max(max(m, l) * eps * rn, float(floor)) ** 2
        if not rn * rn > cut2:
            break
        piv[s], Q[s], norms[i] = i, r / rn, -np.inf
        q = s + 1
        if q == qmax:
            coef[s] = W @ Q[s].conj()
            break
        if compiled:
            project_rows(W, Q[s].conj(), coef[s], norms, last, tolsq, errf, best, arg, stale)
            h = int(np.argmax(best))
            bv, i, sv = float(best[h]), int(arg[h]), float(np.max(stale))
        else:
            coef[s] = W @ Q[s].conj()
            norms -= _sq(coef[s])
            ok = norms > tolsq * last
            bv = float(np.max(norms, where=ok, initial=-np.inf))
            i = int(np.argmax(np.where(ok, norms, -np.inf)))
            sv = float(np.max(norms + errf * last, where=~ok & (norms > -np.inf), initial=-np.inf))
        if sv > max(bv, cut2):
            # a row whose norm is only known roughly may be the next pivot: recompute
            # those that may, from their residuals y_i - c_i Q (Gram-Schmidt twice)
            rows = np.flatnonzero((norms <= tolsq * last) & (norms + errf * last > max(bv, cut2)))
            rows = rows[norms[rows] > -np.inf]
            res = Y[rows].astype(work) - coef[:q, rows].T @ Q[:q]
            res -= (res @ Q[:q].conj().T) @ Q[:q]
            if not own:
                W, own = np.array(Y, dtype=work, order="C"), True
            W[rows] = res
            norms[rows] = last[rows] = _sq(res).sum(axis=1)
            i = int(np.argmax(norms))
        elif bv == -np.inf:
            break  # every row left is at or below the cut
    piv = piv[:q]
    if not q:
        return piv, np.zeros((m, 0), dtype=work), 0
    T = np.tril(coef[:q, piv].T)  # T[a, s] = y_{piv[a]} q_s^H
    # C T = c^T: a triangular solve from the right, row by row, into a C-ordered C
    # (the rows are what is read next)
    C = solve_lower_right(coef[:q].T, T)
    C[piv] = np.eye(q, dtype=work)
    return piv, C, q


def _sq(A):
    """``|A|^2`` elementwise, real."""
    return A.real ** 2 + A.imag ** 2 if A.dtype.kind == "c" else A * A


def _deim(B, k):
    m, r = B.shape
    r_use = min(r, k)
    if r_use == 0:
        return np.zeros(0, dtype=np.intp)
    order, C, q = _lu_row_id(B[:, :r_use])
    if k <= q:
        return np.sort(order[:k]).astype(np.intp)
    return _extend_by_volume(C, order[:q], k)


# -- maxvol ---------------------------------------------------------------------------

def _maxvol_swaps(C, idx, tol, max_iter):
    """Swap rows into ``idx`` until no ``|C| > tol``; ``C = B B_idx^{-1}`` kept by
    rank-one updates. Returns the number of swaps."""
    m, r = C.shape
    absC = np.abs(C)
    where = np.argmax(absC, axis=1)
    best = absC[np.arange(m), where]
    del absC
    use_kernel = HAVE_NUMBA and C.flags.c_contiguous and C.dtype.kind in "fc"
    swaps = 0
    while swaps < max_iter:
        i = int(np.argmax(best))
        j = int(where[i])
        if best[i] <= tol:
            break
        idx[j] = i
        # row j of B_idx replaced by row i of B: C -= C[:, j] (C[i, :] - e_j) / C[i, j]
        cj = C[:, j].copy()
        ci = C[i, :] / C[i, j]
        ci[j] -= 1.0 / C[i, j]
        if use_kernel:
            update_and_search(C, cj, ci, best, where)
        else:
            C -= np.outer(cj, ci)
            absC = np.abs(C)
            where = np.argmax(absC, axis=1)
            best = absC[np.arange(m), where]
        swaps += 1
    return swaps


def _maxvol_square(B, tol=1.05, max_iter=_MAXVOL_MAX_ITER, start=None):
    """Rows ``I`` (len r) of the tall ``B`` (``m x r``) with ``|B B[I]^{-1}| <= tol``.

    Goreinov, Oseledets, Savostyanov, Tyrtyshnikov, Zamarashkin (2010): start from
    the row pivots of a column-pivoted QR of :math:`B^H` (:func:`_cpqr_row_id`), then
    swap in the row holding the largest coefficient of :math:`C = B B_I^{-1}` until
    no coefficient exceeds ``tol``; each swap multiplies :math:`|\\det B_I|` by that
    coefficient and updates ``C`` by a rank-one correction, :math:`O(m r)`. Returns
    ``(I, C)``. (teneva starts from the pivots of an LU factorisation with partial
    pivoting, which cost less but give a smaller volume: on the singular vectors of
    ``benchmarks/bench_selection.py`` that start needed 13-24 swaps where this one
    needed 0-1, and its swaps ended at a smaller volume.) A ``start`` (``r`` distinct
    rows; one of another length is ignored) replaces the pivoted QR when it is a
    usable one: ``C`` for it comes from :func:`_interpolation` (no pass of the pivoted
    QR over ``B``), and a start whose coefficients exceed :data:`_START_COEF` in
    modulus (near-singular ``B_I``) is dropped for the pivoted-QR start.
    """
    m, r = B.shape
    if start is not None and len(start) != r:
        start = None  # (not a square start for these columns: the pivoted QR's)
    if start is not None:
        start = np.asarray(start, dtype=np.intp)
        with single_threaded_blas():
            C = _interpolation(B, start, B.dtype)
        if _usable_start(C):
            idx = start.copy()
            _maxvol_swaps(C, idx, tol, max_iter)
            return idx, C
    order, C, q = _cpqr_row_id(B)
    if q < r:
        raise np.linalg.LinAlgError(
            f"B has numerical rank {q} < {r} columns: no nonsingular {r} x {r} submatrix to start maxvol from")
    idx = np.array(order, dtype=np.intp)
    C = np.ascontiguousarray(C)
    _maxvol_swaps(C, idx, tol, max_iter)
    return idx, C


def maxvol_indices(B, k, tol=1.05):
    r"""Maximal-volume rows of the basis ``B`` (``m x r``), ``k`` of them.

    For ``k <= r`` the first ``k`` columns of ``B`` are used with square maxvol: from
    the pivots of a column-pivoted QR of :math:`B^H`, rows are swapped in
    while a coefficient of :math:`C = B B_I^{-1}` exceeds ``tol`` in modulus, each swap
    a rank-one update of ``C``. For ``k > r``, rectangular maxvol adds rows one at a
    time, each the one that grows the volume :math:`\sqrt{\det(B_I^H B_I)}` most
    (Sherman-Morrison updates, module docstring; Mikhalev & Oseledets 2018). Cost:
    :math:`O(m r^2)` for the start, :math:`O(m r)` per swap, and per added row
    :math:`O(P r)` on a pool of ``P`` candidates.

    Parameters
    ----------
    B : array_like, shape (m, r)
        Finite basis whose rows are chosen among, normally the top-r singular vectors.
    k : int
        How many rows, ``0 <= k <= m``.
    tol : float, default 1.05
        Square maxvol stops when no coefficient of :math:`B B_I^{-1}` exceeds
        ``tol`` in modulus (each swap grows :math:`|\det B_I|` by at least ``tol``);
        at least 1.

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct row indices.

    Raises
    ------
    ValueError
        If ``B`` is not a non-empty 2-D finite matrix, ``k`` is outside ``[0, m]``,
        or ``tol < 1``.
    TypeError
        If ``B`` is not numeric, ``k`` not an integer, or ``tol`` not a real number.
    numpy.linalg.LinAlgError
        If the leading ``min(k, r)`` columns of ``B`` are linearly dependent (no
        nonsingular square submatrix to start from).

    References
    ----------
    S. A. Goreinov, I. V. Oseledets, D. V. Savostyanov, E. E. Tyrtyshnikov,
    N. L. Zamarashkin, "How to find a good submatrix", in Matrix Methods: Theory,
    Algorithms and Applications, World Scientific, 2010.
    A. Mikhalev, I. V. Oseledets, "Rectangular maximum-volume submatrices and their
    applications", Linear Algebra Appl. 538, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import maxvol_indices
    >>> B = np.array([[1.0, 0.0], [0.0, 0.1], [0.0, 2.0], [0.5, 0.5]])
    >>> maxvol_indices(B, 2).tolist()
    [0, 2]
    """
    B = _basis(B)
    k = _count(k, B.shape[0])
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol):
        raise TypeError(f"tol must be a finite real number, got {tol!r}")
    if tol < 1:
        raise ValueError(f"tol must be at least 1 (a swap must not shrink the volume), got {tol}")
    return _maxvol(B, k, float(tol))


def _maxvol(B, k, tol=1.05, start=None):
    m, r = B.shape
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    if k <= r:
        B = B[:, :k]
    idx, C = _maxvol_square(np.ascontiguousarray(B), tol=tol, start=start)
    return _extend_by_volume(C, idx, k)


def _usable_start(C):
    """Whether ``C = B B_I^{-1}`` makes ``I`` a start for the swaps (:data:`_START_COEF`)."""
    return bool(np.isfinite(C).all()) and float(np.max(np.abs(C), initial=0.0)) <= _START_COEF


def _maxvol_started(C, start, k, tol=1.05):
    """:func:`_maxvol` from the ``r = C.shape[1]`` rows ``start``, given ``C = B B_start^{-1}``
    (``m x r``, C-ordered, modified) for ``k >= r``; None if that start is not usable,
    for the caller to fall back on :func:`_maxvol` with the basis itself."""
    if k < C.shape[1] or not _usable_start(C):
        return None
    idx = np.array(start, dtype=np.intp)
    _maxvol_swaps(C, idx, tol, _MAXVOL_MAX_ITER)
    return _extend_by_volume(C, idx, k)


# -- rectangular maxvol: the volume extension -----------------------------------------


def _extend_by_volume(C, chosen, k):
    r"""Add rows to ``chosen`` until there are ``k``, each the one that grows the volume most.

    ``C = B B_I^{-1}`` (m x q) for ``q = len(chosen)`` rows ``I = chosen`` of a basis
    ``B``; the greedy choice and its pooled Sherman-Morrison updates are in the module
    docstring. Returns the sorted indices.
    """
    # small BLAS calls alternate with compiled parallel loops: BLAS on one thread, or
    # its idle workers spin against numba's on the same cores
    with single_threaded_blas():
        return _extend_by_volume_body(C, chosen, k)


def _extend_by_volume_body(C, chosen, k):
    chosen = [int(i) for i in chosen]
    m = C.shape[0]
    if len(chosen) >= k:
        return np.sort(np.asarray(chosen[:k], dtype=np.intp))
    C = np.asarray(C)
    if C.dtype.kind not in "fc" or C.dtype.itemsize < 8:
        C = C.astype(np.result_type(C.dtype, np.float64))
    if C.shape[1] == 0 or not chosen:
        # nothing to extend from: the rows of largest norm, then the rest in order
        return _fill_by_norm(C, chosen, k)
    taken = np.zeros(m, dtype=bool)
    taken[chosen] = True
    CI = C[chosen]
    if CI.shape[0] == CI.shape[1] and np.array_equal(CI, np.eye(CI.shape[0], dtype=CI.dtype)):
        K = np.eye(CI.shape[1], dtype=C.dtype)  # C from a row ID: nu_j = ||c_j||^2
        nu = row_sq_norms(C)
    else:
        K = np.linalg.pinv(CI.conj().T @ CI, hermitian=True)
        nu = np.real(np.sum((C @ K) * C.conj(), axis=1))
    pending = []  # the updates u = w / sqrt(1 + nu_i) not yet applied to nu
    # the refresh GEMM in single precision where that is harmless (twice as fast): its
    # rounding, about q eps_32 nu_j on row j, must stay far below the gains 1 + nu_j
    # compare, which fails for a C with large entries (an ill-conditioned row ID)
    single = np.complex64 if C.dtype.kind == "c" else np.float32
    nu_max = float(np.max(nu, initial=0.0))
    low = np.ascontiguousarray(C.astype(single) if nu_max * C.shape[1] * np.finfo(single).eps <= _LOW_REFRESH else C)
    while len(chosen) < k:
        if pending:  # bring every row up to date: nu_j -= sum_t |c_j u_t|^2
            _downdate(low, np.stack(pending).astype(low.dtype), nu)
            pending = []
        nu[taken] = -np.inf
        free = m - len(chosen)
        P = min(free, max(_POOL_FACTOR * (k - len(chosen)), _POOL_MIN))
        pool = np.argpartition(-nu, P - 1)[:P]
        outside = -np.inf  # the largest (stale, hence upper-bound) value outside the pool
        if P < free:
            rest = nu.copy()
            rest[pool] = -np.inf
            outside = float(np.max(rest))
        vals = nu[pool].copy()
        if pool_picks is not None:
            # (the same picks, compiled: the pool's rows as columns, the gains updated
            # along them; stops where the loop below would break for a refresh)
            left = k - len(chosen)
            picks, W = np.empty(left, dtype=np.intp), np.empty((left, C.shape[1]), dtype=C.dtype)
            got = pool_picks(np.ascontiguousarray(C[pool].T), vals, K, outside, left, picks, W)
            new = pool[picks[:got]]
            chosen.extend(int(i) for i in new)
            taken[new] = True
            pending.extend(W[:got])
            continue
        Cp = C[pool]
        while len(chosen) < k:
            t = int(np.argmax(vals))
            beta = float(vals[t])
            if beta < outside:
                break  # a row outside the pool may be better by now: refresh
            w = K @ Cp[t].conj()
            vals -= np.abs(Cp @ w) ** 2 / (1.0 + beta)
            vals[t] = -np.inf
            K -= np.outer(w, w.conj()) / (1.0 + beta)
            pending.append(w / np.sqrt(1.0 + beta))
            i = int(pool[t])
            chosen.append(i)
            taken[i] = True
    return np.sort(np.asarray(chosen, dtype=np.intp))


def _downdate(C, U, nu):
    """``nu_j -= sum_t |c_j u_t|^2`` for the rows ``u_t`` of ``U``: for a few rows one
    compiled read of ``C`` (:func:`skeleton._compiled.maxvol.downdate_gains`), for
    more a GEMM per block of rows and thread with the row sums fused
    (:func:`~skeleton._compiled.maxvol.downdate_blocks`), else NumPy's GEMM (the
    crossover measured on 20000 x 50)."""
    compiled = downdate_gains is not None and C.flags.c_contiguous
    if compiled and U.shape[0] < _DOT_ROWS:
        downdate_gains(C, np.ascontiguousarray(U), nu)
        return
    if compiled and downdate_blocks is not None and downdate_blocks(C, U, nu):
        return
    nu -= row_sq_norms(C @ U.T)


def _fill_by_norm(C, chosen, k):
    """``chosen`` completed to ``k`` rows by the largest row norms of ``C``."""
    norms = row_sq_norms(C) if C.shape[1] else np.zeros(C.shape[0])
    norms[np.asarray(chosen, dtype=np.intp)] = -np.inf
    order = np.argsort(-norms, kind="stable")
    out = list(chosen) + [int(i) for i in order[: k - len(chosen)]]
    return np.sort(np.asarray(out, dtype=np.intp))
