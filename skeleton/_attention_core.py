"""Checks and unvalidated bodies shared by the attention routines
(:mod:`skeleton.attention`), the S3 block (:mod:`skeleton.s3`) and Nystrom attention
(:mod:`skeleton.nystrom`).

The public routines validate their arguments with the ``check_*`` functions here and
then call the bodies (``softmax``, ``column_path``, ``row_path``, ``combine_paths``) on
arrays they can trust, so that a pipeline such as the S3 block validates and scans
each input once.
"""

from __future__ import annotations

import numpy as np

from ._backends import namespace_of
from ._normalization import standardize_rows
from ._validation import check_indices, check_positive, check_real_matrix, check_vector

__all__ = [
    "check_qkv",
    "check_scale",
    "check_sample",
    "check_affine",
    "check_result_finite",
    "softmax",
    "column_path",
    "row_path",
    "layer_norm_rows",
    "combine_paths",
]


# --------------------------------------------------------------------------- checks
def check_qkv(Q, K, V, check, *, same_shape):
    """Q (n, d), K (m, d), V (m, dv) in their common working dtype on one backend.

    ``same_shape`` additionally requires Q, K and V to be n x d (skeleton attention).
    """
    Q, dq, backend = check_real_matrix(Q, "Q", check)
    K, dk, _ = check_real_matrix(K, "K", check)
    V, dv, _ = check_real_matrix(V, "V", check)
    namespace_of(Q, K, V)
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"Q and K must have the same number of columns, got Q {tuple(Q.shape)} and K {tuple(K.shape)}")
    if K.shape[0] != V.shape[0]:
        raise ValueError(f"K and V must have the same number of rows, got K {tuple(K.shape)} and V {tuple(V.shape)}")
    if same_shape and (Q.shape != K.shape or K.shape != V.shape):
        raise ValueError(
            "Q, K and V must have the same shape (n, d) for skeleton attention, got "
            f"Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)}"
        )
    dtype = np.result_type(dq, dk, dv)
    return backend.astype(Q, dtype), backend.astype(K, dtype), backend.astype(V, dtype), dtype, backend


def check_scale(scale, default, name="scale"):
    """A score scale > 0, or ``default`` for None."""
    return default if scale is None else check_positive(scale, name)


def check_sample(idx, size, name, what):
    """A sampled index set (distinct, in [0, size)) as host ``intp``; a set larger than
    ``size`` is reported as such before the duplicate it must contain."""
    arr = np.asarray(idx) if not hasattr(idx, "shape") else idx
    if getattr(arr, "ndim", 1) == 1 and arr.shape[0] > size:
        raise ValueError(f"{name} has {arr.shape[0]} entries but only {size} {what} exist")
    return check_indices(arr, size, name, what=what)


def check_affine(affine, d, dtype, backend, check, name="affine"):
    """``((w1, b1), (w2, b2))`` LayerNorm parameters of the two paths (each (d,) or None)."""
    if affine is None:
        return (None, None), (None, None)
    try:
        (w1, b1), (w2, b2) = affine
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be ((weight1, bias1), (weight2, bias2)); entries may be None") from exc

    def vec(v, label):
        return None if v is None else check_vector(v, label, size=d, backend=backend, dtype=dtype,
                                                   check_finite=check)

    return ((vec(w1, f"{name}[0][0]"), vec(b1, f"{name}[0][1]")),
            (vec(w2, f"{name}[1][0]"), vec(b2, f"{name}[1][1]")))


def check_result_finite(out, backend, inputs):
    """Raise ValueError if ``out``, computed from finite ``inputs`` (their names), is not
    finite: the attention scores (or the weighted sums of the values) overflowed."""
    if not bool(backend.all_finite(out)):
        raise ValueError(
            f"the result is not finite although {inputs} are: the attention scores "
            "(products of queries and keys, times the scale) or the weighted sums of the "
            "values overflow the floating-point range; rescale the inputs"
        )


# --------------------------------------------------------------------------- bodies
def softmax(S, axis, xp):
    """Max-subtracted softmax along ``axis`` (a score of -inf gets weight 0)."""
    S = S - xp.max(S, axis=axis, keepdims=True)
    E = xp.exp(S)
    return E / xp.sum(E, axis=axis, keepdims=True)


def column_path(Q, K, V, idx, sc, backend):
    """``softmax(Q (P1 K)^T sc) (P1 V)``: attention over the tokens ``idx``."""
    Ks = backend.take(K, rows=idx)
    Vs = backend.take(V, rows=idx)
    return softmax((Q @ Ks.T) * sc, 1, backend.xp) @ Vs  # (n x s1) (s1 x dv)


def row_path(Q, K, V, idx, sc, backend):
    """``(V P2) softmax_{s2}((K P2)^T Q sc)``: attention over the features ``idx``."""
    Ks = backend.take(K, cols=idx)  # n x s2
    Vs = backend.take(V, cols=idx)  # n x s2
    # (K P2)^T Q is s2 x d; it is formed as (Q^T (K P2))^T: the same numbers, but
    # threaded BLAS handles the (d x n)(n x s2) product far better than (s2 x n)(n x d)
    P = softmax((Q.T @ Ks) * sc, 1, backend.xp)  # d x s2, normalised over s2
    return Vs @ P.T


def layer_norm_rows(Y, eps, weight, bias, dtype, xp):
    """LayerNorm over the feature axis (biased variance), then the affine map."""
    Z = standardize_rows(Y, eps, dtype, xp)
    if weight is not None:
        Z = Z * weight
    if bias is not None:
        Z = Z + bias
    return Z


def combine_paths(V1, V2, layer_norm, combine, eps, affine, dtype, xp):
    """``(LN1(V1) + LN2(V2)) / 2`` (or the sum, or without LayerNorm); ``affine`` as
    returned by :func:`check_affine`."""
    if layer_norm:
        (w1, b1), (w2, b2) = affine
        V1 = layer_norm_rows(V1, eps, w1, b1, dtype, xp)
        V2 = layer_norm_rows(V2, eps, w2, b2, dtype, xp)
    out = V1 + V2
    return out * 0.5 if combine == "mean" else out
