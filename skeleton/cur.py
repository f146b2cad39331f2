r"""Skeleton (CUR) approximation from sampled rows and columns.

Given row indices :math:`I` and column indices :math:`J` of :math:`X \in
\mathbb{C}^{n\times d}`, the skeleton approximation is

.. math::

    X \approx C\,U\,R, \qquad C = X_{:,J},\quad R = X_{I,:},

with a *core* :math:`U \in \mathbb{C}^{|J|\times|I|}`.  Three cores are offered:

``"pinv"``
    :math:`U = W^+` with :math:`W = X_{I,J}` the intersection - the core of the
    skeleton decomposition and of Proposition 1's proof in Wang et al. (2024).  If
    :math:`\operatorname{rank} W = \operatorname{rank} X` then :math:`CW^+R = X`
    exactly (Chiu & Demanet 2013, Hamm & Huang 2020).  With noise, small singular
    values of :math:`W` make :math:`W^+` large and the error can blow up.
``"truncated"``
    :math:`U = W_k^+`, the pseudo-inverse of :math:`W` truncated to its ``rank``
    largest singular values, or to those above ``tol`` times the largest - the
    regularisation that Chiu & Demanet show is needed under noise.
``"optimal"``
    :math:`U = C^+ X R^+`, the best core for the chosen :math:`C` and :math:`R` in
    Frobenius norm (Stewart 1999).  It reads all of :math:`X`.

All pseudo-inverses come from SVDs of the small factors, never explicit inverses.

Sample counts. Chiu & Demanet (2013, Thm. 1.1) show that :math:`\ell \sim \mu r \log n`
uniformly sampled rows and columns recover a rank-r, μ-incoherent matrix with high
probability; when only ``rank`` is given, :func:`skeleton_approx` takes
:math:`\ell = \lceil \mu\, r \ln \max(n, d) \rceil` (capped at the dimension) with
``mu=1`` unless told otherwise (``mu=float`` or ``mu="estimate"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import backend_for
from ._linalg import rank_from_singular_values, truncated_pinv
from ._validation import (
    check_choice,
    check_count,
    check_indices,
    check_matrix,
    check_positive,
    check_rank,
    check_rng,
)
from .sampling import (
    deim_indices,
    leverage_indices,
    maxvol_indices,
    uniform_indices,
)

__all__ = ["SkeletonApprox", "skeleton_approx", "default_sample_count", "regularizing_tol"]

SAMPLINGS = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol")
CORES = ("pinv", "truncated", "optimal")

_NONFINITE = "X must not contain NaN or infinity (pass check_finite=False to skip this check)"

# Matrices with min(n, d) above this get randomized singular vectors for the
# deterministic selection rules (an exact SVD costs O(n d min(n, d))).
_EXACT_BASIS_MAX = 1500


@dataclass(frozen=True)
class SkeletonApprox:
    r"""A skeleton (CUR) approximation :math:`X \approx C U R`.

    A frozen record, normally built by :func:`skeleton_approx`; the parameters are
    also its (read-only) attributes.

    Parameters
    ----------
    C : array, shape (n, k_c)
        The sampled columns ``X[:, col_idx]``.
    U : array, shape (k_c, k_r)
        The core matrix.
    R : array, shape (k_r, d)
        The sampled rows ``X[row_idx, :]``.
    row_idx, col_idx : ndarray of intp
        The sampled row and column indices.
    core : str
        Which core ``U`` is (``"pinv"``, ``"truncated"`` or ``"optimal"``).
    shape : tuple
        ``(n, d)``.
    dtype : numpy.dtype
        The dtype of ``C``, ``U``, ``R``.
    core_rank : int, default 0
        Number of singular values the core kept.

    See Also
    --------
    skeleton_approx : builds it from a matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import skeleton_approx
    >>> X = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 5.0))     # rank 1, 6 x 4
    >>> approx = skeleton_approx(X, rows=[0, 2], cols=[1, 3], core="pinv")
    >>> approx.shape, approx.core, approx.row_idx.tolist(), approx.col_idx.tolist()
    ((6, 4), 'pinv', [0, 2], [1, 3])
    >>> bool(np.allclose(approx.to_array(), X))
    True
    """

    C: Any = field(repr=False)
    U: Any = field(repr=False)
    R: Any = field(repr=False)
    row_idx: Any
    col_idx: Any
    core: str
    shape: tuple
    dtype: Any
    core_rank: int = 0

    # Make ``ndarray @ approx`` defer to __rmatmul__ instead of NumPy trying to
    # turn the approximation into an array.
    __array_ufunc__ = None

    def to_array(self):
        r"""Form the dense approximation :math:`C U R` (n x d).

        The two products are taken in whichever order costs fewer flops:
        :math:`(CU)R` costs :math:`n k_c k_r + n k_r d`, :math:`C(UR)` costs
        :math:`k_c k_r d + n k_c d`.

        Returns
        -------
        array, shape (n, d)
            ``C @ U @ R``, of dtype ``self.dtype`` and on the array library of
            ``C`` (NumPy or CuPy).

        Raises
        ------
        ValueError
            Never for an approximation built by :func:`skeleton_approx`; only if the
            stored factors were given inconsistent shapes.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> approx.to_array().round(6).tolist()
        [[1.0, -1.0, 2.0], [2.0, -2.0, 4.0], [3.0, -3.0, 6.0]]
        """
        n, d = self.shape
        kc, kr = self.U.shape
        if n * kc * kr + n * kr * d <= kc * kr * d + n * kc * d:
            return (self.C @ self.U) @ self.R
        return self.C @ (self.U @ self.R)

    def __matmul__(self, B):
        r"""Product :math:`(C U R) B` without forming :math:`C U R`.

        Evaluated right to left as ``C @ (U @ (R @ B))``, which costs
        :math:`O((k_r d + k_c k_r + n k_c)\,m)` for ``B`` of shape (d, m) instead of
        the :math:`O(n d m)` of a dense product.

        Parameters
        ----------
        B : array, shape (d,) or (d, m)
            Right operand, on the same array library as the factors.

        Returns
        -------
        array, shape (n,) or (n, m)
            :math:`C U R B`.

        Raises
        ------
        ValueError
            If ``B.shape[0]`` differs from the number of columns ``d``.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> (approx @ np.ones(3)).round(6).tolist()
        [2.0, 4.0, 6.0]
        """
        if B.shape[0] != self.shape[1]:
            raise ValueError(f"operand has {B.shape[0]} rows; the approximation has {self.shape[1]} columns")
        return self.C @ (self.U @ (self.R @ B))

    def __rmatmul__(self, B):
        r"""Product :math:`B (C U R)` without forming :math:`C U R`.

        Evaluated left to right as ``((B @ C) @ U) @ R``; used by ``B @ approx``.

        Parameters
        ----------
        B : array, shape (n,) or (m, n)
            Left operand, on the same array library as the factors.

        Returns
        -------
        array, shape (d,) or (m, d)
            :math:`B C U R`.

        Raises
        ------
        ValueError
            If ``B.shape[-1]`` differs from the number of rows ``n``.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])             # rank 1
        >>> approx = skeleton_approx(X, rows=[0], cols=[2], core="pinv")
        >>> (np.ones(3) @ approx).round(6).tolist()
        [6.0, -6.0, 12.0]
        """
        if B.shape[-1] != self.shape[0]:
            raise ValueError(f"operand has {B.shape[-1]} columns; the approximation has {self.shape[0]} rows")
        return ((B @ self.C) @ self.U) @ self.R

    def error(self, X, ord="fro"):
        r"""Relative error :math:`\|X - CUR\| / \|X\|` in the Frobenius or spectral norm.

        The Frobenius error is accumulated over blocks of rows,
        :math:`\|X - CUR\|_F^2 = \sum_b \|X_b - (CU)_b R\|_F^2`, so no second
        n x d array is formed; the spectral error forms the dense difference.

        Parameters
        ----------
        X : (n, d) array_like or entry oracle
            The matrix that was approximated (any input :func:`skeleton_approx`
            accepts); read in full.
        ord : {"fro", 2}, default "fro"
            The norm: Frobenius (``"fro"``) or spectral (``2``).

        Returns
        -------
        float
            :math:`\|X - CUR\| / \|X\|`. In the Frobenius norm a zero ``X``
            gives 0.0 if the approximation is zero too, else ``inf``.

        Raises
        ------
        ValueError
            If ``ord`` is not ``"fro"`` or ``2``, if ``X`` is not a non-empty 2-D
            matrix, or if its shape differs from ``self.shape``.
        TypeError
            If ``X`` is not numeric.

        Examples
        --------
        >>> import numpy as np
        >>> from skeleton import skeleton_approx
        >>> X = np.diag([1.0, 1.0, 0.0])
        >>> approx = skeleton_approx(X, rows=[0], cols=[0], core="pinv")
        >>> round(approx.error(X), 6), round(approx.error(X, ord=2), 6)
        (0.707107, 1.0)
        """
        if ord not in ("fro", 2):
            raise ValueError(f"ord must be 'fro' or 2, got {ord!r}")
        X, _ = check_matrix(X, "X")
        if tuple(X.shape) != tuple(self.shape):
            raise ValueError(f"X has shape {tuple(X.shape)}, the approximation {self.shape}")
        backend = backend_for(X, "X")
        xp = backend.xp
        if ord == 2:
            Xd = backend.dense(X, self.dtype)
            diff = Xd - self.to_array()
            return float(xp.linalg.matrix_norm(diff, ord=2) / xp.linalg.matrix_norm(Xd, ord=2))
        n = self.shape[0]
        CU = self.C @ self.U
        block = max(1, (1 << 22) // max(1, self.shape[1]))
        num = den = 0.0
        for i0 in range(0, n, block):
            Xi = backend.row_block(X, i0, min(n, i0 + block), self.dtype)
            Di = Xi - CU[i0 : i0 + block] @ self.R
            num += float(xp.sum(xp.real(Di * xp.conj(Di))))
            den += float(xp.sum(xp.real(Xi * xp.conj(Xi))))
        if den == 0.0:
            return 0.0 if num == 0.0 else float("inf")
        return math.sqrt(num / den)


def default_sample_count(rank, n, d, mu=1.0):
    r"""Rows/columns to sample for a rank-``rank`` matrix: :math:`\lceil \mu r \ln\max(n,d)\rceil`.

    The :math:`O(\mu r \log n)` rule of Chiu & Demanet (2013, Thm. 1.1) with constant
    one: :math:`\ell = \max(r, \lceil \mu r \ln\max(n, d, 2)\rceil)`, capped at
    ``n`` rows and ``d`` columns.

    Parameters
    ----------
    rank : int
        Target rank ``r``.
    n, d : int
        Number of rows and columns of the matrix.
    mu : float, default 1.0
        Coherence :math:`\mu \ge 1` of the matrix (:func:`skeleton.incoherence`).

    Returns
    -------
    n_rows, n_cols : int
        :math:`\min(\ell, n)` and :math:`\min(\ell, d)`.

    Raises
    ------
    TypeError
        If an argument is not a number (e.g. None). Values are not range-checked here;
        :func:`skeleton_approx` validates ``rank`` before calling this.

    References
    ----------
    J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton
    decompositions", SIAM J. Matrix Anal. Appl. 34(3), 2013.

    Examples
    --------
    >>> from skeleton.cur import default_sample_count
    >>> default_sample_count(10, 1000, 500)
    (70, 70)
    """
    k = max(int(rank), math.ceil(mu * rank * math.log(max(n, d, 2))))
    return min(k, n), min(k, d)


def _resolve_counts(n, d, n_rows, n_cols, rows, cols, rank, mu, X, backend, dtype, rng):
    """Sample counts from explicit indices, explicit counts or the rank rule."""
    if rows is not None:
        rows = check_indices(rows, n, "rows", what="rows")
        if n_rows is not None and check_count(n_rows, n, "n_rows") != rows.size:
            raise ValueError(f"n_rows={n_rows} disagrees with len(rows)={rows.size}")
        n_rows = rows.size
    if cols is not None:
        cols = check_indices(cols, d, "cols", what="columns")
        if n_cols is not None and check_count(n_cols, d, "n_cols", what="columns") != cols.size:
            raise ValueError(f"n_cols={n_cols} disagrees with len(cols)={cols.size}")
        n_cols = cols.size
    if n_rows is not None:
        n_rows = check_count(n_rows, n, "n_rows", what="rows")
    if n_cols is not None:
        n_cols = check_count(n_cols, d, "n_cols", what="columns")
    if n_rows is None or n_cols is None:
        if rank is None:
            raise ValueError("give n_rows and n_cols (or rows and cols), or a rank to derive them from")
        if isinstance(mu, str):
            check_choice(mu, ("estimate",), "mu")
            from .incoherence import incoherence

            mu = incoherence(backend.astype(X, dtype), rank, method="randomized", rng=rng, check_finite=False).mu
        else:
            mu = check_positive(mu, "mu")
        k_r, k_c = default_sample_count(rank, n, d, mu)
        n_rows = k_r if n_rows is None else n_rows
        n_cols = k_c if n_cols is None else n_cols
    return n_rows, n_cols, rows, cols


def _singular_basis(X, r, tol, rng, backend, dtype):
    """Top singular vectors (left, right) of X, as host arrays, and the rank used."""
    from .incoherence import _randomized_core

    Xf = backend.astype(X, dtype)
    n, d = X.shape
    if min(n, d) <= _EXACT_BASIS_MAX:
        U, s, Vh = backend.svd(Xf)
        V = backend.xp.conj(Vh).T
    else:
        U, s, V, *_ = _randomized_core(Xf, r, tol, rng, 10, 4, backend, dtype)
    s_host = backend.to_numpy(s)
    k = rank_from_singular_values(s_host, X.shape, dtype, tol=tol, rank=r)
    if k == 0:
        raise ValueError("X is the zero matrix (numerical rank 0): no basis to select rows or columns from")
    return backend.to_numpy(U[:, :k]), backend.to_numpy(V[:, :k]), k


def _select(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype):
    n, d = X.shape
    if sampling == "uniform":
        rows = uniform_indices(n, k_r, rng) if rows is None else rows
        cols = uniform_indices(d, k_c, rng) if cols is None else cols
        return rows, cols
    if sampling == "pivoted_qr":
        return backend.pivoted_qr_select(X, k_r, k_c, rows, cols, rng, dtype)
    r = rank if rank is not None else min(k_r, k_c)
    Ub, Vb, _ = _singular_basis(X, r, tol, rng, backend, dtype)
    if sampling == "leverage":
        pick_r = lambda B, k: leverage_indices(np.sum(np.abs(B) ** 2, axis=1), k, rng)  # noqa: E731
    elif sampling == "deim":
        pick_r = deim_indices
    else:
        pick_r = maxvol_indices
    rows = pick_r(Ub, k_r) if rows is None else rows
    cols = pick_r(Vb, k_c) if cols is None else cols
    return rows, cols


def regularizing_tol(dtype):
    r"""Default relative cut-off of the regularised cores: :math:`\sqrt{\epsilon}`.

    Evaluating :math:`C\,W_\tau^+ R` in floating point amplifies rounding errors by
    about :math:`\epsilon/\tau`, while dropping singular values below
    :math:`\tau\sigma_1` costs about :math:`\tau`; the sum is smallest at
    :math:`\tau = \sqrt{\epsilon}` (cf. Chiu & Demanet 2013, who also cut small singular values, on the need
    to regularise; Park & Nakatsukasa 2024 for the stability analysis). On the
    Hilbert matrix the eps-level cut-off of a plain pseudo-inverse loses 4-5 more
    digits than this one (tests/test_core.py).

    Parameters
    ----------
    dtype : data-type
        A floating or complex dtype (anything :class:`numpy.dtype` accepts).

    Returns
    -------
    float
        :math:`\sqrt{\epsilon}` with :math:`\epsilon` the machine epsilon of
        ``dtype`` (of its real part for complex dtypes).

    Raises
    ------
    TypeError
        If ``dtype`` is not a dtype.
    ValueError
        If ``dtype`` is not a floating or complex dtype (e.g. an integer dtype).

    References
    ----------
    J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton
    decompositions", SIAM J. Matrix Anal. Appl. 34(3), 2013.
    Taejun Park, Y. Nakatsukasa, "Accuracy and stability of CUR decompositions with
    oversampling", arXiv:2405.06375, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton.cur import regularizing_tol
    >>> f"{regularizing_tol(np.float64):.3e}", f"{regularizing_tol(np.float32):.3e}"
    ('1.490e-08', '3.453e-04')
    """
    return float(np.sqrt(np.finfo(np.dtype(dtype)).eps))


# The rank-truncated core from a sketch of W: oversampling, power iterations first
# tried and at most, and the smallest intersection for which the sketch is tried.
_CORE_OVERSAMPLE = 10
_CORE_POWER_ITERS = 2
_CORE_MAX_POWER_ITERS = 10
_CORE_MIN_SIZE = 128


def _sketched_truncated_pinv(W, backend, tol, rank):
    r"""Rank-``rank`` truncated pseudo-inverse of ``W`` from a randomized SVD, or None.

    ``W`` (k_r x k_c) is the intersection; with ``l = rank + 10`` at most a third of
    ``min(k_r, k_c)``, a range finder with ``q`` power iterations (Halko, Martinsson &
    Tropp 2011, Alg. 4.4) costs ``O(q k_r k_c l)`` instead of the ``O(k^3)`` of a full
    SVD (about 35 ms instead of 170 ms for k = 600 on two cores).  The sketch's top
    singular triplets agree with the exact ones up to about
    :math:`\rho^{2q+1}`, :math:`\rho = \sigma_{l}/\sigma_k`, estimated from the
    sketch. It starts with ``q = 2``; when :math:`\rho^{2q+1}` is above ``eps**0.75``
    of the dtype it runs the iterations that would bring it below, if at most
    ``_CORE_MAX_POWER_ITERS`` in all (each costs a few per cent of a full SVD), and
    otherwise returns None so that the caller does the full SVD: the core is the
    truncated pseudo-inverse to working accuracy either way.  The Gaussian test
    matrix comes from a fixed seed: the core depends on ``W`` only.
    """
    xp = backend.xp
    m = min(W.shape)
    ell = rank + _CORE_OVERSAMPLE
    if m < _CORE_MIN_SIZE or 3 * ell > m:
        return None
    gen = np.random.default_rng(0x5EED)
    Om = backend.standard_normal(gen, (W.shape[1], ell), W.dtype)
    WH = xp.conj(W).T
    accept = float(np.finfo(np.dtype(W.dtype)).eps) ** 0.75
    Q, _ = backend.qr(W @ Om)
    done, target = 0, _CORE_POWER_ITERS
    while True:
        for _ in range(target - done):
            Z, _ = backend.qr(WH @ Q)
            Q, _ = backend.qr(W @ Z)
        done = target
        B = xp.conj(Q).T @ W  # ell x k_c
        Ub, s, Vh = backend.svd(B)
        s_host = backend.to_numpy(s)
        k = rank_from_singular_values(s_host, W.shape, W.dtype, tol=tol, rank=rank)
        if k == 0:
            return None  # the exact path decides (and reports) a zero intersection
        rho = float(s_host[-1]) / float(s_host[k - 1])
        if rho ** (2 * done + 1) <= accept:
            break
        if not 0 < rho < 1:
            return None
        target = int(np.ceil((np.log(accept) / np.log(rho) - 1) / 2))
        if target > _CORE_MAX_POWER_ITERS or target <= done:
            return None
    Uk = Q @ Ub[:, :k]
    Vk = xp.conj(Vh[:k, :]).T
    inv_s = xp.astype(1.0 / s[:k], W.dtype)
    return (Vk * inv_s[None, :]) @ xp.conj(Uk).T, k


def _core(core, C, R, row_idx, X, rank, tol, backend, dtype):
    """The core U and how many singular values it kept."""
    xp = backend.xp
    W = xp.take(C, backend.asarray(row_idx), axis=0)  # X[I, J], taken from C: no re-read
    if core == "pinv":
        return truncated_pinv(W, backend, tol=tol)
    reg = regularizing_tol(dtype) if tol is None else tol
    if core == "truncated":
        if rank is not None:
            fast = _sketched_truncated_pinv(W, backend, reg, rank)
            if fast is not None:
                return fast
        return truncated_pinv(W, backend, tol=reg, rank=rank)
    # optimal: U = C^+ X R^+, applied in the order (C^+ X) R^+ : k_c x d, then k_c x k_r
    Cp, kc = truncated_pinv(C, backend, tol=reg)
    Rp, kr = truncated_pinv(R, backend, tol=reg)
    return (Cp @ backend.astype(X, dtype)) @ Rp, min(kc, kr)


def _report_empty_core(X, backend, scanned):
    """The sampled intersection is numerically zero: an error for the zero matrix.

    When ``X`` was scanned anyway (``check_finite=True``) we can afford to tell a zero
    matrix (ValueError) from a sample that missed the non-zeros (RuntimeWarning);
    without the scan only the warning is given, so as not to read all of ``X``.
    """
    import warnings

    xp = backend.xp
    if scanned and not bool(xp.any(X != 0)):
        raise ValueError("X is the zero matrix (rank 0): there is nothing to approximate")
    warnings.warn(
        "the sampled intersection X[rows][:, cols] is numerically zero, so the approximation is 0; "
        "sample more rows/columns or use sampling='leverage'",
        RuntimeWarning,
        stacklevel=3,
    )


def skeleton_approx(
    X,
    n_rows=None,
    n_cols=None,
    *,
    rank=None,
    rows=None,
    cols=None,
    sampling="uniform",
    core="truncated",
    tol=None,
    rng=None,
    check_finite=True,
    mu=1.0,
):
    r"""Skeleton (CUR) approximation :math:`X \approx C U R` from sampled rows and columns.

    Parameters
    ----------
    X : (n, d) array_like or entry oracle
        The matrix: a NumPy array or memmap, a CuPy array (the result is on the
        GPU), a dask array (out of core or distributed; ``C``, ``U``, ``R`` come
        back as NumPy arrays), or an *entry oracle* - any object with ``shape``,
        ``dtype`` and ``entries(rows, cols)`` returning ``X[rows][:, cols]``, such as
        :class:`skeleton.KernelMatrix`, of which only the sampled rows and columns
        are evaluated. Never modified.
    n_rows, n_cols : int, optional
        How many rows and columns to sample. Default: derived from ``rank`` by
        :func:`default_sample_count` (:math:`\lceil \mu r\ln\max(n,d)\rceil`).
    rank : int, optional
        Target rank: the truncation of the ``"truncated"`` core, the number of
        singular vectors used by ``"leverage"``, ``"deim"`` and ``"maxvol"``, and the
        ``r`` of the sample-count rule. In ``[1, min(n, d)]``.
    rows, cols : sequence of int, optional
        Explicit row / column indices (then ``sampling`` does not choose them).
    sampling : {"uniform", "leverage", "pivoted_qr", "deim", "maxvol"}
        Selection rule (see :mod:`skeleton.sampling`). Only ``"uniform"`` reads no
        more of ``X`` than the sampled rows and columns; the others read all of it
        (an SVD or a sketch).
    core : {"truncated", "pinv", "optimal"}
        The core matrix ``U`` (module docstring). ``"optimal"`` reads all of ``X``.
    tol : float, optional
        Relative singular-value cut-off for every pseudo-inverse (values below
        ``tol * sigma_max`` are dropped). Default: ``max(shape) * eps`` for the
        plain ``"pinv"`` core (as :func:`scipy.linalg.pinv`), and
        :math:`\sqrt{\epsilon}` for the ``"truncated"`` and ``"optimal"`` cores
        (:func:`regularizing_tol`: the cut-off that balances truncation against
        rounding-error amplification on ill-conditioned matrices).
    rng : {None, int, numpy.random.Generator}, optional
        Random state of the random selection rules and sketches.
    check_finite : bool, default True
        Check ``X`` for NaN/inf (reads all of ``X``, as SciPy does). With
        ``check_finite=False``, uniform sampling with the ``"pinv"`` or
        ``"truncated"`` core reads only the sampled rows and columns.
    mu : float or "estimate", default 1.0
        Coherence used by the sample-count rule when counts are not given;
        ``"estimate"`` computes it with ``incoherence(method="randomized")``.

    Returns
    -------
    SkeletonApprox
        ``C``, ``U``, ``R``, ``row_idx``, ``col_idx``, ``core``, ``shape``,
        ``dtype``, with ``to_array()``, ``@`` and ``error(X)``.

    Raises
    ------
    ValueError
        Non-2-D, empty or non-finite ``X``; counts outside ``[1, n]`` / ``[1, d]``;
        out-of-range or duplicate indices; ``rank`` outside ``[1, min(n, d)]``; an
        unknown ``sampling`` or ``core``; the zero matrix.
    TypeError
        Non-numeric ``X``, non-integer indices or counts, a bad ``rng``.

    Notes
    -----
    If :math:`\operatorname{rank} X_{I,J} = \operatorname{rank} X` then
    :math:`X_{:,J} X_{I,J}^+ X_{I,:} = X` (exact recovery). With noise,
    :math:`\hat X = X + E`, Hamm & Huang (2021, Cor. 4.3) bound the error of the
    pinv core by :math:`O(\sqrt{nd/(\ell_C \ell_R)})\|E\|` under incoherence, which
    is Proposition 1 of Wang et al. (2024) with :math:`\ell \propto \mu r\log n`.

    References
    ----------
    J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton
    decompositions", SIAM J. Matrix Anal. Appl. 34(3), 2013.
    K. Hamm, L. Huang, "Perturbations of CUR decompositions", SIAM J. Matrix Anal.
    Appl. 42(1), 2021.
    G. W. Stewart, "Four algorithms for the efficient computation of truncated
    pivoted QR approximations to a sparse matrix", Numer. Math. 83, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import skeleton_approx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5)) @ rng.standard_normal((5, 100))   # rank 5
    >>> cur = skeleton_approx(X, 20, 20, rng=1)
    >>> cur.C.shape, cur.U.shape, cur.R.shape
    ((200, 20), (20, 20), (20, 100))
    >>> cur.error(X) < 1e-10
    True
    """
    check_choice(sampling, SAMPLINGS, "sampling")
    check_choice(core, CORES, "core")
    X, dtype = check_matrix(X, "X")
    backend = backend_for(X, "X")
    n, d = X.shape
    if rank is not None:
        rank = check_rank(rank, n, d)
    if tol is not None:
        tol = check_positive(tol, "tol", allow_zero=True)
    rng = check_rng(rng)
    # Uniform sampling knows its indices before reading X, so the finiteness scan is
    # fused with the gather of C and R (one pass over X, Backend.scan_take); the
    # other rules read X to choose, so X is scanned first.
    scan_first = check_finite and (sampling != "uniform" or isinstance(mu, str))
    if scan_first and not backend.all_finite(X):
        raise ValueError(_NONFINITE)
    k_r, k_c, rows, cols = _resolve_counts(n, d, n_rows, n_cols, rows, cols, rank, mu, X, backend, dtype, rng)
    row_idx, col_idx = _select(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype)
    # (an entry oracle's all_finite reads nothing: its C and R are checked as read)
    check_in_take = check_finite and (not scan_first or not backend.scan_reads_all)
    C, R, finite = backend.scan_take(X, row_idx, col_idx, dtype, check_in_take)
    if not finite:
        raise ValueError(_NONFINITE)
    U, kept = _core(core, C, R, row_idx, X, rank, tol, backend, dtype)
    if kept == 0:
        _report_empty_core(X, backend, check_finite and backend.scan_reads_all)
    return SkeletonApprox(
        C=C,
        U=U,
        R=R,
        row_idx=np.asarray(row_idx, dtype=np.intp),
        col_idx=np.asarray(col_idx, dtype=np.intp),
        core=core,
        shape=(n, d),
        dtype=np.dtype(dtype),
        core_rank=int(kept),
    )


