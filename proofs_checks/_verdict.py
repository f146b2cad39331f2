"""Verdict machinery: confidence intervals and the rules that map numbers to verdicts.

Every verdict of ``skeleton verify`` is computed here from measured numbers; no check
types a verdict in.  The rules and their thresholds:

* **Rate rule** (probabilistic claims "with probability >= 1 - delta"): with ``k``
  failures in ``N`` independent trials, the two-sided ``conf`` Clopper-Pearson interval
  ``[lo, hi]`` of the failure rate is compared with the allowed failure probability
  ``p``: ``violated`` if ``lo > p``; ``holds`` if ``hi < p``; else ``inconclusive``
  (the trial budget cannot resolve the rate against ``p``).
* **Deterministic rule** (identities, exact counts, closed forms): ``violated`` if any
  case fails the stated tolerance, ``holds`` if none does.
* **Constant rule** (claims with ``O(.)``): the ratio measured / claimed rate is
  computed per trial; per size the ``quantile`` (default: the max) of the ratios is
  taken; ``log(ratio_q)`` is regressed on ``log(size)``.  The claim's constant is
  *not bounded* when the slope's ``conf`` t-interval excludes 0 on the positive side
  AND the per-size ratio grows by more than ``growth_factor`` (default 2) from the
  smallest to the largest size: verdict ``violated``.  A significant positive slope
  with growth below the factor is ``inconclusive`` (a slow trend, e.g. a log factor,
  that the tested range cannot separate from a constant).  A trend is *negligible*, and
  treated as no trend, when the whole slope interval lies below ``min_slope`` (default
  0.05): such a power law needs sizes 2^(1/0.05) = 10^6 times the tested ones to double
  the ratio, while a log factor has local slope 1/ln(size) > 0.05 for every size below
  e^20 (about 5e8), so log growth is never discounted by it; without this, a ratio that
  converges from below (e.g. 1 - 1/(2n)) would be called a trend at any sample size.  Without a significant
  slope, a per-size ratio that still varies by more than ``growth_factor`` (max over
  sizes / smallest size's value, e.g. heavy-tailed maxima) is ``inconclusive`` too: a
  constant is only called when the ratio stays within the factor.  Otherwise
  ``holds_with_constant`` with constant = max over sizes of ``ratio_q``, and its
  spread (min/max over sizes) reported.
* **Agreement rule** (a claimed value vs a measured value): ``holds`` if
  ``|measured / claimed - 1| <= rtol``, else ``violated``.
* **Sampling-agreement rule** (a claimed mean/variance vs a Monte Carlo estimate with
  standard error ``se``): with ``m`` such comparisons in one entry, each is a failure
  when ``|measured - claimed| > z_crit * se`` with ``z_crit = Phi^{-1}(1 - 0.0005/m)``
  (Bonferroni: a true claim is called ``violated`` with probability <= 0.1%; a
  factor-2 error still gives |z| in the hundreds at the check's sample sizes);
  ``violated`` if any comparison fails, else ``holds``.
* **Comparison rule** (a claim "A is larger than B" on two failure rates): Wilson
  95% intervals; ``holds`` if A's lower end exceeds B's upper end, ``violated`` if
  B's lower end exceeds A's upper end, else ``inconclusive``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = [
    "clopper_pearson",
    "wilson",
    "rate_verdict",
    "deterministic_verdict",
    "fit_constant",
    "agreement_verdict",
    "z_crit",
    "sampling_verdict",
    "comparison_verdict",
    "combine_verdicts",
    "HOLDS",
    "HOLDS_C",
    "VIOLATED",
    "INCONCLUSIVE",
]

HOLDS = "holds"
HOLDS_C = "holds_with_constant"
VIOLATED = "violated"
INCONCLUSIVE = "inconclusive"
VERDICTS = (HOLDS, HOLDS_C, VIOLATED, INCONCLUSIVE)


def clopper_pearson(k, n, conf=0.95):
    """Exact two-sided Clopper-Pearson interval for a binomial proportion k/n."""
    k, n = int(k), int(n)
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    a = 1.0 - conf
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return (lo, hi)


def wilson(k, n, conf=0.95):
    """Wilson score interval for a binomial proportion k/n."""
    k, n = int(k), int(n)
    if n <= 0:
        return (0.0, 1.0)
    z = float(stats.norm.ppf(1 - (1 - conf) / 2))
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate_verdict(k, n, allowed, conf=0.95):
    """Rate rule: returns (verdict, (lo, hi)). See the module docstring."""
    lo, hi = clopper_pearson(k, n, conf)
    if lo > allowed:
        return VIOLATED, (lo, hi)
    if hi < allowed:
        return HOLDS, (lo, hi)
    return INCONCLUSIVE, (lo, hi)


def deterministic_verdict(failures):
    """Deterministic rule: any failure violates."""
    return VIOLATED if int(failures) > 0 else HOLDS


def agreement_verdict(measured, claimed, rtol=0.1):
    """Agreement rule: ``|measured/claimed - 1| <= rtol`` holds, else violated."""
    if claimed == 0 or not np.isfinite(measured):
        return VIOLATED
    return HOLDS if abs(measured / claimed - 1.0) <= rtol else VIOLATED


def fit_constant(sizes, ratios, *, quantile=1.0, growth_factor=2.0, conf=0.95, min_slope=0.05):
    """Constant rule on ratios measured/claimed grouped by size.

    Parameters
    ----------
    sizes, ratios : array_like
        One entry per trial (a size may repeat).
    quantile : float
        Per-size statistic of the ratios (1.0 = max).
    growth_factor : float
        Growth across the tested sizes above which a significant trend is a violation.
    conf : float
        Confidence of the slope's t-interval.
    min_slope : float
        Slopes whose whole interval lies below it are negligible (module docstring).

    Returns
    -------
    dict with ``verdict``, ``constant``, ``per_size`` {size: ratio_q}, ``slope``,
    ``slope_ci``, ``growth`` (last/first per-size ratio) and ``reason``.
    """
    sizes = np.asarray(sizes, dtype=float)
    ratios = np.asarray(ratios, dtype=float)
    if sizes.shape != ratios.shape or sizes.size == 0:
        raise ValueError("sizes and ratios must be non-empty and of equal length")
    if not np.all(np.isfinite(ratios)):
        return dict(verdict=VIOLATED, constant=None, per_size={}, slope=None,
                    slope_ci=None, growth=float("inf"),
                    reason="non-finite ratio measured/claimed (the error is unbounded)")
    us = np.unique(sizes)
    q = np.array([np.quantile(ratios[sizes == u], quantile) for u in us])
    per_size = {float(u): float(v) for u, v in zip(us, q)}
    floor = np.finfo(float).tiny
    if np.all(q <= 0):
        return dict(verdict=HOLDS_C, constant=0.0, per_size=per_size, slope=0.0,
                    slope_ci=[0.0, 0.0], growth=1.0, reason="all ratios are zero")
    growth = float(q[-1] / max(q[0], floor))
    slope, ci = None, None
    if us.size >= 3:
        x, y = np.log(us), np.log(np.maximum(q, floor))
        res = stats.linregress(x, y)
        tq = float(stats.t.ppf(1 - (1 - conf) / 2, us.size - 2))
        slope = float(res.slope)
        se = float(res.stderr)
        ci = [slope - tq * se, slope + tq * se]
        significant = ci[0] > 0 and ci[1] >= min_slope
    elif us.size == 2:
        slope = float(np.log(max(q[1], floor) / max(q[0], floor)) / np.log(us[1] / us[0]))
        significant = slope >= min_slope
    else:
        significant = False
    c = float(q.max())
    if significant and growth > growth_factor:
        verdict, reason = VIOLATED, (
            f"ratio grows with size (slope {slope:.3g}, CI {ci}), by x{growth:.3g} > "
            f"x{growth_factor} across sizes: no constant bounds it")
    elif significant:
        verdict, reason = INCONCLUSIVE, (
            f"significant upward trend (slope {slope:.3g}) but growth x{growth:.3g} <= "
            f"x{growth_factor}: a slow (e.g. logarithmic) growth cannot be told from a "
            f"constant on the tested sizes")
    elif q.max() / max(q[0], floor) > growth_factor:
        verdict, reason = INCONCLUSIVE, (
            f"no significant trend (slope {slope if slope is None else round(slope, 4)}, CI {ci}) but the "
            f"per-size ratio varies by x{q.max() / max(q[0], floor):.3g} > x{growth_factor} across sizes: "
            f"the tested sizes cannot tell a constant from growth")
    else:
        verdict, reason = HOLDS_C, (
            f"no significant growth (slope {slope if slope is None else round(slope, 4)}, "
            f"growth x{growth:.3g}); constant = max over sizes = {c:.4g}, spread "
            f"[{q.min():.4g}, {q.max():.4g}]")
    return dict(verdict=verdict, constant=c, per_size=per_size, slope=slope,
                slope_ci=ci, growth=growth, reason=reason)


def z_crit(m, conf=0.95):
    """Bonferroni two-sided critical value for ``m`` comparisons at family level ``conf``."""
    return float(stats.norm.ppf(1 - (1 - conf) / 2 / max(1, int(m))))


def sampling_verdict(measured, claimed, se, conf=0.999):
    """Sampling-agreement rule. Returns (verdict, failures, z_crit, |z| per comparison)."""
    measured = np.atleast_1d(np.asarray(measured, float))
    claimed = np.broadcast_to(np.asarray(claimed, float), measured.shape)
    se = np.broadcast_to(np.asarray(se, float), measured.shape)
    zc = z_crit(measured.size, conf)
    z = np.abs(measured - claimed) / np.maximum(se, np.finfo(float).tiny)
    k = int(np.sum(~(z <= zc)))
    return (VIOLATED if k else HOLDS), k, zc, z


def combine_verdicts(verdicts):
    """One verdict for an entry made of cells tested separately (e.g. Bonferroni cells of
    the rate rule): ``violated`` if any cell is, ``holds`` if every cell does, else
    ``inconclusive``."""
    verdicts = list(verdicts)
    if VIOLATED in verdicts:
        return VIOLATED
    if verdicts and all(v == HOLDS for v in verdicts):
        return HOLDS
    return INCONCLUSIVE


def comparison_verdict(k_a, n_a, k_b, n_b, conf=0.95):
    """Comparison rule for "rate A > rate B". Returns (verdict, wilson A, wilson B)."""
    wa, wb = wilson(k_a, n_a, conf), wilson(k_b, n_b, conf)
    if wa[0] > wb[1]:
        return HOLDS, wa, wb
    if wb[0] > wa[1]:
        return VIOLATED, wa, wb
    return INCONCLUSIVE, wa, wb
