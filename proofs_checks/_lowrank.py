"""Test matrices for def1/prop1: rank-r factors with controllable coherence and spectrum."""

from __future__ import annotations

import numpy as np


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


def flat_orthonormal(rng, m, r):
    """An m x r orthonormal basis whose rows all have leverage exactly r/m.

    Real Fourier pairs sqrt(2/m) [cos(2 pi f t/m), sin(2 pi f t/m)], f = 1..r//2 (plus the
    constant column 1/sqrt(m) when r is odd), which are orthonormal for r < m and have
    row norms^2 sum_f (2/m)(cos^2 + sin^2) (+ 1/m) = r/m; then a random rotation of the
    columns and a random permutation of the rows, which keep both properties."""
    if r >= m:
        raise ValueError(f"need r < m, got r={r}, m={m}")
    t = np.arange(m)[:, None]
    f = np.arange(1, r // 2 + 1)[None, :]
    cols = [np.cos(2 * np.pi * f * t / m), np.sin(2 * np.pi * f * t / m)]
    B = np.sqrt(2.0 / m) * np.hstack(cols)
    if r % 2:
        B = np.hstack([np.full((m, 1), 1.0 / np.sqrt(m)), B])
    G, _ = np.linalg.qr(rng.standard_normal((r, r)))
    return (B @ G)[rng.permutation(m)]


def _orthonormal_with_leverage(rng, n, r, leverage, *, flat=False):
    """An n x r orthonormal Q whose row 0 has leverage ||Q[0]||^2 = ``leverage`` exactly.

    Q[0] = sqrt(l) v^T (v a random unit r-vector) and Q[1:] = Z M, with Z an orthonormal
    (n-1) x r basis and M = I + (sqrt(1 - l) - 1) v v^T, so that
    Q^T Q = l v v^T + M^2 = l v v^T + I - l v v^T = I.  The other rows have leverage
    ||z_i||^2 - l (v . z_i)^2 <= ||z_i||^2, at most r/(n-1) when ``flat`` (Z from
    ``flat_orthonormal``), else those of a random Gaussian basis."""
    v = rng.standard_normal(r)
    v /= np.linalg.norm(v)
    if flat:
        Z = flat_orthonormal(rng, n - 1, r)
    else:
        Z, _ = np.linalg.qr(rng.standard_normal((n - 1, r)))
    M = np.eye(r) + (np.sqrt(1.0 - leverage) - 1.0) * np.outer(v, v)
    return np.vstack([np.sqrt(leverage) * v[None, :], Z @ M])


def coherent_factors(rng, n, d, r, *, leverage, kappa=1.0):
    """X = P Q^T whose row 0 and column 0 carry leverage ``leverage`` exactly.

    Unlike ``lowrank_factors(spike=...)``, whose coherence varies from draw to draw, mu is
    fixed by construction: mu = max(n, d) * leverage / r whenever no other row (leverage
    about r/n) exceeds row 0.  Spectrum as ``lowrank_factors``.  Returns (P, Q, mu), mu
    measured on the factors."""
    if not 0.0 < leverage < 1.0:
        raise ValueError(f"leverage must lie in (0, 1), got {leverage}")
    Qa = _orthonormal_with_leverage(rng, n, r, leverage)
    Qb = _orthonormal_with_leverage(rng, d, r, leverage)
    s = np.geomspace(1.0, 1.0 / kappa, r)
    mu = max(n / r * np.max(np.sum(Qa ** 2, 1)), d / r * np.max(np.sum(Qb ** 2, 1)))
    return Qa * s, Qb, float(mu)


