"""Dense, obviously-correct references for the smoothing, stem, attention, S3 and
Nystrom tests: explicit matrices (segment average S, circulant / Toeplitz
convolutions, DFT matrices, selectors) and loops, in float64, written from the
formulas and independent of the library's code paths.
"""

import math

import numpy as np
import pytest


# ----------------------------------------------------------------- smoothing
def S_matrix(d, r, layout):
    """The d x d segment-average matrix of eq. (4) (block) or of the appendix (tile)."""
    s = d // r
    S = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            g = j // s if layout == "block" else j % r
            if i // s == g:
                S[i, j] = 1.0 / s
    return S


def conv_matrix(k, mode):
    """Circulant (mode circular) or lower-triangular Toeplitz matrix of kernel k."""
    n = k.shape[0]
    t = np.arange(n)[:, None]
    u = np.arange(n)[None, :]
    if mode == "circular":
        return k[(t - u) % n]
    return np.where(t >= u, k[np.clip(t - u, 0, n - 1)], 0.0)


def dense_smooth(X, K_time, r, mode, layout):
    """Column j of X S convolved with K_time[:, j] (explicit matrices)."""
    A = np.asarray(X, dtype=np.float64) @ S_matrix(X.shape[1], r, layout)
    K = np.asarray(K_time, dtype=np.float64)
    return np.column_stack([conv_matrix(K[:, j], mode) @ A[:, j] for j in range(X.shape[1])])


def dense_rfft(x, n_fft=None):
    """``sum_t x[t] exp(-2 pi i f t / N)`` for f = 0..N//2 along axis 0 (a DFT matrix)."""
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0] if n_fft is None else n_fft
    f = np.arange(N // 2 + 1)[:, None]
    t = np.arange(x.shape[0])[None, :]
    return np.exp(-2j * np.pi * f * t / N) @ x


def dense_irfft(Z, n):
    """The real length-n signal with half spectrum Z along axis 0 (imaginary parts of
    the DC and, for even n, the Nyquist bin discarded, as irfft does)."""
    Z = np.asarray(Z, dtype=np.complex128)
    t = np.arange(n)[:, None]
    out = np.repeat(Z[:1].real, n, axis=0)
    for f in range(1, (n - 1) // 2 + 1):
        out = out + 2 * np.real(Z[f][None, :] * np.exp(2j * np.pi * f * t / n))
    if n % 2 == 0:
        out = out + Z[n // 2].real[None, :] * (-1.0) ** t
    return out / n


def legt_continuous(s, theta):
    """HiPPO-LegT (A, B) entry by entry (Gu et al. 2020; Voelker et al. 2019, eq. (2))."""
    A = np.zeros((s, s))
    for i in range(s):
        for k in range(s):
            A[i, k] = (2 * i + 1) / theta * ((-1.0) ** (i - k + 1) if i >= k else -1.0)
    B = np.array([(2 * i + 1) * (-1.0) ** i / theta for i in range(s)])
    return A, B


@pytest.fixture(params=["fused", "namespace"])
def path(request, monkeypatch):
    """Run a test on both implementations of smooth (numba-fused and array-namespace)."""
    import skeleton.smoothing.fourier as fourier

    monkeypatch.setattr(fourier, "_FUSED_MIN_ENTRIES", 1 if request.param == "fused" else 1 << 62)
    return request.param


# ----------------------------------------------------------------- normalisation
def dense_standardize(C, eps):
    """(C - mean) / sqrt(var + eps) per row, biased variance, as written."""
    mu = C.mean(axis=1, keepdims=True)
    var = ((C - mu) ** 2).mean(axis=1, keepdims=True)
    return (C - mu) / np.sqrt(var + eps)


def standardize_scaled(C1, k, eps):
    """Rows of ``2**k * C1`` standardised, for a unit-scale C1 and any k.

    ``LN(c C1) = (C1 - mu1) / sqrt(var1 + eps / c^2)``; when ``eps / c^2`` is beyond
    the float range (c tiny) the variance is negligible against eps and the result is
    ``c (C1 - mu1) / sqrt(eps)``.
    """
    D = C1 - C1[:, :1]  # shifted: a constant row gives D = 0 exactly
    D = D - D.mean(axis=1, keepdims=True)
    var = (D**2).mean(axis=1, keepdims=True)
    if -2 * k + math.log2(max(eps, 1e-300)) < 1000:
        term = math.ldexp(eps, -2 * k) if eps > 0 else 0.0
        den = var + term
        return np.divide(D, np.sqrt(den), out=np.zeros_like(D), where=den > 0)
    return np.ldexp(D, k) / math.sqrt(eps)


def dense_ln(Y, eps, w=None, b=None):
    Z = dense_standardize(Y, eps)
    if w is not None:
        Z = Z * w
    if b is not None:
        Z = Z + b
    return Z


def dense_conv1d(Xs, X, W, b):
    """PyTorch's Conv1d (cross-correlation, zero padding (k-1)/2) of [Xs, X], by loops."""
    n = X.shape[0]
    Z = np.concatenate([Xs, X], axis=1)
    k = W.shape[2]
    p = (k - 1) // 2
    C = np.zeros((n, W.shape[0]))
    for t in range(n):
        for o in range(W.shape[0]):
            acc = 0.0 if b is None else b[o]
            for q in range(k):
                tt = t + q - p
                if 0 <= tt < n:
                    acc += W[o, :, q] @ Z[tt]
            C[t, o] = acc
    return C


def dense_stem(Xs, X, W, b, act, eps, gamma=None, beta=None, rm=None, rv=None):
    """Conv1d -> BatchNorm1d(n) (batch statistics, or rm/rv) -> act."""
    n = X.shape[0]
    C = dense_conv1d(Xs, X, W, b)
    mu = C.mean(axis=1) if rm is None else rm
    var = C.var(axis=1) if rv is None else rv
    gamma = np.ones(n) if gamma is None else gamma
    beta = np.zeros(n) if beta is None else beta
    H = (C - mu[:, None]) / np.sqrt(var[:, None] + eps) * gamma[:, None] + beta[:, None]
    return np.maximum(H, 0) if act == "relu" else np.where(H > 0, H, np.expm1(np.minimum(H, 0)))


# ----------------------------------------------------------------- attention
def stable_softmax(S, axis):
    E = np.exp(S - S.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def dense_attention(Q, K, V, scale=None, causal=False):
    scale = 1 / np.sqrt(Q.shape[1]) if scale is None else scale
    S = Q @ K.T * scale
    if causal:
        S = np.where(np.tril(np.ones(S.shape, bool)), S, -np.inf)
    return stable_softmax(S, 1) @ V


def sel_rows(idx, n):
    """The len(idx) x n selector P with (P A) = A[idx]."""
    P = np.zeros((len(idx), n))
    P[np.arange(len(idx)), idx] = 1
    return P


def dense_paths(Q, K, V, P1, P2, sc1=None, sc2=None):
    """V1_hat and V2_hat of eq. (1) with explicit selector matrices."""
    n, d = Q.shape
    S1 = sel_rows(P1, n)  # s1 x n: P1 K picks rows
    S2 = sel_rows(P2, d).T  # d x s2: K P2 picks columns
    sc1 = 1 / np.sqrt(d) if sc1 is None else sc1
    sc2 = 1 / np.sqrt(n) if sc2 is None else sc2
    V1 = stable_softmax(Q @ (S1 @ K).T * sc1, 1) @ (S1 @ V)
    V2 = (V @ S2) @ stable_softmax((K @ S2).T @ Q * sc2, 0)
    return V1, V2


def dense_skeleton(Q, K, V, P1, P2, ln=True, combine="mean", eps=1e-5, affine=None):
    V1, V2 = dense_paths(Q, K, V, P1, P2)
    if ln:
        (w1, b1), (w2, b2) = affine if affine is not None else ((None, None), (None, None))
        V1, V2 = dense_ln(V1, eps, w1, b1), dense_ln(V2, eps, w2, b2)
    out = V1 + V2
    return out / 2 if combine == "mean" else out


def as_matrix(X):
    """``numpy.matrix(X)`` without its PendingDeprecationWarning (the input the
    regression tests feed to every routine)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(X)
