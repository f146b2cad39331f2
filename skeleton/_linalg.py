"""Small dense linear-algebra building blocks shared by the routines.

All rank decisions go through :func:`rank_from_singular_values`, whose default
tolerance is NumPy's ``matrix_rank`` rule ``S.max() * max(M, N) * eps``.  Pseudo-
inverses come from an SVD (never an explicit inverse), and are returned in factored
form when the caller only needs to apply them.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "default_rtol",
    "rank_from_singular_values",
    "truncated_pinv",
    "matmat",
    "rmatmat",
    "resize_rows",
]


def default_rtol(shape, dtype):
    """NumPy/SciPy's default relative cut-off ``max(M, N) * eps`` for ``dtype``."""
    return max(shape) * np.finfo(np.dtype(dtype)).eps


def rank_from_singular_values(s, shape, dtype, tol=None, rank=None):
    """Number of singular values kept.

    ``s`` is descending. With ``tol=None`` the cut-off is ``s[0] * max(shape) * eps``
    (``numpy.linalg.matrix_rank``); otherwise ``tol`` is *relative* to ``s[0]``.
    ``rank`` caps the result.
    """
    s = np.asarray(s)
    if s.size == 0 or not s[0] > 0:
        return 0
    rtol = default_rtol(shape, dtype) if tol is None else float(tol)
    k = int(np.count_nonzero(s > rtol * s[0]))
    return k if rank is None else min(k, int(rank))


def truncated_pinv(W, backend, *, tol=None, rank=None):
    """Pseudo-inverse of the small matrix ``W`` from its SVD, truncated.

    Keeps singular values above ``tol * s_max`` (default ``max(W.shape) * eps``), at
    most ``rank`` of them: ``W^+ = V_k diag(1/s_k) U_k^H``. Returns ``(pinv, k)``.
    """
    xp = backend.xp
    U, s, Vh = backend.svd(W)
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, W.shape, W.dtype, tol=tol, rank=rank)
    if k == 0:
        return xp.zeros((W.shape[1], W.shape[0]), dtype=W.dtype), 0
    Vk = xp.conj(Vh[:k, :]).T
    Uk = U[:, :k]
    inv_s = xp.astype(1.0 / s[:k], W.dtype)
    return (Vk * inv_s[None, :]) @ xp.conj(Uk).T, k


def _is_linear_operator(A):
    import scipy.sparse
    import scipy.sparse.linalg

    return isinstance(A, scipy.sparse.linalg.LinearOperator) or scipy.sparse.issparse(A)


def matmat(A, M):
    """``A @ M`` for an array, a sparse matrix or a LinearOperator."""
    if _is_linear_operator(A):
        import scipy.sparse.linalg

        return np.asarray(scipy.sparse.linalg.aslinearoperator(A).matmat(M))
    return A @ M


def rmatmat(A, M):
    """``A^H @ M`` for an array, a sparse matrix or a LinearOperator."""
    if _is_linear_operator(A):
        import scipy.sparse.linalg

        return np.asarray(scipy.sparse.linalg.aslinearoperator(A).rmatmat(M))
    return A.conj().T @ M


def resize_rows(a, rows):
    """Give the C-ordered array ``a`` (which owns its data) ``rows`` rows, in place.

    ``ndarray.resize`` reallocates; for the large factor buffers of the pivoting
    routines the allocator grows or shrinks the mapping (``mremap``) rather than
    copying, so growing does not hold the old and the new buffer at once.  The caller
    must hold no view of ``a``.  New rows are uninitialised (zero-filled by NumPy).
    """
    a.resize((rows,) + a.shape[1:], refcheck=False)
    return a
