"""Nystromformer attention (Xiong et al. 2021), the linear-attention baseline the paper
compares against: softmax attention approximated through m segment-mean landmarks.

All the arithmetic runs in the array namespace of the input (NumPy, CuPy, ...):
landmarks by one gather and one reduction, the pseudo-inverse by the namespace's
``linalg.pinv`` or by Nystromformer's iteration.
"""

from __future__ import annotations

import math

from ._attention_core import check_qkv, check_result_finite, check_scale, softmax
from ._validation import check_choice, check_count, check_nonneg_int

__all__ = ["nystrom_attention"]


def nystrom_attention(Q, K, V, m, *, scale=None, pinv="iterative", n_iter=6, check_finite=True):
    """Nystromformer attention with m segment-mean landmarks (the baseline).

    Parameters
    ----------
    Q, K : array_like, shape (n, d)
        Queries and keys, one row per token.
    V : array_like, shape (n, dv)
        Values.
    m : int
        Number of landmarks, 1 <= m <= n.
    scale : float, optional
        Default ``1/sqrt(d)``.
    pinv : {"iterative", "exact"}, default "iterative"
        Nystromformer's iterative Moore-Penrose approximation (``n_iter`` steps) or
        an SVD pseudo-inverse (``linalg.pinv`` of the input's array namespace).
    n_iter : int, default 6
        Iterations of the iterative pseudo-inverse (the paper's 6).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them), and on a
        non-finite result of finite inputs (overflowing scores).

    Returns
    -------
    ndarray, shape (n, dv)
        The Nystrom approximation :math:`F A^+ (B V)` of softmax attention (Notes),
        in the result dtype of ``Q``, ``K``, ``V``.

    Raises
    ------
    ValueError
        Shapes, m outside [1, n], n_iter < 0, NaN/inf, overflowing scores.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``; non-integer ``m`` or ``n_iter``.

    Notes
    -----
    Landmarks ``Q~, K~`` (m x d) are means of m contiguous segments of Q's and K's rows
    (segment i holds rows ``floor(i n/m) .. floor((i+1) n/m) - 1``; sizes differ by
    at most one when m does not divide n).  With
    ``F = softmax(Q K~^T s)`` (n x m), ``A = softmax(Q~ K~^T s)`` (m x m),
    ``B = softmax(Q~ K^T s)`` (m x n):  ``out = F A^+ (B V)``, O(n m d + m^3).
    Iterative pseudo-inverse: ``Z0 = A^T / (max_j sum_i |A_ij| * max_i sum_j |A_ij|)``,
    ``Z <- Z (13 I - A Z (15 I - A Z (7 I - A Z))) / 4``.
    With m = n and the exact pseudo-inverse the result is softmax attention.  Linear
    in V (scale-equivariant in V, not in Q or K).  Everything runs in the array
    namespace of the input (``array_api_compat.array_namespace``): CuPy input stays on
    the GPU, with no copy to the host.

    References
    ----------
    Y. Xiong et al., "Nystromformer: A Nystrom-based algorithm for approximating
    self-attention", AAAI 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.attention import softmax_attention
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.standard_normal((3, 16, 4))
    >>> Y = nystrom_attention(Q, K, V, 16, pinv="exact")
    >>> bool(np.allclose(Y, softmax_attention(Q, K, V)))
    True
    """
    Q, K, V, dtype, backend = check_qkv(Q, K, V, check_finite, same_shape=False)
    n, d = Q.shape
    if K.shape[0] != n:
        raise ValueError(f"Q and K must have the same number of rows for Nystrom landmarks, got {n} and {K.shape[0]}")
    m = check_count(m, n, "m", what="tokens (landmarks)")
    check_choice(pinv, ("iterative", "exact"), "pinv")
    n_iter = check_nonneg_int(n_iter, "n_iter")
    sc = check_scale(scale, 1.0 / math.sqrt(d))
    out = _nystrom(Q, K, V, m, sc, pinv, n_iter, dtype, backend.xp)
    if check_finite:
        check_result_finite(out, backend, "Q, K and V")
    return out


def segment_means(A, m, dtype, xp):
    """(m, d) means of the m contiguous row segments ``floor(i n/m) .. floor((i+1) n/m)``.

    One gather of the rows into an (m, ceil(n/m), d) block, shorter segments padded
    with a zero row, then a sum and a division: O(n d), nothing cancels.
    """
    n, d = A.shape
    width = -(-n // m)
    i = xp.arange(m)[:, None]
    lo, hi = (i * n) // m, ((i + 1) * n) // m
    rows = lo + xp.arange(width)[None, :]
    rows = xp.where(rows < hi, rows, xp.full_like(rows, n))  # n: the zero row
    padded = xp.concat([A, xp.zeros((1, d), dtype=A.dtype)], axis=0)
    G = xp.reshape(xp.take(padded, xp.reshape(rows, (-1,)), axis=0), (m, width, d))
    return xp.sum(G, axis=1) / xp.astype(hi - lo, dtype)


def _nystrom(Q, K, V, m, sc, pinv, n_iter, dtype, xp):
    Ql, Kl = segment_means(Q, m, dtype, xp), segment_means(K, m, dtype, xp)
    F = softmax((Q @ Kl.T) * sc, 1, xp)
    A = softmax((Ql @ Kl.T) * sc, 1, xp)
    B = softmax((Ql @ K.T) * sc, 1, xp)
    if pinv == "exact":
        Ap = xp.linalg.pinv(A)
    else:
        # Z0 = A^T / (||A||_1 ||A||_inf), then Z <- Z (13 I - AZ (15 I - AZ (7 I - AZ))) / 4
        I = xp.eye(m, dtype=dtype)
        absA = xp.abs(A)
        Z = A.T / (xp.max(xp.sum(absA, axis=0)) * xp.max(xp.sum(absA, axis=1)))
        for _ in range(n_iter):
            AZ = A @ Z
            Z = 0.25 * (Z @ (13 * I - AZ @ (15 * I - AZ @ (7 * I - AZ))))
        Ap = Z
    return F @ (Ap @ (B @ V))
