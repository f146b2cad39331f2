r"""Definition 1 (mu-incoherence): its properties, and the qualitative claim about mu.

Claims tested:

* ``def1.range``: for rank-r X, mu = max(n/r max_i ||W_i||^2, d/r max_j ||V_j||^2)
  satisfies 1 <= mu <= max(n, d)/r.  (Proof: the r leverage scores of W sum to r,
  so their max is >= r/n; each is <= 1.)  Deterministic rule, tolerance 1e-10.
* ``def1.smallest``: mu is the smallest constant with max_i ||e_i^T W|| <= sqrt(mu r/n)
  and max_j ||e_j^T V|| <= sqrt(mu r/d): checked against an independent bisection on
  the defining inequalities (relative agreement 1e-8) and invariance of mu under the
  choice of SVD basis (X -> X scaled, and W -> W O for a random orthogonal O).
* ``def1.larger_mu_harder``: the text's qualitative claim, read as "a larger mu
  means that more uniformly sampled rows/columns are needed for reconstruction",
  i.e. at a fixed sample count k the probability that uniform skeleton sampling of a
  noiseless rank-r matrix (one singular pair supported on m rows/columns, m swept from
  n to 1, which sweeps mu from ~log n to ~max(n,d)/r; generic dense matrices are
  recovered exactly from any k >= r samples whatever their mu) fails to reconstruct it (relative error > 1e-8) increases
  with mu.  Rule (comparison rule of ``_verdict``): ``holds`` if the failure rate in
  the highest-mu third has a Wilson lower bound above the Wilson upper bound of the
  lowest-mu third; ``violated`` if the reverse; else ``inconclusive``.  The entry's
  failures/CI fields are null (two rates are compared; both are in the evidence and
  in ``details``).  Against Prop. 1: its right-hand side
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
from ._framework import Check, Entry
from ._lowrank import lowrank_factors
from ._verdict import comparison_verdict, deterministic_verdict

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


def summarise(results, p, ctx):
    N = len(results)
    props = [q for r in results for q in r["props"]]
    k = sum(not q["range_ok"] for q in props)
    fams = {f: [q["mu"] for q in props if q["fam"] == f] for f in FAMILIES}
    ev = "mu range per family: " + "; ".join(
        f"{f}: [{min(v):.3g}, {max(v):.3g}]" for f, v in fams.items())
    e1 = Entry(f"{ID}.range", "1 <= mu <= max(n, d)/r for every rank-r X",
               f"deterministic rule, tolerance {RANGE_TOL}; families {FAMILIES}, random n, d, r",
               deterministic_verdict(k), len(props), k, k / len(props), None,
               evidence=ev + ". The extreme family [I_r; 0] attains the upper bound, constant matrices the lower.")
    errs = [q["smallest_err"] for q in props]
    k2 = sum(e > SMALLEST_RTOL for e in errs)
    e2 = Entry(f"{ID}.smallest",
               "mu = max(n/r max_i ||W_i||^2, d/r max_j ||V_j||^2) is the smallest constant satisfying "
               "both inequalities of Definition 1 (and does not depend on the SVD basis or the scale)",
               f"independent bisection on the inequalities, random rotation of the bases, scaling; "
               f"relative tolerance {SMALLEST_RTOL}", deterministic_verdict(k2), len(props), k2,
               k2 / len(props), None, evidence=f"max relative discrepancy {max(errs):.3g}")
    # qualitative claim
    recs = [q for r in results for q in r["recovery"]]
    mus = np.array([q["mu"] for q in recs])
    fails = np.array([q["fail"] for q in recs])
    lo_grp = mus <= np.quantile(mus, 1 / 3)
    hi_grp = mus >= np.quantile(mus, 2 / 3)
    kl, nl = int(fails[lo_grp].sum()), int(lo_grp.sum())
    kh, nh = int(fails[hi_grp].sum()), int(hi_grp.sum())
    v, wh, wl = comparison_verdict(kh, nh, kl, nl)
    by = {}
    for q in recs:
        b = by.setdefault(q["spike"], [0, 0, []])
        b[0] += q["fail"]
        b[1] += 1
        b[2].append(q["mu"])
    table = "\n".join(f"| {s} | {np.median(b[2]):.3g} | {b[0]}/{b[1]} |" for s, b in sorted(by.items()))
    e3 = Entry(f"{ID}.larger_mu_harder",
               "Text around Definition 1: a larger mu makes reconstruction from sampled rows/columns harder "
               "(more samples needed)",
               f"fixed k = {p['k']} uniform rows and columns, n = {p['n']}, d = {p['d']}, r = {p['r']}; noiseless "
               f"exact recovery (rel. error <= {RECOVERY_TOL}); Wilson 95% intervals of the failure rate in "
               "the lowest vs highest third of mu",
               v, len(recs), None, None, None,
               evidence=(f"A comparison of two failure rates, so the single failures/CI columns are left empty: "
                         f"trials = {len(recs)} recovery attempts (all mu). "
                         f"Low-mu third: {kl}/{nl} failed recoveries, Wilson {wl[0]:.3f}-{wl[1]:.3f}; high-mu third: "
                         f"{kh}/{nh}, Wilson {wh[0]:.3f}-{wh[1]:.3f}.\n\n| support m | median mu | failures |\n"
                         f"|---|---|---|\n{table}\n\nAgainst Prop. 1: its bound ||E|| sqrt(nd)/(mu r log n) "
                         "decreases in mu only because its sample count mu r log n grows with mu; see prop1."),
               details=dict(low=[kl, nl], high=[kh, nh]))
    return [e1, e2, e3]


def figure(results, p, entries, path):
    import matplotlib.pyplot as plt
    recs = [q for r in results for q in r["recovery"]]
    mus = np.array([q["mu"] for q in recs])
    fails = np.array([q["fail"] for q in recs], float)
    order = np.argsort(mus)
    bins = np.array_split(order, 6)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([mus[b].mean() for b in bins], [fails[b].mean() for b in bins], "o-")
    ax.set_xscale("log")
    ax.set_xlabel("mu")
    ax.set_ylabel(f"P(recovery fails), k = {p['k']}")
    ax.set_title("Def. 1: failure of uniform skeleton recovery vs mu")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


CHECK = Check(
    id=ID, title="Definition 1 (mu-incoherence)",
    claim="Rank-r X = W Sigma V^T is mu-incoherent if max_i ||e_i^T W|| <= sqrt(mu r/n) and "
          "max_i ||e_i^T V|| <= sqrt(mu r/d); mu = max(n/r max ||W_i||^2, d/r max ||V_j||^2), "
          "1 <= mu <= max(n,d)/r. The text: a larger mu makes reconstruction from samples harder.",
    interpretation="See the module docstring: the properties deterministically, the qualitative claim "
                   "as 'at fixed sample count, failure of uniform skeleton recovery increases with mu'.",
    params=lambda quick: dict(trials=20 if quick else 60, n=200, d=120, r=4, k=16,
                              supports=[200, 50, 12, 3, 1]),
    trial=trial, summarise=summarise, figure=figure)
