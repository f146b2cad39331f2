"""The S3 attention block (Algorithm 1): smoother -> optional convolution stem ->
multi-head skeleton attention, with the projection biases and the padding mask of
the authors' code.

:func:`s3_block` validates every argument once (X is checked and scanned for NaN/inf
once) and then runs the unvalidated bodies of the smoother
(:mod:`skeleton.smoothing.fourier`), the stem (:mod:`skeleton.stem`) and the two
attention paths (``skeleton._attention_core``).  :func:`~skeleton.stem.conv_stem` is
importable from here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._attention_core import (
    check_affine,
    check_result_finite,
    check_sample,
    column_path,
    combine_paths,
    row_path,
)
from ._backends import backend_for
from ._validation import (
    check_bool,
    check_choice,
    check_count,
    check_int,
    check_positive,
    check_real_matrix,
    check_rng,
    check_vector,
)
from .smoothing.fourier import _check_smoother, _smooth
from .stem import apply_stem, conv_stem, stem_params_from

__all__ = ["conv_stem", "s3_block", "S3Result"]


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


def _check_mask(mask, n, dtype, backend):
    """(mask on ``backend`` in ``dtype``, host indices of the real tokens)."""
    m = check_vector(mask, "mask", size=n)
    host = np.asarray(backend_for(m, "mask").to_numpy(m))
    if not np.all((host == 0) | (host == 1)):
        raise ValueError("mask must hold booleans or 0/1 (1 = a real token, 0 = padding)")
    return backend.asarray(host.astype(dtype)), np.flatnonzero(host)


def _token_sample(row_idx, s1, n, gen, real, sample_padded):
    """P1: given (checked) or drawn from all n positions / from the real tokens."""
    if row_idx is not None:
        P1 = check_sample(row_idx, n, "row_idx", "tokens (rows)")
        if real is not None and not sample_padded:
            padded = np.setdiff1d(P1, real)
            if padded.size:
                raise ValueError(
                    f"row_idx holds padded token {padded[0]} (mask is 0 there); pass "
                    "sample_padded=True to sample padded tokens as the authors' code can"
                )
        return P1
    if real is None or sample_padded:
        s1 = check_count(s1, n, "s1", what="tokens")
        return gen.permutation(n)[:s1].astype(np.intp)
    s1 = check_count(s1, real.size, "s1", what="real (unpadded) tokens")
    return real[gen.permutation(real.size)[:s1]].astype(np.intp)


def s3_block(X, W_Q, W_K, W_V, kernel, r, s1, s2, *, heads=1, rng=None, stem=None,
             row_idx=None, col_idx=None, mode="circular", domain="frequency", layout="block",
             layer_norm=True, combine="mean", eps=1e-5, affine=None, workers=None,
             b_Q=None, b_K=None, b_V=None, mask=None, sample_padded=False, check_finite=True):
    """One S3 attention block: smoother -> (conv stem) -> multi-head skeleton attention.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Token matrix.
    W_Q, W_K, W_V : array_like, shape (d, heads*head_dim)
        Projections; ``Q = H W_Q + b_Q`` etc. with H the smoother (or stem) output.
        (PyTorch's ``nn.Linear`` stores the transpose: ``W_Q = linear.weight.T``.)
    kernel : array_like
        Smoothing kernel for :func:`skeleton.smoothing.smooth` (``domain`` says which).
    r : int
        Segments of the smoother (divides d; r = d: no averaging).
    s1 : int
        Number of sampled tokens (<= n; <= the number of real tokens when a ``mask``
        is given and ``sample_padded`` is False).  Ignored when ``row_idx`` is given.
    s2 : int
        Number of sampled per-head features (<= head_dim).  Ignored when ``col_idx``
        is given.
    heads : int, default 1
        Number of heads; heads*head_dim must equal W_Q's column count.
    rng : Generator, int, SeedSequence or None
        Draws P1 = first s1 of a permutation of n and P2 = first s2 of a permutation
        of head_dim (``torch.randperm(...)[:s]``), once, shared by all heads.  Not
        used for an index set that is given.
    stem : dict, optional
        Keyword arguments for :func:`skeleton.stem.conv_stem` (``weight``,
        ``bias``, ``kernel_size``, ``activation``, ...); if given, ``H =
        conv_stem(X_smooth, X, **stem)`` (the stem must map back to d channels).
    row_idx, col_idx : sequence of int, optional
        Reuse index sets (e.g. from an earlier result).
    mode, domain, layout, workers
        Passed to :func:`skeleton.smoothing.smooth`.
    layer_norm, combine, eps, affine
        As in :func:`skeleton.attention.skeleton_attention`; LayerNorm acts on the
        heads concatenated (n x heads*head_dim), as the official code.
    b_Q, b_K, b_V : array_like, shape (heads*head_dim,), optional
        Projection biases (``nn.Linear``'s ``bias``); none by default.
    mask : array_like of bool or 0/1, shape (n,), optional
        Padding mask: 1 (True) for a real token, 0 (False) for padding.  As in the
        authors' code, the rows of K and V of padded tokens are multiplied by 0 after
        the projections (biases included); Q, the smoother and the stem are not
        masked.  See Notes.
    sample_padded : bool, default False
        With a ``mask``: whether padded tokens may be among the s1 sampled tokens.
        False draws P1 from the real tokens only (and refuses a ``row_idx`` holding a
        padded token); True draws from all n positions, as the authors' code does.
    check_finite : bool, default True
        Raise ValueError on NaN/inf in the inputs (reads each of them once), and on a
        non-finite result of finite inputs (overflowing attention scores).

    Returns
    -------
    S3Result
        ``output`` plus ``row_idx``, ``col_idx``, ``smoothed``, ``hidden``, ``column``,
        ``row``.

    Raises
    ------
    ValueError
        Shape mismatches, s1 > n, s2 > head_dim, heads not dividing the projection
        width, bad indices, kernel or mask, NaN/inf, overflowing scores.

    TypeError
        Complex or non-numeric ``X``, projections or biases, a bad ``rng``, a
        non-integer ``heads``, a ``stem`` that is not a dict of conv_stem options.

    Notes
    -----
    Per head h with ``Q_h, K_h, V_h`` (n x head_dim):
    ``V1_h = softmax(Q_h (P1 K_h)^T / sqrt(head_dim)) (P1 V_h)`` and
    ``V2_h = (V_h P2) softmax((K_h P2)^T Q_h / sqrt(n))``; then
    ``out = (LN1([V1_1..V1_H]) + LN2([V2_1..V2_H])) / 2``.  Total cost
    O(d r + n d log n) (smoother) + O(n d heads*head_dim) (projections)
    + O(n (s1 + s2) heads*head_dim): linear in n.

    **Padding mask.**  With ``D = diag(mask)`` the block uses ``K <- D K`` and
    ``V <- D V`` (the authors' ``K * mask``, ``V * mask``).  In the row path this
    removes the padded tokens exactly: they add nothing to ``(K P2)^T Q`` and their
    rows of ``V P2``, hence of ``V2``, are 0.  In the column path a padded token
    that is *sampled* keeps a key of 0, i.e. a score of 0 rather than -inf: it still
    takes the softmax weight ``exp(-max_j s_ij) / Z_i`` of every query and returns a
    value of 0, so it shrinks every query's output by an amount that depends on how
    much padding was sampled.  The authors' code samples one index set per layer for
    the whole batch, so it cannot avoid padded positions; a single sequence here
    can, and by default (``sample_padded=False``) P1 is drawn from the real tokens
    only.  Then the output rows of the real tokens do not depend on the padded
    tokens' queries, keys or values at all (the smoother and the stem still mix
    all n positions, as in the authors' code; the row scale stays ``1/sqrt(n)``
    with n the padded length, as theirs).  ``sample_padded=True`` reproduces the
    authors' draw (a permutation of all n positions, whatever the mask).  Output
    rows of padded tokens are computed as the authors do (not zeroed); ignore them.

    Compared with the authors' LRA code (``lra/attention1.py``: ``Attention``,
    ``lra/attention_SKT.py``: ``DynamicAttention_SKTAttention``, ``lra/lmu.py``:
    ``LMUFFT_nccl``) in inference mode, this is their block for one sequence before
    the output projection ``ff``: smoother and stem (``kernel_size=1``,
    ``activation="elu"``, ``r = d``), ``nn.Linear`` projections with bias, the
    mask, the two paths and the two LayerNorms (``affine``) averaged.  Their class
    token path (``cls_embed``) is not modelled.

    Validation happens once, here: X and every other array are checked and scanned
    for NaN/inf once, and the smoother, stem and attention bodies run unchecked.

    References
    ----------
    Wang et al., arXiv:2408.08567, Algorithm 1.
    The authors' code: https://github.com/wxie9/S3Attention (commit ef4351a,
    ``lra/attention1.py``, ``lra/attention_SKT.py``, ``lra/lmu.py``).

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

    A padded batch entry: the last 28 positions are padding, never sampled.

    >>> mask = np.arange(n) < 100
    >>> res = s3_block(X, *W, kaiming_kernel(n, d, rng=1), r=4, s1=8, s2=4, heads=2, rng=2,
    ...                mask=mask)
    >>> bool(res.row_idx.max() < 100)
    True
    """
    X, dtype, backend = check_real_matrix(X, "X", check_finite)
    n, d = X.shape
    xp = backend.xp
    heads = check_int(heads, "heads", low=1)
    Ws = []
    for name, W in (("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V)):
        W, _, _ = check_real_matrix(W, name, check_finite, dtype=dtype, backend=backend)
        if W.shape[0] != d:
            raise ValueError(f"{name} must have d = {d} rows, got shape {tuple(W.shape)}")
        Ws.append(W)
    width = Ws[0].shape[1]
    if Ws[1].shape[1] != width or Ws[2].shape[1] != width:
        raise ValueError(
            f"W_Q, W_K, W_V must have the same number of columns, got {[int(W.shape[1]) for W in Ws]}"
        )
    if width % heads:
        raise ValueError(f"heads={heads} must divide the projection width {width}")
    hd = width // heads
    bs = [None if b is None else check_vector(b, name, size=width, backend=backend, dtype=dtype,
                                              check_finite=check_finite)
          for name, b in (("b_Q", b_Q), ("b_K", b_K), ("b_V", b_V))]
    r, L, m, fft = _check_smoother(X, kernel, r, mode, domain, layout, workers, dtype, backend,
                                   check_finite)
    sp = None
    if stem is not None:
        sp = stem_params_from(stem, n, d, dtype, backend, check_finite)
        if sp.weight.shape[0] != d:
            raise ValueError(f"the stem must map back to d = {d} channels: stem weight has "
                             f"d_out = {sp.weight.shape[0]}")
    layer_norm = check_bool(layer_norm, "layer_norm")
    check_choice(combine, ("mean", "sum"), "combine")
    eps = check_positive(eps, "eps", allow_zero=True)
    aff = check_affine(affine, width, dtype, backend, check_finite)
    sample_padded = check_bool(sample_padded, "sample_padded")
    mk, real = (None, None) if mask is None else _check_mask(mask, n, dtype, backend)
    gen = check_rng(rng)
    P1 = _token_sample(row_idx, s1, n, gen, real, sample_padded)
    if col_idx is None:
        s2 = check_count(s2, hd, "s2", what="per-head features")
        P2 = gen.permutation(hd)[:s2].astype(np.intp)
    else:
        P2 = check_sample(col_idx, hd, "col_idx", "per-head features (columns)")

    Xs = _smooth(X, L, r, m, domain, layout, dtype, backend, fft)
    H = Xs if sp is None else apply_stem(Xs, X, sp, xp)
    Q, K, V = (H @ W if b is None else H @ W + b for W, b in zip(Ws, bs))
    if mk is not None:
        K, V = K * mk[:, None], V * mk[:, None]
    sc1, sc2 = 1.0 / math.sqrt(hd), 1.0 / math.sqrt(n)
    cols1, cols2 = [], []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        Qh, Kh, Vh = Q[:, sl], K[:, sl], V[:, sl]
        cols1.append(column_path(Qh, Kh, Vh, P1, sc1, backend))
        cols2.append(row_path(Qh, Kh, Vh, P2, sc2, backend))
    V1 = cols1[0] if heads == 1 else xp.concat(cols1, axis=1)
    V2 = cols2[0] if heads == 1 else xp.concat(cols2, axis=1)
    out = combine_paths(V1, V2, layer_norm, combine, eps, aff, dtype, xp)
    if check_finite:
        check_result_finite(out, backend, "X and the projections")
    return S3Result(output=out, row_idx=P1, col_idx=P2, smoothed=Xs, hidden=H, column=V1, row=V2)
