"""Verdict machinery: confidence intervals and the rules that map numbers to verdicts.

Every verdict of ``skeleton verify`` is computed here from measured numbers; no check
types a verdict in.  The rules and their thresholds:

* **Rate rule** (probabilistic claims "with probability >= 1 - delta"): with ``k``
  failures in ``N`` independent trials, the two-sided ``conf`` Clopper-Pearson interval
  ``[lo, hi]`` of the failure rate is compared with the allowed failure probability
  ``p``: ``violated`` if ``lo > p``; ``holds`` if ``hi < p``; else ``inconclusive``
  (the trial budget cannot resolve the rate against ``p``).
* **Rate-trend rule** (claims "with probability >= 1 - O(n^-p), error <= C f"): at a
  fixed, stated constant C a trial fails when error > C f.  Per size n the failure
  rate k_n/N_n gets a Clopper-Pearson interval (Bonferroni over the sizes); the decay
  is the slope b of log(rate) on log(n), fitted by maximum likelihood in the Poisson
  model k_n ~ Poisson(N_n e^a n^b) with a profile-likelihood interval at ``conf``.
  ``violated`` when the whole slope interval lies above -p (the rate decays slower
  than n^-p: flat and rising rates are the plain cases); ``holds`` when it lies below
  -p (the rate decays faster than claimed); otherwise ``inconclusive``, also when no
  trial failed (then no slope exists: the budget bounds the rate, not its decay).  The
  Poisson model over-states the variance of a binomial count, so the interval is
  conservative for rates near 1.
* **Cells rule** (a "with probability >= 1 - delta" claim tested in several cells,
  e.g. sizes x inputs): the rate rule in every cell at the Bonferroni-adjusted
  confidence 1 - (1 - conf)/cells; ``violated`` if any cell is, ``holds`` if every
  cell does, else ``inconclusive``.  The entry reports its worst cell.
* **Interval rule** (a signed effect, e.g. a relative reduction): the t-interval of
  the mean at ``conf``; ``holds`` if it lies above 0, ``violated`` if below, else
  ``inconclusive``.
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
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

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
    "rate_trend",
    "cells_verdict",
    "t_interval",
    "interval_verdict",
    "RateTrend",
    "Cells",
    "fmt_num",
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


# --------------------------------------------------------------------------- rate trend
@dataclass(frozen=True)
class RateTrend:
    """Result of :func:`rate_trend` (see the module docstring)."""

    verdict: str
    p: float                          # the claimed decay exponent (rate <= A n^-p)
    sizes: tuple                      # n, increasing
    failures: tuple                   # k_n
    trials: tuple                     # N_n
    cis: tuple                        # per-n Clopper-Pearson intervals at ci_level
    ci_level: float                   # Bonferroni-adjusted level of the per-n intervals
    slope: float | None               # maximum-likelihood b (None without failures)
    slope_ci: tuple                   # profile-likelihood interval at conf (may be infinite)
    conf: float
    reason: str

    @property
    def total_failures(self):
        return int(sum(self.failures))

    @property
    def total_trials(self):
        return int(sum(self.trials))

    def table(self):
        """Markdown table of the per-n rates."""
        rows = [f"| n | failures / trials | rate | CI ({_pct(self.ci_level)}) | allowed shape n^-{fmt_num(self.p)} |",
                "|---|---|---|---|---|"]
        n0 = self.sizes[0]
        for n, k, N, ci in zip(self.sizes, self.failures, self.trials, self.cis):
            rows.append(f"| {fmt_num(n)} | {k} / {N} | {fmt_num(k / N if N else 0.0)} | [{fmt_num(ci[0])}, {fmt_num(ci[1])}] | "
                        f"{fmt_num((n / n0) ** -self.p)} x rate at n = {fmt_num(n0)} |")
        return "\n".join(rows)


def fmt_num(x, nd=3):
    """A number as a report shows it: ``nd`` significant digits, whole numbers plain, None as '-'."""
    if x is None:
        return "-"
    if isinstance(x, (int, np.integer)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e7):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    return f"{x:.{nd}g}"


def _pct(level):
    return f"{100 * level:.4g}%"


def _profile_loglik(b, k, N, x):
    """Poisson log-likelihood of the slope b, the intercept maximised out (x = log n)."""
    w = N * np.exp(b * (x - x.mean()))
    K = k.sum()
    return float(-K * np.log(w.sum()) + b * np.sum(k * (x - x.mean())))


def rate_trend(sizes, failures, trials, *, p, conf=0.95, bound=30.0):
    """Rate-trend rule: per-n failure rates and the fitted decay exponent.

    Parameters
    ----------
    sizes, failures, trials : array_like
        One entry per size n (sizes may repeat: they are pooled).
    p : float
        The claimed decay: failure probability <= A n^-p for some A.
    conf : float
        Confidence of the slope interval; the per-n intervals are at
        1 - (1 - conf)/len(sizes) (Bonferroni).
    bound : float
        Slopes are searched in [-bound, bound]; an interval end that the profile
        likelihood does not reach inside it is reported as infinite.

    Returns
    -------
    RateTrend
    """
    sizes = np.asarray(sizes, float)
    failures = np.asarray(failures, float)
    trials = np.asarray(trials, float)
    us = np.unique(sizes)
    k = np.array([failures[sizes == u].sum() for u in us])
    N = np.array([trials[sizes == u].sum() for u in us])
    keep = N > 0
    us, k, N = us[keep], k[keep], N[keep]
    if us.size == 0:
        raise ValueError("rate_trend needs at least one size with trials")
    level = 1 - (1 - conf) / us.size
    cis = tuple(clopper_pearson(int(a), int(b), level) for a, b in zip(k, N))
    common = dict(p=float(p), sizes=tuple(float(u) for u in us), failures=tuple(int(a) for a in k),
                  trials=tuple(int(b) for b in N), cis=cis, ci_level=level, conf=conf)
    if k.sum() == 0:
        hi = max(c[1] for c in cis)
        return RateTrend(verdict=INCONCLUSIVE, slope=None, slope_ci=(-math.inf, math.inf), **common,
                         reason=(f"no failure in {int(N.sum())} trials: every per-n rate is below {fmt_num(hi)} "
                                 f"({_pct(level)} upper end), but without failures no decay exponent can be "
                                 f"fitted, so the n^-{fmt_num(p)} rate is not resolved by this budget"))
    if us.size < 2:
        return RateTrend(verdict=INCONCLUSIVE, slope=None, slope_ci=(-math.inf, math.inf), **common,
                         reason="one size only: no trend in n can be fitted")
    x = np.log(us)
    f = lambda b: -_profile_loglik(b, k, N, x)
    res = optimize.minimize_scalar(f, bounds=(-bound, bound), method="bounded",
                                   options=dict(xatol=1e-10))
    bhat = float(res.x)
    lmax = -float(res.fun)
    at_edge = abs(abs(bhat) - bound) < 1e-3
    crit = float(stats.chi2.ppf(conf, 1)) / 2
    g = lambda b: lmax - _profile_loglik(b, k, N, x) - crit

    def end(lo, hi):
        if g(lo) * g(hi) > 0:
            return None
        return float(optimize.brentq(g, lo, hi, xtol=1e-10))

    lo = end(-bound, bhat) if bhat > -bound + 1e-6 else None
    hi = end(bhat, bound) if bhat < bound - 1e-6 else None
    ci = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
    if at_edge:       # the likelihood keeps rising towards +-bound: the estimate is infinite
        bhat = math.copysign(math.inf, bhat)
    if ci[0] > -p:
        verdict = VIOLATED
        reason = (f"the failure rate decays as n^{fmt_num(bhat)} ({_pct(conf)} interval [{fmt_num(ci[0])}, {fmt_num(ci[1])}]), "
                  f"slower than the claimed n^-{fmt_num(p)}: the whole interval lies above -{fmt_num(p)}")
    elif ci[1] < -p:
        verdict = HOLDS
        reason = (f"the failure rate decays as n^{fmt_num(bhat)} ({_pct(conf)} interval [{fmt_num(ci[0])}, {fmt_num(ci[1])}]), "
                  f"faster than the claimed n^-{fmt_num(p)}")
    else:
        verdict = INCONCLUSIVE
        reason = (f"fitted decay n^{fmt_num(bhat)}, {_pct(conf)} interval [{fmt_num(ci[0])}, {fmt_num(ci[1])}] contains "
                  f"-{fmt_num(p)}: the trials cannot tell the claimed decay from a slower one")
    return RateTrend(verdict=verdict, slope=bhat, slope_ci=ci, reason=reason, **common)


# --------------------------------------------------------------------------- cells
@dataclass(frozen=True)
class Cells:
    """Result of :func:`cells_verdict`: the rate rule per cell, Bonferroni-adjusted."""

    verdict: str
    ci_level: float
    rows: tuple                        # (key, failures, trials, (lo, hi), allowed, verdict)
    worst: tuple                       # the row with the largest rate - allowed
    columns: tuple = ("cell",)         # names of the key's parts, for the table

    @property
    def failures(self):
        return self.worst[1]

    @property
    def trials(self):
        return self.worst[2]

    @property
    def ci(self):
        return list(self.worst[3])

    def table(self):
        head = " | ".join(self.columns)
        rows = [f"| {head} | failures / trials | CI ({_pct(self.ci_level)}) | allowed | cell |",
                "|" + "---|" * (len(self.columns) + 4)]
        for key, k, n, ci, allowed, v in self.rows:
            key = key if isinstance(key, tuple) else (key,)
            rows.append("| " + " | ".join(str(x) for x in key) +
                        f" | {k} / {n} | [{fmt_num(ci[0])}, {fmt_num(ci[1])}] | {fmt_num(allowed)} | {v} |")
        return "\n".join(rows)


def cells_verdict(cells, allowed, *, conf=0.95, columns=("cell",)):
    """Cells rule: the rate rule in every cell at Bonferroni confidence 1 - (1 - conf)/m.

    Parameters
    ----------
    cells : dict
        key -> (failures, trials).
    allowed : float or callable
        The allowed failure probability, or ``allowed(key)``.
    conf : float
        Family confidence.
    columns : tuple of str
        Names of the key's parts (for :meth:`Cells.table`).
    """
    if not cells:
        raise ValueError("cells_verdict needs at least one cell")
    allow = allowed if callable(allowed) else (lambda key: allowed)
    level = 1 - (1 - conf) / len(cells)
    rows = []
    for key in sorted(cells, key=str):
        k, n = cells[key]
        a = float(allow(key))
        v, ci = rate_verdict(k, n, a, level)
        rows.append((key, int(k), int(n), ci, a, v))
    worst = max(rows, key=lambda row: row[1] / max(1, row[2]) - row[4])
    return Cells(verdict=combine_verdicts([row[5] for row in rows]), ci_level=level, rows=tuple(rows),
                 worst=worst, columns=tuple(columns))


# --------------------------------------------------------------------------- signed effects
def t_interval(values, conf=0.95):
    """Two-sided t-interval of the mean of ``values`` (infinite with fewer than 2 values)."""
    v = np.asarray(values, float)
    if v.size < 2:
        return (-math.inf, math.inf)
    h = float(stats.t.ppf(1 - (1 - conf) / 2, v.size - 1)) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return (float(v.mean() - h), float(v.mean() + h))


def interval_verdict(values, conf=0.95):
    """Interval rule: (verdict, (lo, hi)) for "the mean effect is positive"."""
    lo, hi = t_interval(values, conf)
    if lo > 0:
        return HOLDS, (lo, hi)
    if hi < 0:
        return VIOLATED, (lo, hi)
    return INCONCLUSIVE, (lo, hi)
