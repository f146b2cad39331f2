"""Tests for skeleton.attention against dense references written here."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from skeleton.attention import (
    S3Result,
    column_attention,
    layer_norm,
    nystrom_attention,
    row_attention,
    s3_block,
    skeleton_attention,
    softmax_attention,
)
from skeleton.smoothing import kaiming_kernel, smooth


# ----------------------------------------------------------------- dense references
def naive_softmax(S, axis):
    E = np.exp(S)  # no max subtraction: inputs in the tests are moderate
    return E / E.sum(axis=axis, keepdims=True)


def dense_attention(Q, K, V, scale=None, causal=False):
    scale = 1 / np.sqrt(Q.shape[1]) if scale is None else scale
    S = Q @ K.T * scale
    if causal:
        S = np.where(np.tril(np.ones(S.shape, bool)), S, -np.inf)
    return naive_softmax(S, 1) @ V


def sel_rows(idx, n):
    P = np.zeros((len(idx), n))
    P[np.arange(len(idx)), idx] = 1
    return P


def dense_ln(Y, eps, w=None, b=None):
    mu = Y.mean(axis=1, keepdims=True)
    var = ((Y - mu) ** 2).mean(axis=1, keepdims=True)
    Z = (Y - mu) / np.sqrt(var + eps)
    if w is not None:
        Z = Z * w
    if b is not None:
        Z = Z + b
    return Z


def dense_paths(Q, K, V, P1, P2, sc1=None, sc2=None):
    n, d = Q.shape
    S1 = sel_rows(P1, n)  # s1 x n: P1 K picks rows
    S2 = sel_rows(P2, d).T  # d x s2: K P2 picks columns
    sc1 = 1 / np.sqrt(d) if sc1 is None else sc1
    sc2 = 1 / np.sqrt(n) if sc2 is None else sc2
    V1 = naive_softmax(Q @ (S1 @ K).T * sc1, 1) @ (S1 @ V)
    V2 = (V @ S2) @ naive_softmax((K @ S2).T @ Q * sc2, 0)
    return V1, V2


def dense_skeleton(Q, K, V, P1, P2, ln=True, combine="mean", eps=1e-5, affine=None):
    V1, V2 = dense_paths(Q, K, V, P1, P2)
    if ln:
        (w1, b1), (w2, b2) = affine if affine is not None else ((None, None), (None, None))
        V1, V2 = dense_ln(V1, eps, w1, b1), dense_ln(V2, eps, w2, b2)
    out = V1 + V2
    return out / 2 if combine == "mean" else out


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ----------------------------------------------------------------- softmax attention
def test_softmax_attention_matches_dense():
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((20, 6))
    K = rng.standard_normal((15, 6))
    V = rng.standard_normal((15, 3))
    assert rel(softmax_attention(Q, K, V), dense_attention(Q, K, V)) < 1e-13
    assert rel(softmax_attention(Q, K, V, scale=0.3), dense_attention(Q, K, V, 0.3)) < 1e-13
    Kc, Vc = rng.standard_normal((20, 6)), rng.standard_normal((20, 3))
    assert rel(softmax_attention(Q, Kc, Vc, causal=True), dense_attention(Q, Kc, Vc, causal=True)) < 1e-13
    with pytest.raises(ValueError, match="causal"):
        softmax_attention(Q, K, V, causal=True)


def test_softmax_attention_stable_and_blocked(monkeypatch):
    import skeleton.attention as att

    rng = np.random.default_rng(1)
    Q = rng.standard_normal((50, 4)) * 300  # logits ~ 1e5: naive exp overflows
    K = rng.standard_normal((50, 4))
    V = rng.standard_normal((50, 2))
    out = softmax_attention(Q, K, V)
    assert np.isfinite(out).all()
    monkeypatch.setattr(att, "_SLAB_ENTRIES", 7 * 50)  # row blocks of 7
    np.testing.assert_allclose(softmax_attention(Q, K, V), out, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(softmax_attention(Q, K, V, causal=True)[0], V[0], rtol=1e-14)


# ----------------------------------------------------------------- skeleton attention
def test_all_rows_sampled_equals_softmax_attention():
    rng = np.random.default_rng(2)
    Q, K, V = rng.standard_normal((3, 40, 8))
    full = softmax_attention(Q, K, V)
    perm = rng.permutation(40)  # order of the sampled rows does not matter
    assert rel(column_attention(Q, K, V, perm), full) < 1e-12
    s = skeleton_attention(Q, K, V, perm, [1, 4], layer_norm=False, combine="sum")
    assert rel(s - row_attention(Q, K, V, [1, 4]), full) < 1e-12


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 30),
    d=st.integers(1, 12),
    data=st.data(),
    ln=st.booleans(),
    combine=st.sampled_from(["mean", "sum"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_skeleton_attention_matches_dense(n, d, data, ln, combine, seed):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.standard_normal((3, n, d))
    s1 = data.draw(st.integers(1, n))
    s2 = data.draw(st.integers(1, d))
    P1 = rng.permutation(n)[:s1]
    P2 = rng.permutation(d)[:s2]
    affine = None
    if data.draw(st.booleans()):
        affine = ((rng.standard_normal(d), rng.standard_normal(d)), (rng.standard_normal(d), None))
    got = skeleton_attention(Q, K, V, P1, P2, layer_norm=ln, combine=combine, affine=affine)
    ref = dense_skeleton(Q, K, V, P1, P2, ln, combine, affine=affine)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-11)
    V1, V2 = dense_paths(Q, K, V, P1, P2)
    np.testing.assert_allclose(column_attention(Q, K, V, P1), V1, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(row_attention(Q, K, V, P2), V2, rtol=1e-12, atol=1e-13)


def test_row_path_normalises_over_s2_axis():
    rng = np.random.default_rng(3)
    Q, K = rng.standard_normal((2, 16, 8))
    V = np.ones((16, 8))  # V P2 = ones: output row = column sums of the softmax matrix
    out = row_attention(Q, K, V, [0, 3, 5])
    np.testing.assert_allclose(out, 1.0, rtol=1e-14)


def test_layer_norm():
    rng = np.random.default_rng(4)
    Y = rng.standard_normal((5, 7))
    w, b = rng.standard_normal(7), rng.standard_normal(7)
    np.testing.assert_allclose(layer_norm(Y, weight=w, bias=b), dense_ln(Y, 1e-5, w, b), rtol=1e-13)
    Z = layer_norm(Y, eps=0.0)
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-14)
    np.testing.assert_allclose(Z.var(axis=1), 1, rtol=1e-13)


def test_skeleton_attention_bad_input():
    rng = np.random.default_rng(5)
    Q, K, V = rng.standard_normal((3, 10, 4))
    with pytest.raises(ValueError, match="same shape"):
        skeleton_attention(Q, K[:9], V[:9], [0], [0])
    with pytest.raises(ValueError, match="same shape"):
        skeleton_attention(Q, K, V[:, :3], [0], [0])
    with pytest.raises(ValueError, match="row_idx has 11 entries"):
        skeleton_attention(Q, K, V, list(range(11)), [0])
    with pytest.raises(ValueError, match="col_idx has 5 entries"):
        skeleton_attention(Q, K, V, [0], list(range(5)))
    with pytest.raises(ValueError, match="row_idx holds duplicate"):
        skeleton_attention(Q, K, V, [1, 1], [0])
    with pytest.raises(ValueError, match="col_idx holds index 4 out of range"):
        skeleton_attention(Q, K, V, [1], [4])
    with pytest.raises(ValueError, match="row_idx holds index -1"):
        skeleton_attention(Q, K, V, [-1], [0])
    with pytest.raises(ValueError, match="combine"):
        skeleton_attention(Q, K, V, [1], [0], combine="max")
    for name, args in (("Q", (np.where(Q > 1, np.nan, Q), K, V)), ("K", (Q, K * np.inf, V)),
                       ("V", (Q, K, np.full_like(V, np.nan)))):
        with pytest.raises(ValueError, match=f"{name} must not contain NaN"):
            skeleton_attention(*args, [0], [0])
    with pytest.raises(ValueError, match=r"affine\[0\]\[0\] must have shape"):
        skeleton_attention(Q, K, V, [0], [0], affine=((np.ones(3), None), (None, None)))
    with pytest.raises(ValueError, match="Q and K must have the same number of columns"):
        softmax_attention(Q, K[:, :3], V)
    with pytest.raises(ValueError, match="K and V must have the same number of rows"):
        softmax_attention(Q, K, V[:5])


def test_float32_end_to_end():
    rng = np.random.default_rng(6)
    Q, K, V = rng.standard_normal((3, 32, 8)).astype(np.float32)
    assert softmax_attention(Q, K, V).dtype == np.float32
    out = skeleton_attention(Q, K, V, [0, 5, 7], [1, 2])
    assert out.dtype == np.float32
    ref = dense_skeleton(*(a.astype(np.float64) for a in (Q, K, V)), [0, 5, 7], [1, 2])
    assert rel(out, ref) < 1e-5
    assert nystrom_attention(Q, K, V, 4).dtype == np.float32
    X = rng.standard_normal((32, 8)).astype(np.float32)
    W = rng.standard_normal((3, 8, 8)).astype(np.float32)
    res = s3_block(X, *W, kaiming_kernel(32, 8, rng=0, dtype=np.complex64), 4, 4, 2, heads=2, rng=0)
    assert res.output.dtype == np.float32 and res.smoothed.dtype == np.float32


# ----------------------------------------------------------------- S3 block
def dense_s3(X, WQ, WK, WV, L, r, P1, P2, heads, stem=None):
    from skeleton.smoothing import conv_stem

    Xs = smooth(X, L, r)
    H = Xs if stem is None else conv_stem(Xs, X, **stem)
    Q, K, V = H @ WQ, H @ WK, H @ WV
    hd = WQ.shape[1] // heads
    V1s, V2s = [], []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        V1, V2 = dense_paths(Q[:, sl], K[:, sl], V[:, sl], P1, P2)
        V1s.append(V1)
        V2s.append(V2)
    V1, V2 = np.hstack(V1s), np.hstack(V2s)
    return (dense_ln(V1, 1e-5) + dense_ln(V2, 1e-5)) / 2


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
    with pytest.raises(ValueError, match="W_K must have d = 8 rows"):
        s3_block(X, W[0], W[1][:4], W[2], L, 2, 4, 2, rng=0)
    with pytest.raises(ValueError, match="kernel must have shape"):
        s3_block(X, *W, L[:5], 2, 4, 2, rng=0)
    with pytest.raises(ValueError, match="col_idx holds duplicate"):
        s3_block(X, *W, L, 2, 4, 2, row_idx=[0, 1], col_idx=[1, 1])


# ----------------------------------------------------------------- Nystrom
def test_nystrom_full_landmarks_equals_softmax():
    rng = np.random.default_rng(10)
    Q, K, V = rng.standard_normal((3, 24, 6))
    full = softmax_attention(Q, K, V)
    assert rel(nystrom_attention(Q, K, V, 24, pinv="exact"), full) < 1e-8


def test_nystrom_iterative_pinv_converges_and_landmarks():
    rng = np.random.default_rng(11)
    Q, K, V = rng.standard_normal((3, 50, 6)) * 0.5
    exact = nystrom_attention(Q, K, V, 7, pinv="exact")
    it = nystrom_attention(Q, K, V, 7, pinv="iterative", n_iter=60)
    assert rel(it, exact) < 1e-8
    # dense reference of the landmark construction (segment means, sizes 7 or 8)
    b = (np.arange(8) * 50) // 7
    Ql = np.array([Q[b[i]:b[i + 1]].mean(0) for i in range(7)])
    Kl = np.array([K[b[i]:b[i + 1]].mean(0) for i in range(7)])
    sc = 1 / np.sqrt(6)
    F = naive_softmax(Q @ Kl.T * sc, 1)
    A = naive_softmax(Ql @ Kl.T * sc, 1)
    B = naive_softmax(Ql @ K.T * sc, 1)
    assert rel(exact, F @ np.linalg.pinv(A) @ B @ V) < 1e-10
    with pytest.raises(ValueError, match="m=51"):
        nystrom_attention(Q, K, V, 51)


def test_s3_block_float32_with_stem_and_repository_variant():
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


def test_nystrom_bad_input():
    rng = np.random.default_rng(13)
    Q, K, V = rng.standard_normal((3, 12, 4))
    with pytest.raises(ValueError, match="m must be at least 1"):
        nystrom_attention(Q, K, V, 0)
    with pytest.raises(ValueError, match="pinv"):
        nystrom_attention(Q, K, V, 3, pinv="svd")
    with pytest.raises(ValueError, match="Q and K must have the same number of rows"):
        nystrom_attention(Q[:10], K, V, 3)
    with pytest.raises(ValueError, match="V must not contain NaN"):
        nystrom_attention(Q, K, np.full_like(V, np.inf), 3)


@pytest.mark.gpu
def test_cupy_attention_matches_numpy():
    cp = pytest.importorskip("cupy")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except cp.cuda.runtime.CUDARuntimeError:
        pytest.skip("no CUDA device")
    rng = np.random.default_rng(14)
    Q, K, V = rng.standard_normal((3, 64, 8))
    P1, P2 = rng.permutation(64)[:9], rng.permutation(8)[:3]
    got = skeleton_attention(cp.asarray(Q), cp.asarray(K), cp.asarray(V), P1, P2)
    assert isinstance(got, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(got), dense_skeleton(Q, K, V, P1, P2), rtol=1e-11, atol=1e-11)
    got = softmax_attention(cp.asarray(Q), cp.asarray(K), cp.asarray(V), causal=True)
    np.testing.assert_allclose(cp.asnumpy(got), dense_attention(Q, K, V, causal=True), rtol=1e-12)
