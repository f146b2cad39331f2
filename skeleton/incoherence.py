r"""μ-incoherence and leverage scores.

For a matrix :math:`X \in \mathbb{C}^{n \times d}` of rank :math:`r` with compact SVD
:math:`X = W \Sigma V^H`, the *leverage score* of row :math:`i` is
:math:`\ell_i = \|e_i^T W\|_2^2` and of column :math:`j` is :math:`\|e_j^T V\|_2^2`.
They sum to :math:`r` over rows (and over columns), so the average is :math:`r/n`.
The *coherence* (Candès & Recht 2009; Definition 1 of Wang et al. 2024) is how far the
largest score is above the average:

.. math::

    \mu = \max\Big(\frac{n}{r}\max_i \|e_i^T W\|_2^2,\ \frac{d}{r}\max_j \|e_j^T V\|_2^2\Big),
    \qquad 1 \le \mu \le \frac{\max(n, d)}{r}.

μ = 1 means the row and column spaces are spread evenly over the coordinates, so a
few uniformly sampled rows and columns see all of them (Chiu & Demanet 2013); a large
μ means some rows or columns carry a subspace direction almost alone, and uniform
sampling misses them.

For a matrix that is only approximately low rank, μ "at rank r" uses the top-r
singular subspaces; it is well defined only when there is a gap
:math:`\sigma_r > \sigma_{r+1}`, which :class:`Incoherence` reports.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backends import backend_for
from ._certificate import MuCertificate, leverage
from ._linalg import (
    _SAFE_SUM,
    input_rounding,
    power_of_two_scale,
    rank_from_singular_values,
)
from ._validation import (
    check_choice,
    check_cutoff,
    check_matrix,
    check_nonneg_int,
    check_positive,
    check_rank,
    check_rng,
    nonfinite_message,
    result_dtype,
)

__all__ = ["Incoherence", "incoherence", "leverage_scores"]

# The randomized estimate's subspace error after q power iterations is about
# (sigma_{r+1}/sigma_r)^(2q+1) (Halko, Martinsson & Tropp 2011, Cor. 10.10);
# above this level we warn that the rank-r subspace is not determined.
_SUBSPACE_WARN_LEVEL = 1e-2

# The first sketch Y = X Omega only seeds the subspace: the products the leverage
# scores and the certificate rest on (X^H Q, X V) and every power iteration are formed
# in X's precision, whatever precision Y had. So for a double-precision X the first
# sketch is formed in single precision, fused with the finiteness scan: the first of
# (at least) three products shares the scan's pass and runs at single precision's
# GEMM rate, about twice double precision's. The idea of forming the expensive product of a randomized
# approximation in a lower precision: E. Carson, I. Dauzickaite, "Single-pass Nystrom
# approximation in mixed precision" (2022). Only when the rank is given (a numerical
# rank at double precision's tolerance needs a double-precision sketch to be seen) and
# at least one power iteration is allowed (so that without a certificate, a sketch in
# X's precision follows).
_SINGLE = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.complex64)}
# ||X||_F range in which no entry that matters at single precision's accuracy
# overflows or falls into the subnormals of float32 (max 3.4e38, min normal 1.2e-38)
_SEED_NORM_RANGE = (1e-28, 1e37)


def _single_precision_seed(dtype, rank, n_iter, scan):
    """Whether the first sketch is formed in single precision (see _SINGLE); only
    when X is scanned anyway (``scan``: the finiteness check or the certificate's
    norm), since the gain is sharing that pass."""
    return scan and rank is not None and n_iter >= 1 and np.dtype(dtype) in _SINGLE


@dataclass(frozen=True)
class Incoherence:
    r"""Result of :func:`incoherence`: μ-incoherence and leverage scores of a matrix.

    A frozen record built by :func:`incoherence`; the parameters are also its
    (read-only) attributes. With :math:`W_r`, :math:`V_r` the top-r left and right
    singular vectors, ``row_leverage[i]`` is :math:`\|W_r^H e_i\|^2` and
    ``mu_rows`` is :math:`\frac{n}{r}\max_i \|W_r^H e_i\|^2` (Definition 1 of
    Wang et al. 2024).

    Parameters
    ----------
    mu : float
        ``max(mu_rows, mu_cols)``.
    mu_rows, mu_cols : float
        ``n/r * max(row_leverage)`` and ``d/r * max(col_leverage)``.
    rank : int
        The rank ``r`` the subspaces were taken at.
    row_leverage : array, shape (n,)
        Squared row norms of the top-r left singular vectors (they sum to r).
    col_leverage : array, shape (d,)
        Squared row norms of the top-r right singular vectors (they sum to r).
    singular_values : array
        The singular values computed (all of them for ``method="exact"``, the
        sketch's estimates for ``method="randomized"``).
    gap : float
        ``sigma_r / sigma_{r+1}``; ``inf`` when ``r = min(n, d)`` or
        ``sigma_{r+1} = 0``. For ``method="randomized"`` an estimate from the sketch,
        whose ``sigma_{r+1}`` is low (an overestimated gap) when few power iterations
        ran; ``mu_error_bound``, not the gap, is what certifies μ.
    method : str, default "exact"
        ``"exact"`` or ``"randomized"``.
    mu_error_bound : float, default nan
        For ``method="randomized"``: a certified bound on ``|mu - mu_exact|`` when the
        a-posteriori check of :func:`incoherence` accepted (``rtol``), else NaN.
    power_iterations : int, default 0
        Power iterations the randomized sketch ran.

    See Also
    --------
    incoherence : computes it.

    References
    ----------
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import incoherence
    >>> inc = incoherence(np.diag([3.0, 2.0, 1.0, 0.0]))
    >>> inc.rank, inc.mu, inc.method
    (3, 1.3333333333333333, 'exact')
    >>> inc.row_leverage.round(12).tolist(), float(inc.gap)
    ([1.0, 1.0, 1.0, 0.0], inf)
    """

    mu: float
    mu_rows: float
    mu_cols: float
    rank: int
    row_leverage: Any = field(repr=False)
    col_leverage: Any = field(repr=False)
    singular_values: Any = field(repr=False)
    gap: float
    method: str = "exact"
    mu_error_bound: float = float("nan")
    power_iterations: int = 0


def _gap(s_host, r, full_rank):
    if r >= full_rank or r >= s_host.size:
        return float("inf")
    nxt = float(s_host[r])
    return float("inf") if nxt == 0 else float(s_host[r - 1]) / nxt


def leverage_scores(X, rank=None, *, tol=None, method="exact", rng=None, check_finite=True, **kwargs):
    r"""Row and column leverage scores of ``X`` at ``rank``.

    A shorthand for ``incoherence(...)`` returning ``(row_leverage, col_leverage)``.
    With :math:`X \approx W_r \Sigma_r V_r^H` the top-r part of the SVD, the scores
    are the squared row norms :math:`\ell_i = \|W_r^H e_i\|^2` and
    :math:`\ell'_j = \|V_r^H e_j\|^2`; each vector sums to :math:`r`.

    Parameters
    ----------
    X : (n, d) array_like
        The matrix (as for :func:`incoherence`).
    rank : int, optional
        Rank ``r`` of the singular subspaces; default the numerical rank.
    tol : float, optional
        Relative cut-off for the numerical rank when ``rank`` is None, in ``[0, 1)``.
    method : {"exact", "randomized"}
        Full thin SVD, or a randomized range finder.
    rng : {None, int, numpy.random.Generator}, optional
        Random state for ``method="randomized"``.
    check_finite : bool, default True
        Raise ValueError when ``X`` holds NaN or inf.
    **kwargs
        Further keywords of :func:`incoherence` (``oversample``, ``n_iter``).

    Returns
    -------
    row_leverage : array, shape (n,)
        Leverage scores of the rows (real, in [0, 1], summing to ``r``).
    col_leverage : array, shape (d,)
        Leverage scores of the columns.

    Raises
    ------
    ValueError
        As :func:`incoherence`: ``X`` not 2-D, empty, non-finite or zero, ``rank``
        outside ``[1, min(n, d)]``, an unknown ``method``.
    TypeError
        Non-numeric ``X``, a bad ``rng``, or an unknown keyword in ``kwargs``.

    References
    ----------
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import leverage_scores
    >>> X = np.diag([3.0, 2.0, 0.0])
    >>> rows, cols = leverage_scores(X)
    >>> rows.tolist()
    [1.0, 1.0, 0.0]
    """
    inc = incoherence(X, rank, tol=tol, method=method, rng=rng, check_finite=check_finite, **kwargs)
    return inc.row_leverage, inc.col_leverage


def incoherence(
    X,
    rank=None,
    *,
    tol=None,
    method="exact",
    rng=None,
    check_finite=True,
    oversample=10,
    n_iter=4,
    rtol=1e-2,
):
    r"""μ-incoherence of ``X`` and its leverage scores (Definition 1).

    Parameters
    ----------
    X : (n, d) array_like
        The matrix. NumPy, CuPy and dask arrays are handled by their own backend;
        for ``method="randomized"``, scipy.sparse matrices and
        :class:`scipy.sparse.linalg.LinearOperator` are accepted too.
    rank : int, optional
        Take μ of the top-``rank`` singular subspaces ("μ at rank r", as the paper's
        Appendix E). ``None``: the numerical rank, the number of singular values above
        ``tol * sigma_max``.
    tol : float, optional
        Relative cut-off for the numerical rank when ``rank`` is None, in ``[0, 1)``.
        Default ``max(n, d) * eps`` of the working dtype, as
        :func:`numpy.linalg.matrix_rank`; for float16 data (computed in float32) at
        least their own rounding level :math:`u\|X\|_F/\sigma_1`, :math:`u = 2^{-11}`
        (``skeleton._linalg.InputRounding``), which ``max(n, d)`` times float16's eps
        would exceed 1 from 1024 rows on.
    method : {"exact", "randomized"}
        ``"exact"``: a full thin SVD, :math:`O(nd\min(n,d))`. ``"randomized"``: a
        randomized range finder with ``oversample`` extra columns and ``n_iter``
        power iterations (Halko, Martinsson & Tropp 2011), :math:`O(nd(r+p))` per
        pass and ``2 n_iter + 2`` passes over ``X``.
    rng : {None, int, numpy.random.Generator}, optional
        Random state for ``method="randomized"``.
    check_finite : bool, default True
        Raise ValueError when ``X`` holds NaN or inf (reads all of ``X``).
    oversample : int, default 10
        Extra sketch columns beyond the rank (randomized only).
    n_iter : int, default 4
        Most power iterations the randomized sketch runs (randomized only).
    rtol : float, default 1e-2
        Randomized only: stop the power iterations as soon as an a-posteriori bound
        certifies ``|mu - mu_exact| <= rtol * mu_exact`` (see Notes); the bound is
        returned as ``mu_error_bound``. ``rtol=0`` always runs ``n_iter`` iterations.

    Returns
    -------
    Incoherence
        Frozen dataclass with ``mu``, ``mu_rows``, ``mu_cols``, ``rank``,
        ``row_leverage``, ``col_leverage``, ``singular_values``, ``gap``.

    Raises
    ------
    ValueError
        ``X`` not 2-D, empty, non-finite, the zero matrix (rank 0), ``rank`` outside
        ``[1, min(n, d)]``, ``tol`` outside ``[0, 1)`` (or NaN), negative ``rtol``,
        ``oversample`` or ``n_iter``, unknown ``method``.
    TypeError
        Non-numeric ``X``; non-integer ``rank``, ``oversample`` or ``n_iter``; a
        non-real (or bool) ``tol`` or ``rtol``; a bad ``rng``.

    Warns
    -----
    RuntimeWarning
        When ``sigma_r`` and ``sigma_{r+1}`` coincide (the rank-r subspace, hence μ,
        is not defined), or, for ``method="randomized"``, when the estimated
        ``(sigma_{r+1}/sigma_r)^{2 n_iter + 1}`` exceeds 1e-2, so the sketch cannot
        be trusted to have found the subspace.

    Notes
    -----
    With :math:`X \approx W_r \Sigma_r V_r^H` the top-r part of the SVD,

    .. math::

        \mu_{rows} = \frac{n}{r} \max_i \|W_r^H e_i\|^2, \quad
        \mu_{cols} = \frac{d}{r} \max_j \|V_r^H e_j\|^2, \quad
        \mu = \max(\mu_{rows}, \mu_{cols}).

    The randomized estimate agrees with the exact one to about 1 % relative when the
    gap :math:`\sigma_r/\sigma_{r+1}` is 10 or more (tested).

    *Certified early stop.* After each sketch :math:`X^H Q = V S W^H`, the product
    :math:`Y = X V` that the next power iteration needs also gives a "half-step"
    triplet :math:`(\tilde U, \tilde S, \tilde V)` with :math:`X \tilde V = \tilde U \tilde S`
    exactly and a computable bound on :math:`\|X^H \tilde U - \tilde V \tilde S\|`.
    Wedin's theorem turns these residuals into a bound on the angles to the exact
    rank-r subspaces, given :math:`\alpha \ge \sigma_{r+1}`, which comes from
    :math:`\|X\|_F` (read together with the finiteness check); a subspace moved by
    an angle t moves each leverage score by at most :math:`t(2\sqrt{\ell} + t)`, which
    bounds the error of μ (details in ``skeleton/_certificate.py``). The bound is
    deterministic (under the standard rounding model, which it allows for) and
    conservative, and it is about the rank r reported: it accepts
    after one sketch for a matrix of nearly exact rank r, and does not when the
    Frobenius norm of the tail beyond rank r exceeds :math:`\sigma_r` (a gap of 10
    over thousands of noise directions), where all ``n_iter`` iterations run. Passes
    over ``X``: one scan, then ``2 q + 3`` when the bound accepts after ``q``
    iterations, ``2 n_iter + 2`` otherwise.  The bound is scale-invariant: lengths
    are measured in units of :math:`\|X\|_F`, and where :math:`\|X\|_F^2` itself
    under- or overflows (entries beyond about 1e+-100) ``X`` is first divided by a
    power of two, exactly (one more pass and a copy, in that range only).

    *Mixed precision.* For a double-precision ``X`` with ``rank`` given and
    ``n_iter >= 1``, the first sketch :math:`X\Omega` is formed in single precision in
    the same pass as the finiteness scan (one pass fewer, and a GEMM at half the
    cost). It only seeds the subspace: :math:`X^H Q`, :math:`X V`, the power
    iterations and the certificate are all in ``X``'s precision, so the bound above
    holds as it stands. Matrices whose entries single precision cannot hold
    (:math:`\|X\|_F` outside 1e-28 .. 1e37) are sketched in double precision.

    References
    ----------
    E. Candès, B. Recht, "Exact matrix completion via convex optimization", 2009.
    X. Wang et al., "S3Attention", arXiv 2408.08567, Definition 1 and Appendix E.
    N. Halko, P.-G. Martinsson, J. Tropp, "Finding structure with randomness",
    SIAM Review 53(2), 2011.
    P.-A. Wedin, "Perturbation bounds in connection with singular value
    decomposition", BIT 12, 1972; G. W. Stewart, J.-G. Sun, *Matrix Perturbation
    Theory*, 1990, Thm V.4.4.
    E. Carson, I. Daužickaitė, "Single-pass Nyström approximation in mixed
    precision", 2022 (the expensive product of a sketch in a lower precision).

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import incoherence
    >>> X = np.outer(np.ones(4), np.ones(3))      # perfectly spread: mu = 1
    >>> round(incoherence(X).mu, 12)
    1.0
    >>> X = np.zeros((4, 3)); X[0, 0] = 1.0      # one spike: mu = max(n, d) / r
    >>> incoherence(X).mu
    4.0

    Randomized, on a matrix of rank 5: the first sketch is certified.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 200))
    >>> inc = incoherence(X, 5, method="randomized", rng=1)
    >>> inc.power_iterations, bool(inc.mu_error_bound < 1e-8 * inc.mu)
    (0, True)
    """
    check_choice(method, ("exact", "randomized"), "method")
    if tol is not None:
        tol = check_cutoff(tol, "tol")
    oversample = check_nonneg_int(oversample, "oversample")
    n_iter = check_nonneg_int(n_iter, "n_iter")
    rtol = check_positive(rtol, "rtol", allow_zero=True)
    rng = check_rng(rng)
    X, dtype = check_matrix(X, "X")
    backend = backend_for(X, "X")
    X = backend.prepare(X)
    n, d = X.shape
    if rank is not None:
        rank = check_rank(rank, n, d)
    if tol is None:
        tol = input_rounding(X.dtype, dtype)  # float16 data: their own rounding level
    if method == "exact":
        if not backend.densifies:
            raise ValueError(
                f"X is {backend.description}: method='exact' would form it densely; "
                "use method='randomized'"
            )
        if check_finite and not backend.all_finite(X):
            raise ValueError(nonfinite_message("X"))
        return _incoherence_exact(backend.astype(X, dtype), rank, tol, backend)
    return _incoherence_randomized(X, dtype, rank, tol, rng, oversample, n_iter, backend, rtol, check_finite)


def _finish(xp, backend, U, Vh_conj_T, s, r, n, d, method, full_rank, bound=float("nan"), iterations=0,
            exponent=0):
    """The :class:`Incoherence` record; ``exponent``: X was divided by ``2**exponent``
    (see :func:`_unit_scale`), so its singular values are ``s * 2**exponent``."""
    s_host = backend.to_numpy(s)
    row_lev = leverage(xp, U, r)
    col_lev = leverage(xp, Vh_conj_T, r)
    mu_rows = n / r * float(xp.max(row_lev))
    mu_cols = d / r * float(xp.max(col_lev))
    return Incoherence(
        mu=max(mu_rows, mu_cols),
        mu_rows=mu_rows,
        mu_cols=mu_cols,
        rank=int(r),
        row_leverage=row_lev,
        col_leverage=col_lev,
        singular_values=s * math.ldexp(1.0, exponent) if exponent else s,
        gap=_gap(s_host, r, full_rank),
        method=method,
        mu_error_bound=float(bound),
        power_iterations=int(iterations),
    )


def _resolve_rank(s_host, shape, dtype, tol, rank):
    if rank is None:
        r = rank_from_singular_values(s_host, shape, dtype, tol=tol)
        if r == 0:
            raise ValueError("X is the zero matrix (numerical rank 0): incoherence is undefined")
        return r
    if not s_host[0] > 0:
        raise ValueError("X is the zero matrix (numerical rank 0): incoherence is undefined")
    return rank


def _incoherence_exact(X, rank, tol, backend):
    xp = backend.xp
    n, d = X.shape
    U, s, Vh = backend.svd(X)
    s_host = backend.to_numpy(s)
    r = _resolve_rank(s_host, X.shape, X.dtype, tol, rank)
    if r < min(n, d):
        eps = np.finfo(s_host.dtype).eps
        if s_host[r - 1] - s_host[r] <= 8 * eps * s_host[0] and s_host[r] > 0:
            warnings.warn(
                f"sigma_{r} and sigma_{r + 1} coincide to rounding ({s_host[r - 1]:.3g}): "
                "the rank-r singular subspaces, hence mu at this rank, are not unique",
                RuntimeWarning,
                stacklevel=3,
            )
    return _finish(xp, backend, U, xp.conj(Vh).T, s, r, n, d, "exact", min(n, d))


def _randomized_core(X, rank, tol, rng, oversample, n_iter, backend, dtype, rtol=0.0, fro2=None, seed=None):
    """Randomized top singular triplets of X at ``rank`` (or the numerical rank).

    :func:`skeleton.randomized.randomized_svd` with the certificate hook. Returns
    ``(U, s, V, r, bound, iterations)``. With ``rtol > 0`` and ``fro2``
    (``||X||_F^2``) known, the power iterations stop as soon as
    :class:`~skeleton._certificate.MuCertificate` bounds the error of mu by
    ``rtol``; ``bound`` is then that bound (else NaN). ``seed``, with ``rank``
    given: the first sketch ``X Omega`` (``rank + oversample`` columns), already formed.
    """
    from .randomized import randomized_svd

    n, d = X.shape
    full = min(n, d)
    certificate = None
    if rtol > 0 and fro2 is not None and np.isfinite(fro2):
        certificate = MuCertificate(X.shape, fro2, rtol, dtype, backend)
    U, s, V, r, bound, q = randomized_svd(
        X, rank, rng=rng, oversample=oversample, n_iter=n_iter, backend=backend, dtype=dtype,
        resolve_rank=lambda s_host: _resolve_rank(s_host, X.shape, dtype, tol, rank), certificate=certificate,
        seed=seed if rank is not None else None)
    s_host = backend.to_numpy(s)
    gap = _gap(s_host, r, full)
    if np.isnan(bound) and np.isfinite(gap) and gap ** -(2 * n_iter + 1) > _SUBSPACE_WARN_LEVEL:
        warnings.warn(
            f"estimated gap sigma_{r}/sigma_{r + 1} = {gap:.3g} is too small for the "
            f"randomized sketch ({n_iter} power iterations) to determine the rank-{r} "
            "subspace; mu may be inaccurate (use method='exact' or more n_iter)",
            RuntimeWarning,
            stacklevel=4,
        )
    return U, s, V, r, bound, q


def _unit_scale(X, backend, fro2):
    """``(X / 2**e, e)``, brought to unit scale when ``||X||_F^2`` (``fro2``) is outside
    the range where it is accurate (entries beyond about 1e+-100, whose squares under-
    or overflow), else ``(X, 0)``.

    Everything the certificate compares is a ratio of lengths, but ``||X||_F^2`` itself
    must be representable: at 1e-200 it underflows to 0 and the certificate would
    accept any sketch.  Dividing by a power of two is exact, so the result is the
    same matrix at another scale; it costs a pass and a copy of X, in that range only.
    """
    if fro2 is None or _SAFE_SUM[0] <= fro2 <= _SAFE_SUM[1]:
        return X, 0
    e = power_of_two_scale(X, backend)
    if e == 0:
        return X, 0  # zero (reported later) or non-finite (check_finite=False)
    return backend.materialize(X * math.ldexp(1.0, -e)), e


def _incoherence_randomized(X, dtype, rank, tol, rng, oversample, n_iter, backend, rtol, check):
    n, d = X.shape
    fro2 = seed = Omega = None
    if backend.scan_reads_all and _single_precision_seed(dtype, rank, n_iter, check or rtol > 0):
        # one pass: the finiteness check, ||X||_F for the certificate, and the first sketch
        size = min(n, d, rank + oversample)
        Omega = backend.standard_normal(rng, (d, size), _SINGLE[np.dtype(dtype)])
        finite, fro2, seed = backend.scan_sketch(X, Omega)
    elif rtol > 0:
        # one pass gives both the finiteness check and ||X||_F for the certificate
        finite, fro2 = backend.finite_sum_squares(X)
    else:
        finite = backend.all_finite(X) if check else True
    if check and not finite:
        raise ValueError(nonfinite_message("X"))
    X, exponent = _unit_scale(X, backend, fro2)
    if exponent:
        if Omega is not None:
            # the first sketch again, by the same pass as at unit scale: the scaling
            # is exact, so the same pass gives the same numbers times 2**-e (another
            # product, blocked differently, would differ at the rounding level that
            # the certificate's bound is made of)
            # (through the scaled copy's own backend: a lazy backend materializes it)
            _, fro2, seed = backend_for(X, "X").scan_sketch(X, Omega)
        else:
            fro2 = backend.sum_squares(X)
    if seed is not None and not _SEED_NORM_RANGE[0] <= math.sqrt(fro2) <= _SEED_NORM_RANGE[1]:
        seed = None  # entries beyond single precision's range: sketch in X's precision
    elif seed is not None and not bool(backend.xp.all(backend.xp.isfinite(seed))):
        seed = None  # (an n x l check) a sketch that overflowed all the same
    Xf = backend.astype(X, dtype)
    if seed is not None:
        seed = backend.astype(seed, dtype)
    xp = backend.xp
    U, s, V, r, bound, q = _randomized_core(Xf, rank, tol, rng, oversample, n_iter, backend, dtype, rtol, fro2, seed)
    return _finish(xp, backend, U, V, s, r, n, d, "randomized", min(n, d), bound, q, exponent)
