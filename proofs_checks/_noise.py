"""Noise matrices with an exactly known spectral norm, and the skeleton error in factored form.

Proposition 1's bound is proportional to ||E||_2, and its probability statement needs
thousands of fresh (X, I, J, E) per size.  A dense n x d Gaussian E costs a full
matrix and an iterative norm per draw; the noises here have ||E||_2 = eta *by
construction* and are only ever touched through the rows and columns the skeleton
samples and through products with thin matrices:

* ``FlatNoise``: E = (eta/sqrt(n)) D_r Pi H[:, S] D_c, with H the n x n Sylvester
  Hadamard matrix (n a power of 2; H^T H = n I), S a random set of d of its columns,
  Pi a random row permutation and D_r, D_c random signs.  Its columns are orthogonal
  with norm eta, so every singular value is eta; its entries are +-eta/sqrt(n), dense
  and sign-random like i.i.d. noise.  Products E M cost O(n log n) per column (fast
  Walsh-Hadamard transform).
* ``ComplementNoise``: E = U diag(s) V^T of rank m = d/4, U and V orthonormal and
  orthogonal to the column and row spaces of X, s geometric from eta down to
  eta 1e-6: the sampled intersection gets singular values down to the noise floor,
  the known failure mode of the plain pseudo-inverse core.

:func:`skeleton_errors` gives ||X - C U R||_2 for X = P Q^T and Y = X + E with the
three cores of ``_common.cur_core``, from two thin QR factorisations shared by the
cores (tests compare it with the dense computation).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fwht", "hadamard_entries", "FlatNoise", "ComplementNoise", "skeleton_errors"]


def fwht(A):
    """Unnormalised Walsh-Hadamard transform H A along axis 0 (length a power of 2)."""
    A = np.array(A, dtype=float, copy=True)
    n = A.shape[0]
    if n & (n - 1):
        raise ValueError(f"fwht needs a power-of-2 length, got {n}")
    rest = A.shape[1:]
    A = A.reshape(n, -1)
    h = 1
    while h < n:
        B = A.reshape(n // (2 * h), 2, h, -1)
        top, bot = B[:, 0].copy(), B[:, 1]
        B[:, 0] += bot
        B[:, 1] = top - bot
        h *= 2
    return A.reshape((n,) + rest)


def hadamard_entries(rows, cols):
    """Entries H[rows[i], cols[j]] = (-1)^popcount(rows[i] & cols[j]) of the Sylvester matrix."""
    bits = np.bitwise_and.outer(np.asarray(rows, np.int64), np.asarray(cols, np.int64))
    return 1.0 - 2.0 * (np.bitwise_count(bits) & 1)


class FlatNoise:
    """n x d noise with every singular value equal to ``eta`` (see the module docstring)."""

    def __init__(self, rng, n, d, eta):
        if n & (n - 1) or d > n:
            raise ValueError(f"FlatNoise needs n a power of 2 and d <= n, got n={n}, d={d}")
        self.n, self.d, self.eta = n, d, float(eta)
        self.perm = rng.permutation(n)
        self.S = rng.choice(n, d, replace=False)
        self.sr = rng.choice([-1.0, 1.0], n)
        self.sc = rng.choice([-1.0, 1.0], d)
        self.scale = self.eta / math.sqrt(n)

    def block(self, I, J):
        """E[I][:, J] (I, J index arrays; a slice(None) for all)."""
        I = np.arange(self.n) if isinstance(I, slice) else np.asarray(I)
        J = np.arange(self.d) if isinstance(J, slice) else np.asarray(J)
        return self.scale * self.sr[I, None] * hadamard_entries(self.perm[I], self.S[J]) * self.sc[J]

    def times(self, M):
        """E @ M for a d x q matrix M."""
        Z = np.zeros((self.n, M.shape[1]))
        Z[self.S] = self.sc[:, None] * M
        return self.scale * self.sr[:, None] * fwht(Z)[self.perm]


class ComplementNoise:
    """Rank-d/4 noise in the complements of X = P Q^T's spaces, singular values eta .. eta 1e-6."""

    def __init__(self, rng, n, d, eta, P, Q):
        m = max(1, d // 4)
        U = rng.standard_normal((n, m))
        V = rng.standard_normal((d, m))
        Pa, _ = np.linalg.qr(P)
        Qa, _ = np.linalg.qr(Q)
        U, _ = np.linalg.qr(U - Pa @ (Pa.T @ U))
        V, _ = np.linalg.qr(V - Qa @ (Qa.T @ V))
        self.U, self.V = U, V
        self.s = float(eta) * np.geomspace(1.0, 1e-6, m)
        self.n, self.d, self.eta = n, d, float(eta)

    def block(self, I, J):
        return (self.U[I] * self.s) @ self.V[J].T

    def times(self, M):
        return (self.U * self.s) @ (self.V.T @ M)


def _spectral(M):
    """||M||_2 of a small matrix through the largest eigenvalue of M^T M (accurate for the
    largest singular value, which is all that is needed)."""
    G = M.T @ M if M.shape[0] >= M.shape[1] else M @ M.T
    return math.sqrt(max(0.0, float(np.linalg.eigvalsh(G)[-1])))


def skeleton_errors(P, Q, noise, I, J, r):
    """||X - C U R||_2 of the skeleton approximation of Y = P Q^T + E for each core.

    C = Y[:, J], R = Y[I, :]; cores as ``_common.cur_core``: "pinv" (numpy's pinv of
    W = Y[I, J], cutoff 1e-15 sigma_max), "truncated" (rank-r truncated pseudo-inverse
    of W, rank cut-off max(n, d) eps sigma_max), "optimal" (C^+ Y R^+).

    With E_J = E[:, J] and E_I = E[I, :]: C = [P, E_J] [Q_J^T; I] and R = [P_I, I] [Q, E_I^T]^T,
    so with thin QRs [P, E_J] = qa ra and [Q, E_I^T] = qb rb, C = qa Gc, R = Gr qb^T and
    X - C U R = qa (ra[:, :r] rb[:, :r]^T - Gc U Gr) qb^T: its norm is that of a
    (r + k) x (r + k) matrix.  The optimal core C^+ Y R^+ = Gc^+ (qa^T Y qb) Gr^+."""
    n, d = P.shape[0], Q.shape[0]
    k = len(I)
    EJ = noise.block(slice(None), J)
    EI = noise.block(I, slice(None))
    qa, ra = np.linalg.qr(np.hstack([P, EJ]))
    qb, rb = np.linalg.qr(np.hstack([Q, EI.T]))
    Gc = ra @ np.vstack([Q[J].T, np.eye(k)])
    Gr = np.hstack([P[I], np.eye(k)]) @ rb.T
    W = P[I] @ Q[J].T + EJ[I]
    u, s, vt = np.linalg.svd(W)
    large = s > 1e-15 * s[0]
    inv = np.where(large, 1.0 / np.where(large, s, 1.0), 0.0)
    cores = {"pinv": (vt.T * inv) @ u.T}
    rr = min(r, int(np.sum(s > s[0] * max(n, d) * np.finfo(float).eps))) if s[0] > 0 else 0
    cores["truncated"] = (vt[:rr].T / s[:rr]) @ u[:, :rr].T if rr else np.zeros((k, k))
    middle = (qa.T @ P) @ (Q.T @ qb) + qa.T @ noise.times(qb)
    cores["optimal"] = np.linalg.pinv(Gc) @ middle @ np.linalg.pinv(Gr)
    base = ra[:, :P.shape[1]] @ rb[:, :Q.shape[1]].T
    return {name: _spectral(base - Gc @ U @ Gr) for name, U in cores.items()}
