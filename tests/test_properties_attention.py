"""Property tests (hypothesis) of every public routine of skeleton.attention,
skeleton.stem, skeleton.s3 and skeleton.nystrom (the property and the strategies:
``_strategies_s3``).

Scale behaviour, routine by routine (what the scaled draws exercise):

* scale-invariant up to eps: ``layer_norm`` (``LN(c Y)`` is ``LN(Y)`` with eps / c^2),
  drawn at scales up to 1e+-200;
* equivariant in V, not in Q or K: ``softmax_attention``, ``column_attention``,
  ``row_attention``, ``nystrom_attention``; ``skeleton_attention`` is equivariant in
  V without LayerNorm and invariant (up to eps) with it.  V is drawn at scales up to
  1e+-200; Q and K at scales whose product either fits the float range or overflows
  it (then a ValueError, or a finite result inside the values' range);
* not scale-equivariant (biases, eps, softmax of products of the input with itself):
  ``conv_stem`` and ``s3_block``, drawn at unit scale (``test_stem.py`` covers the
  stem at 1e+-200).
"""

import math
import re

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import event, given, strategies as st

from _references_s3 import dense_conv1d, dense_stem, sel_rows, stable_softmax, standardize_scaled
from _strategies_s3 import (
    LAYOUTS,
    arrays,
    assert_close,
    complex_arrays,
    eps_of,
    f64,
    ln_gain,
    profile,
    raises_naming,
    relayout,
    smooth_reference,
    snapshot,
    underflow_floor,
    unchanged,
    work_dtype,
)
from skeleton.attention import (
    column_attention,
    layer_norm,
    row_attention,
    skeleton_attention,
    softmax_attention,
)
from skeleton.nystrom import nystrom_attention
from skeleton.s3 import s3_block
from skeleton.stem import conv_stem


@profile(100)
@given(data=st.data())
def test_layer_norm(data):
    n, d = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 9))
    Y, k = data.draw(arrays((n, d), scaled=True))
    eps = data.draw(st.sampled_from([1e-5, 0.0, 0.1]))
    w = data.draw(st.none() | arrays((d,), dtypes=(np.float64, np.float32)).map(lambda t: t[0]))
    b = data.draw(st.none() | arrays((d,), dtypes=(np.float64, np.int8)).map(lambda t: t[0]))
    bad = data.draw(st.sampled_from([None] * 5 + ["eps", "weight", "Y"]))
    copies = snapshot(Y, *(v for v in (w, b) if v is not None))
    if bad == "eps":
        with raises_naming("eps"):
            layer_norm(Y, eps=data.draw(st.sampled_from([-1.0, np.nan, "1e-5"])))
    elif bad == "weight":
        with raises_naming("weight"):
            layer_norm(Y, weight=np.ones(d + 1))
    elif bad == "Y":
        with raises_naming("Y"):
            layer_norm(data.draw(st.sampled_from([Y[0], np.full((n, d), np.nan), Y + 0j, Y[:0]])))
    else:
        out = layer_norm(Y, eps=eps, weight=w, bias=b)
        Y1 = np.ldexp(f64(Y), -k)  # exactly the input, at unit scale
        ref = standardize_scaled(Y1, k, eps)
        gain = ln_gain(Y1, k, eps) * np.abs(Y1).max(axis=1, keepdims=True)
        wmax = 1.0 if w is None else max(np.abs(f64(w)).max(), 1e-300)
        if w is not None:
            ref = ref * f64(w)
        if b is not None:
            ref = ref + f64(b)
        tol = 32 * eps_of(Y.dtype) * (d + 2) * (gain * wmax + np.abs(ref).max(axis=1, keepdims=True))
        assert_close(out, ref, tol, work_dtype(Y.dtype))
    unchanged([Y] + [v for v in (w, b) if v is not None], copies)


@profile(80)
@given(data=st.data())
def test_conv_stem(data):
    n, d = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 4))
    k = data.draw(st.sampled_from([1, 3, 5]))
    d_out = data.draw(st.integers(1, 4))
    Xs, _ = data.draw(arrays((n, d), bound=3))
    X, _ = data.draw(arrays((n, d), bound=3))
    W, _ = data.draw(arrays((d_out, 2 * d, k), dtypes=(np.float64, np.float32), bound=1))
    b = data.draw(st.none() | arrays((d_out,), dtypes=(np.float64,)).map(lambda t: t[0]))
    act = data.draw(st.sampled_from(["relu", "elu"]))
    eps = data.draw(st.sampled_from([1e-5, 1e-2]))
    eval_mode = data.draw(st.booleans())
    rm = rng_vec = None
    if eval_mode:
        rm = data.draw(arrays((n,), dtypes=(np.float64,), bound=3))[0]
        rng_vec = data.draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 4.0)))
    bad = data.draw(st.sampled_from([None] * 5 + ["kernel_size", "weight", "X", "running_var"]))
    kw = dict(kernel_size=k, activation=act, eps=eps, running_mean=rm, running_var=rng_vec)
    copies = snapshot(Xs, X, W)
    if bad == "kernel_size":
        kw["kernel_size"] = data.draw(st.sampled_from([2, 0, 3.0, k + 2]))
        # an integer kernel size other than the weight's is the weight's mismatch;
        # anything else (0, 2, 3.0) is a bad kernel_size
        mismatch = type(kw["kernel_size"]) is int and kw["kernel_size"] == k + 2
        with raises_naming("weight" if mismatch else "kernel_size"):
            conv_stem(Xs, X, W, b, **kw)
    elif bad == "weight":
        with raises_naming("weight"):
            conv_stem(Xs, X, data.draw(st.sampled_from([W[:, :-1], W + 1j, W * np.nan])), b, **kw)
    elif bad == "X":
        with raises_naming("X"):
            conv_stem(Xs, data.draw(st.sampled_from([X[:-1] if n > 1 else X[:, :0], X + 1j])), W, b, **kw)
    elif bad == "running_var":
        kw.update(running_mean=np.zeros(n), running_var=-np.ones(n))
        with raises_naming("running_var"):
            conv_stem(Xs, X, W, b, **kw)
    else:
        out = conv_stem(Xs, X, W, b, **kw)
        ref = dense_stem(f64(Xs), f64(X), f64(W), None if b is None else f64(b), act, eps,
                         rm=None if rm is None else f64(rm), rv=rng_vec)
        Z = np.abs(np.concatenate([f64(Xs), f64(X)], axis=1)).max(initial=0.0)
        c_err = 8 * eps_of(Xs.dtype, X.dtype, W.dtype) * (2 * d * k + 2) * (
            np.abs(f64(W)).max() * Z * 2 * d * k + (0 if b is None else np.abs(b).max()))
        if rm is None:  # BatchNorm's gain: 1 / sqrt(var + eps) of each position's channels
            C = dense_conv1d(f64(Xs), f64(X), f64(W), None if b is None else f64(b))
            gain = 1 / np.sqrt(np.var(C, axis=1, keepdims=True) + eps)
        else:
            gain = 1 / np.sqrt(rng_vec[:, None] + eps)
        tol = 4 * (c_err * gain + eps_of(Xs.dtype) * 8 * (np.abs(ref) + 1))
        assert_close(out, ref, tol, np.promote_types(work_dtype(Xs.dtype), work_dtype(X.dtype)))
    unchanged([Xs, X, W], copies)



# ----------------------------------------------------------------- attention
QK_SCALES = {8: (-520, 0, 520, 520), 4: (-64, 0, 64, 64)}
QK_DTYPES = (np.float64, np.float64, np.float32, np.float32, np.float16, np.int64, np.bool_)


@st.composite
def qk_pair(draw, q_shape, k_shape):
    """(Q, K): scaled by 2**kq, 2**kk so that the scores of two large factors overflow
    (kq = kk half of the time)."""
    Q, _ = draw(arrays(q_shape, dtypes=QK_DTYPES))
    K, _ = draw(arrays(k_shape, dtypes=QK_DTYPES))
    out = []
    same = draw(st.booleans())
    kq = None
    for A in (Q, K):
        if A.dtype.kind == "f" and A.dtype.itemsize in QK_SCALES:
            k = kq if (same and kq is not None and kq in QK_SCALES[A.dtype.itemsize]) else \
                draw(st.sampled_from(QK_SCALES[A.dtype.itemsize]))
            kq = k if kq is None else kq
            A = relayout(np.ldexp(A, k).astype(A.dtype), draw(st.sampled_from(LAYOUTS)))
        out.append(A)
    return tuple(out)


def score_regime(Q, K, sc, dtype):
    """'ok' when no partial sum of Q K^T * sc can come near overflow, 'overflow' else.

    Computed on the scaled-down operands (their exponents added back in log2), so
    that the check itself cannot overflow."""
    Qa, Ka = np.abs(f64(Q)), np.abs(f64(K))
    qm, km = Qa.max(initial=0.0), Ka.max(initial=0.0)
    if qm == 0 or km == 0:
        return "ok", 0.0
    bound = (Qa / qm) @ (Ka / km).T  # <= d
    top = math.log2(max(bound.max(), 1e-300)) + math.log2(qm) + math.log2(km) + math.log2(sc)
    if top < math.log2(float(np.finfo(dtype).max)) - 8:
        return "ok", float(bound.max() * qm * km * sc)
    return "overflow", math.inf


def softmax_tol(score_abs, vmax, count, eps):
    """Error bound of softmax(S) V: score errors (d eps |Q||K| sc per entry) move the
    weights by at most twice that, plus the rounding of the weighted sum."""
    weights = min(16 * eps * (score_abs + 1), 2.0)  # weights move by at most 1 each way
    return vmax * (weights + 4 * (count + 2) * eps)


def expect_overflow_or_hull(call, lo, hi, slack):
    """In the overflow regime: a ValueError naming the inputs, or (only -inf scores
    overflowed) a finite result inside the values' range."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            out = call()
    except ValueError as exc:
        assert re.search(r"\bQ\b", str(exc)), str(exc)
        return
    assert np.isfinite(out).all()
    assert (out >= lo - slack).all() and (out <= hi + slack).all()


@profile(150)
@given(data=st.data())
def test_softmax_and_column_attention(data):
    n, m, d, dv = (data.draw(st.integers(1, 7)) for _ in range(4))
    causal = data.draw(st.booleans())
    if causal:
        m = n
    Q, K = data.draw(qk_pair((n, d), (m, d)))
    V, kv = data.draw(arrays((m, dv), scaled=True))
    idx = data.draw(st.permutations(range(m)).map(lambda p: np.array(p[:max(1, len(p) // 2)])))
    copies = snapshot(Q, K, V)
    dtype = np.result_type(work_dtype(Q.dtype), work_dtype(K.dtype), work_dtype(V.dtype))
    eps = float(np.finfo(dtype).eps)
    sc = 1 / math.sqrt(d)
    V64 = f64(V)
    for name, call, keys in (
        ("softmax", lambda: softmax_attention(Q, K, V, causal=causal), np.arange(m)),
        ("column", lambda: column_attention(Q, K, V, idx), idx),
    ):
        if name == "column" and causal:
            continue
        regime, score_abs = score_regime(Q, K[keys], sc, dtype)
        event(f"{name}: {regime}")
        Vk = V64[keys]
        lo, hi = Vk.min(axis=0), Vk.max(axis=0)
        vmax = np.abs(Vk).max()
        if regime == "overflow":
            expect_overflow_or_hull(call, lo, hi, 8 * eps * vmax * m)
            continue
        out = call()
        S = (np.ldexp(f64(Q), 0) @ f64(K)[keys].T) * sc
        if causal and name == "softmax":
            S = np.where(np.tril(np.ones((n, m), bool)), S, -np.inf)
        ref = stable_softmax(S, 1) @ Vk
        tol = softmax_tol(score_abs, vmax, len(keys), eps) + underflow_floor(dtype, m)
        assert_close(out, ref, tol, dtype)
        slack = 8 * eps * vmax * m + underflow_floor(dtype, m)
        assert (out >= lo - slack).all() and (out <= hi + slack).all()  # convex combinations
    bad = data.draw(st.sampled_from(["row_idx", "K", "scale", "causal"]))
    with raises_naming(bad):
        if bad == "row_idx":
            column_attention(Q, K, V, data.draw(st.sampled_from([[m], [0, 0], [], [0.5]])))
        elif bad == "K":
            softmax_attention(Q, K[:, :0] if d > 0 else K, V)
        elif bad == "scale":
            softmax_attention(Q, K, V, scale=data.draw(st.sampled_from([0.0, -1.0, np.inf])))
        else:
            softmax_attention(Q, K, V, causal=data.draw(st.sampled_from(["yes", 1, None])))
    unchanged([Q, K, V], copies)


@profile(150)
@given(data=st.data())
def test_row_and_skeleton_attention(data):
    n, d = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7))
    Q, K = data.draw(qk_pair((n, d), (n, d)))
    V, kv = data.draw(arrays((n, d), scaled=True))
    P1 = data.draw(st.permutations(range(n)).map(lambda p: np.array(p[:max(1, len(p) // 2)])))
    P2 = data.draw(st.permutations(range(d)).map(lambda p: np.array(p[:max(1, (len(p) + 1) // 2)])))
    ln = data.draw(st.booleans())
    combine = data.draw(st.sampled_from(["mean", "sum"]))
    eps_ln = data.draw(st.sampled_from([1e-5, 0.1]))
    copies = snapshot(Q, K, V)
    dtype = np.result_type(work_dtype(Q.dtype), work_dtype(K.dtype), work_dtype(V.dtype))
    eps = float(np.finfo(dtype).eps)
    reg1, s1 = score_regime(Q, f64(K)[P1], 1 / math.sqrt(d), dtype)
    reg2, s2 = score_regime(f64(K)[:, P2].T, f64(Q).T, 1 / math.sqrt(n), dtype)
    V1u = np.ldexp(V64 := f64(V), -kv)  # V at unit scale, exactly
    vmax = np.abs(V1u).max()
    # row path: each output row is a convex combination of the sampled entries of V's row
    row = lambda: row_attention(Q, K, V, P2)  # noqa: E731
    Vs = V64[:, P2]
    if reg2 == "overflow":
        expect_overflow_or_hull(row, Vs.min(axis=1, keepdims=True), Vs.max(axis=1, keepdims=True),
                                8 * eps * np.abs(Vs).max() * n)
    else:
        out = row()
        ref = Vs @ stable_softmax((f64(K)[:, P2]).T @ f64(Q) / math.sqrt(n), 0)
        tol = softmax_tol(s2, np.abs(Vs).max(), len(P2), eps) + underflow_floor(dtype, n)
        assert_close(out, ref, tol, dtype)
    call = lambda: skeleton_attention(Q, K, V, P1, P2, layer_norm=ln, combine=combine, eps=eps_ln)  # noqa: E731
    event(f"row path: {reg2}, column path: {reg1}")
    if "overflow" in (reg1, reg2):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                assert np.isfinite(call()).all()
        except ValueError as exc:
            assert re.search(r"\bQ\b", str(exc))
    else:
        out = call()
        A1 = stable_softmax(f64(Q) @ f64(K)[P1].T / math.sqrt(d), 1) @ V1u[P1]
        A2 = V1u[:, P2] @ stable_softmax(f64(K)[:, P2].T @ f64(Q) / math.sqrt(n), 0)
        t1 = softmax_tol(s1, vmax, len(P1), eps)
        t2 = softmax_tol(s2, vmax, n, eps)
        if ln:
            ref = standardize_scaled(A1, kv, eps_ln) + standardize_scaled(A2, kv, eps_ln)
            tol = (t1 * ln_gain(A1, kv, eps_ln) + t2 * ln_gain(A2, kv, eps_ln)) * 4 + 32 * eps * (d + 2) * 4
        else:
            ref = np.ldexp(A1 + A2, kv)
            tol = np.ldexp(t1 + t2, kv) + underflow_floor(dtype, n * d)
        if combine == "mean":
            ref = ref / 2
        assert_close(out, ref, tol, dtype)
    bad = data.draw(st.sampled_from(["col_idx", "combine", "layer_norm", "V"]))
    with raises_naming(bad):
        if bad == "col_idx":
            skeleton_attention(Q, K, V, P1, data.draw(st.sampled_from([[d], list(range(d + 1)), [[0]]])))
        elif bad == "combine":
            skeleton_attention(Q, K, V, P1, P2, combine="max")
        elif bad == "layer_norm":
            skeleton_attention(Q, K, V, P1, P2, layer_norm="yes")
        else:
            skeleton_attention(Q, K, np.full_like(V, np.nan, dtype=np.float64), P1, P2)
    unchanged([Q, K, V], copies)


@profile(100)
@given(data=st.data())
def test_nystrom_attention(data):
    n, d, dv = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    m = data.draw(st.integers(1, n))
    Q, _ = data.draw(arrays((n, d), bound=1))
    K, _ = data.draw(arrays((n, d), bound=1))
    V, kv = data.draw(arrays((n, dv), scaled=True))
    pinv = data.draw(st.sampled_from(["exact", "iterative"]))
    n_iter = data.draw(st.integers(0, 8))
    copies = snapshot(Q, K, V)
    dtype = np.result_type(work_dtype(Q.dtype), work_dtype(K.dtype), work_dtype(V.dtype))
    eps = float(np.finfo(dtype).eps)
    out = nystrom_attention(Q, K, V, m, pinv=pinv, n_iter=n_iter)
    assert out.dtype == dtype and out.shape == (n, dv) and np.isfinite(out).all()
    # dense reference: landmark means by selector matrices, numpy.linalg.pinv
    b = (np.arange(m + 1) * n) // m
    M = np.vstack([sel_rows(range(b[i], b[i + 1]), n).mean(axis=0) for i in range(m)])
    Q64, K64, V1 = f64(Q), f64(K), np.ldexp(f64(V), -kv)
    sc = 1 / math.sqrt(d)
    F = stable_softmax(Q64 @ (M @ K64).T * sc, 1)
    A = stable_softmax((M @ Q64) @ (M @ K64).T * sc, 1)
    B = stable_softmax((M @ Q64) @ K64.T * sc, 1)
    if pinv == "exact":
        Ap = np.linalg.pinv(A)
    else:
        Z = A.T / (np.abs(A).sum(axis=0).max() * np.abs(A).sum(axis=1).max())
        for _ in range(n_iter):
            AZ = A @ Z
            Z = 0.25 * Z @ (13 * np.eye(m) - AZ @ (15 * np.eye(m) - AZ @ (7 * np.eye(m) - AZ)))
        Ap = Z
    ref = F @ Ap @ B @ V1
    cond = np.linalg.cond(A)
    event("compared" if cond < 1e-4 / (m * eps) else "near pinv's cut-off: finiteness only")
    if cond < 1e-4 / (m * eps):  # away from pinv's cut-off, where the answer is continuous
        score = sc * d * np.abs(Q64).max(initial=0) * np.abs(K64).max(initial=0)
        tol = 64 * eps * (m + n) * cond**2 * (1 + score) * np.abs(F).sum(1).max() * np.abs(Ap).max() * m \
            * np.abs(V1).max()
        got = np.ldexp(f64(out), -kv)
        assert np.abs(got - ref).max() <= tol + underflow_floor(dtype, n * m) * 2.0 ** -kv
    with raises_naming("m"):
        nystrom_attention(Q, K, V, data.draw(st.sampled_from([0, n + 1, 1.0])))
    unchanged([Q, K, V], copies)


# ----------------------------------------------------------------- the S3 block
@profile(80)
@given(data=st.data())
def test_s3_block(data):
    n = data.draw(st.integers(2, 9))
    heads, hd = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    d = data.draw(st.integers(1, 4))
    width = heads * hd
    r = data.draw(st.sampled_from([g for g in range(1, d + 1) if d % g == 0]))
    X, _ = data.draw(arrays((n, d), bound=1))
    Ws = [data.draw(arrays((d, width), dtypes=(np.float64, np.float32), bound=1))[0] for _ in range(3)]
    domain = data.draw(st.sampled_from(["frequency", "time"]))
    layout = data.draw(st.sampled_from(["block", "tile"]))
    if domain == "frequency":
        kernel, _ = data.draw(complex_arrays((n // 2 + 1, d)))
    else:
        kernel, _ = data.draw(arrays((n, d), dtypes=(np.float64, np.float32), bound=1))
    biases = [data.draw(st.none() | arrays((width,), dtypes=(np.float64,), bound=1).map(lambda t: t[0]))
              for _ in range(3)]
    mask = data.draw(st.none() | hnp.arrays(np.bool_, (n,), fill=st.nothing()).filter(lambda v: v.any()))
    sample_padded = data.draw(st.booleans())
    pool = n if mask is None or sample_padded else int(mask.sum())
    s1, s2 = data.draw(st.integers(1, pool)), data.draw(st.integers(1, hd))
    ln, combine = data.draw(st.booleans()), data.draw(st.sampled_from(["mean", "sum"]))
    seed = data.draw(st.integers(0, 2**16))
    copies = snapshot(X, kernel, *Ws)
    kw = dict(heads=heads, rng=seed, layout=layout, domain=domain, layer_norm=ln, combine=combine,
              b_Q=biases[0], b_K=biases[1], b_V=biases[2], mask=mask, sample_padded=sample_padded)
    res = s3_block(X, *Ws, kernel, r, s1, s2, **kw)
    dtype = work_dtype(X.dtype)
    eps = float(np.finfo(dtype).eps)
    assert res.output.dtype == dtype and np.isfinite(res.output).all()
    P1, P2 = res.row_idx, res.col_idx
    assert len(set(P1)) == s1 and len(set(P2)) == s2 and P2.max() < hd
    if mask is not None and not sample_padded:
        assert mask[P1].all()
    # dense pipeline, and an error budget that follows each stage's conditioning
    H, A, m, Lmax = smooth_reference(X, kernel, r, "circular", domain, layout)
    dH = 30 * eps * math.log2(2 * m) * (Lmax * np.abs(A).max()) * math.sqrt(n) + eps * np.abs(H).max()
    mk = np.ones(n) if mask is None else mask.astype(float)
    proj, dproj = [], []
    for W, b, masked in zip(Ws, biases, (False, True, True)):
        W64 = f64(W).astype(dtype).astype(np.float64)  # W is cast to X's dtype
        P = H @ W64 + (0 if b is None else f64(b))
        colsum = np.abs(W64).sum(axis=0).max()
        dP = dH * colsum + 4 * eps * (d + 2) * (np.abs(H).max() * colsum + (0 if b is None else np.abs(b).max()))
        proj.append(P * mk[:, None] if masked else P)
        dproj.append(dP)
    Q, K, V = proj
    dQ, dK, dV = dproj
    V1s, V2s, t1s, t2s = [], [], [], []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        Qh, Kh, Vh = Q[:, sl], K[:, sl], V[:, sl]
        V1, V2 = stable_softmax(Qh @ Kh[P1].T / math.sqrt(hd), 1) @ Vh[P1], \
            Vh[:, P2] @ stable_softmax(Kh[:, P2].T @ Qh / math.sqrt(n), 0)
        qa, ka, va = np.abs(Qh).max(), np.abs(Kh).max(), np.abs(Vh).max()
        dS1 = hd / math.sqrt(hd) * (dQ * ka + qa * dK + 4 * eps * qa * ka)
        dS2 = n / math.sqrt(n) * (dQ * ka + qa * dK + 4 * eps * qa * ka)
        t1s.append(min(2.0, 4 * dS1) * va + dV + 4 * eps * (s1 + 2) * va)
        t2s.append(min(2.0, 4 * dS2) * va + dV + 4 * eps * (n + 2) * va)
        V1s.append(V1)
        V2s.append(V2)
    V1, V2, t1, t2 = np.hstack(V1s), np.hstack(V2s), max(t1s), max(t2s)
    if ln:
        ref = standardize_scaled(V1, 0, 1e-5) + standardize_scaled(V2, 0, 1e-5)
        tol = 4 * (t1 * ln_gain(V1, 0, 1e-5) + t2 * ln_gain(V2, 0, 1e-5)) + 64 * eps * (width + 2)
    else:
        ref, tol = V1 + V2, t1 + t2
    if combine == "mean":
        ref = ref / 2
    assert_close(res.output, ref, tol + underflow_floor(dtype, n * width), dtype)
    np.testing.assert_array_equal(res.output, s3_block(X, *Ws, kernel, r, s1, s2, **kw).output)  # seeded
    bad = data.draw(st.sampled_from(["s1", "s2", "heads", "W_K", "mask", "r", "b_Q"]))
    args = [X, *Ws, kernel, r, s1, s2]
    if bad == "s1":
        args[6] = data.draw(st.sampled_from([0, pool + 1, 1.5]))
    elif bad == "s2":
        args[7] = data.draw(st.sampled_from([0, hd + 1]))
    elif bad == "heads":
        kw["heads"] = data.draw(st.sampled_from([0, width + 1, 2.0]))
    elif bad == "W_K":
        args[2] = data.draw(st.sampled_from([Ws[1][:, :-1] if width > 1 else Ws[1][:0], Ws[1] * np.nan,
                                             Ws[1] + 1j]))
    elif bad == "mask":
        kw["mask"] = data.draw(st.sampled_from([np.ones(n + 1, bool), np.full(n, 2.0), np.full(n, np.nan)]))
    elif bad == "r":
        args[5] = data.draw(st.sampled_from([0, d + 1]))
    else:
        kw["b_Q"] = data.draw(st.sampled_from([np.ones(width + 1), np.ones(width) * 1j]))
    with raises_naming(bad):
        s3_block(*args, **kw)
    unchanged([X, kernel, *Ws], copies)
