r"""Complexity of the S3 block is linear in n.

Claim (CLAIMS.md, "Other stated facts"): the whole S3 block (smoother + skeleton
attention) has complexity linear in n; skeleton attention costs O(n s1 d + n s2 d)
instead of O(n^2 d).

How it is tested (all numbers here are wall-clock timings: ``Entry.timing`` is set,
and they vary from run to run; the verdicts use the best of several repeats, medians and a growth factor so that
noise does not flip them):

* ``attention_cost.linear`` — ``skeleton.attention.s3_block`` (smoother with a Kaiming
  kernel, r = 8; skeleton attention s1 = s2 = 8, 2 heads of 32: the paper's LRA
  setting, d = 64) timed for n = 1024 .. 65536, one thread (threadpoolctl,
  ``workers=1``), best of 3 after a warm-up, one (n, repeat) per trial.  Constant
  rule on time/n (per-n median): ``holds_with_constant`` when time/n does not grow
  (by more than the rule's factor 2 with a significant slope).  The fitted exponent of
  time ~ n^alpha (least squares on log-log, with its 95% interval and the spread of the
  slopes between consecutive sizes) is reported.  The smoother's FFTs are O(n log n);
  over 1024..65536 log n grows by 1.6x, which the rule's growth factor 2 tolerates:
  "linear" is tested up to that log factor, as the paper's own O(n d log n) smoother
  implies.
* ``attention_cost.dense_quadratic`` (control) — dense softmax attention at the same d
  (n up to 4096): time/n^2 bounded (constant rule).  It shows the timing set-up can
  see quadratic growth: its time/n grows roughly linearly in n.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from skeleton.attention import s3_block, softmax_attention
from skeleton.smoothing import kaiming_kernel

from ._common import best_time
from ._entry import Entry
from ._figures import CLAIM_STYLE, colour, finish, size_axis, subplots
from ._framework import Check
from ._verdict import fit_constant

ID = "attention_cost"


def trial(ss, i, p):
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(ss)
    n = p["ns"][i % len(p["ns"])]
    d, heads = p["d"], p["heads"]
    X = rng.standard_normal((n, d))
    W = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3)]
    L = kaiming_kernel(n, d, rng=rng)
    rows = rng.permutation(n)[:p["s1"]]                 # P1, P2 drawn once as torch.randperm
    cols = rng.permutation(d // heads)[:p["s2"]]
    out = dict(n=n)
    with threadpool_limits(1):
        out["t_s3"] = best_time(lambda: s3_block(X, *W, L, r=p["r"], s1=p["s1"], s2=p["s2"], heads=heads,
                                                    row_idx=rows, col_idx=cols, workers=1), repeats=3)
        if n <= p["dense_max"]:
            Q = X @ W[0]
            out["t_dense"] = best_time(lambda: softmax_attention(Q, X @ W[1], X @ W[2]), repeats=3)
    return out


def exponent(ns, ts):
    """Least-squares exponent of t ~ n^alpha, its 95% interval, and consecutive-size slopes."""
    x, y = np.log(np.asarray(ns, float)), np.log(np.asarray(ts, float))
    res = stats.linregress(x, y)
    q = stats.t.ppf(0.975, max(1, x.size - 2))
    u = np.unique(ns)
    med = np.array([np.median(np.asarray(ts)[np.asarray(ns) == v]) for v in u])
    pair = np.diff(np.log(med)) / np.diff(np.log(u)) if u.size > 1 else np.array([np.nan])
    return float(res.slope), [float(res.slope - q * res.stderr), float(res.slope + q * res.stderr)], pair


def summarise(results, p, ctx):
    ns = [r["n"] for r in results]
    ts = [r["t_s3"] for r in results]
    f = fit_constant(ns, [t / n for t, n in zip(ts, ns)], quantile=0.5)
    a, ci, pair = exponent(ns, ts)
    out = [Entry.of_constant(
        id=f"{ID}.linear", claim="The S3 block (smoother + skeleton attention) costs time linear in n",
        interpretation=(f"s3_block, d = {p['d']}, r = s1 = s2 = 8, {p['heads']} heads, one thread, best of 3; "
                        "constant rule on time/n (per-n median)"), fit=f, trials=len(results), timing=True,
        details=dict(fit=f, alpha=a, alpha_ci=ci, pair_slopes=list(pair)),
        evidence=(f"Fitted exponent alpha = {a:.3f}, 95% CI [{ci[0]:.3f}, {ci[1]:.3f}]; consecutive-size slopes "
                  f"in [{np.nanmin(pair):.3f}, {np.nanmax(pair):.3f}]."))]
    dn = [r["n"] for r in results if "t_dense" in r]
    dt = [r["t_dense"] for r in results if "t_dense" in r]
    if dn:
        g = fit_constant(dn, [t / n ** 2 for t, n in zip(dt, dn)], quantile=0.5)
        a2, ci2, _ = exponent(dn, dt)
        lin = fit_constant(dn, [t / n for t, n in zip(dt, dn)], quantile=0.5)
        out.append(Entry.of_constant(
            id=f"{ID}.dense_quadratic", claim="Control: dense softmax attention costs O(n^2 d) (time/n^2 bounded)",
            interpretation="same timing set-up, n <= %d; constant rule on time/n^2" % p["dense_max"], fit=g,
            trials=len(dn), timing=True, details=dict(fit=g, alpha=a2, alpha_ci=ci2, linear_rule=lin),
            evidence=(f"Fitted exponent {a2:.3f} [{ci2[0]:.3f}, {ci2[1]:.3f}]. The same rule applied to time/n gives "
                      f"'{lin['verdict']}' ({lin['reason']}): the set-up detects super-linear growth.")))
    return out


def figure(results, p, entries, path):
    by = {e.id: e for e in entries}
    fig, axes = subplots(1, 1, width=6.2, height=4.3)
    ax = axes[0]
    ax.scatter([r["n"] for r in results], [r["t_s3"] for r in results], color=colour(by[f"{ID}.linear"].verdict),
               label="S3 block")
    dn = [r for r in results if "t_dense" in r]
    verdicts = [by[f"{ID}.linear"].verdict]
    if dn:
        v = by[f"{ID}.dense_quadratic"].verdict
        verdicts.append(v)
        ax.scatter([r["n"] for r in dn], [r["t_dense"] for r in dn], marker="s", color=colour(v),
                   label="dense softmax attention (control)")
    u = np.unique([r["n"] for r in results]).astype(float)
    t0 = np.median([r["t_s3"] for r in results if r["n"] == u[0]])
    ax.plot(u, t0 * u / u[0], **CLAIM_STYLE)
    size_axis(ax, u)
    ax.set_yscale("log")
    finish(fig, axes, path, title="S3 block time vs sequence length (timings)", xlabel="n",
           ylabel="seconds (1 thread)", verdicts=verdicts, claim_label="claimed: linear in n (from the smallest n)")


CHECK = Check(
    id=ID, title="Linear cost in n of the S3 block",
    claim="Complexity linear in n for the whole S3 block (smoother + skeleton attention); skeleton attention "
          "is O(n s1 d + n s2 d) instead of O(n^2 d).",
    interpretation="Measured single-thread wall-clock time of skeleton.attention.s3_block; linear up to the "
                   "smoother's log n factor (see the module docstring). Timing entries.",
    params=lambda quick: dict(trials=12 if quick else 28, d=64, heads=2, r=8, s1=8, s2=8, dense_max=4096,
                              ns=[1024, 4096, 16384] if quick else [1024, 2048, 4096, 8192, 16384, 32768, 65536]),
    trial=trial, summarise=summarise, figure=figure, timed=True, cost=(0.48, 0.74))
