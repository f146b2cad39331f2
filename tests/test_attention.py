"""Tests for skeleton.attention (softmax, column, row and skeleton attention, LayerNorm)
against dense references with explicit selector matrices."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _references_s3 import (
    as_matrix,
    dense_attention,
    dense_ln,
    dense_paths,
    dense_skeleton,
    standardize_scaled,
)
from skeleton.attention import (
    column_attention,
    layer_norm,
    row_attention,
    skeleton_attention,
    softmax_attention,
)


def test_public_names_unchanged():
    """Everything importable from skeleton.attention before the split still is."""
    import skeleton.attention as attention
    import skeleton.nystrom
    import skeleton.s3

    old = ["softmax_attention", "column_attention", "row_attention", "skeleton_attention",
           "layer_norm", "s3_block", "S3Result", "nystrom_attention"]
    assert sorted(attention.__all__) == sorted(old)
    for name in old:
        assert callable(getattr(attention, name)), name
    assert attention.s3_block is skeleton.s3.s3_block
    assert attention.S3Result is skeleton.s3.S3Result
    assert attention.nystrom_attention is skeleton.nystrom.nystrom_attention


# ----------------------------------------------------------------- softmax attention
def test_softmax_attention_matches_dense(rel):
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
def test_all_rows_sampled_equals_softmax_attention(rel):
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


def test_float32_end_to_end(rel):
    rng = np.random.default_rng(6)
    Q, K, V = rng.standard_normal((3, 32, 8)).astype(np.float32)
    assert softmax_attention(Q, K, V).dtype == np.float32
    out = skeleton_attention(Q, K, V, [0, 5, 7], [1, 2])
    assert out.dtype == np.float32
    ref = dense_skeleton(*(a.astype(np.float64) for a in (Q, K, V)), [0, 5, 7], [1, 2])
    assert rel(out, ref) < 1e-5
    assert layer_norm(Q).dtype == np.float32
    assert layer_norm(Q.astype(np.float16)).dtype == np.float32


# ----------------------------------------------------------------- regressions
def test_numpy_matrix_input_is_converted():
    """Regression: numpy.matrix Q/K/V failed with "matrix.max() got an unexpected
    keyword argument 'keepdims'"."""
    rng = np.random.default_rng(40)
    Q, K, V = rng.standard_normal((3, 12, 4))
    M = [as_matrix(A) for A in (Q, K, V)]
    cases = [
        (softmax_attention(*M), dense_attention(Q, K, V)),
        (column_attention(*M, [0, 3, 5]), dense_paths(Q, K, V, [0, 3, 5], [0])[0]),
        (row_attention(*M, [1, 2]), dense_paths(Q, K, V, [0], [1, 2])[1]),
        (skeleton_attention(*M, [0, 3], [1]), dense_skeleton(Q, K, V, [0, 3], [1])),
        (layer_norm(M[0]), dense_ln(Q, 1e-5)),
    ]
    for got, ref in cases:
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("k", [-664, -100, 0, 100, 664])
def test_layer_norm_at_extreme_scales(k):
    """Regression: LayerNorm of a 1e200-scaled row gave 0 (its variance overflowed)."""
    rng = np.random.default_rng(41)
    Y = rng.standard_normal((6, 9))
    for eps in (1e-5, 0.0):
        got = layer_norm(np.ldexp(Y, k), eps=eps)
        ref = standardize_scaled(Y, k, eps)
        assert np.abs(ref).max() > 0
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13 * np.abs(ref).max())


def test_layer_norm_constant_rows():
    """A zero-variance row maps to 0 (then the affine map), also for eps = 0 (was NaN)."""
    Y = np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([0.5, -1.0, 2.0])
    Z = layer_norm(Y, eps=0.0, bias=b)
    np.testing.assert_array_equal(Z[:2], np.vstack([b, b]))
    np.testing.assert_allclose(Z[2], dense_ln(Y[2:], 0.0, None, b)[0], rtol=1e-14)


def test_overflowing_scores_raise():
    """Regression: finite Q, K whose scores overflow gave NaN without a word."""
    rng = np.random.default_rng(42)
    Q, K, V = rng.standard_normal((3, 10, 4))
    big = np.ldexp(1.0, 600)
    calls = [
        lambda: softmax_attention(Q * big, K * big, V),
        lambda: column_attention(Q * big, K * big, V, [0, 1]),
        lambda: row_attention(Q * big, K * big, V, [0, 1]),
        lambda: skeleton_attention(Q * big, K * big, V, [0, 1], [0, 1]),
    ]
    for call in calls:
        with np.errstate(over="ignore", invalid="ignore"), \
                pytest.raises(ValueError, match="not finite although Q, K and V are"):
            call()
    # one large factor is fine: the softmax becomes a hard maximum (distinct scores)
    out = softmax_attention(Q * big, K, V)
    ref = V[np.argmax(Q @ K.T, axis=1)]
    np.testing.assert_array_equal(out, ref)
    # without the finiteness checks the NaN comes back, as documented
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(softmax_attention(Q * big, K * big, V, check_finite=False)).any()


def test_flags_and_scales_are_validated():
    """Regression: causal="no" and layer_norm="no" were truthy; scales name themselves."""
    rng = np.random.default_rng(43)
    Q, K, V = rng.standard_normal((3, 6, 4))
    with pytest.raises(TypeError, match="causal must be True or False"):
        softmax_attention(Q, K, V, causal="no")
    with pytest.raises(TypeError, match="layer_norm must be True or False"):
        skeleton_attention(Q, K, V, [0], [0], layer_norm="no")
    with pytest.raises(ValueError, match="scale_col must be > 0"):
        skeleton_attention(Q, K, V, [0], [0], scale_col=-1.0)
    with pytest.raises(TypeError, match="scale_row must be a finite real number"):
        skeleton_attention(Q, K, V, [0], [0], scale_row=np.nan)
    with pytest.raises(TypeError, match="weight must be real"):
        layer_norm(Q, weight=np.ones(4) + 1j)
    with pytest.raises(ValueError, match="bias must have shape"):
        layer_norm(Q, bias=np.ones(3))


@pytest.mark.gpu
def test_cupy_attention_matches_numpy(cp):
    rng = np.random.default_rng(14)
    Q, K, V = rng.standard_normal((3, 64, 8))
    P1, P2 = rng.permutation(64)[:9], rng.permutation(8)[:3]
    got = skeleton_attention(cp.asarray(Q), cp.asarray(K), cp.asarray(V), P1, P2)
    assert isinstance(got, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(got), dense_skeleton(Q, K, V, P1, P2), rtol=1e-11, atol=1e-11)
    got = softmax_attention(cp.asarray(Q), cp.asarray(K), cp.asarray(V), causal=True)
    np.testing.assert_allclose(cp.asnumpy(got), dense_attention(Q, K, V, causal=True), rtol=1e-12)
