"""The convolution stem of the S3 block: ``[X_smooth, X]`` -> Conv1d -> BatchNorm1d -> act.

The paper follows the smoother with "CNN + BN + ReLU" on the smoothed and the original
tokens side by side; the repository uses a 1-tap convolution and ELU.  Both are
:func:`conv_stem` (PyTorch's layouts and inference-mode semantics).

:func:`check_stem_options` validates the stem's parameters once and :func:`apply_stem`
runs the stem on checked arrays; :func:`skeleton.s3.s3_block` uses the two so that it
validates and scans its input only once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._normalization import standardize_rows
from ._validation import (
    check_cast,
    check_choice,
    check_int,
    check_matrix,
    check_positive,
    check_real_matrix,
    check_vector,
)

__all__ = ["conv_stem"]

ACTIVATIONS = ("relu", "elu")
_OPTIONS = ("weight", "bias", "kernel_size", "activation", "eps", "bn_weight", "bn_bias",
            "running_mean", "running_var")


@dataclass(frozen=True)
class StemParams:
    """The stem's parameters, checked, on the backend of the stem input, in its dtype."""

    weight: Any
    bias: Any
    gamma: Any
    beta: Any
    running_mean: Any
    running_var: Any
    pad: int
    activation: str
    eps: float


def check_stem_options(n, d, dtype, backend, check, weight, bias=None, *, kernel_size=3,
                       activation="relu", eps=1e-5, bn_weight=None, bn_bias=None,
                       running_mean=None, running_var=None):
    """Validate :func:`conv_stem`'s parameters for an (n, d) input in ``dtype``."""
    kernel_size = check_int(kernel_size, "kernel_size", low=1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (same-length padding), got {kernel_size}")
    check_choice(activation, ACTIVATIONS, "activation")
    eps = check_positive(eps, "eps", allow_zero=True)
    W, wdtype = check_matrix(weight, "weight", ndim=3)
    if W.shape[1] != 2 * d or W.shape[2] != kernel_size:
        raise ValueError(
            f"weight must have shape (d_out, 2d, kernel_size) = (d_out, {2 * d}, {kernel_size}), "
            f"got {tuple(W.shape)}"
        )
    if wdtype.kind == "c":
        raise TypeError(f"weight must be real, got dtype {W.dtype}")
    W = check_cast(backend.asarray(W), dtype, "weight", backend, check)
    d_out = W.shape[0]
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must be given together")

    def vec(v, name, size):
        return None if v is None else check_vector(v, name, size=size, backend=backend, dtype=dtype,
                                                   check_finite=check)

    mean, var = vec(running_mean, "running_mean", n), vec(running_var, "running_var", n)
    if var is not None:
        xp = backend.xp
        if not bool(xp.all(var >= 0)) or (eps == 0 and not bool(xp.all(var > 0))):
            raise ValueError(f"running_var must be {'> 0 when eps = 0' if eps == 0 else '>= 0'}")
    return StemParams(weight=W, bias=vec(bias, "bias", d_out), gamma=vec(bn_weight, "bn_weight", n),
                      beta=vec(bn_bias, "bn_bias", n), running_mean=mean, running_var=var,
                      pad=(kernel_size - 1) // 2, activation=activation, eps=eps)


def stem_params_from(stem, n, d, dtype, backend, check, name="stem"):
    """:func:`check_stem_options` for a dict of :func:`conv_stem` keyword arguments."""
    if not isinstance(stem, Mapping):
        raise TypeError(f"{name} must be a dict of conv_stem keyword arguments, got {type(stem).__name__}")
    unknown = sorted(set(stem) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"{name} has unknown keys {unknown}; conv_stem takes {', '.join(_OPTIONS)}")
    if "weight" not in stem:
        raise ValueError(f"{name} must give the convolution 'weight' (shape (d_out, 2d, kernel_size))")
    return check_stem_options(n, d, dtype, backend, check, **stem)


def apply_stem(Xs, X, p, xp):
    """The stem on checked (n, d) arrays ``Xs``, ``X`` and parameters ``p`` (:class:`StemParams`)."""
    n, d = X.shape
    dtype = X.dtype
    W = p.weight
    d_out = W.shape[0]
    # zero padding of p rows at both ends = PyTorch's Conv1d(padding=p)
    zpad = xp.zeros((p.pad, 2 * d), dtype=dtype)
    Z = xp.concat([zpad, xp.concat([Xs, X], axis=1), zpad], axis=0)
    C = xp.zeros((n, d_out), dtype=dtype)
    if p.bias is not None:
        C = C + p.bias
    for q in range(W.shape[2]):  # tap q reads rows t + q - pad: one GEMM per tap
        C = C + Z[q:q + n] @ xp.permute_dims(W[:, :, q], (1, 0))
    if p.running_mean is None:
        H = standardize_rows(C, p.eps, dtype, xp)
    else:
        H = (C - p.running_mean[:, None]) / xp.sqrt(p.running_var[:, None] + p.eps)
    if p.gamma is not None:
        H = H * p.gamma[:, None]
    if p.beta is not None:
        H = H + p.beta[:, None]
    if p.activation == "relu":
        return xp.maximum(H, xp.zeros_like(H))
    return xp.where(H > 0, H, xp.expm1(xp.minimum(H, xp.zeros_like(H))))


def conv_stem(X_smooth, X, weight, bias, *, kernel_size=3, activation="relu", eps=1e-5,
              bn_weight=None, bn_bias=None, running_mean=None, running_var=None,
              check_finite=True):
    """The convolution stem after the smoother: concat -> Conv1d -> BatchNorm1d(n) -> act.

    Parameters
    ----------
    X_smooth, X : array_like, shape (n, d)
        Smoothed and original token matrices.
    weight : array_like, shape (d_out, 2d, kernel_size)
        Conv1d weight in PyTorch's layout (out channels, in channels, taps); input
        channels 0..d-1 are X_smooth's, d..2d-1 are X's.
    bias : array_like, shape (d_out,) or None
        Conv1d bias.
    kernel_size : int, default 3
        Odd number of taps; padding ``(kernel_size-1)//2`` keeps the length (3 with
        padding 1 is the paper's stem, 1 the repository's).
    activation : {"relu", "elu"}, default "relu"
        ReLU (paper) or ELU with alpha = 1 (repository).
    eps : float, default 1e-5
        BatchNorm epsilon (PyTorch's default).
    bn_weight, bn_bias : array_like, shape (n,), optional
        BatchNorm affine parameters (default 1 and 0).
    running_mean, running_var : array_like, shape (n,), optional
        If both given, normalise with them (PyTorch eval mode); otherwise with the
        statistics of this input (training-mode batch statistics for a batch of one).
    check_finite : bool, default True
        Raise ValueError on NaN/inf in ``X_smooth``, ``X``, ``weight`` and the
        given vectors (reads all of them).

    Returns
    -------
    ndarray, shape (n, d_out)
        The stem output ``H`` (Notes), in the promoted dtype of ``X_smooth`` and
        ``X`` and on their array library.

    Raises
    ------
    ValueError
        Mismatched shapes, even kernel_size, a negative ``running_var``, NaN/inf.
    TypeError
        Complex ``X_smooth``, ``X``, ``weight`` or vectors, non-integer ``kernel_size``.

    Notes
    -----
    With ``Z = [X_smooth, X]`` zero-padded by p rows at both ends,
    ``C[t, o] = bias[o] + sum_{c, q} weight[o, c, q] Z[t + q, c]`` (PyTorch's Conv1d is a
    cross-correlation).  BatchNorm1d(n) treats the n positions as channels: position
    t is normalised with ``mu_t = mean_o C[t, o]`` and the biased variance
    ``var_t`` over the d_out channels (batch of one sample),
    ``H[t] = act(gamma_t (C[t] - mu_t)/sqrt(var_t + eps) + beta_t)``.  Dropout is
    omitted (inference).  Cost O(n d d_out kernel_size).

    The batch statistics are computed on each row divided by its largest magnitude,
    so a stem input of any scale (1e-200 or 1e200) is normalised without the
    variance over- or underflowing (``skeleton._normalization``); a row with zero
    variance maps to ``beta_t``, also for ``eps = 0``.

    References
    ----------
    Wang et al., arXiv:2408.08567, Section 3 (smoother) and Appendix code.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((10, 4)); Xs = rng.standard_normal((10, 4))
    >>> W = rng.standard_normal((4, 8, 3)); b = np.zeros(4)
    >>> H = conv_stem(Xs, X, W, b)
    >>> H.shape, bool((H >= 0).all())
    ((10, 4), True)
    """
    Xs, dtype, backend = check_real_matrix(X_smooth, "X_smooth", check_finite)
    X0, dtype0, _ = check_real_matrix(X, "X", check_finite, backend=backend)
    if Xs.shape != X0.shape:
        raise ValueError(f"X_smooth and X must have the same shape, got {tuple(Xs.shape)} and {tuple(X0.shape)}")
    dtype = np.promote_types(dtype, dtype0)
    n, d = Xs.shape
    p = check_stem_options(n, d, dtype, backend, check_finite, weight, bias, kernel_size=kernel_size,
                           activation=activation, eps=eps, bn_weight=bn_weight, bn_bias=bn_bias,
                           running_mean=running_mean, running_var=running_var)
    return apply_stem(backend.astype(Xs, dtype), backend.astype(X0, dtype), p, backend.xp)
