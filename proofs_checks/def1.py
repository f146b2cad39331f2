r"""Definition 1 (mu-incoherence): its properties, and the qualitative claim about mu.

Claims tested:

* ``def1.range``: for rank-r X, mu = max(n/r max_i ||W_i||^2, d/r max_j ||V_j||^2)
  satisfies 1 <= mu <= max(n, d)/r.  (Proof: the r leverage scores of W sum to r,
  so their max is >= r/n; each is <= 1.)  Deterministic rule, tolerance 1e-10.
* ``def1.smallest``: mu is the smallest constant with max_i ||e_i^T W|| <= sqrt(mu r/n)
  and max_j ||e_j^T V|| <= sqrt(mu r/d): checked against an independent bisection on
  the defining inequalities (relative agreement 1e-8) and invariance of mu under the
  choice of SVD basis (X -> X scaled, and W -> W O for a random orthogonal O).
* ``def1.larger_mu_favourable``: the text's qualitative claim in the direction
  CLAIMS.md states -- a *larger* mu is *favourable*: the larger mu, the better a few
  sampled rows and columns preserve the matrix.  Read as: at a fixed sample count k,
  uniform skeleton sampling of a noiseless rank-r matrix (one singular pair supported
  on m rows/columns, m swept from n to 1, which sweeps mu from ~log n to
  ~max(n,d)/r; generic dense matrices are recovered exactly from any k >= r samples
  whatever their mu) fails to reconstruct it (relative error > 1e-8) *less* often for
  larger mu.  Comparison rule of ``_verdict`` (Wilson intervals): ``holds`` if the
  lowest-mu third fails more often than the highest-mu third, ``violated`` if less
  often, else ``inconclusive``; both rates are in the entry.
* ``def1.corrected.larger_mu_harder``: the true statement, the reverse direction
  (larger mu, more failures at a fixed count), tested on held-out trials.
  Against Prop. 1: its right-hand side
  ||E|| sqrt(nd)/(mu r log n) *decreases* with mu because the sample count grows with
  mu; at a fixed count the bound is sqrt(nd/k^2) ||E|| with no mu, so the two are
  compatible only if the count scales with mu (which prop1 checks).

Families (hard within the hypotheses): Gaussian low rank (mu ~ log n), spiked factors
(one row/column carrying most of a singular vector, mu up to ~n/r), the extreme
[I_r; 0] (mu = max(n,d)/r), constant matrices (mu = 1), sparse low rank; n, d, r drawn
at random per trial so that both n > d and n < d occur.
"""

from __future__ import annotations

import math

import numpy as np

from ._common import mu_at_rank
from ._entry import Derivation, Entry, corrected
from ._figures import finish, rate_errorbar, size_axis, subplots
from ._framework import Check, split
from ._lowrank import lowrank_factors
from ._verdict import VIOLATED, comparison_verdict

ID = "def1"
RANGE_TOL = 1e-10
SMALLEST_RTOL = 1e-8
RECOVERY_TOL = 1e-8


def mu_from_bases(W, V):
    n, r = W.shape
    d = V.shape[0]
    return max(n / r * np.max(np.sum(W ** 2, 1)), d / r * np.max(np.sum(V ** 2, 1)))


def mu_bisect(W, V, iters=200):
    """Smallest mu with both inequalities of Definition 1, by bisection on the predicate."""
    n, r = W.shape
    d = V.shape[0]
    rw = np.sqrt(np.sum(W ** 2, 1)).max()
    rv = np.sqrt(np.sum(V ** 2, 1)).max()

    def ok(mu):
        return rw <= math.sqrt(mu * r / n) and rv <= math.sqrt(mu * r / d)

    lo, hi = 0.0, float(max(n, d)) / r * 4 + 1
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def family_matrix(rng, fam, n, d, r):
    if fam == "gaussian":
        P, Q, _ = lowrank_factors(rng, n, d, r)
        return P @ Q.T
    if fam == "spiked":
        P, Q, _ = lowrank_factors(rng, n, d, r, spike=float(rng.choice([10.0, 100.0, 1000.0])))
        return P @ Q.T
    if fam == "identity":
        X = np.zeros((n, d))
        X[np.arange(r), np.arange(r)] = rng.uniform(1, 2, r)
        return X
    if fam == "constant":
        return np.full((n, d), float(rng.uniform(-2, 2)) or 1.0)
    if fam == "sparse":
        A = rng.standard_normal((n, r)) * (rng.random((n, r)) < 0.05)
        B = rng.standard_normal((d, r)) * (rng.random((d, r)) < 0.05)
        A[np.arange(r), np.arange(r)] += 1.0
        B[np.arange(r), np.arange(r)] += 1.0
        return A @ B.T
    raise ValueError(fam)


def support_matrix(rng, n, d, r, m):
    """Rank-r X whose first left and right singular vectors are supported on m random
    rows / columns (the others Gaussian): mu >= min(n, d)/(r m) roughly, so m sweeps mu
    from ~log n (m = n) to max(n,d)/r (m = 1)."""
    A = rng.standard_normal((n, r))
    B = rng.standard_normal((d, r))
    A[:, 0] = 0.0
    B[:, 0] = 0.0
    A[rng.choice(n, min(m, n), replace=False), 0] = rng.standard_normal(min(m, n))
    B[rng.choice(d, min(m, d), replace=False), 0] = rng.standard_normal(min(m, d))
    X = A @ B.T
    return X, mu_at_rank(X, r)


FAMILIES = ("gaussian", "spiked", "identity", "constant", "sparse")


def trial(ss, i, p):
    rng = np.random.default_rng(ss)
    out = {"props": []}
    for fam in FAMILIES:
        n = int(rng.integers(8, 200))
        d = int(rng.integers(8, 200))
        r = 1 if fam == "constant" else int(rng.integers(1, min(n, d, 12) + 1))
        X = family_matrix(rng, fam, n, d, r)
        Wf, s, Vt = np.linalg.svd(X, full_matrices=False)
        W, V = Wf[:, :r], Vt[:r].T
        mu = mu_from_bases(W, V)
        O, _ = np.linalg.qr(rng.standard_normal((r, r)))
        mu_rot = mu_from_bases(W @ O, V @ O)
        mu_scaled = mu_at_rank(-3.7 * X, r)
        mub = mu_bisect(W, V)
        out["props"].append(dict(
            fam=fam, n=n, d=d, r=r, mu=float(mu),
            range_ok=bool(1 - RANGE_TOL <= mu <= max(n, d) / r * (1 + RANGE_TOL)),
            smallest_err=float(max(abs(mub - mu), abs(mu_rot - mu), abs(mu_scaled - mu)) / mu)))
    # qualitative claim: fixed k, failure of noiseless uniform skeleton recovery vs mu
    n, d, r, k = p["n"], p["d"], p["r"], p["k"]
    rec = []
    for m in p["supports"]:
        X, mu = support_matrix(rng, n, d, r, m)
        spike = m
        I = np.sort(rng.choice(n, k, replace=False))
        J = np.sort(rng.choice(d, k, replace=False))
        Wm = X[np.ix_(I, J)]
        u, s, vt = np.linalg.svd(Wm)
        rr = int(np.sum(s > s[0] * 1e-10)) if s[0] > 0 else 0
        if rr == 0:
            err = 1.0
        else:
            U = (vt[:rr].T / s[:rr]) @ u[:, :rr].T
            err = float(np.linalg.norm(X - X[:, J] @ U @ X[I, :]) / np.linalg.norm(X))
        rec.append(dict(spike=spike, mu=mu, fail=bool(err > RECOVERY_TOL), err=err))
    out["recovery"] = rec
    return out


def _recovery(results):
    recs = [q for r in results for q in r["recovery"]]
    mus = np.array([q["mu"] for q in recs])
    fails = np.array([q["fail"] for q in recs])
    lo_grp = mus <= np.quantile(mus, 1 / 3)
    hi_grp = mus >= np.quantile(mus, 2 / 3)
    return recs, (int(fails[lo_grp].sum()), int(lo_grp.sum())), (int(fails[hi_grp].sum()), int(hi_grp.sum()))


def _support_table(recs):
    by = {}
    for q in recs:
        b = by.setdefault(q["spike"], [0, 0, []])
        b[0] += q["fail"]
        b[1] += 1
        b[2].append(q["mu"])
    return ("| support m | median mu | failed recoveries |\n|---|---|---|\n"
            + "\n".join(f"| {s} | {np.median(b[2]):.3g} | {b[0]}/{b[1]} |" for s, b in sorted(by.items())))


def _compare(results, first, second):
    """comparison_verdict of 'failure rate of group ``first`` > that of ``second``' (groups low/high mu)."""
    _, lo, hi = _recovery(results)
    g = dict(low=lo, high=hi)
    (ka, na), (kb, nb) = g[first], g[second]
    v, wa, wb = comparison_verdict(ka, na, kb, nb)
    return v, (ka, na, wa), (kb, nb, wb)


PROP1_NOTE = ("Against Prop. 1: its sample count c mu r log n grows with mu (a larger mu needs more samples), "
              "and its bound ||E|| sqrt(nd)/(mu r log n) falls with mu only because the count grows; at a fixed "
              "count the bound is sqrt(nd)/k ||E||, with no mu. Both say that a larger mu is unfavourable.")


def summarise(results, p, ctx):
    main, held, main_idx, held_idx = split(results, p)
    props = [q for r in main for q in r["props"]]
    k = sum(not q["range_ok"] for q in props)
    fams = {f: [q["mu"] for q in props if q["fam"] == f] for f in FAMILIES}
    ev = "mu range per family: " + "; ".join(f"{f}: [{min(v):.3g}, {max(v):.3g}]" for f, v in fams.items())
    e1 = Entry.of_deterministic(
        id=f"{ID}.range", claim="1 <= mu <= max(n, d)/r for every rank-r X",
        interpretation=f"deterministic rule, tolerance {RANGE_TOL}; families {FAMILIES}, random n, d, r",
        failures=k, trials=len(props),
        evidence=ev + ". The extreme family [I_r; 0] attains the upper bound, constant matrices the lower.")
    errs = [q["smallest_err"] for q in props]
    k2 = sum(e > SMALLEST_RTOL for e in errs)
    e2 = Entry.of_deterministic(
        id=f"{ID}.smallest",
        claim=("mu = max(n/r max_i ||W_i||^2, d/r max_j ||V_j||^2) is the smallest constant satisfying both "
               "inequalities of Definition 1 (and does not depend on the SVD basis or the scale)"),
        interpretation=(f"independent bisection on the inequalities, random rotation of the bases, scaling; "
                        f"relative tolerance {SMALLEST_RTOL}"),
        failures=k2, trials=len(props), evidence=f"max relative discrepancy {max(errs):.3g}")
    setting = (f"fixed k = {p['k']} uniform rows and columns, n = {p['n']}, d = {p['d']}, r = {p['r']}; noiseless "
               f"exact recovery (rel. error <= {RECOVERY_TOL}); failure rates in the lowest vs highest third of mu")
    labels = ("high-mu third", "low-mu third")
    # the claim is that high mu is favourable: it holds when high-mu recoveries fail LESS often
    fav = _compare(main, "low", "high")
    cx = None
    if fav[0] == VIOLATED:
        recs = [q for r in main for q in r["recovery"]]
        worst = max((q for q in recs if q["fail"]), key=lambda q: q["mu"])
        ti = next(i for i, r in enumerate(main) if worst in r["recovery"])
        cx = ctx.save_counterexample(f"{ID}.larger_mu_favourable", trial=ti, seed=ctx.seed, mu=worst["mu"],
                                     support=worst["spike"], err=worst["err"], n=p["n"], d=p["d"], r=p["r"],
                                     k=p["k"], note="a high-mu input whose recovery fails at the fixed count k")
    e3 = Entry.of_comparison(
        id=f"{ID}.larger_mu_favourable",
        claim=("Text after Definition 1 (paraphrased in CLAIMS.md): a larger mu is favourable -- the larger mu, "
               "the better a few sampled rows and columns preserve the matrix"),
        interpretation=setting + "; holds if the low-mu third fails more often than the high-mu third",
        result=fav, labels=("low-mu third", "high-mu third"), counterexample=cx,
        evidence=_support_table([q for r in main for q in r["recovery"]]) + "\n\n" + PROP1_NOTE)
    held_res = _compare(held, "high", "low")
    e4 = Entry.of_comparison(
        id=f"{ID}.corrected.larger_mu_harder",
        claim=("Corrected: a larger mu is unfavourable -- at a fixed number of uniformly sampled rows and columns, "
               "reconstruction fails more often for larger mu (so more samples are needed, as Prop. 1's count says)"),
        interpretation=setting + "; holds if the high-mu third fails more often (held-out trials)",
        result=held_res, labels=labels,
        evidence=_support_table([q for r in held for q in r["recovery"]]) + "\n\n" + PROP1_NOTE)
    derived = Derivation("the direction measured on the main trials and Prop. 1's sample count", samples=main_idx)
    e4 = corrected(e4, of=e3.id if e3.verdict == VIOLATED else None, derived=derived, tested_on=held_idx)
    return [e1, e2, e3, e4]


def finding(entries):
    by = {e.id: e for e in entries}
    f, h = by[f"{ID}.larger_mu_favourable"], by[f"{ID}.corrected.larger_mu_harder"]
    c = f.details["comparison"]
    lo, hi = c["low-mu third"], c["high-mu third"]
    return (f"Range and minimality of mu: {by[f'{ID}.range'].verdict} / {by[f'{ID}.smallest'].verdict} on "
            f"{by[f'{ID}.range'].trials} matrices. The claimed direction (larger mu favourable): {f.verdict} -- at a "
            f"fixed sample count the high-mu third failed {hi['failures']}/{hi['trials']} recoveries, the low-mu "
            f"third {lo['failures']}/{lo['trials']}. The reverse statement (larger mu, harder) on held-out trials: "
            f"{h.verdict}.")


def figure(results, p, entries, path):
    by = {e.id: e for e in entries}
    main, held, _, _ = split(results, p)
    fig, axes = subplots(1, 1, width=6.4, height=4.3)
    ax = axes[0]
    for part, eid, mk, lab in ((main, f"{ID}.larger_mu_favourable", "o", "main trials"),
                               (held, f"{ID}.corrected.larger_mu_harder", "s", "held-out trials")):
        recs = [q for r in part for q in r["recovery"]]
        mus = np.array([q["mu"] for q in recs])
        fails = np.array([q["fail"] for q in recs])
        bins = np.array_split(np.argsort(mus), 6)
        x = [float(np.median(mus[b])) for b in bins]
        rate_errorbar(ax, x, [int(fails[b].sum()) for b in bins], [len(b) for b in bins],
                      verdict=by[eid].verdict, marker=mk, label=f"{lab} ({eid.split('.', 1)[1]})")
    size_axis(ax, [2, 5, 10, 20, 50])
    finish(fig, axes, path, title="Def. 1: uniform skeleton recovery at a fixed count vs mu",
           xlabel="mu (median of the bin)", ylabel=f"P(recovery fails), k = {p['k']}",
           verdicts=[by[f"{ID}.larger_mu_favourable"].verdict, by[f"{ID}.corrected.larger_mu_harder"].verdict])


CHECK = Check(
    id=ID, title="Definition 1 (mu-incoherence)",
    claim="Rank-r X = W Sigma V^T is mu-incoherent if max_i ||e_i^T W|| <= sqrt(mu r/n) and "
          "max_i ||e_i^T V|| <= sqrt(mu r/d); mu = max(n/r max ||W_i||^2, d/r max ||V_j||^2), "
          "1 <= mu <= max(n,d)/r. The text: a larger mu is favourable for reconstruction from a few samples.",
    interpretation="See the module docstring: the properties deterministically; the qualitative claim as 'at a "
                   "fixed sample count, uniform skeleton recovery fails less often for larger mu', on the support "
                   "sweep.",
    params=lambda quick: dict(trials=20 if quick else 60, held_out=20 if quick else 40, n=200, d=120, r=4, k=16,
                              supports=[200, 50, 12, 3, 1]),
    trial=trial, summarise=summarise, figure=figure, finding=finding, cost=(0.017, 0.014))
