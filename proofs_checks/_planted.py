"""Planted claims with known truth, to test the verdict machinery end to end.

* ``planted.true``: |mean of m standard normals| <= sqrt(2 log(2/delta)/m) fails with
  probability <= delta (sub-Gaussian tail, true by construction) -> ``holds``.
* ``planted.false``: |Z| <= 1 for a standard normal Z "with probability >= 0.95"
  (the true failure rate is 0.317) -> ``violated`` with a counterexample.
* ``planted.growing``: error = sqrt(n) * U(0.5, 1) claimed O(1) -> not
  ``holds_with_constant``; ``planted.bounded``: error = U(0.5, 1) claimed O(1) ->
  ``holds_with_constant``.
"""

from __future__ import annotations

import math

import numpy as np

from ._framework import Check, Entry
from ._verdict import fit_constant, rate_verdict

DELTA = 0.05


def _trial(ss, i, p):
    rng = np.random.default_rng(ss)
    m = 16
    z = rng.standard_normal(m)
    n = p["sizes"][i % len(p["sizes"])]
    u = rng.uniform(0.5, 1.0)
    return dict(mean_abs=float(abs(z.mean())), bound=math.sqrt(2 * math.log(2 / DELTA) / m),
                z0=float(z[0]), n=n, grow=math.sqrt(n) * u, flat=u)


def _summ(results, p, ctx):
    N = len(results)
    out = []
    k = sum(r["mean_abs"] > r["bound"] for r in results)
    v, ci = rate_verdict(k, N, DELTA)
    out.append(Entry("planted.true", "|mean| <= sqrt(2 log(2/delta)/m) w.p. 1-delta", "",
                     v, N, k, k / N, list(ci)))
    fails = [(i, r) for i, r in enumerate(results) if abs(r["z0"]) > 1]
    k = len(fails)
    v, ci = rate_verdict(k, N, DELTA)
    cx = None
    if v == "violated":
        i, r = fails[0]
        cx = ctx.save_counterexample("planted.false", index=i, seed=ctx.seed, z0=r["z0"], bound=1.0)
    out.append(Entry("planted.false", "|Z| <= 1 w.p. 0.95", "", v, N, k, k / N, list(ci),
                     counterexample=cx))
    for name, key in (("planted.growing", "grow"), ("planted.bounded", "flat")):
        f = fit_constant([r["n"] for r in results], [r[key] for r in results])
        out.append(Entry(name, "error = O(1)", "", f["verdict"], N, constant=f["constant"],
                         evidence=f["reason"], details=f))
    return out


CHECK = Check(
    id="planted", title="planted claims (machinery self-test)",
    claim="planted claims with known truth", interpretation="see module docstring",
    params=lambda quick: dict(trials=400, sizes=[16, 64, 256, 1024, 4096]),
    trial=_trial, summarise=_summ)
