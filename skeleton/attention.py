"""Attention as matrix routines: dense softmax attention, skeleton attention (eq. (1)),
the S3 block (smoother -> optional stem -> multi-head skeleton attention) and the
Nystromformer baseline.

All routines take the token-level matrices ``Q, K, V`` (n x d, rows = tokens) of one
head, except :func:`s3_block` which forms them from ``X`` and the projection weights
and splits heads.  Nothing here forms an n x n matrix except
:func:`softmax_attention`, the dense reference (computed in row blocks so that only
a block x n slab is held at a time).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import namespace_of
from ._validation import (
    check_choice,
    check_count,
    check_finite as _finite_or_raise,
    check_indices,
    check_positive,
    check_real_matrix,
    check_rng,
)

__all__ = [
    "softmax_attention",
    "column_attention",
    "row_attention",
    "skeleton_attention",
    "layer_norm",
    "s3_block",
    "S3Result",
    "nystrom_attention",
]

# entries of the n x block slab softmax_attention holds at a time
_SLAB_ENTRIES = 1 << 22


# --------------------------------------------------------------------------- helpers
def _qkv(Q, K, V, check, *, same_n=True):
    Q, dq, backend = check_real_matrix(Q, "Q", check)
    K, dk, _ = check_real_matrix(K, "K", check)
    V, dv, _ = check_real_matrix(V, "V", check)
    namespace_of(Q, K, V)
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"Q and K must have the same number of columns, got Q {tuple(Q.shape)} and K {tuple(K.shape)}")
    if K.shape[0] != V.shape[0]:
        raise ValueError(f"K and V must have the same number of rows, got K {tuple(K.shape)} and V {tuple(V.shape)}")
    if same_n and (Q.shape != K.shape or K.shape != V.shape):
        raise ValueError(
            "Q, K and V must have the same shape (n, d) for skeleton attention, got "
            f"Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)}"
        )
    dtype = np.result_type(dq, dk, dv)
    return backend.astype(Q, dtype), backend.astype(K, dtype), backend.astype(V, dtype), dtype, backend


def _softmax(S, axis, xp):
    S = S - xp.max(S, axis=axis, keepdims=True)
    E = xp.exp(S)
    return E / xp.sum(E, axis=axis, keepdims=True)


def _scale(scale, default):
    if scale is None:
        return default
    return check_positive(scale, "scale")


def _ln(Y, eps, weight, bias, xp):
    mu = xp.mean(Y, axis=1, keepdims=True)
    C = Y - mu
    var = xp.mean(C * C, axis=1, keepdims=True)
    Z = C / xp.sqrt(var + eps)
    if weight is not None:
        Z = Z * weight
    if bias is not None:
        Z = Z + bias
    return Z


def _vec(v, size, name, dtype, backend, check):
    if v is None:
        return None
    v = backend.asarray(v) if not hasattr(v, "shape") else v
    if tuple(v.shape) != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {tuple(v.shape)}")
    if np.dtype(v.dtype).kind not in "biuf":
        raise ValueError(f"{name} must be real, got dtype {v.dtype}")
    if check:
        _finite_or_raise(v, name)
    return backend.astype(v, dtype)


# --------------------------------------------------------------------------- dense
def softmax_attention(Q, K, V, *, scale=None, causal=False, check_finite=True):
    """Dense softmax attention ``softmax(Q K^T * scale) V`` (the reference).

    Parameters
    ----------
    Q : array_like, shape (n, d)
        Queries, one row per token.
    K : array_like, shape (m, d)
        Keys.
    V : array_like, shape (m, dv)
        Values.
    scale : float, optional
        Default ``1/sqrt(d)``.
    causal : bool, default False
        Mask keys after the query (requires n == m): row i attends to keys 0..i.
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, dv)
        :math:`\\mathrm{softmax}(Q K^T \\cdot scale)\\, V` (row-wise softmax), in the
        result dtype of ``Q``, ``K``, ``V`` and on their array library.

    Raises
    ------
    ValueError
        Incompatible shapes, NaN/inf, ``causal`` with n != m.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    Row-wise stable softmax: ``P_ij = exp(s_ij - max_k s_ik) / sum_k exp(s_ik - max)``.
    O(n m d) time; the scores are formed in row blocks of at most 2^22 entries, so
    memory is O(m d + 2^22) beyond the output.

    References
    ----------
    A. Vaswani et al., "Attention is all you need", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> Q = K = np.zeros((3, 2)); V = np.arange(6.0).reshape(3, 2)
    >>> softmax_attention(Q, K, V)        # uniform weights: the mean of V's rows
    array([[2., 3.],
           [2., 3.],
           [2., 3.]])
    >>> softmax_attention(Q, K, V, causal=True)[:, 0]
    array([0., 1., 2.])
    """
    Q, K, V, dtype, backend = _qkv(Q, K, V, check_finite, same_n=False)
    xp = backend.xp
    n, d = Q.shape
    m = K.shape[0]
    if causal and n != m:
        raise ValueError(f"causal=True needs as many queries as keys, got Q {n} rows and K {m} rows")
    sc = _scale(scale, 1.0 / math.sqrt(d))
    block = max(1, min(n, _SLAB_ENTRIES // max(m, 1)))
    outs = []
    KT = K.T
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        S = (Q[i0:i1] @ KT) * dtype.type(sc)
        if causal:
            rows = np.arange(i0, i1)[:, None]
            mask = backend.asarray(np.arange(m)[None, :] > rows)
            S = xp.where(mask, -xp.inf, S)
        outs.append(_softmax(S, 1, xp) @ V)
    return outs[0] if len(outs) == 1 else xp.concat(outs, axis=0)


# --------------------------------------------------------------------------- skeleton
def column_attention(Q, K, V, row_idx, *, scale=None, check_finite=True):
    """Column attention ``softmax(Q (P1 K)^T * scale) (P1 V)`` over s1 sampled tokens.

    Parameters
    ----------
    Q : array_like, shape (n, d)
        Queries, one row per token.
    K : array_like, shape (m, d)
        Keys.
    V : array_like, shape (m, dv)
        Values.
    row_idx : sequence of int, length s1
        Sampled token (row) indices of K and V; distinct, in [0, m).
    scale : float, optional
        Default ``1/sqrt(d)`` (the paper's).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, dv)
        ``V1_hat`` of eq. (1), without layer normalisation.

    Raises
    ------
    ValueError
        Shapes, duplicate/out-of-range indices, NaN/inf.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    .. math:: \\hat V_1 = \\mathrm{softmax}\\big(Q (P_1 K)^T \\cdot scale\\big)(P_1 V),

    with ``P_1`` the s1 x m row selector and the softmax over the s1 axis (rows of
    the score matrix), max-subtracted.  O(n s1 d) time, O(n s1) extra memory.  With
    ``row_idx = range(m)`` this *is* :func:`softmax_attention`.

    References
    ----------
    Wang et al., "S3Attention", arXiv:2408.08567, eq. (1) (column attention).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.standard_normal((3, 8, 4))
    >>> bool(np.allclose(column_attention(Q, K, V, range(8)), softmax_attention(Q, K, V)))
    True
    """
    Q, K, V, dtype, backend = _qkv(Q, K, V, check_finite, same_n=False)
    idx = check_indices(list(row_idx) if isinstance(row_idx, range) else row_idx, K.shape[0], "row_idx", what="tokens (rows of K)")
    return _column(Q, K, V, idx, _scale(scale, 1.0 / math.sqrt(Q.shape[1])), dtype, backend)


def _column(Q, K, V, idx, sc, dtype, backend):
    xp = backend.xp
    Ks = backend.take(K, rows=idx)
    Vs = backend.take(V, rows=idx)
    P = _softmax((Q @ Ks.T) * dtype.type(sc), 1, xp)  # n x s1
    return P @ Vs


def row_attention(Q, K, V, col_idx, *, scale=None, check_finite=True):
    """Row attention ``(V P2) softmax((K P2)^T Q * scale)`` over s2 sampled features.

    Parameters
    ----------
    Q, K, V : array_like, shape (n, d)
        Queries, keys and values of one head (one row per token).
    col_idx : sequence of int, length s2
        Sampled feature (column) indices of K and V; distinct, in [0, d).
    scale : float, optional
        Default ``1/sqrt(n)`` (the paper's).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, d)
        ``V2_hat`` of eq. (1), without layer normalisation.

    Raises
    ------
    ValueError
        Q, K, V of different shapes, bad indices, NaN/inf.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    .. math:: \\hat V_2 = (V P_2)\\, \\mathrm{softmax}_{s_2}\\big((K P_2)^T Q \\cdot scale\\big).

    ``(K P2)^T Q`` is s2 x d; the softmax runs over its s2 axis (axis 0), as the
    official code does; ``(V P2)`` is n x s2, so the result is n x d.  O(n s2 d)
    time, O(s2 d + n s2) extra memory.

    References
    ----------
    Wang et al., "S3Attention", arXiv:2408.08567, eq. (1) (row attention) and the
    authors' code (softmax over the sampled-feature axis).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.standard_normal((3, 8, 4))
    >>> Y = row_attention(Q, K, V, [0, 2])
    >>> Y.shape
    (8, 4)
    """
    Q, K, V, dtype, backend = _qkv(Q, K, V, check_finite, same_n=True)
    idx = check_indices(list(col_idx) if isinstance(col_idx, range) else col_idx, K.shape[1], "col_idx", what="features (columns of K)")
    return _row(Q, K, V, idx, _scale(scale, 1.0 / math.sqrt(Q.shape[0])), dtype, backend)


def _row(Q, K, V, idx, sc, dtype, backend):
    xp = backend.xp
    Ks = backend.take(K, cols=idx)  # n x s2
    Vs = backend.take(V, cols=idx)  # n x s2
    # (K P2)^T Q is s2 x d; it is formed as (Q^T (K P2))^T: the same numbers, but
    # OpenBLAS's threaded GEMM handles the (d x n)(n x s2) shape far better than the
    # (s2 x n)(n x d) one (measured: up to 40x under load on 2 cores).
    P = _softmax((Q.T @ Ks) * dtype.type(sc), 1, xp)  # d x s2, normalised over s2
    return Vs @ P.T


def layer_norm(Y, *, eps=1e-5, weight=None, bias=None, check_finite=True):
    """LayerNorm over the feature axis: each row to mean 0, variance 1 (then affine).

    Parameters
    ----------
    Y : array_like, shape (n, d)
        Real matrix; each row is normalised over its d features.
    eps : float, default 1e-5
        PyTorch's default.
    weight, bias : array_like, shape (d,), optional
        Affine parameters (none by default: PyTorch's initial values 1 and 0).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, d)
        :math:`(Y_{i,:} - \\mu_i) / \\sqrt{\\sigma_i^2 + \\epsilon}` (biased variance),
        times ``weight`` plus ``bias`` when given; floating dtype of ``Y``
        (float64 for integer input).

    Raises
    ------
    ValueError
        Y not 2-D, eps < 0, weight/bias of the wrong shape, NaN/inf.
    TypeError
        Complex Y.

    Notes
    -----
    .. math:: \\mathrm{LN}(y) = \\frac{y - \\bar y}{\\sqrt{\\tfrac1d \\sum_k (y_k - \\bar y)^2
              + \\epsilon}} \\odot w + b,

    with the biased variance, as ``torch.nn.LayerNorm(d)``.

    References
    ----------
    J. L. Ba, J. R. Kiros, G. E. Hinton, "Layer normalization", arXiv:1607.06450, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> Z = layer_norm(np.array([[1.0, 2.0, 3.0]]))
    >>> np.round(Z, 4)
    array([[-1.2247,  0.    ,  1.2247]])
    """
    Y, dtype, backend = check_real_matrix(Y, "Y", check_finite)
    eps = check_positive(eps, "eps", allow_zero=True)
    d = Y.shape[1]
    w = _vec(weight, d, "weight", dtype, backend, check_finite)
    b = _vec(bias, d, "bias", dtype, backend, check_finite)
    return _ln(Y, dtype.type(eps), w, b, backend.xp)


def _combine(V1, V2, layer_norm_, combine, eps, affine, dtype, backend, check):
    xp = backend.xp
    d = V1.shape[1]
    if layer_norm_:
        (w1, b1), (w2, b2) = _affine(affine, d, dtype, backend, check)
        V1 = _ln(V1, dtype.type(eps), w1, b1, xp)
        V2 = _ln(V2, dtype.type(eps), w2, b2, xp)
    out = V1 + V2
    if combine == "mean":
        out = out * dtype.type(0.5)
    return out


def _affine(affine, d, dtype, backend, check):
    if affine is None:
        return (None, None), (None, None)
    try:
        (w1, b1), (w2, b2) = affine
    except (TypeError, ValueError) as exc:
        raise ValueError("affine must be ((weight1, bias1), (weight2, bias2)); entries may be None") from exc
    return (
        (_vec(w1, d, "affine[0][0]", dtype, backend, check), _vec(b1, d, "affine[0][1]", dtype, backend, check)),
        (_vec(w2, d, "affine[1][0]", dtype, backend, check), _vec(b2, d, "affine[1][1]", dtype, backend, check)),
    )


def skeleton_attention(Q, K, V, row_idx, col_idx, *, layer_norm=True, combine="mean", eps=1e-5,
                       affine=None, scale_col=None, scale_row=None, check_finite=True):
    """Skeleton attention, equation (1): column attention on s1 tokens + row attention on s2 features.

    Parameters
    ----------
    Q, K, V : array_like, shape (n, d)
        One head's queries, keys, values.
    row_idx : sequence of int, length s1
        Sampled tokens P1 (distinct, in [0, n)).
    col_idx : sequence of int, length s2
        Sampled features P2 (distinct, in [0, d)).
    layer_norm : bool, default True
        Normalise each path over the feature axis before combining.
    combine : {"mean", "sum"}, default "mean"
        ``"mean"`` is the official code (``(LN1 + LN2)/2``), ``"sum"`` eq. (1) as printed.
    eps : float, default 1e-5
        LayerNorm epsilon (PyTorch's default, as the official code).
    affine : ((w1, b1), (w2, b2)), optional
        LayerNorm affine parameters for the two paths (each of shape (d,) or None).
    scale_col, scale_row : float, optional
        Score scales; defaults ``1/sqrt(d)`` (column path) and ``1/sqrt(n)`` (row path)
        as in the paper.
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, d)
        The combination of the column path :math:`\\hat V_1` and the row path
        :math:`\\hat V_2` (Notes), in the result dtype of ``Q``, ``K``, ``V``.

    Raises
    ------
    ValueError
        Q, K, V of different shapes; s1 > n or s2 > d; duplicate/out-of-range indices;
        NaN/inf; bad ``combine``.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    .. math::
        \\hat V_1 = \\mathrm{softmax}\\big(Q (P_1 K)^T/\\sqrt d\\big) (P_1 V),\\qquad
        \\hat V_2 = (V P_2)\\, \\mathrm{softmax}_{s_2}\\big((K P_2)^T Q/\\sqrt n\\big),

    ``out = (LN1(V1) + LN2(V2)) / 2`` (``combine="mean"``).  Cost O(n s1 d + n s2 d)
    time and O(n (s1 + s2) + n d) memory; no n x n matrix is formed.  With all n
    tokens sampled, ``V1_hat`` equals :func:`softmax_attention` (the tests check it).
    In the official code the LayerNorms act on the heads concatenated back to
    n x (heads * head_dim); :func:`s3_block` does that, this function is one head.

    References
    ----------
    Wang et al., "S3Attention", arXiv:2408.08567, eq. (1) and Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.standard_normal((3, 64, 16))
    >>> Y = skeleton_attention(Q, K, V, row_idx=[1, 5, 9, 40], col_idx=[0, 3])
    >>> Y.shape, bool(np.isfinite(Y).all())
    ((64, 16), True)
    """
    Q, K, V, dtype, backend = _qkv(Q, K, V, check_finite, same_n=True)
    n, d = Q.shape
    check_choice(combine, ("mean", "sum"), "combine")
    eps = check_positive(eps, "eps", allow_zero=True)
    P1 = _idx(row_idx, n, "row_idx", "tokens (rows)")
    P2 = _idx(col_idx, d, "col_idx", "features (columns)")
    V1 = _column(Q, K, V, P1, _scale(scale_col, 1.0 / math.sqrt(d)), dtype, backend)
    V2 = _row(Q, K, V, P2, _scale(scale_row, 1.0 / math.sqrt(n)), dtype, backend)
    return _combine(V1, V2, layer_norm, combine, eps, affine, dtype, backend, check_finite)


def _idx(idx, size, name, what):
    if isinstance(idx, range):
        idx = list(idx)
    arr = np.asarray(idx) if not hasattr(idx, "shape") else idx
    if getattr(arr, "ndim", 1) == 1 and arr.shape[0] > size:
        raise ValueError(f"{name} has {arr.shape[0]} entries but only {size} {what} exist")
    return check_indices(arr, size, name, what=what)


# --------------------------------------------------------------------------- S3 block
@dataclass(frozen=True)
class S3Result:
    """Result of :func:`s3_block`.

    A frozen record; the parameters are also its (read-only) attributes.

    Parameters
    ----------
    output : ndarray, shape (n, heads*head_dim)
        Combined skeleton attention of all heads.
    row_idx : ndarray of intp, shape (s1,)
        Sampled tokens P1 (shared by all heads); pass back to reuse.
    col_idx : ndarray of intp, shape (s2,)
        Sampled per-head features P2 (shared by all heads).
    smoothed : ndarray, shape (n, d)
        The smoother's output X_smooth.
    hidden : ndarray, shape (n, d)
        The matrix the projections were applied to (stem output, or X_smooth).
    column : ndarray, shape (n, heads*head_dim)
        Column path V1_hat (heads concatenated, before LayerNorm).
    row : ndarray, shape (n, heads*head_dim)
        Row path V2_hat (heads concatenated, before LayerNorm).

    See Also
    --------
    s3_block : computes it.

    References
    ----------
    Wang et al., arXiv:2408.08567, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.attention import s3_block
    >>> from skeleton.smoothing import kaiming_kernel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((32, 8))
    >>> W = [rng.standard_normal((8, 8)) / 3 for _ in range(3)]
    >>> res = s3_block(X, *W, kaiming_kernel(32, 8, rng=1), r=8, s1=4, s2=2, rng=2)
    >>> type(res).__name__, res.output.shape, res.column.shape, res.row.shape
    ('S3Result', (32, 8), (32, 8), (32, 8))
    >>> res.row_idx.size, res.col_idx.size, res.smoothed.shape == res.hidden.shape
    (4, 2, True)
    """

    output: Any
    row_idx: np.ndarray
    col_idx: np.ndarray
    smoothed: Any
    hidden: Any
    column: Any
    row: Any


def s3_block(X, W_Q, W_K, W_V, kernel, r, s1, s2, *, heads=1, rng=None, stem=None,
             row_idx=None, col_idx=None, mode="circular", domain="frequency", layout="block",
             layer_norm=True, combine="mean", eps=1e-5, affine=None, workers=None,
             check_finite=True):
    """One S3 attention block: smoother -> (conv stem) -> multi-head skeleton attention.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Token matrix.
    W_Q, W_K, W_V : array_like, shape (d, heads*head_dim)
        Projections; ``Q = H W_Q`` etc. with H the smoother (or stem) output.
    kernel : array_like
        Smoothing kernel for :func:`skeleton.smoothing.smooth` (``domain`` says which).
    r : int
        Segments of the smoother (divides d; r = d: no averaging).
    s1 : int
        Number of sampled tokens (<= n).
    s2 : int
        Number of sampled per-head features (<= head_dim).
    heads : int, default 1
        Number of heads; heads*head_dim must equal W_Q's column count.
    rng : Generator, int, SeedSequence or None
        Draws P1 = first s1 of a permutation of n and P2 = first s2 of a permutation
        of head_dim (``torch.randperm(...)[:s]``), once, shared by all heads.  Not
        used for an index set that is given.
    stem : dict, optional
        Keyword arguments for :func:`skeleton.smoothing.conv_stem` (``weight``,
        ``bias``, ``kernel_size``, ``activation``, ...); if given, ``H =
        conv_stem(X_smooth, X, **stem)`` (the stem must map back to d channels).
    row_idx, col_idx : sequence of int, optional
        Reuse index sets (e.g. from an earlier result).
    mode, domain, layout, workers
        Passed to :func:`skeleton.smoothing.smooth`.
    layer_norm, combine, eps, affine
        As in :func:`skeleton_attention`; LayerNorm acts on the heads concatenated
        (n x heads*head_dim), as the official code.
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    S3Result
        ``output`` plus ``row_idx``, ``col_idx``, ``smoothed``, ``hidden``, ``column``,
        ``row``.

    Raises
    ------
    ValueError
        Shape mismatches, s1 > n, s2 > head_dim, heads not dividing the projection
        width, bad indices or kernel, NaN/inf.

    TypeError
        Complex or non-numeric ``X`` or projections, a bad ``rng``.

    Notes
    -----
    Per head h with ``Q_h, K_h, V_h`` (n x head_dim):
    ``V1_h = softmax(Q_h (P1 K_h)^T / sqrt(head_dim)) (P1 V_h)`` and
    ``V2_h = (V_h P2) softmax((K_h P2)^T Q_h / sqrt(n))``; then
    ``out = (LN1([V1_1..V1_H]) + LN2([V2_1..V2_H])) / 2``.  Total cost
    O(d r + n d log n) (smoother) + O(n d heads*head_dim) (projections)
    + O(n (s1 + s2) heads*head_dim): linear in n.

    References
    ----------
    Wang et al., arXiv:2408.08567, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.smoothing import kaiming_kernel
    >>> rng = np.random.default_rng(0)
    >>> n, d = 128, 16
    >>> X = rng.standard_normal((n, d))
    >>> W = [rng.standard_normal((d, d)) / 4 for _ in range(3)]
    >>> res = s3_block(X, *W, kaiming_kernel(n, d, rng=1), r=4, s1=8, s2=4, heads=2, rng=2)
    >>> res.output.shape, res.row_idx.shape, res.col_idx.shape
    ((128, 16), (8,), (4,))
    >>> again = s3_block(X, *W, kaiming_kernel(n, d, rng=1), r=4, s1=8, s2=4, heads=2,
    ...                  row_idx=res.row_idx, col_idx=res.col_idx)
    >>> bool(np.array_equal(again.output, res.output))
    True
    """
    from .smoothing import conv_stem, smooth

    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    if isinstance(heads, bool) or not isinstance(heads, numbers.Integral) or heads < 1:
        raise ValueError(f"heads must be a positive integer, got {heads!r}")
    Ws = []
    for name, W in (("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V)):
        W, _, _ = check_real_matrix(W, name, check_finite)
        if W.shape[0] != d:
            raise ValueError(f"{name} must have d = {d} rows, got shape {tuple(W.shape)}")
        Ws.append(backend.astype(W, dtype))
    width = Ws[0].shape[1]
    if Ws[1].shape[1] != width or Ws[2].shape[1] != width:
        raise ValueError(
            f"W_Q, W_K, W_V must have the same number of columns, got {[int(W.shape[1]) for W in Ws]}"
        )
    if width % heads:
        raise ValueError(f"heads={heads} must divide the projection width {width}")
    hd = width // heads
    check_choice(combine, ("mean", "sum"), "combine")
    eps = check_positive(eps, "eps", allow_zero=True)
    need_rng = row_idx is None or col_idx is None
    gen = check_rng(rng) if need_rng else None
    if row_idx is None:
        s1 = check_count(s1, n, "s1", what="tokens")
        P1 = gen.permutation(n)[:s1].astype(np.intp)
    else:
        P1 = _idx(row_idx, n, "row_idx", "tokens (rows)")
    if col_idx is None:
        s2 = check_count(s2, hd, "s2", what="per-head features")
        P2 = gen.permutation(hd)[:s2].astype(np.intp)
    else:
        P2 = _idx(col_idx, hd, "col_idx", "per-head features (columns)")

    Xs = smooth(X, kernel, r, mode=mode, domain=domain, layout=layout, workers=workers,
                check_finite=check_finite)
    H = Xs if stem is None else conv_stem(Xs, X, check_finite=check_finite, **dict(stem))
    if tuple(H.shape) != (n, d):
        raise ValueError(f"the stem must return shape (n, d) = {(n, d)}, got {tuple(H.shape)}")
    H = backend.astype(H, dtype)
    Q, K, V = (H @ W for W in Ws)
    xp = backend.xp
    sc1, sc2 = 1.0 / math.sqrt(hd), 1.0 / math.sqrt(n)
    cols1, cols2 = [], []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        Qh, Kh, Vh = Q[:, sl], K[:, sl], V[:, sl]
        cols1.append(_column(Qh, Kh, Vh, P1, sc1, dtype, backend))
        cols2.append(_row(Qh, Kh, Vh, P2, sc2, dtype, backend))
    V1 = cols1[0] if heads == 1 else xp.concat(cols1, axis=1)
    V2 = cols2[0] if heads == 1 else xp.concat(cols2, axis=1)
    out = _combine(V1, V2, layer_norm, combine, eps, affine, dtype, backend, check_finite)
    return S3Result(output=out, row_idx=P1, col_idx=P2, smoothed=Xs, hidden=H, column=V1, row=V2)


# --------------------------------------------------------------------------- Nystrom
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
        an SVD pseudo-inverse (:func:`numpy.linalg.pinv`).
    n_iter : int, default 6
        Iterations of the iterative pseudo-inverse (the paper's 6).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads all of them).

    Returns
    -------
    ndarray, shape (n, dv)
        The Nystrom approximation :math:`F A^+ (B V)` of softmax attention (Notes),
        in the result dtype of ``Q``, ``K``, ``V``.

    Raises
    ------
    ValueError
        Shapes, m outside [1, n], NaN/inf.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    Landmarks ``Q~, K~`` (m x d) are means of m contiguous segments of Q's and K's rows
    (sizes differ by at most one when m does not divide n).  With
    ``F = softmax(Q K~^T s)`` (n x m), ``A = softmax(Q~ K~^T s)`` (m x m),
    ``B = softmax(Q~ K^T s)`` (m x n):  ``out = F A^+ (B V)``, O(n m d + m^3).
    Iterative pseudo-inverse: ``Z0 = A^T / (max_j sum_i |A_ij| * max_i sum_j |A_ij|)``,
    ``Z <- Z (13 I - A Z (15 I - A Z (7 I - A Z))) / 4``.
    With m = n and the exact pseudo-inverse the result is softmax attention.

    References
    ----------
    Y. Xiong et al., "Nystromformer: A Nystrom-based algorithm for approximating
    self-attention", AAAI 2021.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Q, K, V = rng.standard_normal((3, 16, 4))
    >>> Y = nystrom_attention(Q, K, V, 16, pinv="exact")
    >>> bool(np.allclose(Y, softmax_attention(Q, K, V)))
    True
    """
    Q, K, V, dtype, backend = _qkv(Q, K, V, check_finite, same_n=False)
    n, d = Q.shape
    if K.shape[0] != n:
        raise ValueError(f"Q and K must have the same number of rows for Nystrom landmarks, got {n} and {K.shape[0]}")
    m = check_count(m, n, "m", what="tokens (landmarks)")
    check_choice(pinv, ("iterative", "exact"), "pinv")
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 0:
        raise ValueError(f"n_iter must be a non-negative integer, got {n_iter!r}")
    sc = dtype.type(_scale(scale, 1.0 / math.sqrt(d)))
    xp = backend.xp
    bounds = (np.arange(m + 1) * n) // m
    Qn, Kn = backend.to_numpy(Q), backend.to_numpy(K)
    Ql = backend.asarray(np.add.reduceat(Qn, bounds[:-1], axis=0) / np.diff(bounds)[:, None], dtype=dtype)
    Kl = backend.asarray(np.add.reduceat(Kn, bounds[:-1], axis=0) / np.diff(bounds)[:, None], dtype=dtype)
    F = _softmax((Q @ Kl.T) * sc, 1, xp)
    A = _softmax((Ql @ Kl.T) * sc, 1, xp)
    B = _softmax((Ql @ K.T) * sc, 1, xp)
    if pinv == "exact":
        Ap = backend.asarray(np.linalg.pinv(backend.to_numpy(A)), dtype=dtype)
    else:
        I = xp.eye(m, dtype=dtype)
        absA = xp.abs(A)
        Z = A.T / (xp.max(xp.sum(absA, axis=0)) * xp.max(xp.sum(absA, axis=1)))
        for _ in range(int(n_iter)):
            AZ = A @ Z
            Z = dtype.type(0.25) * (Z @ (13 * I - AZ @ (15 * I - AZ @ (7 * I - AZ))))
        Ap = Z
    return F @ (Ap @ (B @ V))
