r"""Randomized range finding and SVD: the one implementation the routines share.

:func:`skeleton.incoherence` (its leverage scores and μ), the selection rules of
:mod:`skeleton.selection` and the truncated core of :mod:`skeleton.cores` all need
the dominant singular subspaces of a matrix they can only afford to multiply a few
times.  They get them here, from the randomized range finder of Halko, Martinsson &
Tropp (2011, Algorithms 4.1 and 4.4; the design of scikit-learn's
``randomized_range_finder`` / ``randomized_svd``).

**Subspace iteration** (:func:`subspace_iteration`).  With a Gaussian
:math:`\Omega \in \mathbb{R}^{d \times l}`, :math:`Y = X\Omega`; then, ``q`` times,
:math:`Q = \mathrm{qr}(Y)`, :math:`B = X^H Q = V S W^H` (so :math:`U = QW` has
:math:`X^H U = V S` exactly) and :math:`Y = XV`.  Each step is one product with
:math:`X` and one with :math:`X^H`; the small SVD normalises the iterate (where
scikit-learn uses an LU or a QR) and also yields the current triplets, so a stopping
rule can look at them for free:

* a *gap rule* (:class:`GapRule`): after ``q`` iterations the sketched subspace is off
  the exact one by about :math:`\rho^{2q+1}`, :math:`\rho = s_l / s_r` from the
  sketch's own singular values (Halko, Martinsson & Tropp 2011, Cor. 10.10, with the
  sketch's :math:`s_l` standing for the tail it cannot resolve, which for a flat tail
  is its Frobenius norm); the iterations stop once that is below a level, or are
  abandoned when the number needed exceeds a cap;
* a *certificate* (the hook :func:`skeleton.incoherence` uses,
  :class:`skeleton._certificate.MuCertificate`): a callable that sees the triplets and
  the next iterate :math:`Y = XV` and either accepts, returning the certified triplets,
  or lets the iteration continue.

**Adaptive size** (:func:`randomized_svd`).  Without a target rank the sketch grows
(doubling) until the numerical rank it finds leaves ``oversample`` columns to spare.

**One sketch for the selection rules** (:func:`selection_sketch`).  The selection rules
need, on a large X, a column sketch :math:`Y = X\Omega` that resolves the directions
they choose among, and nothing else: rows come from the pivots of :math:`Y`, columns
from the rows of X at those pivots (the interpolative decomposition
:math:`X \approx Y Y_{I,:}^{-1} X_{I,:}`, Voronin & Martinsson 2017), and singular
vectors from that decomposition (:func:`svd_from_row_id`) - so the selection reads X
once, plus the rows at the pivots.  For a double-precision X that one product is
formed in single precision, fused with the finiteness scan (the mixed-precision
sketch of Carson & Daužickaitė 2022, as in :func:`skeleton.incoherence`), when the
rounding it makes is provably harmless for what is asked: the rounding error of the
product is *measured* on a random sample of its rows (recomputed in double
precision), and the single-precision sketch is kept only when that error, scaled to
all rows, is below a tenth of the smallest singular value of :math:`Y` that the
selection must resolve (the target rank's, or all ``l``).  Otherwise the product is
formed again in X's precision, with the same :math:`\Omega`.  When a rank is given and
the sketch's gap :math:`\rho = s_l / s_r` is above :data:`SELECTION_LEVEL`, power
iterations (in X's precision) follow under the gap rule.

References
----------
N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness:
probabilistic algorithms for constructing approximate matrix decompositions", SIAM
Rev. 53(2), 2011.
S. Voronin, P.-G. Martinsson, "Efficient algorithms for CUR and interpolative matrix
decompositions", Adv. Comput. Math. 43, 2017.
E. Carson, I. Daužickaitė, "Single-pass Nyström approximation in mixed precision",
arXiv:2205.13355, 2022.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._linalg import rank_from_singular_values, square_safe_exponent

__all__ = []

# The precision a double-precision sketch may be formed in (see the module docstring).
LOWER = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.complex64)}
# ||X||_F range in which no entry that matters at single precision's accuracy
# overflows or falls into the subnormals of float32 (max 3.4e38, min normal 1.2e-38)
LOWER_NORM_RANGE = (1e-28, 1e37)

# The selection sketch: the gap rule's level (a subspace this close to the exact one
# chooses rows and columns as well as the exact one, to the precision pivoting needs),
# its cap on power iterations, the oversampling, and the rows on which the rounding
# of a single-precision sketch is measured.
SELECTION_LEVEL = 0.1
SELECTION_MAX_ITER = 4
SELECTION_OVERSAMPLE = 10
ROUNDING_SAMPLE = 64
# single precision is kept when its measured rounding is below this fraction of the
# smallest singular value the selection resolves
ROUNDING_FRACTION = 0.1


class GapRule:
    r"""Stop subspace iteration once :math:`(s_l / s_r)^{2q+1} \le` ``level``.

    ``rule(s_host, r, q)`` returns ``"accept"``, ``"continue"`` or ``"abandon"``
    (when the iterations the estimate says are needed exceed ``max_iter``, or the
    sketch shows no gap at all; never with ``abandon=False``, which keeps iterating
    to the caller's cap), for the singular values ``s_host`` of the sketch after
    ``q`` iterations and the rank ``r`` it must resolve.
    """

    def __init__(self, level, max_iter, abandon=True):
        self.level, self.max_iter, self.abandon = float(level), int(max_iter), bool(abandon)

    def __call__(self, s_host, r, q):
        if r >= len(s_host):
            return "accept"  # the sketch spans every direction asked for
        rho = float(s_host[-1]) / float(s_host[r - 1]) if s_host[r - 1] > 0 else 1.0
        if rho ** (2 * q + 1) <= self.level:
            return "accept"
        if not self.abandon:
            return "continue"
        if not 0 < rho < 1:
            return "abandon"
        need = math.ceil((math.log(self.level) / math.log(rho) - 1) / 2)
        return "abandon" if need > self.max_iter or need <= q else "continue"


def subspace_iteration(X, size, *, rng, n_iter, backend, dtype, resolve_rank, stop=None, certificate=None,
                       seed=None):
    """Randomized subspace iteration with optional stopping rules (module docstring).

    Parameters
    ----------
    X : array, sparse matrix or LinearOperator
        The matrix, in ``dtype``.
    size : int
        Sketch columns ``l``.
    rng : numpy.random.Generator
        Draws the Gaussian test matrix (unless ``seed`` is given).
    n_iter : int
        Most power iterations.
    backend : Backend
        X's backend: the products with X, the QRs and SVDs of the sketches.
    dtype : dtype
        Working dtype.
    resolve_rank : callable
        ``resolve_rank(s_host) -> r``: the rank the sketch is about.
    stop : callable, optional
        ``stop(s_host, r, q)`` -> ``"accept"`` / ``"continue"`` / ``"abandon"``
        (:class:`GapRule`), asked before each further iteration.
    certificate : callable, optional
        ``certificate(U, s_host, V, Y, r)`` -> None or ``(bound, U', s', V')``, asked
        after each next iterate ``Y = X V`` is formed.
    seed : array, optional
        The first sketch ``X Omega``, already formed.

    Returns
    -------
    tuple or None
        ``(U, s, V, r, bound, q)``: ``X^H U = V diag(s)`` (up to the certified half
        step), the rank, the certificate's bound (NaN when none accepted) and the
        iterations run; None when ``stop`` abandoned. Passes over X: ``2 q + 2``
        (``2 q + 3`` when the certificate accepts after ``q`` iterations).
    """
    xp = backend.xp
    d = X.shape[1]
    Y = seed if seed is not None else backend.matmat(X, backend.standard_normal(rng, (d, size), dtype))
    for q in range(n_iter + 1):
        Q, _ = backend.qr(Y)
        B = backend.rmatmat(X, Q)  # d x size, = (Q^H X)^H
        Vb, s, Wh = backend.svd(B)  # Q^H X = Wh^H s Vb^H
        U = Q @ xp.conj(Wh).T
        s_host = backend.to_numpy(s)
        r = resolve_rank(s_host)
        if q == n_iter:
            break
        if stop is not None:
            verdict = stop(s_host, r, q)
            if verdict == "accept":
                break
            if verdict == "abandon":
                return None
        Y = backend.matmat(X, Vb)
        if certificate is not None:
            accepted = certificate(U, s_host, Vb, Y, r)
            if accepted is not None:
                bound, Ut, st, Vt = accepted
                # the certified half-step triplet, with the sketch's trailing values
                return Ut, xp.concat([st, s[r:]]), Vt, r, bound, q
    return U, s, Vb, r, float("nan"), q


def randomized_svd(X, rank, *, rng, oversample, n_iter, backend, dtype, resolve_rank, stop=None, certificate=None,
                   seed=None):
    """Top singular triplets of ``X`` at ``rank``, or at the numerical rank (adaptive size).

    With ``rank`` given the sketch has ``rank + oversample`` columns (``seed``, when
    given, is its first product). With ``rank=None`` it starts at ``2 oversample + 8``
    columns and doubles until the numerical rank ``resolve_rank`` finds leaves
    ``oversample`` columns to spare, or the sketch is full. Other parameters and the
    result as :func:`subspace_iteration`.

    Parameters
    ----------
    X : array, sparse matrix or LinearOperator
        The matrix.
    rank : int or None
        Target rank.
    rng, oversample, n_iter, backend, dtype, resolve_rank, stop, certificate, seed
        As :func:`subspace_iteration`.

    Returns
    -------
    tuple or None
        ``(U, s, V, r, bound, q)``, or None when ``stop`` abandoned.
    """
    full = min(X.shape)
    kw = dict(rng=rng, n_iter=n_iter, backend=backend, dtype=dtype, resolve_rank=resolve_rank, stop=stop,
              certificate=certificate)
    if rank is not None:
        return subspace_iteration(X, min(full, rank + oversample), seed=seed, **kw)
    size = min(full, 2 * oversample + 8)
    while True:
        out = subspace_iteration(X, size, **kw)
        if out is None or out[3] + oversample <= size or size == full:
            return out
        size = min(full, 2 * size)


# -- the selection sketch ------------------------------------------------------------


@dataclass(frozen=True)
class SelectionSketch:
    r"""What :func:`selection_sketch` read from X.

    ``Y`` (n x l, host, in ``precision``: single precision when the rounding check
    accepted it) spans the dominant column space; ``U, s,
    V`` are the triplets of a randomized SVD when power iterations ran (else None);
    ``precision`` is the dtype the first product was formed in; ``rounding`` the
    measured size of ``Y``'s rounding, :math:`\|Y - X\Omega\|_F` (0 when ``Y`` is in
    X's precision): directions of ``Y`` below it are not resolved; ``iterations`` the
    power iterations; ``passes`` the passes over X (the scan counted once with the
    product it was fused with).
    """

    Y: Any
    U: Any
    s: Any
    V: Any
    precision: Any
    iterations: int
    passes: int
    rounding: float = 0.0


def _gram_singular_values(Y, dtype):
    """Singular values of the tall ``Y`` from its Gram matrix, formed in ``dtype``
    (accurate relative to ``s_max`` to about ``sqrt(eps)``, enough for the decisions
    they feed)."""
    # the squares of a Y of half dtype's exponent range (float32 into float64) cannot
    # over- or underflow
    narrow = 2 * np.finfo(Y.dtype).maxexp <= np.finfo(dtype).maxexp
    Y = Y.astype(dtype, copy=False)
    e = 0
    if not narrow:
        # squares of entries beyond about 1e+-120 would over- or underflow: the
        # Gram matrix at unit scale (a power of two, exact)
        e = square_safe_exponent(float(np.max(np.abs(Y), initial=0.0)))
        if e:
            Y = Y * math.ldexp(1.0, -e)
    ev = np.linalg.eigvalsh(Y.conj().T @ Y)[::-1]
    return np.sqrt(np.clip(ev.real, 0.0, None)) * math.ldexp(1.0, e)


def _rounding_of(X, Y_low, Omega, backend, dtype, rng):
    """An estimate of ``||Y_low - X Omega||_F`` (the single-precision rounding of the
    product), from a random sample of its rows recomputed in ``dtype``."""
    n = X.shape[0]
    m = min(n, ROUNDING_SAMPLE)
    rows = np.sort(rng.choice(n, m, replace=False))
    exact = backend.to_numpy(backend.take(X, rows, None, dtype)) @ Omega.astype(dtype)
    diff = Y_low[rows].astype(dtype) - exact
    return math.sqrt(n / m) * float(np.linalg.norm(diff))


def selection_sketch(X, size, rank, *, rng, backend, dtype, check_finite):
    r"""A column sketch :math:`Y = X\Omega` for the selection rules (module docstring).

    Parameters
    ----------
    X : array
        The matrix (any backend that multiplies).
    size : int
        Sketch columns ``l``.
    rank : int or None
        The rank the selection must resolve (``None``: all ``l`` columns).
    rng : numpy.random.Generator
        Random state.
    backend : Backend
        X's backend.
    dtype : dtype
        X's working dtype.
    check_finite : bool
        Raise ValueError when X holds NaN or inf (the scan shares the first pass).

    Returns
    -------
    SelectionSketch
        The sketch (host arrays).

    Raises
    ------
    ValueError
        If ``check_finite`` and X is not finite.
    """
    from ._validation import nonfinite_message

    n, d = X.shape
    dtype = np.dtype(dtype)
    # an operator computes in its own precision and has no norm to vouch for a lower one
    low = LOWER.get(dtype, dtype) if backend.scan_reads_all else dtype
    Omega = backend.standard_normal(rng, (d, size), low)
    finite, fro2, Y = backend.scan_sketch(X, Omega)
    if check_finite and not finite:
        raise ValueError(nonfinite_message("X"))
    passes = 1
    Y = None if Y is None else backend.to_numpy(Y)
    Omega_host = backend.to_numpy(Omega)
    r_check = size if rank is None else min(rank, size)
    s_host = None
    rounding = 0.0
    if low != dtype and Y is not None:
        usable = fro2 is not None and LOWER_NORM_RANGE[0] <= math.sqrt(fro2) <= LOWER_NORM_RANGE[1]
        usable = usable and bool(np.isfinite(Y).all())
        if usable:
            s_host = _gram_singular_values(Y, dtype)
            rounding = _rounding_of(X, Y, Omega_host, backend, dtype, rng)
            usable = rounding <= ROUNDING_FRACTION * s_host[r_check - 1]
        if not usable:
            Y = s_host = None
            rounding = 0.0
    precision = low if Y is not None else dtype
    if Y is None:  # the product in X's precision, with the same Omega
        Y = backend.to_numpy(backend.matmat(backend.astype(X, dtype), backend.asarray(Omega_host.astype(dtype))))
        passes += 1
    U = s = V = None
    iterations = 0
    if rank is not None and rank < size:
        s_host = _gram_singular_values(Y, dtype) if s_host is None else s_host
        rule = GapRule(SELECTION_LEVEL, SELECTION_MAX_ITER, abandon=False)
        if rule(s_host, rank, 0) != "accept":
            # power iterations in X's precision, from this sketch, under the gap rule
            Ub, sb, Vb, _, _, iterations = subspace_iteration(
                backend.astype(X, dtype), size, rng=rng, n_iter=SELECTION_MAX_ITER, backend=backend, dtype=dtype,
                resolve_rank=lambda s_: rank, stop=rule, seed=backend.asarray(Y.astype(dtype)))
            U, s, V = backend.to_numpy(Ub), backend.to_numpy(sb), backend.to_numpy(Vb)
            Y = U * s[None, :].astype(U.dtype)
            passes += 2 * iterations + 1
    if U is not None:
        rounding = 0.0  # (Y is then U S from iterations in X's precision)
    return SelectionSketch(Y=Y, U=U, s=s, V=V, precision=np.dtype(precision), iterations=iterations, passes=passes,
                           rounding=rounding)


def svd_from_row_id(P, Z, rank=None, tol=None):
    r"""SVD of the interpolative decomposition :math:`X \approx P Z`.

    ``P`` (n x l) is the interpolation matrix of a row ID (``P[I] = I_l``, so its
    singular values are at least 1, and its entries are of modest size), ``Z =
    X[I, :]`` (l x d) the rows it interpolates from. With the Cholesky factor
    :math:`P^H P = T^H T` (accurate, since ``P`` is well conditioned) the product is
    :math:`(P T^{-1}) (T Z)` with :math:`P T^{-1}` orthonormal, and the SVD of the
    small :math:`T Z = \hat W S V^H` gives :math:`X \approx (P T^{-1} \hat W) S V^H`:
    ``O((n + d) l^2)`` flops, no pass over X.

    Parameters
    ----------
    P : ndarray, shape (n, l)
        Interpolation matrix.
    Z : ndarray, shape (l, d)
        The interpolated rows.
    rank : int, optional
        Keep at most this many triplets.
    tol : float, optional
        Relative cut-off on the singular values (default ``eps``).

    Returns
    -------
    U : ndarray, shape (n, k)
        Left singular vectors.
    s : ndarray, shape (k,)
        Singular values.
    V : ndarray, shape (d, k)
        Right singular vectors.
    """
    M, s, V = factored_svd_from_row_id(P, Z, rank=rank, tol=tol)
    return P @ M, s, V


def factored_svd_from_row_id(P, Z, rank=None, tol=None):
    r""":func:`svd_from_row_id` with the left singular vectors left factored:
    ``(M, s, V)`` with ``U = P @ M``, :math:`M = T^{-1} \hat W_{:,1:k}` (``l x k``).

    Since ``P`` holds the identity in its pivot rows, ``U``'s rows there are the rows
    of ``M``: what a rule that starts from the pivots needs of ``U`` costs no pass
    over the ``n`` rows.

    When every singular value kept is far above what the Gram matrix resolves, they
    come from it (:func:`_gram_factors`): three products over the ``d`` columns
    instead of the Householder QR inside the SVD of the tall :math:`(T Z)^H`.
    """
    import scipy.linalg

    T = scipy.linalg.cholesky(P.conj().T @ P, lower=False, check_finite=False)
    if tol is None:
        got = _gram_factors(T, Z, rank)
        if got is not None:
            return got
    # the SVD of the tall (T Z)^H = V S W^H: LAPACK's route for a wide matrix (an LQ
    # first) is the slower one, and the factors are the same
    V, s, Wh = np.linalg.svd((T @ Z).conj().T, full_matrices=False)
    cut = float(np.finfo(P.dtype).eps) if tol is None else tol
    k = rank_from_singular_values(s, (P.shape[0], Z.shape[1]), P.dtype, tol=cut, rank=rank)
    M = scipy.linalg.solve_triangular(T, Wh[:k].conj().T, check_finite=False)
    return M, s[:k], V[:, :k]


# The Gram route is taken when each kept eigenvalue of the Gram matrix, and the gap
# below the last one, exceed its rounding (about l eps lambda_1) by this factor.
_GRAM_MARGIN = 1e6


def _gram_factors(T, Z, rank):
    r"""``(M, s, V)`` of :func:`factored_svd_from_row_id` from the Gram matrix of
    :math:`A = T Z`, or None where it does not resolve them.

    :math:`A A^H = W S^2 W^H` (an ``l x l`` eigenproblem) gives
    ``W`` and ``S``, and :math:`V = A^H W S^{-1}`.  Forming the Gram matrix costs
    accuracy: its eigenvalues carry an absolute error of about
    :math:`l\,\epsilon\,\lambda_1`, so the top-``k`` eigenvectors are accurate to that
    over the gap :math:`\lambda_k - \lambda_{k+1}` (Davis-Kahan), a factor
    :math:`s_1 / s_k` above the SVD's bound.  The route is therefore taken only when
    :math:`\lambda_k` and the gap both exceed :data:`_GRAM_MARGIN` times that
    rounding (:math:`s_k \ge 10^{-4} s_1` in double precision, never in single):
    then the kept singular values are accurate to :math:`10^{-6}` relative and the
    singular subspaces to an angle of :math:`10^{-6}` at worst (measured on the
    20000 x 5000 problem of ``benchmarks/bench_selection.py`` and its transpose:
    singular values within :math:`3\cdot 10^{-13}` of the SVD's, subspaces within
    :math:`4\cdot 10^{-13}`).  A basis perturbed that much changes
    a selection only at a near-tie (of volumes, or of a coefficient at maxvol's swap
    threshold), as rounding does; and the rank is the one the SVD gives, every kept
    value being far above its cut-off.  Without ``rank`` every one of the ``l``
    values must qualify.  ``Z`` is scaled by a power of two where its squares would
    over- or underflow.
    """
    import scipy.linalg

    l, d = Z.shape
    eps = float(np.finfo(Z.dtype).eps)
    floor = _GRAM_MARGIN * l * eps
    keep = l if rank is None else min(int(rank), l)
    if floor >= 1.0 or keep == 0:
        return None
    top = float(np.max(np.abs(Z), initial=0.0))
    if not 0.0 < top < math.inf:
        return None
    e = square_safe_exponent(top)
    # A itself, not T (Z Z^H) T^H: the Gram's rounding is then l eps ||A||^2 = l eps lambda_1
    A = T @ (Z * math.ldexp(1.0, -e) if e else Z)
    G = A @ A.conj().T
    lam, W = np.linalg.eigh((G + G.conj().T) / 2)
    lam, W = lam[::-1], W[:, ::-1]
    gap = lam[keep - 1] - (lam[keep] if keep < l else 0.0)
    if not (lam[0] > 0 and lam[keep - 1] > floor * lam[0] and gap > floor * lam[0]):
        return None
    s = np.sqrt(lam[:keep])
    Wk = np.ascontiguousarray(W[:, :keep])
    # V = A^H (W S^{-1}): the entries 1/s are at most about 1e4 / s_1 here
    V = A.conj().T @ (Wk / s)
    M = scipy.linalg.solve_triangular(T, Wk, check_finite=False)
    return M, s * math.ldexp(1.0, e), V
