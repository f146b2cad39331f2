r"""Core matrices of a skeleton approximation, and how to apply them stably.

With sampled columns :math:`C = X_{:,J}` (n x k_c), rows :math:`R = X_{I,:}`
(k_r x d) and their intersection :math:`W = X_{I,J} = C_{I,:}`, the skeleton
approximation is :math:`\hat X = C\,U\,R` with one of three cores:

``"pinv"``
    :math:`U = W^+`, cut at :math:`\max(k_r, k_c)\,\epsilon` relative (the default of
    :func:`scipy.linalg.pinv`): the core of Proposition 1 of Wang et al. (2024).
``"truncated"``
    :math:`U = W_k^+`: :math:`W`'s pseudo-inverse truncated to its ``rank`` largest
    singular values and to those above ``tol`` times the largest (default the same
    :math:`\epsilon`-level cut as ``"pinv"``), the regularisation that Chiu & Demanet
    (2013) show is needed under noise.
``"optimal"``
    :math:`U = C^+ X R^+`, so :math:`\hat X = P_C X P_R` with the orthogonal
    projectors onto the ranges of :math:`C` and :math:`R^H`: the best core for these
    :math:`C` and :math:`R` in Frobenius norm (Stewart 1999). It reads all of X.

**Why not multiply C U R.**  :math:`U` has entries of size :math:`1/\sigma_k(W)`,
and forming :math:`(CU)R` makes rounding errors of size
:math:`\epsilon\,\|C\|\,\|R\|/\sigma_k(W)`, which on the ill-conditioned matrices
CUR is used for (kernels, smooth operators, integral equations: Hilbert, Cauchy,
Vandermonde) swamps an approximation that is accurate to :math:`10^{-15}`.  Park &
Nakatsukasa (2024) show how to evaluate the same approximation backward stably: with
the QR factorisation :math:`C = Q T` (Householder, so :math:`Q` is orthonormal to
working precision however ill-conditioned :math:`C` is), :math:`W = Q_{I,:} T`, and
when :math:`Q_{I,:}` has full column rank

.. math::

    C\,W^+ R \;=\; Q\,(Q_{I,:})^+ R,

where :math:`Q_{I,:}` is as well conditioned as the row sample is good for the
column space (it is for pivoted, DEIM and maxvol rows) and its
:math:`\epsilon`-pseudo-inverse is harmless.  The truncated core keeps its
definition through :math:`C V_k \Sigma_k^{-1} = Q\,(Q_{I,:})^+ U_k` (restrict both
sides to the rows :math:`I`), so

.. math::

    C\,W_k^+ R \;=\; Q\,\big[(Q_{I,:})^+ U_k\big]\,\big[U_k^H R\big]

with :math:`W = U \Sigma V^H`.  Each factor is well scaled, so the product is
evaluated without cancellation; this module returns the approximation as such a
product ``A @ B @ M`` (:class:`Core`).  With fewer sampled rows than columns the same
is done on :math:`X^H` (the QR of :math:`R^H`).  Should :math:`Q_{I,:}` still be
ill-conditioned (a row sample that does not see the directions :math:`C` holds only
to rounding), the directions of :math:`C` below :math:`\epsilon\|C\|` are dropped
from :math:`Q` when that amplifies rounding less: :math:`\epsilon\,\|(Q_{I,:})^+\|`
against :math:`\epsilon\,\|(Q^{(q)}_{I,:})^+\|\sqrt{k_c - q + 1}` for the ``q``
directions kept.

**The fast path.**  The QR of C costs :math:`2 n k_c^2` flops, more than everything
else when the sample is large.  Where the naive product is accurate anyway it is
kept: its rounding error :math:`\epsilon\|C\|_F\|R\|_F/\sigma_k(W)` is compared with
the error the approximation carries in any case, at least the part of :math:`W` that
the core drops, :math:`(\sum_{j>k}\sigma_j(W)^2)^{1/2}`, and with
:math:`10\,\epsilon\max(\|C\|_F, \|R\|_F)`; the product ``C @ U @ R`` is used when the
rounding is below a tenth of the first or below the second.  Noisy data (the setting
of Proposition 1) passes; exact low-rank ill-conditioned matrices take the stable
path.  Which path was taken is recorded (``evaluation``).

**Single precision.**  The rounding the core's own arithmetic commits is amplified
like the naive product's, by :math:`\sigma_1(W)/\sigma_k(W)`: for float32 samples of
a matrix whose kept spectrum spans two decades that is :math:`10^2\epsilon_{32}
\approx 10^{-5}` relative, as large as the approximation error of a noisy sample and
far above what the data, rounded to float32, allow.  So the SVD of the intersection
and the stable factors are computed in double precision (from the stored values,
exactly converted) and the factors rounded back to the samples' dtype (float32 or
complex64; the ``"optimal"`` core, a pair of well-conditioned projections, stays in
the samples' precision).  The rank of the core keeps the samples' cut-off
(:func:`~skeleton._linalg.rank_from_singular_values` with that dtype), and so does the
pseudo-inverse of :math:`Q_{I,:}` where it is itself a factor; with :math:`U_k` the
factor is :math:`(Q_{I,:})^+ U_k`, bounded whatever :math:`Q_{I,:}`'s smallest
direction, and the cut there is the arithmetic's.  The stable path's other choices
(whether to drop the directions of ``C`` below rounding) are made on the
double-precision values and may keep directions the single-precision arithmetic
dropped.  The sketched SVD of ``W`` iterates to double-precision accuracy.  The
stable path holds double-precision copies of ``C``, ``R`` and ``Q`` while it works.

References
----------
T. Park, Y. Nakatsukasa, "Accuracy and stability of CUR decompositions with
oversampling", arXiv:2405.06375, 2024.
J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton decompositions",
SIAM J. Matrix Anal. Appl. 34(3), 2013.
G. W. Stewart, "Four algorithms for the efficient computation of truncated pivoted QR
approximations to a sparse matrix", Numer. Math. 83, 1999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._messages import numpy_dtype

from ._backends import backend_for
from ._blas import single_threaded_blas
from ._linalg import frobenius_norm, input_rounding, rank_from_singular_values

__all__ = ["CORES"]

CORES = ("pinv", "truncated", "optimal")

# The naive product C @ U @ R is kept when its rounding error is at most this
# fraction of the error the core makes anyway (module docstring).
_FAST_FRACTION = 0.1
# ... or at most this many eps relative to the sampled entries.
_FAST_FLOOR = 10.0

# Singular values of the QR factor T of sampled columns below this many eps (relative
# to the largest) are exact linear dependences of the columns: Householder QR leaves
# them below one eps (below 0.8 eps in 99 % of random dependent sets), while a
# direction the data have, however small, stays above.
_DEPENDENT = 4.0

# Q_I this ill-conditioned (sigma_max / sigma_min) makes the stable path try dropping
# the directions of C below rounding (see _interpolative).
_TRY_TRUNCATION = 10.0

# The rank-truncated core from a sketch of W: oversampling, power iterations at most,
# and the smallest intersection for which the sketch is tried.
_CORE_OVERSAMPLE = 10
_CORE_MAX_POWER_ITERS = 10
_CORE_MIN_SIZE = 128
# ... and the share of the truncation's own error that what further iterations would
# still change may reach when they are stopped early (_CoreStop).
_CORE_TAIL_SHARE = 1e-2


@dataclass(frozen=True)
class Core:
    """A core and the factored form of the approximation it gives.

    ``A @ B @ M`` (``B`` may be None) equals ``C @ U @ R`` in exact arithmetic and is
    how the approximation is evaluated; ``evaluation`` says which form it is:
    ``"direct"`` (``C, U, R``), ``"column-qr"`` (``Q, Q_I^+ U_k, U_k^H R``),
    ``"row-qr"`` (the same on ``X^H``), ``"projection"`` (``Q_C, Q_C^H X Q_R, Q_R^H``).
    """

    U: Any
    rank: int
    factors: tuple
    evaluation: str


def _eps(dtype):
    return float(np.finfo(numpy_dtype(dtype)).eps)


def _double(dtype, xp):
    """The double-precision dtype of ``xp`` of ``dtype``'s kind, in which the core is
    computed (module docstring, *Single precision*)."""
    return xp.complex128 if numpy_dtype(dtype).kind == "c" else xp.float64


def _pinv_rel(A, backend, dtype):
    """``(A^+, sigma_min/sigma_max of what was kept)`` with the eps-level cut-off of ``dtype``."""
    xp = backend.xp
    U, s, Vh = backend.svd(A)
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, A.shape, dtype)
    if k == 0:
        return xp.zeros((A.shape[1], A.shape[0]), dtype=A.dtype), 0.0, 0
    inv_s = xp.astype(backend.asarray(1.0 / s_host[:k]), A.dtype)
    G = (xp.conj(Vh[:k, :]).T * inv_s[None, :]) @ xp.conj(U[:, :k]).T
    return G, float(s_host[k - 1] / s_host[0]), k


class _CoreStop:
    r"""When the subspace iteration on the intersection stops.

    :class:`~skeleton.randomized.GapRule` at ``eps**0.75``, or earlier, once what
    further iterations could still change is far below the error the truncation
    makes anyway.  After ``q`` iterations the top ``r`` singular vectors are off by an
    angle of about :math:`\rho^{2q+1}`, :math:`\rho = s_l / s_r`; through the
    core's :math:`\Sigma_r^{-1}` that moves the approximation on the rows and columns
    sampled by about :math:`\rho^{2q+1} (s_1/s_r)\,s_1`, while it differs from
    :math:`W` there by :math:`\|W - W_r\|_F`, at least :math:`(\sum_{j>r}^{l}
    s_j^2)^{1/2}` (the sketch's values are lower bounds on W's).  The iterations stop
    once the first is below :data:`_CORE_TAIL_SHARE` times the second.  In double
    precision that comes before the gap rule only where the tail exceeds about
    :math:`2\cdot 10^{-10} s_1^2/s_r` (noisy samples: one iteration fewer on the
    benchmark's), never on exact low-rank data, whose tail is at rounding level.
    """

    def __init__(self, dtype):
        from .randomized import GapRule

        self.gap = GapRule(_eps(dtype) ** 0.75, _CORE_MAX_POWER_ITERS)

    def __call__(self, s_host, r, q):
        if 0 < r < len(s_host) and s_host[r - 1] > 0:
            s1, sr = float(s_host[0]), float(s_host[r - 1])
            # both sides over s_1 (the squares of the tail overflow beyond 1e+154)
            moved = (float(s_host[-1]) / sr) ** (2 * q + 1) * (s1 / sr)
            if moved <= _CORE_TAIL_SHARE * float(np.linalg.norm(np.asarray(s_host[r:]) / s1)):
                return "accept"
        return self.gap(s_host, r, q)


def _sketched_svd(W, backend, tol, rank, dtype):
    r"""Top-``rank`` singular triplets of ``W`` from a randomized SVD, or None.

    ``W`` (k_r x k_c) is the intersection; with ``l = rank + 10`` at most a third of
    ``min(k_r, k_c)``, subspace iteration (:func:`skeleton.randomized.subspace_iteration`)
    costs ``O(q k_r k_c l)`` instead of the ``O(k^3)`` of a full SVD.  The sketch's
    top singular triplets agree with the exact ones up to about :math:`\rho^{2q+1}`,
    :math:`\rho = \sigma_{l}/\sigma_k`, estimated from the sketch
    (:class:`~skeleton.randomized.GapRule`): the iterations stop once that is below
    ``eps**0.75`` or makes a negligible change beside the truncation's own error
    (:class:`_CoreStop`), and are abandoned - the caller then does the full SVD - when
    more than ``_CORE_MAX_POWER_ITERS`` would be needed.  The Gaussian test matrix comes
    from a fixed seed: the core depends on ``W`` only.  Returns ``(U_k, s, Vh_k, k)``
    with ``s`` all ``l`` singular values of the sketch (lower bounds on those of ``W``).
    """
    from .randomized import subspace_iteration

    xp = backend.xp
    m = min(W.shape)
    ell = rank + _CORE_OVERSAMPLE
    if m < _CORE_MIN_SIZE or 3 * ell > m:
        return None

    def resolve(s_host):
        return max(1, rank_from_singular_values(s_host, W.shape, dtype, tol=tol, rank=rank))

    out = subspace_iteration(W, ell, rng=np.random.default_rng(0x5EED), n_iter=_CORE_MAX_POWER_ITERS,
                             backend=backend, dtype=W.dtype, resolve_rank=resolve,
                             stop=_CoreStop(W.dtype))
    if out is None:
        return None
    U, s, V, _, _, q = out
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, W.shape, dtype, tol=tol, rank=rank)
    if k == 0 or (q == _CORE_MAX_POWER_ITERS and _CoreStop(W.dtype)(s_host, k, q) != "accept"):
        return None  # a zero intersection (the exact path reports it), or no convergence
    return U[:, :k], s_host, xp.conj(V[:, :k]).T, k


def _svd_of_intersection(W, core, rank, tol, backend, dtype):
    """``(U_k, s, Vh_k, k)``: the kept singular triplets of W and all known singular
    values, the rank cut at the rule of ``dtype`` (W's arithmetic may be finer)."""
    cap = rank if core == "truncated" else None
    if cap is not None:
        fast = _sketched_svd(W, backend, tol, cap, dtype)
        if fast is not None:
            return fast
    Uw, s, Vh = backend.svd(W)
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, W.shape, dtype, tol=tol, rank=cap)
    return Uw[:, :k], s_host, Vh[:k, :], k


def _fro(A, sq, backend):
    """``||A||_F`` from a measured sum of squares when it is safe, else computed."""
    if sq is not None and 1e-200 <= sq <= 1e200:
        return math.sqrt(sq)
    return frobenius_norm(A, backend)


def _naive_is_accurate(C, R, s_host, k, backend, dtype, norms=None):
    """Whether ``(C U) R`` is accurate to what the approximation allows (module docstring)."""
    eps = _eps(dtype)
    s0 = float(s_host[0])
    sc, sr = norms if norms is not None else (None, None)
    c = _fro(C, sc, backend) / s0  # scaled by s0 so that nothing overflows
    r = _fro(R, sr, backend) / s0
    rounding = eps * c * r * s0 / float(s_host[k - 1])
    dropped = float(np.sqrt(np.sum((s_host[k:] / s0) ** 2))) if k < s_host.size else 0.0
    return rounding <= max(_FAST_FRACTION * dropped, _FAST_FLOOR * eps * max(c, r))


def _interpolative(C, R, row_idx, Uk, backend, dtype):
    r"""Factors ``(Q, B, M)`` with ``Q @ B @ M = C W_k^+ R`` (the QR of C).

    ``Uk`` (k_r x k) are the kept left singular vectors of W, or None for the plain
    :math:`Q (Q_{I,:})^+ R`; cut-offs follow ``dtype``, the precision of the
    approximation (the arithmetic is that of ``C``).  Returns the factors and the
    rank of the result.
    """
    xp = backend.xp
    eps = _eps(dtype)
    # Q_I's cut-off: with U_k the factor kept is Q_I^+ U_k, bounded by ||T|| / sigma_k(W)
    # however small Q_I's last direction, so only the arithmetic's rounding is cut
    # (a direction below the data's eps but real in it is needed by C V_k S_k^-1); the
    # plain Q_I^+ is itself a factor, applied in the approximation's precision
    cut = C.dtype if Uk is not None else dtype
    Q, T = backend.qr(C)
    G, cond, kept = _pinv_rel(backend.pick(Q, row_idx, 0), backend, cut)
    if cond * _TRY_TRUNCATION < 1.0:
        # Rounding in G @ R grows like eps / cond.  Dropping the directions that C
        # holds only to rounding (below eps ||C||) may condition Q_I better, at the
        # price of about eps per dropped direction: keep whichever amplifies less.
        Ut, sT, _ = backend.svd(T)
        sT = backend.to_numpy(sT)
        q = max(1, int(np.count_nonzero(sT > eps * sT[0])))
        if q < C.shape[1]:
            Qq = Q @ Ut[:, :q]
            Gq, cond_q, kept_q = _pinv_rel(backend.pick(Qq, row_idx, 0), backend, cut)
            if cond_q > 0 and math.sqrt(C.shape[1] - q + 1) / cond_q < 1.0 / max(cond, 1e-300):
                Q, G, kept = Qq, Gq, kept_q
    if Uk is None:
        return (Q, G, R), kept
    return (Q, G @ Uk, xp.conj(Uk).T @ R), min(kept, Uk.shape[1])


def _stable_factors(C, R, row_idx, col_idx, Uk, Vhk, backend, project):
    """The stable factored form, on the side with more samples (module docstring),
    computed in double precision (``Uk``, ``Vhk`` are) and returned in ``C``'s dtype."""
    xp = backend.xp
    dtype = C.dtype
    wide = Uk.dtype
    C, R = xp.astype(C, wide, copy=False), xp.astype(R, wide, copy=False)
    if R.shape[0] >= C.shape[1]:
        factors, kept = _interpolative(C, R, row_idx, Uk if project else None, backend, dtype)
        how = "column-qr"
    else:
        # fewer rows than columns: the same on X^H = R^H (W^H)^+ C^H, whose
        # intersection W^H has left singular vectors V_k
        Vk = xp.conj(Vhk).T if project else None
        (A, B, M), kept = _interpolative(xp.conj(R).T, xp.conj(C).T, col_idx, Vk, backend, dtype)
        factors, how = (xp.conj(M).T, xp.conj(B).T, xp.conj(A).T), "row-qr"
    return tuple(xp.astype(f, dtype, copy=False) for f in factors), kept, how


def _optimal(C, R, X, backend):
    """U = C^+ X R^+, applied as the projections Q_C (Q_C^H X Q_R) Q_R^H.

    ``Q_C`` spans the range of C: the columns of C's QR factor less the directions of
    exactly dependent columns (:data:`_DEPENDENT`), which are Householder's completion,
    not directions of C - projecting onto them would give an evaluation that is not
    ``C U R`` for any U.  Every other direction is kept however small, since C is the
    data as stored and its QR factor spans it to working precision.  Likewise for R;
    ``U`` is the pseudo-inverse formula on the same directions.
    """
    fb = backend_for(C)  # the factors' backend; ``backend`` reads X
    xp = fb.xp
    Qc, Pc, kc = _range_and_pinv(C, fb)
    Qr, Pr, kr = _range_and_pinv(xp.conj(R).T, fb)
    M = xp.conj(backend.rmatmat(X, Qc)).T @ Qr  # Q_C^H X Q_R, one pass over X
    U = (Pc @ M) @ xp.conj(Pr).T
    return Core(U=U, rank=min(kc, kr), factors=(Qc, M, xp.conj(Qr).T), evaluation="projection")


def _range_and_pinv(A, backend):
    """``(Q_k, P, k)`` with ``A^+ = P Q_k^H``: ``Q_k`` an orthonormal basis of the range
    of ``A`` (its ``k`` directions above :data:`_DEPENDENT`), from ``A = Q T`` and the
    SVD of the small ``T``."""
    xp = backend.xp
    Q, T = backend.qr(A)
    Ut, s, Vh = backend.svd(T)
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, T.shape, T.dtype, tol=_DEPENDENT * _eps(T.dtype))
    inv_s = xp.astype(backend.asarray(1.0 / s_host[:k]), A.dtype)
    return Q @ Ut[:, :k], xp.conj(Vh[:k, :]).T * inv_s[None, :], k


def compute_core(core, C, R, row_idx, col_idx, X, rank, tol, backend, norms=None):
    """The :class:`Core` of ``core`` for the sampled ``C``, ``R`` (module docstring).

    ``X`` is read only by ``core="optimal"``; ``tol=None`` means the eps-level cut (of
    ``X``'s own precision where that is the coarser, :class:`~skeleton._linalg.InputRounding`);
    ``norms``, when the gather measured them, is ``(||C||_F^2, ||R||_F^2)``.
    Small factorisations run on one BLAS thread (:func:`skeleton._blas.single_threaded_blas`),
    each sized on its own: the SVD of the intersection and the fast-path test by the
    intersection, the stable path by the QR of ``C`` (or ``R^H``).
    """
    n, kc = C.shape
    kr, d = R.shape
    stable = 2.0 * (n * kc * kc + d * kr * kr)
    if core == "optimal":  # (tol regularises the intersection, which this core does not use)
        with single_threaded_blas(flops=stable):
            return _optimal(C, R, X, backend)
    if tol is None:
        # data stored in a coarser precision than C's (float16): the cut-off follows
        # their rounding, which the eps-level cut of C's dtype would keep as directions
        tol = input_rounding(getattr(X, "dtype", C.dtype), C.dtype)
    with single_threaded_blas(flops=4.0 * kr * kc * min(kr, kc)):
        out = _intersection_core(core, C, R, row_idx, rank, tol, norms)
    if isinstance(out, Core):
        return out
    U, k, Uk, Vhk, project = out
    with single_threaded_blas(flops=stable):
        factors, kept, how = _stable_factors(C, R, row_idx, col_idx, Uk, Vhk, backend_for(C), project)
    return Core(U=U, rank=k if project else kept, factors=factors, evaluation=how)


def _intersection_core(core, C, R, row_idx, rank, tol, norms):
    """The core from the SVD of ``W = C[I]``: a :class:`Core` when the naive product is
    accurate (or W is zero), else what the stable path needs."""
    dtype = C.dtype
    # from here on only the small factors are read: their own backend does the math
    backend = backend_for(C)
    xp = backend.xp
    # X[I, J], taken from C (no re-read), in double precision (module docstring)
    W = xp.astype(backend.pick(C, row_idx, 0), _double(dtype, xp), copy=False)
    Uk, s_host, Vhk, k = _svd_of_intersection(W, core, rank, tol, backend, dtype)
    if k == 0:
        U = xp.zeros((C.shape[1], R.shape[0]), dtype=dtype)
        return Core(U=U, rank=0, factors=(C, U, R), evaluation="direct")
    inv_s = xp.astype(backend.asarray(1.0 / s_host[:k]), W.dtype)
    U = xp.astype((xp.conj(Vhk).T * inv_s[None, :]) @ xp.conj(Uk).T, dtype, copy=False)
    if _naive_is_accurate(C, R, s_host, k, backend, dtype, norms):
        return Core(U=U, rank=k, factors=(C, U, R), evaluation="direct")
    # the plain form Q (Q_I)^+ R unless a truncation was asked for
    project = (core == "truncated" and rank is not None) or tol is not None
    return U, k, Uk, Vhk, project
