r"""Row and column selection rules for skeleton (CUR) approximation.

Each rule picks ``k`` indices out of ``m``. The randomised rules take an explicit
``numpy.random.Generator``; the deterministic ones a basis ``B`` (``m x r``) whose
rows describe the rows (or columns) being chosen among, normally the top-r singular
vectors.

* :func:`uniform_indices` - ``k`` of ``m`` uniformly without replacement, the rule of
  Chiu & Demanet (2013) and of the S3Attention paper; reliable when μ is small.
* :func:`leverage_indices` - without replacement with probability proportional to the
  leverage scores :math:`\|B_{i,:}\|^2` (Drineas, Mahoney & Muthukrishnan 2008);
  robust to coherence.
* :func:`pivoted_qr_indices` - the first ``k`` pivots of a column-pivoted QR
  (Businger-Golub), deterministic; the skeleton of an interpolative decomposition.
* :func:`deim_indices` - the discrete empirical interpolation method
  (Chaturantabut & Sorensen 2010; Sorensen & Embree 2016 for CUR).
* :func:`maxvol_indices` - rows of ``B`` spanning a (locally) maximal-volume
  submatrix (Goreinov et al. 2010), extended to ``k > r`` rows by rectangular maxvol
  (Mikhalev & Oseledets 2018).

All return sorted NumPy ``intp`` arrays without duplicates.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = [
    "uniform_indices",
    "leverage_indices",
    "pivoted_qr_indices",
    "deim_indices",
    "maxvol_indices",
]


def uniform_indices(m, k, rng):
    """``k`` distinct indices of ``range(m)``, uniformly at random, sorted.

    Every ``k``-subset of ``range(m)`` is equally likely (sampling without
    replacement), the row/column rule of Chiu & Demanet (2013) and of the
    S3Attention paper.

    Parameters
    ----------
    m : int
        Size of the population ``range(m)``.
    k : int
        How many indices to draw, ``0 <= k <= m``.
    rng : numpy.random.Generator
        Source of randomness (a Generator, not a seed: the caller normalises it).

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    ValueError
        If ``k > m`` or ``k < 0`` (from :meth:`numpy.random.Generator.choice`).

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
    return np.sort(rng.choice(m, size=k, replace=False)).astype(np.intp)


def leverage_indices(scores, k, rng):
    r"""``k`` distinct indices drawn without replacement, probability ∝ ``scores``.

    Successive draws pick index ``i`` with probability
    :math:`p_i / \sum_{j \notin S} p_j` among those not yet chosen (``S``), with
    :math:`p_i = \max(s_i, 0)` (leverage-score sampling, Drineas, Mahoney &
    Muthukrishnan 2008). Indices of zero score are drawn (uniformly) only once the
    positive ones run out.

    Parameters
    ----------
    scores : array_like, shape (m,)
        Non-negative weights, normally leverage scores; negative values count as 0.
    k : int
        How many indices to draw, ``0 <= k <= m``.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    ValueError
        If ``k > m`` (from :meth:`numpy.random.Generator.choice`).

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
    p = np.clip(np.asarray(scores, dtype=np.float64), 0.0, None)
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
    decomposition. To select rows, pass the transpose of a basis.

    Parameters
    ----------
    A : array_like, shape (r, m)
        Matrix whose columns are chosen among (e.g. :math:`V_r^H`).
    k : int
        How many pivots, ``k <= min(r, m)``.

    Returns
    -------
    ndarray of intp, shape (k,)
        The sorted column indices.

    Raises
    ------
    ValueError
        If ``k`` exceeds the number of pivots ``min(r, m)``.

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
    _, _, piv = scipy.linalg.qr(np.asarray(A), mode="economic", pivoting=True, check_finite=False)
    if k > piv.size:
        raise ValueError(f"pivoted QR of a {A.shape} matrix gives at most {piv.size} pivots, asked for {k}")
    return np.sort(piv[:k]).astype(np.intp)


def _fill_by_score(chosen, scores, k):
    """Extend ``chosen`` to ``k`` indices with the largest remaining ``scores``."""
    if len(chosen) >= k:
        return np.sort(np.asarray(chosen[:k], dtype=np.intp))
    order = np.argsort(-np.asarray(scores), kind="stable")
    taken = set(int(i) for i in chosen)
    out = list(chosen)
    for i in order:
        if len(out) == k:
            break
        if int(i) not in taken:
            out.append(int(i))
            taken.add(int(i))
    return np.sort(np.asarray(out, dtype=np.intp))


def deim_indices(B, k):
    r"""DEIM selection from the basis ``B`` (``m x r``), extended to ``k`` indices.

    Greedy: the first index is :math:`\arg\max_i |B_{i1}|`; for column ``j`` the
    interpolation residual :math:`b_j - B_{:,<j}(B_{p,<j})^{-1} b_{j,p}` is formed and
    its largest entry added (Chaturantabut & Sorensen 2010). This yields ``r``
    indices; when ``k > r`` the rest are added one at a time by the rectangular
    maxvol rule (each the row that grows the volume of :math:`B_{p,:}` most; the
    oversampling of DEIM advocated by Peherstorfer, Drmač & Gugercin 2020).

    Parameters
    ----------
    B : array_like, shape (m, r)
        Basis whose rows are chosen among, normally the top-r singular vectors.
    k : int
        How many indices, ``1 <= k <= m``.

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct indices.

    Raises
    ------
    numpy.linalg.LinAlgError
        If an interpolation matrix :math:`B_{p,<j}` is exactly singular, which can
        happen when the leading columns of ``B`` are linearly dependent.

    References
    ----------
    S. Chaturantabut, D. C. Sorensen, "Nonlinear model reduction via discrete
    empirical interpolation", SIAM J. Sci. Comput. 32(5), 2010.
    D. C. Sorensen, M. Embree, "A DEIM induced CUR factorization", SIAM J. Sci.
    Comput. 38(3), 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.sampling import deim_indices
    >>> deim_indices(np.eye(4)[:, :2], 2).tolist()
    [0, 1]
    """
    B = np.asarray(B)
    m, r = B.shape
    r_use = min(r, k)
    p = [int(np.argmax(np.abs(B[:, 0])))]
    for j in range(1, r_use):
        Bp = B[p, :j]
        c = scipy.linalg.solve(Bp, B[p, j], check_finite=False)
        res = np.abs(B[:, j] - B[:, :j] @ c)
        res[p] = -1.0  # never pick an index twice, even where the residual ties
        p.append(int(np.argmax(res)))
    if k <= r_use:
        return np.sort(np.asarray(p, dtype=np.intp))
    # beyond r points, oversample by volume (B B_p^{-1} by a solve, as in maxvol)
    C = scipy.linalg.solve(B[p, :r_use].T, B[:, :r_use].T, check_finite=False).T
    return _extend_by_volume(C, p, k)


def _maxvol_square(B, tol=1.05, max_iter=200):
    """Rows ``I`` (len r) of the tall ``B`` (``m x r``) with ``|B B[I]^{-1}| <= tol``.

    Goreinov, Oseledets, Savostyanov, Tyrtyshnikov, Zamarashkin (2010): start from
    the pivots of a pivoted QR of ``B^T`` and swap in the row holding the largest
    coefficient of ``B B[I]^{-1}`` until no coefficient exceeds ``tol``; each swap
    multiplies ``|det B[I]|`` by that coefficient.
    """
    m, r = B.shape
    _, _, piv = scipy.linalg.qr(B.T, mode="economic", pivoting=True, check_finite=False)
    idx = np.array(piv[:r], dtype=np.intp)
    # C = B B[I]^{-1}, computed by a solve (never an explicit inverse).
    C = scipy.linalg.solve(B[idx].T, B.T, check_finite=False).T
    for _ in range(max_iter):
        i, j = np.unravel_index(np.argmax(np.abs(C)), C.shape)
        if abs(C[i, j]) <= tol:
            break
        idx[j] = i
        # Rank-one update of C for the swap (row j of B[I] replaced by row i of B).
        cj = C[:, j].copy()
        ci = C[i, :].copy()
        ci[j] -= 1.0
        C -= np.outer(cj, ci / C[i, j])
    return idx, C


def maxvol_indices(B, k, tol=1.05):
    r"""Maximal-volume rows of the basis ``B`` (``m x r``), ``k`` of them.

    For ``k <= r`` the first ``k`` columns of ``B`` are used with square maxvol.
    For ``k > r``, rectangular maxvol adds rows one at a time: with
    :math:`C = B B_I^+`, the row ``i`` of largest :math:`\|C_{i,:}\|^2` is added, and
    the squared row norms are updated by
    :math:`\|C_{j,:}\|^2 \leftarrow \|C_{j,:}\|^2 - |C_{j,:} c_i^H|^2 / (1 + \|c_i\|^2)`
    (Sherman-Morrison; Mikhalev & Oseledets 2018).

    Parameters
    ----------
    B : array_like, shape (m, r)
        Basis whose rows are chosen among, normally the top-r singular vectors.
    k : int
        How many rows, ``1 <= k <= m``.
    tol : float, default 1.05
        Square maxvol stops when no coefficient of :math:`B B_I^{-1}` exceeds
        ``tol`` in modulus (each swap grows :math:`|\det B_I|` by at least ``tol``).

    Returns
    -------
    ndarray of intp, shape (k,)
        Sorted distinct row indices.

    Raises
    ------
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
    B = np.asarray(B)
    m, r = B.shape
    if k <= r:
        B = B[:, :k]
        r = k
    idx, C = _maxvol_square(B, tol=tol)
    return _extend_by_volume(C, [int(i) for i in idx], k)


def _extend_by_volume(C, chosen, k):
    r"""Add rows to ``chosen`` until there are ``k``, each the one that grows the volume most.

    ``C = B B_I^+`` for the rows ``I = chosen`` of a basis ``B``. Rectangular maxvol
    (Mikhalev & Oseledets 2018): adding row ``i`` multiplies the volume
    :math:`\sqrt{\det(B_I^H B_I)}` by :math:`\sqrt{1 + \|c_i\|^2}`, so the row of
    largest :math:`\|c_i\|` is added, and the squared row norms follow by
    Sherman-Morrison, :math:`\|c_j\|^2 \leftarrow \|c_j\|^2 - |c_j c_i^H|^2 / (1 + \|c_i\|^2)`.
    """
    chosen = list(chosen)
    m = C.shape[0]
    if len(chosen) >= k:
        return np.sort(np.asarray(chosen[:k], dtype=np.intp))
    C = np.array(C, dtype=np.result_type(C, np.float64))
    norms = np.sum(np.abs(C) ** 2, axis=1)
    mask = np.zeros(m, dtype=bool)
    mask[chosen] = True
    while len(chosen) < k:
        cand = np.where(mask, -np.inf, norms)
        i = int(np.argmax(cand))
        ci = C[i].copy()
        beta = float(np.real(np.vdot(ci, ci)))
        proj = C @ np.conj(ci)  # C_j c_i^H for every row j
        norms = norms - np.abs(proj) ** 2 / (1.0 + beta)
        C = np.hstack([C - np.outer(proj, ci) / (1.0 + beta), (proj / (1.0 + beta))[:, None]])
        chosen.append(i)
        mask[i] = True
    return np.sort(np.asarray(chosen, dtype=np.intp))
