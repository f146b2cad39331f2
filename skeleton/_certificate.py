r"""A-posteriori error bound for randomized leverage scores and μ.

A randomized sketch of ``X`` gives approximate top-r singular triplets; how far its
leverage scores, hence μ, are from the exact ones depends on the angle between the
sketched and the exact rank-r singular subspaces, which is unknown.  This module
bounds it from quantities the sketch has already computed, so that the power
iterations can stop as soon as μ is known to the accuracy asked for.

Ingredients (notation: ``Q^H X = W S V^H`` from the sketch, ``U = Q W``, so that
:math:`X^H U_r = V_r S_r` exactly; ``Y = X V`` the next power iterate):

1. *An upper bound on* :math:`\sigma_{r+1}(X)`.  :math:`U_r U_r^H X` has rank r, so
   :math:`\sigma_{r+1} \le \|(I - U_r U_r^H) X\|_2`; that matrix is the part of
   :math:`Q Q^H X` beyond rank r (norm :math:`s_{r+1}`) plus
   :math:`(I - Q Q^H) X`, with orthogonal column spaces, and
   :math:`\|(I - Q Q^H) X\|_F^2 = \|X\|_F^2 - \sum_i s_i^2`.  Hence

   .. math:: \alpha^2 = s_{r+1}^2 + \|X\|_F^2 - \textstyle\sum_i s_i^2
             \ \ge\ \|(I - U_r U_r^H) X\|_2^2 \ \ge\ \sigma_{r+1}^2 .

2. *A half-step pair with one exact residual.*  From :math:`X V_r = \tilde U \tilde S
   \tilde W^H` (an n x r SVD of columns of ``Y``) and :math:`\tilde V = V_r \tilde W`,
   :math:`X \tilde V = \tilde U \tilde S` exactly, and

   .. math:: X^H \tilde U - \tilde V \tilde S
             = V_r (S_r M - \tilde W \tilde S) + X^H (I - U_r U_r^H) \tilde U,
             \qquad M = U_r^H \tilde U,

   whose norm is at most :math:`\|S_r M - \tilde W \tilde S\|_2 + \alpha \|\tilde U -
   U_r M\|_2`: r x r and n x r quantities, no further pass over ``X``.

3. *Wedin's theorem* (Wedin 1972; Stewart & Sun 1990, Thm V.4.4): if
   :math:`\min \tilde S \ge \alpha + \delta` with :math:`\delta > 0`, the sines of the
   angles between :math:`(\tilde U, \tilde V)` and the exact top-r singular subspaces
   are at most :math:`t = \max(\|R\|_2, \|S\|_2) / \delta` for the two residuals above.

4. *Leverage scores.* Orthogonal projectors that differ by at most t in norm move
   :math:`\sqrt{\ell_i} = \|P e_i\|` by at most t, so
   :math:`|\ell_i - \tilde\ell_i| \le t (2\sqrt{\tilde\ell_i} + t)` and
   :math:`|\mu_{rows} - \tilde\mu_{rows}| \le \frac{n}{r} t (2\sqrt{\max_i\tilde\ell_i} + t)`;
   likewise for the columns, and μ's error is at most the larger of the two.

Rounding is allowed for by slack terms of order :math:`(n + d)\sqrt{l}\,\epsilon
\|X\|_F` (``l`` the sketch size), so the bound is deterministic under the standard
rounding model, not to the last bit; a norm smaller than what the sketch already holds
is taken as a sign of a wrong ``||X||_F`` and gives no certificate. The slack makes
the bound useless in float32 for all but small, very low-rank matrices. The bound is
about the rank r the caller settled on (with ``rank=None``, the sketch's numerical
rank). It is conservative; it cannot accept when the tail's *Frobenius* norm exceeds
:math:`\tilde s_r` (a gap of 10 over thousands of noise directions, say), in which
case the caller simply runs its power iterations to the end.
"""

from __future__ import annotations

import math

import numpy as np

from ._messages import numpy_dtype

__all__ = ["leverage", "MuCertificate"]


def leverage(xp, B, r):
    """Squared row norms of the first r columns of B (real dtype)."""
    Br = B[:, :r]
    return xp.sum(xp.real(Br * xp.conj(Br)), axis=1)


def _norm2(xp, A):
    """Spectral norm of a tall matrix, from the largest eigenvalue of its Gram matrix
    (relative accuracy ~eps: only small singular values suffer from squaring)."""
    gram = xp.conj(A).T @ A
    return math.sqrt(max(float(xp.max(xp.linalg.eigvalsh(gram))), 0.0))


class MuCertificate:
    """Callable ``(U, s_host, V, Y, r) -> None | (bound, U', s', V')``.

    Accepts when the bound of the module docstring on ``|mu' - mu|`` is at most
    ``rtol`` times the smallest μ it allows; returns the bound and the half-step
    triplet the bound is about (its leverage scores are the ones to report).

    Parameters
    ----------
    shape : tuple of int
        ``(n, d)`` of X.
    fro2 : float
        :math:`\\|X\\|_F^2`; the bound is computed in units of :math:`\\|X\\|_F`
        (scale-invariant), and none is given when it is 0 or not finite.
    rtol : float
        Relative accuracy asked for μ.
    dtype : dtype
        The working dtype (its epsilon sets the rounding slack).
    backend : Backend
        The backend of the sketch's arrays.
    """

    def __init__(self, shape, fro2, rtol, dtype, backend):
        self.n, self.d = shape
        fro2 = float(fro2)
        # Every length is measured in units of ||X||_F, so that no square under- or
        # overflows and the bound is the same at any scale of X.  A norm that is zero
        # or not finite (squares that under- or overflowed) certifies nothing.
        self.unit = math.sqrt(fro2) if 0.0 < fro2 < math.inf else 0.0
        self.rtol = float(rtol)
        self.eps = float(np.finfo(numpy_dtype(dtype)).eps)
        self.backend = backend

    def __call__(self, U, s_host, V, Y, r):
        if not self.unit > 0:
            return None
        xp, backend = self.backend.xp, self.backend
        n, d, eps, unit = self.n, self.d, self.eps, self.unit
        s64 = np.asarray(s_host, dtype=np.float64) / unit
        slack = 4.0 * (n + d) * math.sqrt(s64.size) * eps
        beyond = s64[r] if r < s64.size else 0.0
        outside = 1.0 - float(np.sum(s64**2))
        if outside < -slack:
            return None  # ||X||_F below what the sketch holds: the norm is not to be trusted
        alpha = math.sqrt(beyond**2 + max(outside, 0.0) + slack)
        Ut, st, Wth = backend.svd(Y[:, :r])
        st64 = np.asarray(backend.to_numpy(st), dtype=np.float64) / unit
        delta = st64[r - 1] - alpha
        if not delta > 0:
            return None
        Wt = xp.conj(Wth).T
        Ur = U[:, :r]
        M = xp.conj(Ur).T @ Ut
        sr = xp.astype(xp.asarray(np.asarray(s_host[:r], dtype=np.float64) / unit), M.dtype)
        inner = sr[:, None] * M - Wt * (xp.astype(st, M.dtype) / unit)[None, :]
        # rounding in the products X V, X^H Q is bounded through || |X| ||_2 <= ||X||_F
        residual = _norm2(xp, inner) + alpha * _norm2(xp, Ut - Ur @ M) + slack
        t = residual / delta
        if not t < 1:
            return None
        Vt = V[:, :r] @ Wt
        lr = float(xp.max(leverage(xp, Ut, r)))
        lc = float(xp.max(leverage(xp, Vt, r)))
        bound = max(n / r * t * (2 * math.sqrt(lr) + t), d / r * t * (2 * math.sqrt(lc) + t))
        mu = max(n / r * lr, d / r * lc)
        if bound > self.rtol * (mu - bound):
            return None
        return bound, Ut, st, Vt
