"""Tests for skeleton.s3 (the S3 block) against dense references, and against a
reference written from the formulas of the authors' PyTorch code
(https://github.com/wxie9/S3Attention, commit ef4351a: ``lra/attention1.py``
``Attention.forward``, ``lra/attention_SKT.py`` ``DynamicAttention_SKTAttention``,
``lra/lmu.py`` ``LMUFFT_nccl``), in inference mode, for one sequence."""

import dataclasses

import numpy as np
import pytest

from _references_s3 import (
    as_matrix,
    dense_irfft,
    dense_ln,
    dense_paths,
    dense_rfft,
    dense_smooth,
    dense_stem,
    stable_softmax,
)
from skeleton.s3 import S3Result, s3_block
from skeleton.smoothing import kaiming_kernel


# ----------------------------------------------------------------- dense references
def dense_s3(X, WQ, WK, WV, L, r, P1, P2, heads, stem=None):
    """smoother (explicit circulant matrices) -> stem (loops) -> paths -> LayerNorms."""
    n = X.shape[0]
    Xs = dense_smooth(X, dense_irfft(L, n), r, "circular", "block")
    if stem is not None:
        st = {"kernel_size": 3, "activation": "relu", **stem}
        Xs = dense_stem(Xs, X, st["weight"], st.get("bias"), st["activation"], 1e-5)
    Q, K, V = Xs @ WQ, Xs @ WK, Xs @ WV
    hd = WQ.shape[1] // heads
    V1s, V2s = [], []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        V1, V2 = dense_paths(Q[:, sl], K[:, sl], V[:, sl], P1, P2)
        V1s.append(V1)
        V2s.append(V2)
    V1, V2 = np.hstack(V1s), np.hstack(V2s)
    return (dense_ln(V1, 1e-5) + dense_ln(V2, 1e-5)) / 2


def authors_block(X, p, mask, left, right, heads):
    """The authors' block in eval mode, written from their formulas for one sequence.

    Smoother (``LMUFFT_nccl``): ``m = irfft(rfft(x) * w)`` with the complex product
    spelled in real and imaginary parts; ``h = elu(bn_1(conv([m, x])))`` (BatchNorm1d
    over the n positions, running statistics; Conv1d of ``p["k"]`` taps, zero
    padding).  ``Q = h Wq^T + bq`` (``nn.Linear``), likewise K, V; ``K *= mask``,
    ``V *= mask``.  Per head: ``softmax(Q K[left]^T / sqrt(hd)) V[left]`` and
    ``V[:, right] softmax(Q^T K[:, right] / sqrt(n), -1)^T``; then
    ``ln_1(left) / 2 + ln_2(right) / 2`` on the heads concatenated.
    """
    n, d = X.shape
    U = dense_rfft(X)
    wr, wi = p["w_fft"][..., 0], p["w_fft"][..., 1]
    out_ft = (U.real * wr - U.imag * wi) + 1j * (U.real * wi + U.imag * wr)
    m = dense_irfft(out_ft, n)
    Z = np.concatenate([m, X], axis=1)
    k = p["conv_w"].shape[2]
    pad = (k - 1) // 2
    Zp = np.vstack([np.zeros((pad, 2 * d)), Z, np.zeros((pad, 2 * d))])
    C = p["conv_b"] + sum(Zp[q:q + n] @ p["conv_w"][:, :, q].T for q in range(k))
    B = (C - p["rm"][:, None]) / np.sqrt(p["rv"][:, None] + 1e-5) * p["bn_g"][:, None] + p["bn_b"][:, None]
    h = np.where(B > 0, B, np.expm1(np.minimum(B, 0))) if p["act"] == "elu" else np.maximum(B, 0)
    Q = h @ p["Wq"].T + p["bq"]
    K = (h @ p["Wk"].T + p["bk"]) * mask[:, None]
    V = (h @ p["Wv"].T + p["bv"]) * mask[:, None]
    hd = Q.shape[1] // heads
    lefts, rights = [], []
    for j in range(heads):
        sl = slice(j * hd, (j + 1) * hd)
        Qh, Kh, Vh = Q[:, sl], K[:, sl], V[:, sl]
        attn = stable_softmax(Qh @ Kh[left].T / np.sqrt(hd), -1)
        lefts.append(attn @ Vh[left])
        attn_r = stable_softmax(Qh.T @ Kh[:, right] / np.sqrt(n), -1).T
        rights.append(Vh[:, right] @ attn_r)
    L1, L2 = np.hstack(lefts), np.hstack(rights)
    return dense_ln(L1, 1e-5, p["g1"], p["b1"]) / 2 + dense_ln(L2, 1e-5, p["g2"], p["b2"]) / 2


def authors_params(rng, n, d, k=1, act="elu"):
    """Parameters of one block, in PyTorch's layouts (Linear weight = (out, in))."""
    g = rng.standard_normal
    return {
        "w_fft": g((n // 2 + 1, d, 2)) / np.sqrt(d), "conv_w": g((d, 2 * d, k)) / np.sqrt(2 * d * k),
        "conv_b": g(d) / 4, "bn_g": 1 + g(n) / 4, "bn_b": g(n) / 4, "rm": g(n) / 4,
        "rv": 0.5 + rng.random(n), "Wq": g((d, d)) / np.sqrt(d), "Wk": g((d, d)) / np.sqrt(d),
        "Wv": g((d, d)) / np.sqrt(d), "bq": g(d), "bk": g(d), "bv": g(d), "g1": 1 + g(d) / 4,
        "b1": g(d) / 4, "g2": 1 + g(d) / 4, "b2": g(d) / 4, "k": k, "act": act,
    }


def ours(X, p, heads, left, right, *, mask=None, biases=True, sample_padded=True):
    """s3_block with the authors' parameters mapped onto its arguments."""
    d = X.shape[1]
    stem = {"weight": p["conv_w"], "bias": p["conv_b"], "kernel_size": p["conv_w"].shape[2],
            "activation": p["act"], "bn_weight": p["bn_g"], "bn_bias": p["bn_b"],
            "running_mean": p["rm"], "running_var": p["rv"]}
    b = {"b_Q": p["bq"], "b_K": p["bk"], "b_V": p["bv"]} if biases else {}
    return s3_block(X, p["Wq"].T, p["Wk"].T, p["Wv"].T, p["w_fft"][..., 0] + 1j * p["w_fft"][..., 1],
                    d, len(left), len(right), heads=heads, stem=stem, row_idx=left, col_idx=right,
                    affine=((p["g1"], p["b1"]), (p["g2"], p["b2"])), mask=mask,
                    sample_padded=sample_padded, **b)


# ----------------------------------------------------------------- against dense
@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("with_stem", [False, True])
def test_s3_block_matches_dense(heads, with_stem):
    rng = np.random.default_rng(7)
    n, d = 48, 16
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((3, d, d)) / 4
    L = kaiming_kernel(n, d, rng=1)
    stem = None
    if with_stem:
        stem = {"weight": rng.standard_normal((d, 2 * d, 3)) / 8, "bias": rng.standard_normal(d)}
    res = s3_block(X, *W, L, 4, 6, 3, heads=heads, rng=np.random.default_rng(8), stem=stem)
    assert isinstance(res, S3Result)
    # indices: torch.randperm(n)[:s1] analogue from the given generator
    g = np.random.default_rng(8)
    np.testing.assert_array_equal(res.row_idx, g.permutation(n)[:6])
    np.testing.assert_array_equal(res.col_idx, g.permutation(d // heads)[:3])
    ref = dense_s3(X, *W, L, 4, res.row_idx, res.col_idx, heads, stem)
    np.testing.assert_allclose(res.output, ref, rtol=1e-11, atol=1e-11)
    again = s3_block(X, *W, L, 4, 6, 3, heads=heads, row_idx=res.row_idx, col_idx=res.col_idx, stem=stem)
    np.testing.assert_array_equal(again.output, res.output)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.output = None


def test_s3_block_float32_with_stem_and_repository_variant(rel):
    rng = np.random.default_rng(12)
    n, d = 40, 8
    X = rng.standard_normal((n, d)).astype(np.float32)
    W = (rng.standard_normal((3, d, d)) / 4).astype(np.float32)
    L = kaiming_kernel(n, d, rng=1, distribution="uniform", dtype=np.complex64)
    stem = {"weight": (rng.standard_normal((d, 2 * d, 1)) / 8).astype(np.float32),
            "bias": np.zeros(d, np.float32), "kernel_size": 1, "activation": "elu"}
    res = s3_block(X, *W, L, d, 5, 2, heads=2, rng=3, stem=stem)  # r = d: no averaging
    for a in (res.output, res.smoothed, res.hidden, res.column, res.row):
        assert a.dtype == np.float32
    ref = dense_s3(X.astype(np.float64), *W.astype(np.float64), L.astype(np.complex128), d,
                   res.row_idx, res.col_idx, 2,
                   {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v) for k, v in stem.items()})
    assert rel(res.output, ref) < 1e-4


# ----------------------------------------------------------------- the authors' block
@pytest.mark.parametrize("k,act", [(1, "elu"), (3, "relu")])
@pytest.mark.parametrize("heads", [1, 2])
def test_matches_the_authors_block_with_bias_and_mask(rel, k, act, heads):
    """Projection biases and the padding mask as in the authors' code; padded tokens
    among the sampled ones (their code can sample them: sample_padded=True)."""
    rng = np.random.default_rng(100 + k + heads)
    n, d = 40, 8
    X = rng.standard_normal((n, d))
    p = authors_params(rng, n, d, k, act)
    mask = (np.arange(n) < 31).astype(np.float64)  # 9 padded positions
    left = np.array([3, 35, 0, 17, 38, 22])  # two padded tokens sampled
    right = rng.permutation(d // heads)[:3]
    ref = authors_block(X, p, mask, left, right, heads)
    got = ours(X, p, heads, left, right, mask=mask).output
    assert rel(got, ref) < 1e-12
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    # the same block with a boolean mask
    np.testing.assert_array_equal(ours(X, p, heads, left, right, mask=mask > 0).output, got)
    # neither the biases nor the mask are negligible: leaving either out changes the
    # output at order one
    no_mask = authors_block(X, p, np.ones(n), left, right, heads)
    assert rel(ours(X, p, heads, left, right).output, no_mask) < 1e-12
    assert rel(no_mask, ref) > 0.05
    assert rel(ours(X, p, heads, left, right, mask=mask, biases=False).output, ref) > 0.05


def test_without_bias_and_mask_it_is_the_plain_block(rel):
    """b_Q = b_K = b_V = None and no mask is the block as it was (defaults unchanged)."""
    rng = np.random.default_rng(101)
    n, d = 32, 8
    X = rng.standard_normal((n, d))
    p = authors_params(rng, n, d)
    for key in ("bq", "bk", "bv"):
        p[key] = np.zeros(d)
    left, right = np.array([1, 5, 30]), np.array([0, 6])
    ref = authors_block(X, p, np.ones(n), left, right, 1)
    assert rel(ours(X, p, 1, left, right, biases=False).output, ref) < 1e-12


# ----------------------------------------------------------------- mask semantics
def _identity_setup(n=24, d=8, n_real=18, seed=102):
    """A block whose smoother is the identity (flat spectrum, r = d), so that H = X and
    the padded rows of X are exactly the padded tokens' data."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = [rng.standard_normal((d, d)) / 3 for _ in range(3)]
    b = [rng.standard_normal(d) for _ in range(3)]
    L = np.ones((n // 2 + 1, d), dtype=complex)
    mask = np.arange(n) < n_real
    return X, W, b, L, mask


def test_default_draw_never_samples_padding_and_real_rows_ignore_it(rel):
    X, W, b, L, mask = _identity_setup()
    n, d = X.shape
    kw = dict(heads=2, b_Q=b[0], b_K=b[1], b_V=b[2], mask=mask)
    res = s3_block(X, *W, L, d, 10, 3, rng=5, **kw)
    assert set(res.row_idx) <= set(np.flatnonzero(mask))
    X2 = X.copy()
    X2[~mask] = 100 * np.random.default_rng(1).standard_normal((int((~mask).sum()), d))
    res2 = s3_block(X2, *W, L, d, 10, 3, rng=5, **kw)
    np.testing.assert_array_equal(res2.row_idx, res.row_idx)
    np.testing.assert_allclose(res2.output[mask], res.output[mask], rtol=1e-10, atol=1e-10)
    assert rel(res2.output[~mask], res.output[~mask]) > 0.1  # the padded rows do change
    # the authors' draw: a permutation of all n positions, whatever the mask
    g = np.random.default_rng(5)
    res3 = s3_block(X, *W, L, d, 10, 3, rng=5, sample_padded=True, **kw)
    np.testing.assert_array_equal(res3.row_idx, g.permutation(n)[:10])
    # s1 is bounded by the number of real tokens
    with pytest.raises(ValueError, match="s1=19 asks for more real"):
        s3_block(X, *W, L, d, 19, 3, rng=5, **kw)
    s3_block(X, *W, L, d, 19, 3, rng=5, sample_padded=True, **kw)


def test_a_sampled_padded_token_shrinks_the_column_path():
    """A padded token in P1 has key 0 (score 0) and value 0: every query's column path
    is multiplied by Z_i / (Z_i + 1), Z_i = sum_j exp(s_ij) over the real samples."""
    X, W, b, L, mask = _identity_setup()
    d = X.shape[1]
    kw = dict(heads=1, b_Q=b[0], b_K=b[1], b_V=b[2], mask=mask, col_idx=[0, 3])
    P1 = np.array([2, 7, 11, 16])
    with pytest.raises(ValueError, match="row_idx holds padded token 20"):
        s3_block(X, *W, L, d, 5, 2, row_idx=np.append(P1, 20), **kw)
    clean = s3_block(X, *W, L, d, 4, 2, row_idx=P1, **kw)
    shrunk = s3_block(X, *W, L, d, 5, 2, row_idx=np.append(P1, 20), sample_padded=True, **kw)
    Q = clean.hidden @ W[0] + b[0]
    K = clean.hidden @ W[1] + b[1]
    Z = np.exp(Q @ K[P1].T / np.sqrt(d)).sum(axis=1)
    np.testing.assert_allclose(shrunk.column, clean.column * (Z / (Z + 1))[:, None], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(shrunk.row, clean.row)  # the row path does not see P1
    # row path: padded tokens contribute nothing and get zero rows
    np.testing.assert_array_equal(clean.row[~mask], 0)


def test_mask_validation():
    X, W, b, L, mask = _identity_setup()
    d = X.shape[1]
    with pytest.raises(ValueError, match="mask must hold booleans or 0/1"):
        s3_block(X, *W, L, d, 4, 2, rng=0, mask=np.where(mask, 1.0, 0.5))
    with pytest.raises(ValueError, match=r"mask must have shape \(24,\)"):
        s3_block(X, *W, L, d, 4, 2, rng=0, mask=mask[:-1])
    with pytest.raises(ValueError, match="mask must not contain NaN"):
        s3_block(X, *W, L, d, 4, 2, rng=0, mask=np.full(24, np.nan))
    with pytest.raises(TypeError, match="sample_padded must be True or False"):
        s3_block(X, *W, L, d, 4, 2, rng=0, mask=mask, sample_padded=1)
    with pytest.raises(ValueError, match="b_K must have shape"):
        s3_block(X, *W, L, d, 4, 2, rng=0, b_K=np.ones(3))
    with pytest.raises(TypeError, match="b_V must be real"):
        s3_block(X, *W, L, d, 4, 2, rng=0, b_V=np.ones(d) * 1j)


# ----------------------------------------------------------------- validation
def test_s3_block_bad_input():
    rng = np.random.default_rng(9)
    n, d = 20, 8
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((3, d, d))
    L = kaiming_kernel(n, d, rng=1)
    with pytest.raises(ValueError, match="s1=21 asks for more tokens"):
        s3_block(X, *W, L, 2, 21, 2, rng=0)
    with pytest.raises(ValueError, match="s2=5 asks for more per-head features"):
        s3_block(X, *W, L, 2, 4, 5, heads=2, rng=0)
    with pytest.raises(ValueError, match="heads=3 must divide"):
        s3_block(X, *W, L, 2, 4, 2, heads=3, rng=0)
    with pytest.raises(TypeError, match="heads must be an integer"):
        s3_block(X, *W, L, 2, 4, 2, heads=2.0, rng=0)
    with pytest.raises(ValueError, match="W_K must have d = 8 rows"):
        s3_block(X, W[0], W[1][:4], W[2], L, 2, 4, 2, rng=0)
    with pytest.raises(ValueError, match="kernel must have shape"):
        s3_block(X, *W, L[:5], 2, 4, 2, rng=0)
    with pytest.raises(ValueError, match="col_idx holds duplicate"):
        s3_block(X, *W, L, 2, 4, 2, row_idx=[0, 1], col_idx=[1, 1])
    with pytest.raises(TypeError, match="stem has unknown keys"):
        s3_block(X, *W, L, 2, 4, 2, rng=0, stem={"weight": np.ones((d, 2 * d, 3)), "bais": None})
    with pytest.raises(TypeError, match="stem must be a dict"):
        s3_block(X, *W, L, 2, 4, 2, rng=0, stem=[1, 2])
    with pytest.raises(ValueError, match="stem must give the convolution 'weight'"):
        s3_block(X, *W, L, 2, 4, 2, rng=0, stem={"kernel_size": 1})
    with pytest.raises(ValueError, match="the stem must map back to d = 8 channels"):
        s3_block(X, *W, L, 2, 4, 2, rng=0, stem={"weight": np.ones((5, 2 * d, 3))})
    with pytest.raises(TypeError, match="layer_norm must be True or False"):
        s3_block(X, *W, L, 2, 4, 2, rng=0, layer_norm=None)
    big = np.ldexp(1.0, 400)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match="not finite although X and the projections are"):
        s3_block(X * big, *(W * big), L, 2, 4, 2, rng=0)


def test_numpy_matrix_input_is_converted():
    """Regression: numpy.matrix X failed in the smoother, numpy.matrix W in softmax."""
    rng = np.random.default_rng(103)
    n, d = 16, 8
    X = rng.standard_normal((n, d))
    W = [rng.standard_normal((d, d)) / 3 for _ in range(3)]
    L = kaiming_kernel(n, d, rng=1)
    ref = s3_block(X, *W, L, 2, 4, 2, rng=0)
    got = s3_block(as_matrix(X), *(as_matrix(w) for w in W), as_matrix(L), 2, 4, 2, rng=0)
    for field in ("output", "smoothed", "hidden", "column", "row"):
        assert type(getattr(got, field)) is np.ndarray, field
    np.testing.assert_allclose(got.output, ref.output, rtol=1e-13, atol=1e-13)


def test_each_input_is_validated_and_scanned_once(monkeypatch):
    """Regression: X was checked and scanned for NaN three times (smoother, stem,
    attention).  Spies on the NumPy backend's finiteness scan and on check_matrix."""
    from skeleton import _validation
    from skeleton._backends.numpy import NumpyBackend

    scanned, checked = [], []
    real_scan, real_check = NumpyBackend.all_finite, _validation.check_matrix
    monkeypatch.setattr(NumpyBackend, "all_finite", lambda self, A: scanned.append(A) or real_scan(self, A))
    monkeypatch.setattr(_validation, "check_matrix", lambda A, *a, **k: checked.append(A) or real_check(A, *a, **k))
    X, W, b, L, mask = _identity_setup()
    n, d = X.shape
    stem = {"weight": np.ones((d, 2 * d, 3)) / 50, "bias": np.ones(d)}
    s3_block(X, *W, L, d, 4, 2, rng=0, stem=stem, b_Q=b[0], b_K=b[1], b_V=b[2], mask=mask,
             affine=((np.ones(d), None), (None, np.zeros(d))))
    for name, A in [("X", X), ("W_Q", W[0]), ("W_K", W[1]), ("W_V", W[2]), ("kernel", L),
                    ("stem weight", stem["weight"]), ("b_Q", b[0]), ("mask", mask)]:
        assert sum(B is A for B in scanned) == 1, name
    assert sum(B is X for B in checked) == 1
