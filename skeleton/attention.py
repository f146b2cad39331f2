"""Attention as matrix routines: dense softmax attention and skeleton attention
(equation (1): column attention on sampled tokens plus row attention on sampled
features), with the LayerNorm that combines the two paths.

All routines take the token-level matrices ``Q, K, V`` (n x d, rows = tokens) of one
head.  Nothing here forms an n x n matrix except :func:`softmax_attention`, the dense
reference (computed in row blocks so that only a block x n slab is held at a time).

The S3 block (:func:`~skeleton.s3.s3_block`, :class:`~skeleton.s3.S3Result`) and the
Nystromformer baseline (:func:`~skeleton.nystrom.nystrom_attention`) have modules of
their own and are importable from here as well.
"""

from __future__ import annotations

import math

from ._attention_core import (
    check_affine,
    check_qkv,
    check_result_finite,
    check_sample,
    check_scale,
    column_path,
    combine_paths,
    layer_norm_rows,
    row_path,
    softmax,
)
from ._validation import check_bool, check_choice, check_positive, check_real_matrix, check_vector
from .nystrom import nystrom_attention
from .s3 import S3Result, s3_block

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

_QKV = "Q, K and V"


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
        Raise ValueError on NaN/inf in the inputs (reads all of them), and on a
        non-finite result of finite inputs (overflowing scores).

    Returns
    -------
    ndarray, shape (n, dv)
        :math:`\\mathrm{softmax}(Q K^T \\cdot scale)\\, V` (row-wise softmax), in the
        result dtype of ``Q``, ``K``, ``V`` and on their array library.

    Raises
    ------
    ValueError
        Incompatible shapes, NaN/inf, ``causal`` with n != m, or scores that overflow
        (finite inputs whose products Q K^T * scale exceed the float range).

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    Row-wise stable softmax: ``P_ij = exp(s_ij - max_k s_ik) / sum_k exp(s_ik - max)``.
    O(n m d) time; the scores are formed in row blocks of at most 2^22 entries, so
    memory is O(m d + 2^22) beyond the output.  Each output row is a convex
    combination of the rows of V, and the result is linear in V (scale-equivariant:
    ``softmax_attention(Q, K, c V) = c softmax_attention(Q, K, V)``); it is not
    scale-equivariant in Q or K.

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
    Q, K, V, dtype, backend = check_qkv(Q, K, V, check_finite, same_shape=False)
    n, d = Q.shape
    m = K.shape[0]
    causal = check_bool(causal, "causal")
    if causal and n != m:
        raise ValueError(f"causal=True needs as many queries as keys, got Q {n} rows and K {m} rows")
    sc = check_scale(scale, 1.0 / math.sqrt(d))
    out = _softmax_attention(Q, K, V, sc, causal, backend.xp)
    if check_finite:
        check_result_finite(out, backend, _QKV)
    return out


def _softmax_attention(Q, K, V, sc, causal, xp):
    n, m = Q.shape[0], K.shape[0]
    block = max(1, min(n, _SLAB_ENTRIES // max(m, 1)))
    outs = []
    KT = K.T
    keys = xp.arange(m)[None, :]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        S = (Q[i0:i1, :] @ KT) * sc
        if causal:
            S = xp.where(keys > xp.arange(i0, i1)[:, None], -xp.inf, S)
        outs.append(softmax(S, 1, xp) @ V)
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
        Raise ValueError on NaN/inf in the inputs (reads all of them), and on a
        non-finite result of finite inputs (overflowing scores).

    Returns
    -------
    ndarray, shape (n, dv)
        ``V1_hat`` of eq. (1), without layer normalisation.

    Raises
    ------
    ValueError
        Shapes, duplicate/out-of-range indices, NaN/inf, overflowing scores.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    .. math:: \\hat V_1 = \\mathrm{softmax}\\big(Q (P_1 K)^T \\cdot scale\\big)(P_1 V),

    with ``P_1`` the s1 x m row selector and the softmax over the s1 axis (rows of
    the score matrix), max-subtracted.  O(n s1 d) time, O(n s1) extra memory.  With
    ``row_idx = range(m)`` this *is* :func:`softmax_attention`.  Linear in V.

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
    Q, K, V, dtype, backend = check_qkv(Q, K, V, check_finite, same_shape=False)
    idx = check_sample(row_idx, K.shape[0], "row_idx", "tokens (rows of K)")
    out = column_path(Q, K, V, idx, check_scale(scale, 1.0 / math.sqrt(Q.shape[1])), backend)
    if check_finite:
        check_result_finite(out, backend, _QKV)
    return out


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
        Raise ValueError on NaN/inf in the inputs (reads all of them), and on a
        non-finite result of finite inputs (overflowing scores).

    Returns
    -------
    ndarray, shape (n, d)
        ``V2_hat`` of eq. (1), without layer normalisation.

    Raises
    ------
    ValueError
        Q, K, V of different shapes, bad indices, NaN/inf, overflowing scores.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``.

    Notes
    -----
    .. math:: \\hat V_2 = (V P_2)\\, \\mathrm{softmax}_{s_2}\\big((K P_2)^T Q \\cdot scale\\big).

    ``(K P2)^T Q`` is s2 x d; the softmax runs over its s2 axis (axis 0), as the
    official code does; ``(V P2)`` is n x s2, so the result is n x d.  O(n s2 d)
    time, O(s2 d + n s2) extra memory.  Row t of the result is a convex combination
    of the s2 entries of row t of ``V P2``; linear in V.

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
    Q, K, V, dtype, backend = check_qkv(Q, K, V, check_finite, same_shape=True)
    idx = check_sample(col_idx, K.shape[1], "col_idx", "features (columns of K)")
    out = row_path(Q, K, V, idx, check_scale(scale, 1.0 / math.sqrt(Q.shape[0])), backend)
    if check_finite:
        check_result_finite(out, backend, _QKV)
    return out


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
        Complex Y, weight or bias.

    Notes
    -----
    .. math:: \\mathrm{LN}(y) = \\frac{y - \\bar y}{\\sqrt{\\tfrac1d \\sum_k (y_k - \\bar y)^2
              + \\epsilon}} \\odot w + b,

    with the biased variance, as ``torch.nn.LayerNorm(d)``.  Each row is divided by
    its largest magnitude before the variance is formed, so rows of any scale
    (1e-200 to 1e200) are normalised without over- or underflow; the result is then
    scale-invariant up to the effect of eps (``LN(c Y)`` is ``LN(Y)`` with eps
    replaced by ``eps / c^2``).  A row with zero variance maps to 0 (then the
    affine map), also for ``eps = 0``.

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
    w, b = (None if v is None else check_vector(v, name, size=d, backend=backend, dtype=dtype,
                                                check_finite=check_finite)
            for v, name in ((weight, "weight"), (bias, "bias")))
    return layer_norm_rows(Y, eps, w, b, dtype, backend.xp)


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
        Raise ValueError on NaN/inf in the inputs (reads all of them), and on a
        non-finite result of finite inputs (overflowing scores).

    Returns
    -------
    ndarray, shape (n, d)
        The combination of the column path :math:`\\hat V_1` and the row path
        :math:`\\hat V_2` (Notes), in the result dtype of ``Q``, ``K``, ``V``.

    Raises
    ------
    ValueError
        Q, K, V of different shapes; s1 > n or s2 > d; duplicate/out-of-range indices;
        NaN/inf; bad ``combine``; overflowing scores.

    TypeError
        Complex or non-numeric ``Q``, ``K`` or ``V``; ``layer_norm`` not a bool.

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
    Q, K, V, dtype, backend = check_qkv(Q, K, V, check_finite, same_shape=True)
    n, d = Q.shape
    layer_norm = check_bool(layer_norm, "layer_norm")
    check_choice(combine, ("mean", "sum"), "combine")
    eps = check_positive(eps, "eps", allow_zero=True)
    aff = check_affine(affine, d, dtype, backend, check_finite)
    P1 = check_sample(row_idx, n, "row_idx", "tokens (rows)")
    P2 = check_sample(col_idx, d, "col_idx", "features (columns)")
    V1 = column_path(Q, K, V, P1, check_scale(scale_col, 1.0 / math.sqrt(d), "scale_col"), backend)
    V2 = row_path(Q, K, V, P2, check_scale(scale_row, 1.0 / math.sqrt(n), "scale_row"), backend)
    out = combine_paths(V1, V2, layer_norm, combine, eps, aff, dtype, backend.xp)
    if check_finite:
        check_result_finite(out, backend, _QKV)
    return out
