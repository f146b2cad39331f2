r"""Skeleton (CUR) approximation from sampled rows and columns.

Given row indices :math:`I` and column indices :math:`J` of :math:`X \in
\mathbb{C}^{n\times d}`, the skeleton approximation is

.. math::

    X \approx C\,U\,R, \qquad C = X_{:,J},\quad R = X_{I,:},

with a *core* :math:`U` computed from the intersection :math:`W = X_{I,J}` (or, for
the ``"optimal"`` core, from all of X).  If :math:`\operatorname{rank} W =
\operatorname{rank} X` then :math:`C W^+ R = X` exactly (Chiu & Demanet 2013, Hamm &
Huang 2020); with noise the core must be regularised.  The cores, and the
backward-stable factored form in which the approximation is applied (never the
product ``C @ U @ R`` where it would cancel), are in :mod:`skeleton.cores`; the rows
and columns are chosen by :mod:`skeleton.selection` with the rules of
:mod:`skeleton.sampling`; the result is a :class:`~skeleton.approximation.SkeletonApprox`.

Sample counts.  Either given (``n_rows``, ``n_cols``, or explicit ``rows``/``cols``),
derived from a rank by the :math:`\ell \sim \mu r \log n` rule of Chiu & Demanet
(2013, Thm. 1.1) - :math:`\ell = \lceil \mu\, r \ln \max(n, d) \rceil`, capped at the
dimension, with ``mu=1`` unless told otherwise - or grown until an error tolerance is
met (``rtol`` / ``atol``, :mod:`skeleton.tolerance`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._backends import backend_for
from ._validation import (
    check_choice,
    check_count,
    check_cutoff,
    check_indices,
    check_int,
    check_matrix,
    check_positive,
    check_rank,
    check_rng,
    nonfinite_message,
)
from .approximation import ErrorEstimate, SkeletonApprox
from .cores import CORES, compute_core
from .pivoting import PIVOTING, pivoted_approx
from .selection import SAMPLINGS, select

__all__ = ["SkeletonApprox", "ErrorEstimate", "skeleton_approx", "default_sample_count"]


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
    ValueError
        ``n`` or ``d`` below 1, ``rank`` outside ``[1, min(n, d)]``, ``mu`` below 1.
    TypeError
        ``rank``, ``n`` or ``d`` not an integer, ``mu`` not a finite real number.

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
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    return _sample_count(check_rank(rank, n, d), n, d, _check_mu(mu))


def _check_mu(mu):
    """The coherence of the sample-count rule: a real number >= 1 (Definition 1)."""
    mu = check_positive(mu, "mu")
    if mu < 1 - 1e-9:  # (a computed mu of 1 may round to just below it)
        raise ValueError(f"mu must be at least 1 (the coherence of any matrix is), got {mu}")
    return mu


def _sample_count(rank, n, d, mu):
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
            from .incoherence import incoherence

            mu = incoherence(backend.astype(X, dtype), rank, method="randomized", rng=rng, check_finite=False).mu
        k_r, k_c = _sample_count(rank, n, d, mu)
        n_rows = k_r if n_rows is None else n_rows
        n_cols = k_c if n_cols is None else n_cols
    return n_rows, n_cols, rows, cols


def _report_empty_core(X, backend, scanned):
    """The sampled intersection is numerically zero: an error for the zero matrix.

    When ``X`` was scanned anyway (``check_finite=True``) we can afford to tell a zero
    matrix (ValueError) from a sample that missed the non-zeros (RuntimeWarning);
    without the scan only the warning is given, so as not to read all of ``X``.
    """
    if scanned and not backend.any_nonzero(X):
        raise ValueError("X is the zero matrix (rank 0): there is nothing to approximate")
    warnings.warn(
        "the sampled intersection X[rows][:, cols] is numerically zero, so the approximation is 0; "
        "sample more rows/columns or use sampling='leverage'",
        RuntimeWarning,
        stacklevel=4,
    )


def skeleton_approx(
    X,
    rank=None,
    *,
    rtol=None,
    atol=None,
    n_rows=None,
    n_cols=None,
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
    X : (n, d) array_like, sparse matrix, LinearOperator or entry oracle
        The matrix: a NumPy array or memmap, a CuPy array (the result is on the GPU),
        a dask array (out of core or distributed), a scipy.sparse matrix or array
        (CSR, CSC, COO, ...), a :class:`scipy.sparse.linalg.LinearOperator` (columns
        and rows through ``matmat`` / ``rmatmat`` with columns of the identity), or an
        *entry oracle* - any object with ``shape``, ``dtype`` and
        ``entries(rows, cols)`` returning ``X[rows][:, cols]``, such as
        :class:`skeleton.KernelMatrix` or another :class:`SkeletonApprox`, of which
        only the sampled rows and columns are evaluated. Never modified.
    rank : int, optional
        Target rank: the truncation of the ``"truncated"`` core, the number of
        singular vectors used by ``"leverage"``, ``"deim"`` and ``"maxvol"``, and the
        ``r`` of the sample-count rule. In ``[1, min(n, d)]``.
    rtol, atol : float, optional
        Tolerance mode: grow the sample, reusing what has been read, until an
        a-posteriori bound on :math:`\|X - CUR\|_F` that holds with probability at
        least 99 % is at most :math:`\max(\mathrm{atol}, \mathrm{rtol}\,\|X\|_F)`
        (:mod:`skeleton.tolerance`); the estimate is returned as ``error_estimate``.
        ``n_rows`` / ``n_cols`` then cap the counts (default: all). Not with explicit
        ``rows``/``cols``.
    n_rows, n_cols : int, optional
        How many rows and columns to sample. Default: derived from ``rank`` by
        :func:`default_sample_count` (:math:`\lceil \mu r\ln\max(n,d)\rceil`).
    rows, cols : sequence of int, optional
        Explicit row / column indices (then ``sampling`` does not choose them).
    sampling : {"uniform", "leverage", "pivoted_qr", "deim", "maxvol", "rpcholesky", "aca"}
        Selection rule (see :mod:`skeleton.sampling`; the user guide's decision
        guide compares them). Only ``"uniform"`` reads no more of ``X`` than the
        sampled rows and columns; ``"leverage"``, ``"pivoted_qr"``, ``"deim"``,
        ``"maxvol"`` read all of it: an exact SVD or pivoted QR when
        ``min(n, d) <= 1500``, else one sketch with ``min(k, rank) + 10`` columns,
        formed in the pass that checks ``X`` for NaN (:mod:`skeleton.selection`;
        on an entry oracle ``"pivoted_qr"`` reads a sub-sample);
        ``"rpcholesky"`` (Hermitian positive semi-definite X) and ``"aca"`` choose
        pivots while they factor, reading about ``(k + 1)`` rows or columns per pivot
        (:mod:`skeleton.pivoting`): their number is ``n_rows`` when given, else
        ``rank``.
    core : {"truncated", "pinv", "optimal"}
        The core matrix ``U`` (:mod:`skeleton.cores`). ``"optimal"`` reads all of ``X``.
    tol : float, optional
        Explicit regularisation: relative singular-value cut-off of the core (values
        of the intersection below ``tol * sigma_max`` are dropped), in ``[0, 1)``.
        Default: the :math:`\epsilon`-level cut ``max(k_r, k_c) * eps`` of
        :func:`scipy.linalg.pinv`, which the stable evaluation makes safe; for
        float16 data at least their own rounding level (as for
        :func:`skeleton.incoherence`'s ``tol``), so that the rounding of the data is
        not inverted.
    rng : {None, int, numpy.random.Generator, numpy.random.SeedSequence}, optional
        Random state of the random selection rules, sketches and error probes.
    check_finite : bool, default True
        Check ``X`` for NaN/inf (reads all of ``X``, as SciPy does; for entry oracles
        and LinearOperators only what is read). With ``check_finite=False``, uniform
        sampling with the ``"pinv"`` or ``"truncated"`` core reads only the sampled
        rows and columns.
    mu : float or "estimate", default 1.0
        Coherence used by the sample-count rule when counts are not given;
        ``"estimate"`` computes it with ``incoherence(method="randomized")``.

    Returns
    -------
    SkeletonApprox
        ``C``, ``U``, ``R``, ``row_idx``, ``col_idx``, ``core``, ``shape``,
        ``dtype``, ``core_rank``, ``evaluation``, ``error_estimate``, with
        ``to_array()``, ``@``, ``entries(rows, cols)``, ``to_factors()`` and
        ``error(X)``. ``C`` and ``R`` are dense arrays of the input's library (NumPy
        for NumPy, dask, sparse, LinearOperator and oracle input; CuPy for CuPy).

    Raises
    ------
    ValueError
        Non-2-D, empty or non-finite ``X``; counts outside ``[1, n]`` / ``[1, d]``;
        out-of-range or duplicate indices; ``rank`` outside ``[1, min(n, d)]``; an
        unknown ``sampling`` or ``core``; the zero matrix; ``rtol``/``atol`` with
        explicit ``rows``/``cols``.
    TypeError
        Non-numeric ``X``, non-integer indices or counts, a bad ``rng``, a
        non-numeric ``rtol``/``atol``/``tol``.

    Warns
    -----
    RuntimeWarning
        When the sampled intersection is zero, or a tolerance is not reached within
        the counts allowed.

    Notes
    -----
    If :math:`\operatorname{rank} X_{I,J} = \operatorname{rank} X` then
    :math:`X_{:,J} X_{I,J}^+ X_{I,:} = X` (exact recovery). With noise,
    :math:`\hat X = X + E`, Hamm & Huang (2021, Cor. 4.3) bound the error of the
    pinv core by :math:`O(\sqrt{nd/(\ell_C \ell_R)})\|E\|` under incoherence, which
    is Proposition 1 of Wang et al. (2024) with :math:`\ell \propto \mu r\log n`.

    The approximation is applied through the QR factorisation of ``C`` (or of
    ``R^H``), :math:`C W^+ R = Q (Q_{I,:})^+ R` (Park & Nakatsukasa 2024), unless the
    plain product is provably as accurate as the data allow; which form was used is
    ``evaluation``. On the classic ill-conditioned matrices with pivoted rows and
    columns this keeps the error within a small factor of the SVD tail down to
    :math:`10\epsilon` (tests/test_cur_accuracy.py).

    References
    ----------
    J. Chiu, L. Demanet, "Sublinear randomized algorithms for skeleton
    decompositions", SIAM J. Matrix Anal. Appl. 34(3), 2013.
    K. Hamm, L. Huang, "Perturbations of CUR decompositions", SIAM J. Matrix Anal.
    Appl. 42(1), 2021.
    T. Park, Y. Nakatsukasa, "Accuracy and stability of CUR decompositions with
    oversampling", arXiv:2405.06375, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skeleton import skeleton_approx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5)) @ rng.standard_normal((5, 100))   # rank 5
    >>> cur = skeleton_approx(X, n_rows=20, n_cols=20, rng=1)
    >>> cur.C.shape, cur.U.shape, cur.R.shape
    ((200, 20), (20, 20), (20, 100))
    >>> cur.error(X) < 1e-10
    True

    To a tolerance, on the (ill-conditioned) Hilbert matrix:

    >>> import scipy.linalg
    >>> H = scipy.linalg.hilbert(300)
    >>> cur = skeleton_approx(H, rtol=1e-10, sampling="pivoted_qr", rng=2)
    >>> bool(cur.error(H) <= 1e-10), cur.error_estimate.method
    (True, 'gaussian probes')
    """
    check_choice(sampling, SAMPLINGS + PIVOTING, "sampling")
    check_choice(core, CORES, "core")
    X, dtype = check_matrix(X, "X")
    backend = backend_for(X, "X")
    X = backend.prepare(X)
    n, d = X.shape
    if rank is not None:
        rank = check_rank(rank, n, d)
    if tol is not None:
        tol = check_cutoff(tol, "tol")
    if rtol is not None:
        rtol = check_positive(rtol, "rtol")
    if atol is not None:
        atol = check_positive(atol, "atol")
    mu = check_choice(mu, ("estimate",), "mu") if isinstance(mu, str) else _check_mu(mu)
    rng = check_rng(rng)
    if sampling in PIVOTING:
        if rows is not None or cols is not None:
            raise ValueError(f"sampling={sampling!r} chooses its pivots: it cannot take explicit rows/cols")
        row_idx, col_idx, C, R, res, estimate = pivoted_approx(
            sampling, X, backend, dtype, rank=rank, n_rows=n_rows, n_cols=n_cols, rtol=rtol, atol=atol, core=core,
            tol=tol, rng=rng, check_finite=check_finite)
        if res.rank == 0:
            _report_empty_core(X, backend, check_finite and backend.scan_reads_all)
        return _result(C, R, row_idx, col_idx, res, core, (n, d), dtype, estimate)
    if rtol is not None or atol is not None:
        return _to_tolerance(X, backend, dtype, rank, rtol, atol, n_rows, n_cols, rows, cols, sampling, core, tol,
                             rng, check_finite)
    # Uniform sampling knows its indices before reading X, so the finiteness scan is
    # fused with the gather of C and R (one pass over X, Backend.scan_take); the
    # other rules read X to choose, and scan it as they do (fused with their sketch
    # where they sketch); mu="estimate" reads X before either, so X is scanned first.
    scan_first = check_finite and isinstance(mu, str)
    if scan_first and not backend.all_finite(X):
        raise ValueError(nonfinite_message("X"))
    k_r, k_c, rows, cols = _resolve_counts(n, d, n_rows, n_cols, rows, cols, rank, mu, X, backend, dtype, rng)
    scan_in_select = check_finite and not scan_first and sampling != "uniform"
    row_idx, col_idx, C = select(sampling, X, k_r, k_c, rows, cols, rank, tol, rng, backend, dtype,
                                 check_finite=scan_in_select)
    # (an entry oracle's all_finite reads nothing: its C and R are checked as read)
    scanned = scan_first or scan_in_select
    check_in_take = check_finite and (not scanned or not backend.scan_reads_all)
    norms = None
    if C is None:
        C, R, finite, norms = backend.scan_take_norms(X, row_idx, col_idx, dtype, check_in_take)
    else:  # the rule read C to choose the rows
        R = backend.take(X, row_idx, None, dtype)
        xp = backend.xp
        finite = not check_in_take or bool(xp.all(xp.isfinite(C)) and xp.all(xp.isfinite(R)))
    if not finite:
        raise ValueError(nonfinite_message("X"))
    res = compute_core(core, C, R, row_idx, col_idx, X, rank, tol, backend, norms=norms)
    if res.rank == 0:
        _report_empty_core(X, backend, check_finite and backend.scan_reads_all)
    return _result(C, R, row_idx, col_idx, res, core, (n, d), dtype)


def _result(C, R, row_idx, col_idx, res, core, shape, dtype, estimate=None):
    return SkeletonApprox(
        C=C,
        U=res.U,
        R=R,
        row_idx=np.asarray(row_idx, dtype=np.intp),
        col_idx=np.asarray(col_idx, dtype=np.intp),
        core=core,
        shape=shape,
        dtype=np.dtype(dtype),
        core_rank=int(res.rank),
        factors=res.factors,
        evaluation=res.evaluation,
        error_estimate=estimate,
    )


def _to_tolerance(X, backend, dtype, rank, rtol, atol, n_rows, n_cols, rows, cols, sampling, core, tol, rng,
                  check_finite):
    """The tolerance mode of :func:`skeleton_approx` (:mod:`skeleton.tolerance`)."""
    from .tolerance import fit_to_tolerance

    if rows is not None or cols is not None:
        raise ValueError("rtol/atol grow the sample until the tolerance is met; they cannot be combined with "
                         "explicit rows/cols (use n_rows/n_cols to cap the counts)")
    n, d = X.shape
    max_rows = n if n_rows is None else check_count(n_rows, n, "n_rows", what="rows")
    max_cols = d if n_cols is None else check_count(n_cols, d, "n_cols", what="columns")
    row_idx, col_idx, C, R, res, estimate = fit_to_tolerance(
        X, backend, dtype, rtol=rtol, atol=atol, rank=rank, sampling=sampling, core=core, tol=tol, rng=rng,
        check_finite=check_finite, max_rows=max_rows, max_cols=max_cols)
    if res.rank == 0:
        _report_empty_core(X, backend, check_finite and backend.scan_reads_all)
    return _result(C, R, row_idx, col_idx, res, core, (n, d), dtype, estimate)
