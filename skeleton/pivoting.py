r"""``skeleton_approx`` through a pivoted factorisation: rpcholesky and ACA.

Two selection rules choose their pivots while they factor, and the factorisation they
produce is already the stable evaluation of the skeleton on those pivots:

``sampling="rpcholesky"``
    For Hermitian positive semi-definite ``X`` (an array, or an entry oracle such as
    :class:`skeleton.KernelMatrix` with ``y = x``): :func:`skeleton.rpcholesky`
    returns :math:`F` with :math:`F F^H = C W^+ C^H` on its pivots :math:`S`
    (rows = columns = :math:`S`), evaluated as ``F @ F^H``.
``sampling="aca"``
    For any matrix known by its entries: :func:`skeleton.aca` returns :math:`U V^H =
    C W^{-1} R` on its crosses, evaluated as ``U @ V^H``.

The number of pivots is ``n_rows`` or ``n_cols`` when given (both must then agree),
else ``rank``.  ``C`` and ``R`` are then read on the pivots (``R = C^H`` without a copy for
rpcholesky), and the core :math:`U = W^+` is formed from the triangular factors for
the record; ``core="optimal"`` replaces the factorisation's own core by
:math:`C^+ X R^+` on the same pivots.

Tolerance mode.  For rpcholesky the residual :math:`E = X - FF^H` is positive
semi-definite, so :math:`\|E\|_F \le \operatorname{tr} E` (since
:math:`|E_{ij}|^2 \le E_{ii}E_{jj}`), and :math:`\|X\|_F \ge \|F^H F\|_F` for any
partial factor (:math:`\|B + E\|_F^2 \ge \|B\|_F^2` for positive semi-definite
:math:`B, E`): a first factor to 1 % trace error gives that lower bound, and asking
rpcholesky for a trace error of :math:`\mathrm{rtol}\,\|F^H F\|_F / \operatorname{tr} X`
then meets the Frobenius tolerance for certain (``confidence`` 1).  ACA's own stopping rule is a
heuristic, so its result is checked with the estimators of :mod:`skeleton.tolerance`
and ACA is rerun with a ten times smaller tolerance, up to three times, while the
bound is not met.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .approximation import ErrorEstimate
from ._backends import backend_for
from ._linalg import frobenius_norm
from ._validation import check_count, nonfinite_message
from .cores import Core, compute_core

__all__ = ["PIVOTING"]

PIVOTING = ("rpcholesky", "aca")
_ACA_RETRIES = 3
_TINY = float(np.finfo(np.float64).tiny)
# relative trace error of the first factor that bounds ||X||_F from below
_COARSE = 1e-2


def _pivot_count(n_rows, n_cols, rank, sampling):
    if n_rows is not None and n_cols is not None and n_rows != n_cols:
        # one pivot is one row and one column: differing counts cannot both be met
        raise ValueError(f"sampling={sampling!r} takes as many rows as columns: n_rows={n_rows} != n_cols={n_cols}")
    k = n_rows if n_rows is not None else n_cols
    if k is None:
        if rank is None:
            raise ValueError(f"sampling={sampling!r} needs the number of pivots: give rank, n_rows or rtol")
        k = rank
    return k


def _core_from_triangles(Lc, Lr, perm_rows, perm_cols, dtype):
    """``W^+`` from ``W = Lc Lr^H`` (factors in pivot order), rows and columns sorted."""
    import scipy.linalg

    k = Lc.shape[0]
    I = np.eye(k, dtype=dtype)
    # W^{-1} = Lr^{-H} Lc^{-1}, by two triangular solves
    inv_c = scipy.linalg.solve_triangular(Lc, I, lower=True, check_finite=False)
    U = scipy.linalg.solve_triangular(Lr.conj().T, inv_c, lower=False, check_finite=False)
    # U is indexed (pivot column, pivot row); reorder to the sorted indices
    return U[np.ix_(perm_cols, perm_rows)]


def _rpcholesky_result(res, X, backend, dtype):
    pivots = res.pivots
    order = np.argsort(pivots)
    idx = pivots[order]
    C = backend.take(X, None, idx, dtype)
    R = np.conj(C).T
    L = res.L  # W = L L^H in pivot order
    U = _core_from_triangles(L, L, order, order, dtype) if res.rank else np.zeros((0, 0), dtype=dtype)
    F = res.F
    core = Core(U=U, rank=res.rank, factors=(F, None, np.conj(F).T), evaluation="cholesky")
    return idx.astype(np.intp), idx.astype(np.intp), C, R, core


def _aca_result(res, X, backend, dtype):
    rows, cols = np.asarray(res.rows), np.asarray(res.cols)
    ro, co = np.argsort(rows), np.argsort(cols)
    C = backend.take(X, None, cols[co], dtype)
    R = backend.take(X, rows[ro], None, dtype)
    k = rows.size
    if k:
        # W = X[rows, cols] = U[rows] V[cols]^H, both triangular in pivot order
        Uc = np.asarray(res.U)[rows]
        Vr = np.asarray(res.V)[cols]
        U = _core_from_triangles(Uc, Vr, ro, co, dtype)
    else:
        U = np.zeros((0, 0), dtype=dtype)
    core = Core(U=U, rank=k, factors=(res.U, None, np.conj(res.V).T), evaluation="cross")
    return rows[ro], cols[co], C, R, core


def pivoted_approx(sampling, X, backend, dtype, *, rank, n_rows, n_cols, rtol, atol, core, tol, rng,
                   check_finite):
    """``(row_idx, col_idx, C, R, Core, ErrorEstimate or None)`` for the pivoting rules."""
    from .aca import aca
    from .rpcholesky import factor_psd

    if not (isinstance(X, np.ndarray) or not backend.multiplies):
        raise ValueError(f"sampling={sampling!r} reads X through its entries: pass a NumPy array or an entry "
                         f"oracle (got {type(X).__module__}.{type(X).__name__})")
    n, d = X.shape
    if n_rows is not None:
        n_rows = check_count(n_rows, n, "n_rows", what="rows")
    if n_cols is not None:
        n_cols = check_count(n_cols, d, "n_cols", what="columns")
    if rtol is not None or atol is not None:
        return _to_tolerance(sampling, X, backend, dtype, rank=rank, n_rows=n_rows, n_cols=n_cols, rtol=rtol,
                             atol=atol, core=core, tol=tol, rng=rng, check_finite=check_finite)
    k = _pivot_count(n_rows, n_cols, rank, sampling)
    if check_finite and backend.scan_reads_all and not backend.all_finite(X):
        # as for the other rules, the check reads all of an array (the factorisations
        # themselves check only what they read, which is all an oracle allows)
        raise ValueError(nonfinite_message("X"))
    if sampling == "rpcholesky":
        res = factor_psd(X, "X", k, None, "accelerated", None, rng, check_finite)
        out = _rpcholesky_result(res, X, backend, dtype)
    else:
        out = _aca_result(aca(X, k, rng=rng, check_finite=check_finite), X, backend, dtype)
    return (*_with_core(out, core, X, rank, tol, backend), None)


def _with_core(out, core, X, rank, tol, backend):
    rows, cols, C, R, res = out
    if core == "optimal":
        res = compute_core("optimal", C, R, rows, cols, X, rank, tol, backend)
    return rows, cols, C, R, res


def _to_tolerance(sampling, X, backend, dtype, *, rank, n_rows, n_cols, rtol, atol, core, tol, rng, check_finite):
    from .aca import aca
    from .rpcholesky import factor_psd
    from .tolerance import CONFIDENCE, N_PROBES, _HeldOutEstimator, _norm_and_scan, _ProbeEstimator

    n, d = X.shape
    cap = min(x for x in (n_rows, n_cols, rank, min(n, d)) if x is not None)
    fro = _norm_and_scan(X, backend, check_finite)
    if backend.multiplies:
        estimator = _ProbeEstimator(X, backend, dtype, rng, fro)
    else:
        estimator = _HeldOutEstimator(X, backend, dtype, rng, check_finite)
    delta = (1.0 - CONFIDENCE) / (1 + _ACA_RETRIES)
    # a lower confidence limit on ||X||_F (exact when X was scanned)
    _, _, norm_low = estimator.estimate((np.zeros((n, 1), dtype), None, np.zeros((1, d), dtype)), delta)
    target = max(atol or 0.0, (rtol or 0.0) * norm_low)
    if sampling == "rpcholesky":
        from ._entry_source import EntrySource
        from .rpcholesky import _initial_diagonal

        trace = float(np.sum(_initial_diagonal(EntrySource(X, "X"), check_finite), dtype=np.float64))
        # ||X||_F >= ||F^H F||_F for any partial Cholesky factor (X - F F^H is PSD), so
        # a first, coarse factor gives a certain lower bound on ||X||_F (its norm taken
        # free of under- and overflow: at 1e-200 the plain sum of squares is 0)
        coarse = factor_psd(X, "X", cap, _COARSE, "accelerated", None, rng, check_finite)
        FhF = coarse.F.conj().T @ coarse.F
        norm_sure = frobenius_norm(FhF, backend_for(FhF)) if coarse.rank else 0.0
        target = max(atol or 0.0, (rtol or 0.0) * max(norm_sure, norm_low if estimator.exact else 0.0))
        # (floored at the smallest normal number: rpcholesky's rtol must be positive)
        rt = min(0.5, max(target / trace, _TINY)) if trace > 0 else 0.5
        res = factor_psd(X, "X", cap, rt, "accelerated", None, rng, check_finite)
        out = _with_core(_rpcholesky_result(res, X, backend, dtype), core, X, rank, tol, backend)
        est, _, _ = estimator.estimate(out[4].factors, delta)
        bound = res.trace_error * trace  # ||E||_F <= tr E for the PSD residual
        norm_low = max(norm_sure, norm_low if estimator.exact else 0.0)
        method = f"trace of the residual (bound), {estimator.method} (estimate)"
    else:
        rt = min(0.5, max(target / max(estimator.norm, _TINY), 1e-15) / 2)
        for _ in range(_ACA_RETRIES + 1):
            res = aca(X, cap, rtol=rt, rng=rng, check_finite=check_finite)
            out = _with_core(_aca_result(res, X, backend, dtype), core, X, rank, tol, backend)
            est, bound, _ = estimator.estimate(out[4].factors, delta)
            if bound <= target or res.rank >= cap or rt <= 1e-15:
                break
            rt = max(rt / 10, 1e-15)
        method = estimator.method
    if bound > target:
        warnings.warn(f"rtol/atol not reached by sampling={sampling!r} with {out[4].rank} pivots; estimated "
                      f"error {est:.3g}", RuntimeWarning, stacklevel=4)
    norm = estimator.norm
    estimate = ErrorEstimate(
        estimate=est / norm if norm > 0 else 0.0,
        bound=bound / norm_low if norm_low > 0 else math.inf,
        absolute=est, absolute_bound=bound, method=method,
        # the trace bound and the lower bound on ||X||_F are certain
        confidence=1.0 if sampling == "rpcholesky" else estimator.confidence,
        samples=N_PROBES if estimator.method == "gaussian probes" else int(estimator.block.size),
        norm=norm, norm_exact=estimator.exact)
    return (*out, estimate)
