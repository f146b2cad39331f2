"""The segment-average matrix S of equation (4): ``X S`` replaces each group of
``s = d / r`` consecutive columns by its mean.

S is never formed: the means are one reshape and one reduction.  The two layouts say
where the r means go when they are repeated back to d columns (the paper's
block-diagonal S, or the appendix code's ``torch.repeat`` tiling).
"""

from __future__ import annotations

from .._validation import check_bool, check_choice, check_int, check_real_matrix

__all__ = ["segment_average"]

LAYOUTS = ("block", "tile")


def check_groups(r, d, name="r"):
    """Check a group count: an integer 1 <= r <= d that divides d."""
    r = check_int(r, name, low=1)
    if r > d:
        raise ValueError(f"{name}={r} exceeds the number of columns d={d}")
    if d % r:
        raise ValueError(f"{name}={r} must divide the number of columns d={d} (d = s*r)")
    return r


def group_means(X, r, xp):
    """(n, r) means of the r groups of consecutive columns (X itself when r = d)."""
    n, d = X.shape
    s = d // r
    if s == 1:
        return X
    return xp.mean(xp.reshape(X, (n, r, s)), axis=2)


def expand(A, r, s, layout, xp):
    """(n, r) -> (n, r*s): column j takes group j // s (block) or j mod r (tile)."""
    n = A.shape[0]
    if s == 1:
        return A
    if layout == "block":
        return xp.reshape(xp.broadcast_to(A[:, :, None], (n, r, s)), (n, r * s))
    return xp.reshape(xp.broadcast_to(A[:, None, :], (n, s, r)), (n, r * s))


def segment_average(X, r, *, layout="block", repeat=False, check_finite=True):
    """``X S``: replace each group of ``s = d / r`` consecutive columns by its mean.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Real token matrix.
    r : int
        Number of groups; must divide d.  ``r = d`` is no averaging.
    layout : {"block", "tile"}, default "block"
        How the r averages are laid out when ``repeat=True``.  ``"block"`` is the
        block-diagonal S of eq. (4): column j holds the average of group ``j // s``.
        ``"tile"`` is the appendix code (``reshape(n, fold, d//fold).mean(-1)`` then
        ``torch.repeat``): column j holds the average of group ``j mod r``.  Both
        layouts average the same groups (consecutive columns); only the placement of
        the repeats differs, so without ``repeat`` the result is the same.
    repeat : bool, default False
        Return the n x d matrix ``X S`` instead of its r distinct columns.
    check_finite : bool, default True
        Raise on NaN/inf in ``X``.

    Returns
    -------
    ndarray, shape (n, r) or (n, d)
        Group means (in X's computing dtype: float32 stays float32), a new array.

    Raises
    ------
    ValueError
        If r does not divide d, r < 1, X is not 2-D, or X holds NaN/inf.
    TypeError
        If X is complex, r is not an integer or repeat is not a bool.

    Notes
    -----
    ``S = I_r (x) (1/s) 1_s 1_s^T`` (block layout) is never formed: the means are one
    reshape and one reduction, O(nd) work.  For the tile layout the matrix is
    ``S[i, j] = 1/s`` if ``i // s == j mod r``.  Linear in X, hence scale-equivariant:
    ``segment_average(c X, r) = c segment_average(X, r)``.

    References
    ----------
    Wang et al., "S3Attention", arXiv:2408.08567, eq. (4) and Appendix (``Smoother``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(2, 4)
    >>> segment_average(X, 2)
    array([[0.5, 2.5],
           [4.5, 6.5]])
    >>> segment_average(X, 2, repeat=True)[0]
    array([0.5, 0.5, 2.5, 2.5])
    >>> segment_average(X, 2, repeat=True, layout="tile")[0]
    array([0.5, 2.5, 0.5, 2.5])
    """
    X, _, backend = check_real_matrix(X, "X", check_finite)
    d = X.shape[1]
    r = check_groups(r, d)
    check_choice(layout, LAYOUTS, "layout")
    repeat = check_bool(repeat, "repeat")
    xp = backend.xp
    A = group_means(X, r, xp)
    if repeat:
        A = expand(A, r, d // r, layout, xp)
    # a new array in every case (r = d returns X itself, expand a broadcast view)
    return xp.asarray(A, copy=True) if (A is X or repeat) else A
