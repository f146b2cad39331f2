r"""Skeleton approximation to a tolerance: grow the sample until an estimate says so.

``skeleton_approx(X, rtol=..., atol=...)`` does not know in advance how many rows and
columns the tolerance needs.  It starts small, builds the approximation, estimates
its error :math:`\|X - \hat X\|_F` a posteriori, and grows the sample (reusing every
row and column already read) until an upper bound on the error, holding with
probability at least 99 %, is below :math:`\max(\mathrm{atol}, \mathrm{rtol}\,\|X\|_F)`
- the convention of SciPy's ``interp_decomp(A, eps)`` and LowRankApprox.jl's
``rtol``/``atol``, in the Frobenius norm.

Two estimators, by what the input allows:

*Gaussian probes* (arrays, sparse matrices, LinearOperators).  With a Gaussian
:math:`G \in \mathbb{R}^{d \times p}` drawn once and :math:`Y = X G` formed once (one
pass over X), :math:`\|(X - \hat X) G\|_F^2 / p = \|Y - \hat X G\|_F^2 / p` is an
unbiased estimate of :math:`\|X - \hat X\|_F^2` that costs no further pass: only
:math:`\hat X G` from the small factors. Its worst case is a rank-one residual, for
which it is :math:`\|X - \hat X\|_F^2\,\chi^2_p / p`; so dividing by the
:math:`\delta`-quantile of :math:`\chi^2_p/p` gives a bound that fails with
probability at most :math:`\delta` whatever the residual (the lower tail of a
Gaussian quadratic form is largest when its weight is on one term: Gratton &
Titley-Peloquin 2018; Halko, Martinsson & Tropp 2011, Sec. 4.3, for the idea).  The
index sets never depend on :math:`G`, so each test is exact; the confidence is split
evenly over the largest number of tests the growth can make (a union bound), so the
returned approximation meets its bound with probability at least 99 %.  ``||X||_F``
is read with the finiteness scan where X can be scanned, and estimated from
:math:`\|Y\|_F` (with its own quantile) for a LinearOperator.

*Held-out entries* (entry oracles, which cannot be multiplied).  A uniformly random
block :math:`X_{S,T}` of up to 256 x 256 entries, read once, gives
:math:`\frac{nd}{|S||T|}\|(X - \hat X)_{S,T}\|_F^2`, unbiased for
:math:`\|X - \hat X\|_F^2`, and the same for :math:`\|X\|_F^2`. The bound is the
larger of the normal-approximation upper confidence limits of the mean over the
block's rows and over its columns (each an i.i.d. sample given the other).  Unlike the
probe bound this is not a guarantee (``ErrorEstimate.confidence`` is NaN): it
assumes the residual is spread over many rows and columns, as it is after pivoted
selection on a smooth kernel, and is fooled by a residual concentrated in a few rows
- uniform samples of a kernel matrix leave exactly that, the points far from every
sampled one (measured in ``docs/benchmarks/tolerance.md``: most trials miss the
tolerance there). For positive semi-definite oracles ``sampling="rpcholesky"``
carries a certified bound instead (:mod:`skeleton.pivoting`).

Growth.  The sample starts at 16 rows and columns (``rank + 10`` when ``rank`` is
given) and grows by a factor between 1.25 and 2, chosen by extrapolating the decay of
the last two estimates to the target; the last step is then bisected (to within a
32nd with probes, a 16th with held-out entries).  The longer side gets 1.25 times the
shorter side's samples (:data:`OVERSAMPLE`): the rank of the approximation is the
shorter count, and row oversampling is what makes the C/R-only cores accurate (Park &
Nakatsukasa 2024).  The bound costs samples: with 64 probes, over the ~25 tests the
union bound covers for a few hundred columns, it is 1.40 times the estimate (32 probes
would give 1.65), so the count stops where the true error is about ``rtol / 1.4``.
Counts are capped by ``n_rows`` / ``n_cols``
(default: all); a tolerance that the cap, or a ``rank`` truncation, does not allow
ends with a RuntimeWarning and the best approximation found, with its estimate.

References
----------
T. Park, Y. Nakatsukasa, "Accuracy and stability of CUR decompositions with
oversampling", arXiv 2405.06375, 2024.
S. Gratton, D. Titley-Peloquin, "Improved bounds for small-sample estimation", SIAM J.
Matrix Anal. Appl. 39(2), 2018.
N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with randomness", SIAM
Rev. 53(2), 2011.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._backends import backend_for
from ._blas import single_threaded_blas
from .approximation import ErrorEstimate
from .cores import compute_core
from ._linalg import _SAFE_SUM, frobenius_norm
from ._validation import nonfinite_message
from .selection import GrowingSelection

__all__ = ["CONFIDENCE", "N_PROBES"]

CONFIDENCE = 0.99
# 64 probes: the 99 % bound is then within 1.40x of the estimate over the ~25 tests of
# the union bound (32 would give 1.65x), which is what a tolerance costs in extra samples
N_PROBES = 64
# the longer side's samples per sample of the shorter side (row oversampling)
OVERSAMPLE = 1.25
HELD_OUT_BLOCK = 256
_GROWTH = (1.25, 2.0)
_START = 16
# growth stops when three estimates in a row improved by less than this factor
_STALL = 0.9


def _chi2_quantile(p, q):
    """The q-quantile of chi-square with p degrees of freedom (no scipy.stats import)."""
    from scipy.special import gammaincinv

    return 2.0 * float(gammaincinv(p / 2.0, q))


def _apply(factors, G):
    """``A @ B @ M @ G`` right to left."""
    A, B, M = factors
    out = M @ G
    if B is not None:
        out = B @ out
    return A @ out


class _ProbeEstimator:
    method = "gaussian probes"
    confidence = CONFIDENCE
    # the bisection of the last growth step stops within 1/resolution of the count
    resolution = 32

    def __init__(self, X, backend, dtype, rng, fro):
        d = X.shape[1]
        self.G = backend.standard_normal(rng, (d, N_PROBES), dtype)
        self.Y = backend.matmat(backend.astype(X, dtype), self.G)
        self.backend = backend_for(self.Y)  # the probes' own backend does the rest
        if fro is not None:
            self.norm, self.norm_low, self.exact = fro, fro, True
        else:
            self.norm = frobenius_norm(self.Y, self.backend) / math.sqrt(N_PROBES)
            self.exact = False
            self.norm_low = None  # set per test, at that test's confidence

    def estimate(self, factors, delta):
        diff = self.Y - _apply(factors, self.G)
        est = frobenius_norm(diff, self.backend) / math.sqrt(N_PROBES)
        bound = est / math.sqrt(_chi2_quantile(N_PROBES, delta) / N_PROBES)
        norm_low = self.norm_low
        if norm_low is None:  # ||X G||^2 / p overestimates ||X||_F^2 with probability <= delta
            norm_low = self.norm / math.sqrt(_chi2_quantile(N_PROBES, 1.0 - delta) / N_PROBES)
        return est, bound, norm_low


class _HeldOutEstimator:
    method = "held-out entries"
    # a normal approximation, not a guarantee (module docstring): no confidence is claimed
    confidence = float("nan")
    # a coarser bisection than the probes': the slack it leaves covers some of this
    # bound's misses (a 32nd let one more of the 8 kernel runs of bench_tolerance miss)
    resolution = 16

    def __init__(self, X, backend, dtype, rng, check):
        n, d = X.shape
        self.rows = np.sort(rng.choice(n, min(n, HELD_OUT_BLOCK), replace=False))
        self.cols = np.sort(rng.choice(d, min(d, HELD_OUT_BLOCK), replace=False))
        self.block = backend.take(X, self.rows, self.cols, dtype)
        if check and not np.isfinite(self.block).all():
            raise ValueError(nonfinite_message("X", "found in the entries read to estimate the error"))
        self.scale = n * d / self.block.size
        self.exact = self.block.size == n * d
        self.norm = math.sqrt(self.scale) * frobenius_norm(self.block, backend_for(self.block))

    def _upper(self, sq, z, sign=1.0):
        """``scale * sum(sq)`` with the upper (sign=1) or lower (-1) confidence limit of
        the row mean and of the column mean, the wider of the two."""
        total = float(np.sum(sq))
        if self.exact:
            return self.scale * total
        out = []
        for axis in (1, 0):
            parts = np.sum(sq, axis=axis)
            m = parts.size
            spread = z * float(np.std(parts, ddof=1)) * math.sqrt(m) if m > 1 else total
            out.append(total + sign * spread)
        return self.scale * (max(out) if sign > 0 else max(0.0, min(out)))

    def estimate(self, factors, delta):
        from scipy.special import ndtri

        A, B, M = factors
        Ar, Mc = A[self.rows], M[:, self.cols]
        approx = Ar @ Mc if B is None else (Ar @ B) @ Mc
        diff = np.asarray(self.block - approx)
        # scaled so that squares neither overflow nor underflow
        s = max(float(np.max(np.abs(diff))), float(np.max(np.abs(self.block))), np.finfo(float).tiny)
        sq = np.abs(diff / s) ** 2
        xs = np.abs(self.block / s) ** 2
        z = float(ndtri(1.0 - delta))
        est = s * math.sqrt(self.scale * float(np.sum(sq)))
        bound = s * math.sqrt(self._upper(sq, z))
        norm_low = s * math.sqrt(self._upper(xs, z, sign=-1.0))
        return est, bound, norm_low


class _SampleCache:
    """Rows and columns of X read so far; ``columns(J)`` / ``rows(I)`` read only new ones."""

    def __init__(self, X, backend, dtype, check):
        self.X, self.backend, self.dtype, self.check = X, backend, dtype, check
        self._pos = ({}, {})  # column -> position, row -> position
        self._data = [None, None]

    def _get(self, idx, axis):
        b, xp = self.backend, self.backend.xp
        pos = self._pos[axis]
        new = [int(i) for i in idx if int(i) not in pos]
        if new:
            block = b.take(self.X, None, new, self.dtype) if axis == 0 else b.take(self.X, new, None, self.dtype)
            if self.check and not bool(xp.all(xp.isfinite(block))):
                raise ValueError(nonfinite_message("X", "found in the rows and columns read"))
            old = self._data[axis]
            base = 0 if old is None else old.shape[1 - axis]
            for t, i in enumerate(new):
                pos[i] = base + t
            self._data[axis] = block if old is None else xp.concat([old, block], axis=1 - axis)
        where = b.asarray(np.fromiter((pos[int(i)] for i in idx), dtype=np.intp, count=len(idx)))
        return xp.take(self._data[axis], where, axis=1 - axis)

    def columns(self, J):
        return self._get(J, 0)

    def rows(self, I):
        return self._get(I, 1)


def _next_count(history, k, target):
    """The next sample count: extrapolate log(error) linearly in k to ``target``."""
    lo, hi = math.ceil(_GROWTH[0] * k), 2 * k
    if len(history) >= 2:
        (k1, e1), (k2, e2) = history[-2], history[-1]
        if 0 < e2 < e1 and k2 > k1 and target > 0:
            rate = math.log(e1 / e2) / (k2 - k1)
            need = k2 + 1.1 * math.log(e2 / target) / rate + 1
            return int(min(hi, max(lo, math.ceil(need))))
    return int(min(hi, max(lo, math.ceil(1.5 * k))))


def _norm_and_scan(X, backend, check_finite):
    """``||X||_F`` where X can be scanned (with the finiteness check), else None.

    The sum of squares of the scan is exact in its safe range; outside it (entries
    beyond about 1e+-100, whose squares under- or overflow: at 1e-200 it is 0 and no
    relative tolerance could be met) the norm is read again from ``X / max|X|``, a
    pass that only such matrices pay (:func:`skeleton._linalg.frobenius_norm`).
    """
    if not backend.scan_reads_all:
        return None
    if check_finite:
        finite, fro2 = backend.finite_sum_squares(X)
        if not finite:
            raise ValueError(nonfinite_message("X"))
    else:
        fro2 = backend.sum_squares(X)
    if fro2 is None:
        return None
    if _SAFE_SUM[0] <= fro2 <= _SAFE_SUM[1]:
        return math.sqrt(fro2)
    fro = frobenius_norm(X, backend)
    return fro if math.isfinite(fro) else None  # NaN (check_finite=False): estimate instead


def fit_to_tolerance(X, backend, dtype, *, rtol, atol, rank, sampling, core, tol, rng, check_finite,
                     max_rows, max_cols):
    """Grow the sample until the error bound meets the tolerance (module docstring).

    ``k`` counts the shorter side's samples (the rank the approximation can have); the
    longer side gets ``ceil(OVERSAMPLE * k)``, both capped by ``max_rows``/``max_cols``.
    Returns ``(row_idx, col_idx, C, R, Core, ErrorEstimate)``.
    """
    n, d = X.shape
    fro = _norm_and_scan(X, backend, check_finite)
    selection = GrowingSelection(sampling, X, rank, tol, rng, backend, dtype)
    if backend.multiplies:
        estimator = _ProbeEstimator(X, backend, dtype, rng, fro)
    else:
        estimator = _HeldOutEstimator(X, backend, dtype, rng, check_finite)
    cache = _SampleCache(X, backend, dtype, check_finite and not backend.scan_reads_all)
    long_cap, short_cap = (max_rows, max_cols) if n >= d else (max_cols, max_rows)

    def counts(k):
        long_, short = min(long_cap, math.ceil(OVERSAMPLE * k)), min(short_cap, k)
        return (long_, short) if n >= d else (short, long_)

    kmax = max(short_cap, math.ceil(long_cap / OVERSAMPLE))
    tests = []

    def test(k):
        k_r, k_c = counts(k)
        with single_threaded_blas(flops=2.0 * max(n, d) * max(k_r, k_c) ** 2):
            return _test(k_r, k_c)

    def _test(k_r, k_c):
        rows, cols = selection.indices(k_r, k_c, cache.columns)
        C, R = cache.columns(cols), cache.rows(rows)
        res = compute_core(core, C, R, rows, cols, X, rank, tol, backend)
        est, bound, norm_low = estimator.estimate(res.factors, delta)
        target = max(atol or 0.0, (rtol or 0.0) * norm_low)
        tests.append((k_r, k_c))
        return bound <= target, (rows, cols, C, R, res, est, bound, norm_low, target)

    k = min(kmax, _START if rank is None else max(_START, rank + 10))
    # the most tests there can be: the growth by >= 1.25, then a bisection of its last step
    steps = 1 + math.ceil(math.log(max(kmax / k, 1.0)) / math.log(_GROWTH[0])) + math.ceil(math.log2(kmax + 1))
    delta = (1.0 - CONFIDENCE) / steps
    history, failed = [], None
    while True:
        met, best = test(k)
        est, bound, target = best[5], best[6], best[8]
        history.append((k, est))
        if met:
            break
        failed = k
        if k >= kmax:
            _warn_unmet(rtol, atol, f"the sample reached n_rows={max_rows}, n_cols={max_cols}", est, estimator.norm)
            break
        if len(history) >= 4 and all(history[-j][1] > _STALL * history[-j - 1][1] for j in (1, 2, 3)):
            why = f"the error stopped decreasing (rank={rank} truncation?)" if rank else "the error stopped decreasing"
            _warn_unmet(rtol, atol, why, est, estimator.norm)
            break
        k = min(kmax, _next_count(history, k, target / bound * est if bound > 0 else 0.0))
    if met and failed is not None:
        # the growth overshoots by up to 2x: bisect between the last failure and k,
        # to within 1/resolution (every count tested is within the union bound above)
        lo, hi = failed, k
        while hi - lo > max(1, hi // estimator.resolution):
            mid = (lo + hi) // 2
            ok, record = test(mid)
            if ok:
                hi, best = mid, record
            else:
                lo = mid
    rows, cols, C, R, res, est, bound, norm_low, _ = best
    norm = estimator.norm
    estimate = ErrorEstimate(
        estimate=est / norm if norm > 0 else 0.0,
        bound=bound / norm_low if norm_low > 0 else float("inf"),
        absolute=est,
        absolute_bound=bound,
        confidence=estimator.confidence,
        method=estimator.method,
        samples=N_PROBES if estimator.method == "gaussian probes" else int(estimator.block.size),
        norm=norm,
        norm_exact=estimator.exact,
    )
    return rows, cols, C, R, res, estimate


def _warn_unmet(rtol, atol, why, est, norm):
    asked = " and ".join(f"{name}={v:g}" for name, v in (("rtol", rtol), ("atol", atol)) if v is not None)
    warnings.warn(
        f"{asked} not reached: {why}; returning the approximation with estimated error "
        f"{est:.3g} ({est / norm if norm else 0.0:.3g} relative)",
        RuntimeWarning,
        stacklevel=4,
    )
