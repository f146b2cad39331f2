"""Small dense references used by the checks (numpy/scipy only).

The checks compute their numbers with these self-contained routines so that a
verdict never depends on code under test elsewhere; tests compare them with hand
computations (and with the library where it exists).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["mu_at_rank", "leverage", "cur_core", "hippo_legs", "best_time"]


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


def hippo_legs(N):
    """HiPPO-LegS matrices A0 (N x N) and b0 (N,) of Gu et al. 2020."""
    q = np.sqrt(2 * np.arange(N) + 1.0)
    A = -np.tril(np.outer(q, q), -1) - np.diag(np.arange(N) + 1.0)
    return A, q.copy()


def best_time(f, repeats=5):
    """Shortest wall time of ``repeats`` calls of ``f()`` after one untimed warm-up call.

    The shortest, not the median: on a shared machine the noise only ever adds time, so the
    minimum is the closest estimate of the cost itself."""
    f()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(min(ts))
