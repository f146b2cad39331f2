"""Small dense references used by the checks (numpy/scipy only).

The checks compute their numbers with these self-contained routines so that a
verdict never depends on code under test elsewhere; tests compare them with hand
computations (and with the library where it exists).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.linalg as sla

__all__ = ["mu_at_rank", "leverage", "lowrank_norm2", "cur_core", "sub_gaussian",
           "segment_average", "smooth_rfft", "pytorch_kaiming_std", "fit_loglog"]


def leverage(X, r):
    """Row and column leverage scores of the top-r singular subspaces of X."""
    W, s, Vt = np.linalg.svd(X, full_matrices=False)
    W, V = W[:, :r], Vt[:r].T
    return np.sum(W * W, axis=1), np.sum(V * V, axis=1), s


def mu_at_rank(X, r):
    """mu of Definition 1 at rank r: max(n/r max_i ||W_i||^2, d/r max_j ||V_j||^2)."""
    n, d = X.shape
    lr, lc, _ = leverage(X, r)
    return float(max(n / r * lr.max(), d / r * lc.max()))


def lowrank_norm2(A, B):
    """Spectral norm of A @ B.T (A n x k, B d x k) through two thin QRs."""
    qa, ra = np.linalg.qr(A)
    qb, rb = np.linalg.qr(B)
    return float(np.linalg.norm(ra @ rb.T, 2))


def cur_core(Y, I, J, core, r):
    """Core U of the skeleton approximation Y[:,J] U Y[I,:] of the observed Y.

    core = "pinv": Moore-Penrose inverse of the intersection W = Y[I, J] (numpy's
    default cutoff 1e-15 * sigma_max); "truncated": inverse of the rank-r truncated
    SVD of W; "optimal": C^+ Y R^+ (needs all of Y).
    """
    C, R = Y[:, J], Y[I, :]
    if core == "pinv":
        return np.linalg.pinv(Y[np.ix_(I, J)])
    if core == "truncated":
        u, s, vt = np.linalg.svd(Y[np.ix_(I, J)], full_matrices=False)
        r = min(r, int(np.sum(s > s[0] * max(Y.shape) * np.finfo(float).eps)) if s[0] > 0 else 0)
        if r == 0:
            return np.zeros((len(J), len(I)))
        return (vt[:r].T / s[:r]) @ u[:, :r].T
    if core == "optimal":
        return np.linalg.pinv(C) @ Y @ np.linalg.pinv(R)
    raise ValueError(core)


def sub_gaussian(rng, law, scale, size):
    """I.i.d. draws with variance scale**2 whose sub-Gaussian variance proxy is scale**2.

    gaussian N(0, scale^2); rademacher +-scale; uniform on [-sqrt3 scale, sqrt3 scale]
    (variance scale^2, and its optimal proxy equals its variance, Hoeffding's lemma
    gives (2 sqrt3 scale)^2/4 = 3 scale^2 as a cruder one: the *optimal* proxy of a
    uniform law equals its variance, so scale^2 is valid).
    """
    if law == "gaussian":
        return rng.standard_normal(size) * scale
    if law == "rademacher":
        return (2.0 * rng.integers(0, 2, size=size) - 1.0) * scale
    if law == "uniform":
        return rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), size=size) * scale
    raise ValueError(law)


def segment_average(X, r, layout="block"):
    """X S of eq. (4): block layout replaces column j by the mean of its group
    floor(j/s) (s = d/r); tile layout (the appendix code) by the mean of group j mod r
    of the reshape (n, r, s)."""
    n, d = X.shape
    s = d // r
    if layout == "block":
        means = X.reshape(n, r, s).mean(axis=2)          # (n, r)
        return np.repeat(means, s, axis=1), means
    means = X.reshape(n, r, s).mean(axis=2)
    return np.tile(means, (1, s)), means


def smooth_rfft(X, r, L, *, layout="block", count=None):
    """X_smooth = irfft(rfft(X S) * L) computed with r forward and d inverse FFTs.

    ``count`` (a dict) receives the number of 1-D transforms of each kind.
    """
    n, d = X.shape
    s = d // r
    means = X.reshape(n, r, s).mean(axis=2)
    F = np.fft.rfft(means, axis=0)                          # r forward transforms
    if count is not None:
        count["forward"] = count.get("forward", 0) + means.shape[1]
    Fx = np.repeat(F, s, axis=1) if layout == "block" else np.tile(F, (1, s))
    out = np.fft.irfft(Fx * L, n=n, axis=0)                 # d inverse transforms
    if count is not None:
        count["inverse"] = count.get("inverse", 0) + d
    return out


def pytorch_kaiming_std(shape, gain=math.sqrt(2.0)):
    """Kaiming std of PyTorch (mode fan_in): fan_in = shape[1] * prod(shape[2:])."""
    fan_in = shape[1] * int(np.prod(shape[2:])) if len(shape) > 2 else shape[1]
    return gain / math.sqrt(fan_in)


def fit_loglog(x, y):
    """Least-squares slope of log y on log x."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    A = np.vstack([x, np.ones_like(x)]).T
    return float(np.linalg.lstsq(A, y, rcond=None)[0][0])


def legendre_window_basis(theta, s):
    """theta x s matrix B[m, k] = P_k(1 - 2(m + 1/2)/theta) (Legendre on the window).

    Row m is lag m (m = 0 the current token)."""
    tau = 1.0 - 2.0 * (np.arange(theta) + 0.5) / theta
    return np.polynomial.legendre.legvander(tau, s - 1)


def legt_kernels(theta, s):
    """Sliding-window Legendre (LegT) projection kernels: s x theta, K = pinv(B).

    c(t) = sum_m K[:, m] x(t - m) are the least-squares Legendre coefficients of the
    last theta values (a time-invariant FIR filter, i.e. a convolution)."""
    return np.linalg.pinv(legendre_window_basis(theta, s))


def hippo_legs(N):
    """HiPPO-LegS matrices A0 (N x N) and b0 (N,) of Gu et al. 2020."""
    q = np.sqrt(2 * np.arange(N) + 1.0)
    A = -np.tril(np.outer(q, q), -1) - np.diag(np.arange(N) + 1.0)
    return A, q.copy()


def median_time(f, repeats=5):
    """Median wall time of ``repeats`` calls of ``f()`` after one untimed warm-up call."""
    f()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))
