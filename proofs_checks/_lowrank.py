"""Test matrices for def1/prop1: rank-r factors with controllable coherence and spectrum."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import svds


def lowrank_factors(rng, n, d, r, *, spike=1.0, kappa=1.0):
    """X = P Q^T with P = Qa diag(s), Q = Qb orthonormal.

    spike > 1 multiplies row 0 of the Gaussian factors before orthonormalisation, which
    raises the leverage of row 0 / column 0 (coherence); kappa = sigma_1/sigma_r with a
    geometric spectrum from 1 down to 1/kappa.  Returns (P, Q, mu)."""
    A = rng.standard_normal((n, r))
    B = rng.standard_normal((d, r))
    A[0] *= spike
    B[0] *= spike
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    s = np.geomspace(1.0, 1.0 / kappa, r)
    mu = max(n / r * np.max(np.sum(Qa ** 2, 1)), d / r * np.max(np.sum(Qb ** 2, 1)))
    return Qa * s, Qb, float(mu)


def norm2(M):
    """Spectral norm (ARPACK for large matrices)."""
    if min(M.shape) <= 64:
        return float(np.linalg.norm(M, 2))
    return float(svds(M, k=1, return_singular_vectors=False, random_state=0)[0])


def noise(rng, kind, n, d, eta, P=None, Q=None):
    """Noise with spectral norm exactly eta (up to ARPACK accuracy for gaussian/sparse).

    gaussian: i.i.d. normal; sparse: 0.2% entries +-1; complement: rank-m noise with
    geometric singular values eta .. eta*1e-6 in the orthogonal complements of the
    column/row spaces of X = P Q^T (it makes the sampled intersection ill-conditioned
    for the plain pseudo-inverse)."""
    if kind == "gaussian":
        G = rng.standard_normal((n, d))
    elif kind == "sparse":
        G = np.zeros((n, d))
        m = max(1, int(0.002 * n * d))
        idx = rng.choice(n * d, size=m, replace=False)
        G.flat[idx] = rng.choice([-1.0, 1.0], size=m)
    elif kind == "complement":
        m = min(n, d) // 4
        U = rng.standard_normal((n, m))
        V = rng.standard_normal((d, m))
        if P is not None:
            Pa, _ = np.linalg.qr(P)
            U -= Pa @ (Pa.T @ U)
            V -= Q @ (Q.T @ V)
        U, _ = np.linalg.qr(U)
        V, _ = np.linalg.qr(V)
        s = eta * np.geomspace(1.0, 1e-6, m)
        return (U * s) @ V.T
    else:
        raise ValueError(kind)
    return G * (eta / norm2(G))
