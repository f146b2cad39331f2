"""Planted claims with known truth, to test the verdict machinery end to end.

* ``planted.true``: |mean of m standard normals| <= sqrt(2 log(2/delta)/m) fails with
  probability <= delta (sub-Gaussian tail, true by construction) -> ``holds``.
* ``planted.false``: |Z| <= 1 for a standard normal Z "with probability >= 0.95"
  (the true failure rate is 0.317) -> ``violated`` with a counterexample.
* ``planted.growing``: error = sqrt(n) * U(0.5, 1) claimed O(1) -> not
  ``holds_with_constant``; ``planted.bounded``: error = U(0.5, 1) claimed O(1) ->
  ``holds_with_constant``.
* ``planted.heavy_tailed``: error = |Cauchy| claimed <= C w.p. >= 1 - O(n^-2): the
  failure rate P(|Cauchy| > C) does not depend on n (flat) -> ``violated``.
* ``planted.decaying``: a failure with probability 0.5 (n/16)^-3, claimed O(n^-2) ->
  ``holds`` (it decays faster than claimed).
* ``planted.trivial``: the bound error = O(1) for a method whose error is U(0.5, 1),
  met equally by the trivial competitor "answer 0" (error 1) -> ``holds_with_constant``
  and ``vacuous``.
"""

from __future__ import annotations

import math

import numpy as np

from proofs_checks._entry import Entry, vacuity
from proofs_checks._framework import Check
from proofs_checks._verdict import cells_verdict, fit_constant, rate_trend

DELTA = 0.05
C_HEAVY = 20.0
REPS = 200


def _trial(ss, i, p):
    rng = np.random.default_rng(ss)
    m = 16
    z = rng.standard_normal(m)
    n = p["sizes"][i % len(p["sizes"])]
    u = rng.uniform(0.5, 1.0)
    cauchy = np.abs(rng.standard_cauchy(REPS))
    decay = rng.random(REPS) < 0.5 * (n / 16.0) ** -3
    return dict(mean_abs=float(abs(z.mean())), bound=math.sqrt(2 * math.log(2 / DELTA) / m),
                z0=float(z[0]), n=n, grow=math.sqrt(n) * u, flat=u,
                heavy=int(np.sum(cauchy > C_HEAVY)), decay=int(decay.sum()))


def _summ(results, p, ctx):
    N = len(results)
    k = sum(r["mean_abs"] > r["bound"] for r in results)
    out = [Entry.of_cells(id="planted.true", claim="|mean| <= sqrt(2 log(2/delta)/m) w.p. 1-delta", interpretation="",
                       result=cells_verdict({"all": (k, N)}, DELTA))]
    fails = [(i, r) for i, r in enumerate(results) if abs(r["z0"]) > 1]
    res = cells_verdict({"all": (len(fails), N)}, DELTA)
    cx = None
    if res.verdict == "violated":
        i, r = fails[0]
        cx = ctx.save_counterexample("planted.false", index=i, seed=ctx.seed, z0=r["z0"], bound=1.0)
    out.append(Entry.of_cells(id="planted.false", claim="|Z| <= 1 w.p. 0.95", interpretation="", result=res,
                           counterexample=cx))
    sizes = [r["n"] for r in results]
    for name, key in (("planted.growing", "grow"), ("planted.bounded", "flat")):
        out.append(Entry.of_constant(id=name, claim="error = O(1)", interpretation="",
                                  fit=fit_constant(sizes, [r[key] for r in results]), trials=N))
    for name, key in (("planted.heavy_tailed", "heavy"), ("planted.decaying", "decay")):
        out.append(Entry.of_rate(id=name, claim="error <= C w.p. >= 1 - O(n^-2)", interpretation="",
                              result=rate_trend(sizes, [r[key] for r in results], [REPS] * N, p=2),
                              constant=C_HEAVY))
    fit = fit_constant(sizes, [r["flat"] for r in results])
    triv = fit_constant(sizes, [1.0] * N)
    out.append(Entry.of_constant(id="planted.trivial", claim="error = O(1)", interpretation="", fit=fit, trials=N,
                              **vacuity(triv["verdict"] == "holds_with_constant", "the answer 0",
                                        f"error 1, constant {triv['constant']:.3g}")))
    return out


CHECK = Check(
    id="planted", title="planted claims (machinery self-test)",
    claim="planted claims with known truth", interpretation="see module docstring",
    params=lambda quick: dict(trials=400, sizes=[16, 64, 256, 1024, 4096]),
    trial=_trial, summarise=_summ)
