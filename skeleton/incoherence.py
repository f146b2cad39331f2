r"""μ-incoherence and leverage scores.

For a matrix :math:`X \in \mathbb{C}^{n \times d}` of rank :math:`r` with compact SVD
:math:`X = W \Sigma V^H`, the *leverage score* of row :math:`i` is
:math:`\ell_i = \|e_i^T W\|_2^2` and of column :math:`j` is :math:`\|e_j^T V\|_2^2`.
They sum to :math:`r` over rows (and over columns), so the average is :math:`r/n`.
The *coherence* (Candès & Recht 2009; Definition 1 of Wang et al. 2024) is how far the
largest score is above the average:

.. math::

    \mu = \max\Big(\frac{n}{r}\max_i \|e_i^T W\|_2^2,\ \frac{d}{r}\max_j \|e_j^T V\|_2^2\Big),
    \qquad 1 \le \mu \le \frac{\max(n, d)}{r}.

μ = 1 means the row and column spaces are spread evenly over the coordinates, so a
few uniformly sampled rows and columns see all of them (Chiu & Demanet 2013); a large
μ means some rows or columns carry a subspace direction almost alone, and uniform
sampling misses them.

For a matrix that is only approximately low rank, μ "at rank r" uses the top-r
singular subspaces; it is well defined only when there is a gap
:math:`\sigma_r > \sigma_{r+1}`, which :class:`Incoherence` reports.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import NumpyBackend, backend_for
from ._linalg import _is_linear_operator, matmat, range_finder, rank_from_singular_values, rmatmat
from ._validation import check_choice, check_finite, check_matrix, check_rank, check_rng

__all__ = ["Incoherence", "incoherence", "leverage_scores"]

# The randomized estimate's subspace error after q power iterations is about
# (sigma_{r+1}/sigma_r)^(2q+1) (Halko, Martinsson & Tropp 2011, Cor. 10.10);
# above this level we warn that the rank-r subspace is not determined.
_SUBSPACE_WARN_LEVEL = 1e-2


@dataclass(frozen=True)
class Incoherence:
    r"""Result of :func:`incoherence`: μ-incoherence and leverage scores of a matrix.

    A frozen record built by :func:`incoherence`; the parameters are also its
    (read-only) attributes. With :math:`W_r`, :math:`V_r` the top-r left and right
    singular vectors, ``row_leverage[i]`` is :math:`\|W_r^H e_i\|^2` and
    ``mu_rows`` is :math:`\frac{n}{r}\max_i \|W_r^H e_i\|^2` (Definition 1 of
    Wang et al. 2024).

    Parameters
    ----------
    mu : float
        ``max(mu_rows, mu_cols)``.
    mu_rows, mu_cols : float
        ``n/r * max(row_leverage)`` and ``d/r * max(col_leverage)``.
    rank : int
        The rank ``r`` the subspaces were taken at.
    row_leverage : array, shape (n,)
        Squared row norms of the top-r left singular vectors (they sum to r).
    col_leverage : array, shape (d,)
        Squared row norms of the top-r right singular vectors (they sum to r).
    singular_values : array
        The singular values computed (all of them for ``method="exact"``, the
        sketch's estimates for ``method="randomized"``).
    gap : float
        ``sigma_r / sigma_{r+1}``; ``inf`` when ``r = min(n, d)`` or
        ``sigma_{r+1} = 0``.
    method : str, default "exact"
        ``"exact"`` or ``"randomized"``.

    See Also
    --------
    incoherence : computes it.

    References
    ----------
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import incoherence
    >>> inc = incoherence(np.diag([3.0, 2.0, 1.0, 0.0]))
    >>> inc.rank, inc.mu, inc.method
    (3, 1.3333333333333333, 'exact')
    >>> inc.row_leverage.round(12).tolist(), float(inc.gap)
    ([1.0, 1.0, 1.0, 0.0], inf)
    """

    mu: float
    mu_rows: float
    mu_cols: float
    rank: int
    row_leverage: Any = field(repr=False)
    col_leverage: Any = field(repr=False)
    singular_values: Any = field(repr=False)
    gap: float
    method: str = "exact"


def _leverage(xp, B, r):
    """Squared row norms of the first r columns of B (real dtype)."""
    Br = B[:, :r]
    return xp.sum(xp.real(Br * xp.conj(Br)), axis=1)


def _gap(s_host, r, full_rank):
    if r >= full_rank or r >= s_host.size:
        return float("inf")
    nxt = float(s_host[r])
    return float("inf") if nxt == 0 else float(s_host[r - 1]) / nxt


def leverage_scores(X, rank=None, *, tol=None, method="exact", rng=None, check_finite=True, **kwargs):
    r"""Row and column leverage scores of ``X`` at ``rank``.

    A shorthand for ``incoherence(...)`` returning ``(row_leverage, col_leverage)``.
    With :math:`X \approx W_r \Sigma_r V_r^H` the top-r part of the SVD, the scores
    are the squared row norms :math:`\ell_i = \|W_r^H e_i\|^2` and
    :math:`\ell'_j = \|V_r^H e_j\|^2`; each vector sums to :math:`r`.

    Parameters
    ----------
    X : (n, d) array_like
        The matrix (as for :func:`incoherence`).
    rank : int, optional
        Rank ``r`` of the singular subspaces; default the numerical rank.
    tol : float, optional
        Relative cut-off for the numerical rank when ``rank`` is None.
    method : {"exact", "randomized"}
        Full thin SVD, or a randomized range finder.
    rng : {None, int, numpy.random.Generator}, optional
        Random state for ``method="randomized"``.
    check_finite : bool, default True
        Raise ValueError when ``X`` holds NaN or inf.
    **kwargs
        Further keywords of :func:`incoherence` (``oversample``, ``n_iter``).

    Returns
    -------
    row_leverage : array, shape (n,)
        Leverage scores of the rows (real, in [0, 1], summing to ``r``).
    col_leverage : array, shape (d,)
        Leverage scores of the columns.

    Raises
    ------
    ValueError
        As :func:`incoherence`: ``X`` not 2-D, empty, non-finite or zero, ``rank``
        outside ``[1, min(n, d)]``, an unknown ``method``.
    TypeError
        Non-numeric ``X``, a bad ``rng``, or an unknown keyword in ``kwargs``.

    References
    ----------
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import leverage_scores
    >>> X = np.diag([3.0, 2.0, 0.0])
    >>> rows, cols = leverage_scores(X)
    >>> rows.tolist()
    [1.0, 1.0, 0.0]
    """
    inc = incoherence(X, rank, tol=tol, method=method, rng=rng, check_finite=check_finite, **kwargs)
    return inc.row_leverage, inc.col_leverage


def incoherence(
    X,
    rank=None,
    *,
    tol=None,
    method="exact",
    rng=None,
    check_finite=True,
    oversample=10,
    n_iter=4,
):
    r"""μ-incoherence of ``X`` and its leverage scores (Definition 1).

    Parameters
    ----------
    X : (n, d) array_like
        The matrix. NumPy, CuPy and dask arrays are handled by their own backend;
        for ``method="randomized"``, scipy.sparse matrices and
        :class:`scipy.sparse.linalg.LinearOperator` are accepted too.
    rank : int, optional
        Take μ of the top-``rank`` singular subspaces ("μ at rank r", as the paper's
        Appendix E). ``None``: the numerical rank, the number of singular values above
        ``tol * sigma_max``.
    tol : float, optional
        Relative cut-off for the numerical rank when ``rank`` is None. Default
        ``max(n, d) * eps`` as :func:`numpy.linalg.matrix_rank`.
    method : {"exact", "randomized"}
        ``"exact"``: a full thin SVD, :math:`O(nd\min(n,d))`. ``"randomized"``: a
        randomized range finder with ``oversample`` extra columns and ``n_iter``
        power iterations (Halko, Martinsson & Tropp 2011), :math:`O(nd(r+p))` per
        pass and ``2 n_iter + 2`` passes over ``X``.
    rng : {None, int, numpy.random.Generator}, optional
        Random state for ``method="randomized"``.
    check_finite : bool, default True
        Raise ValueError when ``X`` holds NaN or inf (reads all of ``X``).
    oversample, n_iter : int
        Sketch oversampling and number of power iterations (randomized only).

    Returns
    -------
    Incoherence
        Frozen dataclass with ``mu``, ``mu_rows``, ``mu_cols``, ``rank``,
        ``row_leverage``, ``col_leverage``, ``singular_values``, ``gap``.

    Raises
    ------
    ValueError
        ``X`` not 2-D, empty, non-finite, the zero matrix (rank 0), ``rank`` outside
        ``[1, min(n, d)]``, unknown ``method``.

    Warns
    -----
    RuntimeWarning
        When ``sigma_r`` and ``sigma_{r+1}`` coincide (the rank-r subspace, hence μ,
        is not defined), or, for ``method="randomized"``, when the estimated
        ``(sigma_{r+1}/sigma_r)^{2 n_iter + 1}`` exceeds 1e-2, so the sketch cannot
        be trusted to have found the subspace.

    Notes
    -----
    With :math:`X \approx W_r \Sigma_r V_r^H` the top-r part of the SVD,

    .. math::

        \mu_{rows} = \frac{n}{r} \max_i \|W_r^H e_i\|^2, \quad
        \mu_{cols} = \frac{d}{r} \max_j \|V_r^H e_j\|^2, \quad
        \mu = \max(\mu_{rows}, \mu_{cols}).

    The randomized estimate agrees with the exact one to about 1 % relative when the
    gap :math:`\sigma_r/\sigma_{r+1}` is 10 or more (tested).

    References
    ----------
    E. Candès, B. Recht, "Exact matrix completion via convex optimization", 2009.
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1 and Appendix E.
    N. Halko, P.-G. Martinsson, J. Tropp, "Finding structure with randomness",
    SIAM Review 53(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import incoherence
    >>> X = np.outer(np.ones(4), np.ones(3))      # perfectly spread: mu = 1
    >>> round(incoherence(X).mu, 12)
    1.0
    >>> X = np.zeros((4, 3)); X[0, 0] = 1.0      # one spike: mu = max(n, d) / r
    >>> incoherence(X).mu
    4.0
    """
    check_choice(method, ("exact", "randomized"), "method")
    if _is_linear_operator(X):
        if method != "randomized":
            raise ValueError(
                "sparse matrices and LinearOperators need method='randomized' "
                f"(got method={method!r})"
            )
        return _incoherence_operator(X, rank, tol, rng, check_finite, oversample, n_iter)
    X, dtype = check_matrix(X, "X")
    backend = backend_for(X, "X")
    n, d = X.shape
    if rank is not None:
        rank = check_rank(rank, n, d)
    if check_finite:
        if not backend.all_finite(X):
            raise ValueError("X must not contain NaN or infinity (pass check_finite=False to skip this check)")
    Xf = backend.astype(X, dtype)
    if method == "exact":
        return _incoherence_exact(Xf, rank, tol, backend)
    return _incoherence_randomized(Xf, rank, tol, check_rng(rng), oversample, n_iter, backend)


def _finish(xp, backend, U, Vh_conj_T, s, r, n, d, method, full_rank):
    s_host = backend.to_numpy(s)
    row_lev = _leverage(xp, U, r)
    col_lev = _leverage(xp, Vh_conj_T, r)
    mu_rows = n / r * float(xp.max(row_lev))
    mu_cols = d / r * float(xp.max(col_lev))
    return Incoherence(
        mu=max(mu_rows, mu_cols),
        mu_rows=mu_rows,
        mu_cols=mu_cols,
        rank=int(r),
        row_leverage=row_lev,
        col_leverage=col_lev,
        singular_values=s,
        gap=_gap(s_host, r, full_rank),
        method=method,
    )


def _resolve_rank(s_host, shape, dtype, tol, rank):
    if rank is None:
        r = rank_from_singular_values(s_host, shape, dtype, tol=tol)
        if r == 0:
            raise ValueError("X is the zero matrix (numerical rank 0): incoherence is undefined")
        return r
    if not s_host[0] > 0:
        raise ValueError("X is the zero matrix (numerical rank 0): incoherence is undefined")
    return rank


def _incoherence_exact(X, rank, tol, backend):
    xp = backend.xp
    n, d = X.shape
    U, s, Vh = backend.svd(X)
    s_host = backend.to_numpy(s)
    r = _resolve_rank(s_host, X.shape, X.dtype, tol, rank)
    if r < min(n, d):
        eps = np.finfo(s_host.dtype).eps
        if s_host[r - 1] - s_host[r] <= 8 * eps * s_host[0] and s_host[r] > 0:
            warnings.warn(
                f"sigma_{r} and sigma_{r + 1} coincide to rounding ({s_host[r - 1]:.3g}): "
                "the rank-r singular subspaces, hence mu at this rank, are not unique",
                RuntimeWarning,
                stacklevel=3,
            )
    return _finish(xp, backend, U, xp.conj(Vh).T, s, r, n, d, "exact", min(n, d))


def _sketch_svd(X, size, n_iter, rng, backend, dtype):
    Q = range_finder(X, size, n_iter, rng, backend, dtype)
    B = rmatmat(X, Q)  # d x size, = (Q^H X)^H
    Ub, s, Vbh = backend.svd(B)  # B = Ub s Vbh  =>  Q^H X = Vbh^H s Ub^H
    U = Q @ backend.xp.conj(Vbh).T
    return U, s, Ub


def _randomized_core(X, rank, tol, rng, oversample, n_iter, backend, dtype):
    n, d = X.shape
    full = min(n, d)
    if rank is not None:
        size = min(full, rank + oversample)
        U, s, V = _sketch_svd(X, size, n_iter, rng, backend, dtype)
        s_host = backend.to_numpy(s)
        r = _resolve_rank(s_host, X.shape, dtype, tol, rank)
    else:
        # Adaptive: grow the sketch until the numerical rank is resolved with
        # `oversample` directions to spare (or the sketch is full).
        size = min(full, 2 * oversample + 8)
        while True:
            U, s, V = _sketch_svd(X, size, n_iter, rng, backend, dtype)
            s_host = backend.to_numpy(s)
            r = _resolve_rank(s_host, X.shape, dtype, tol, None)
            if r + oversample <= size or size == full:
                break
            size = min(full, 2 * size)
    gap = _gap(s_host, r, full)
    if np.isfinite(gap) and gap ** -(2 * n_iter + 1) > _SUBSPACE_WARN_LEVEL:
        warnings.warn(
            f"estimated gap sigma_{r}/sigma_{r + 1} = {gap:.3g} is too small for the "
            f"randomized sketch ({n_iter} power iterations) to determine the rank-{r} "
            "subspace; mu may be inaccurate (use method='exact' or more n_iter)",
            RuntimeWarning,
            stacklevel=4,
        )
    return U, s, V, r


def _incoherence_randomized(X, rank, tol, rng, oversample, n_iter, backend):
    xp = backend.xp
    n, d = X.shape
    U, s, V, r = _randomized_core(X, rank, tol, rng, oversample, n_iter, backend, X.dtype)
    return _finish(xp, backend, U, V, s, r, n, d, "randomized", min(n, d))


def _incoherence_operator(A, rank, tol, rng, check_finite_, oversample, n_iter):
    import scipy.sparse

    n, d = A.shape
    if n == 0 or d == 0:
        raise ValueError(f"X must not be empty, got shape {(n, d)}")
    if rank is not None:
        rank = check_rank(rank, n, d)
    dtype = np.result_type(A.dtype, np.float32) if np.dtype(A.dtype).kind in "fc" else np.dtype(np.float64)
    if scipy.sparse.issparse(A):
        if check_finite_:
            check_finite(A.data, "X", xp=np)
        A = A.astype(dtype) if A.dtype != dtype else A
    backend = NumpyBackend()
    U, s, V, r = _randomized_core(A, rank, tol, check_rng(rng), oversample, n_iter, backend, dtype)
    return _finish(np, backend, U, V, s, r, n, d, "randomized", min(n, d))
