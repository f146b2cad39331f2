r"""Proposition 1: skeleton approximation under noise, for each core.

Statement: X in R^{n x d} rank r, mu-incoherent, n >= d; E noise.  Sampling
O(mu r log n) rows and columns uniformly from X + E gives, w.p. >= 1 - O(n^-2),

    ||X - C U R|| <= O( ||E|| sqrt(n d) / (mu r log n) ).

Interpretation: k = ceil(c mu r log n) rows and columns (c in {1, 2}, since the O
hides c), sampled uniformly without replacement from Y = X + E.  The bound is tested
where this prescription can be carried out, k <= d; an input whose prescription exceeds
d is evidence for ``prop1.sample_counts`` (which reports it as a violation), not for
the bound.  Cores: "pinv" (plain pseudo-inverse of the intersection W = Y[I, J]),
"truncated" (rank-r truncated pseudo-inverse of W), "optimal" (C^+ Y R^+).  The O(.)
on the error is tested with the constant rule on
ratio = ||X - CUR||_2 / (||E||_2 sqrt(nd)/(mu r log n)): per size the max over trials
and inputs (the "with high probability" part is the empirical 1 - 1/N quantile),
across n in {128..1024} (d = n/2) AND across the noise level ||E|| in
{1e-1, 1e-2, 1e-3, 1e-4} ||X|| (the statement's constant may not depend on ||E||, so a
ratio growing as ||E|| -> 0 means no constant exists).  mu is measured exactly on X.

Inputs, hard within the hypotheses: incoherent Gaussian factors, and "boundary" factors,
the most coherent input each c's prescription still serves: mu = (d - 1/2)/(c r log n)
exactly (``boundary_factors``: row 0 and column 0 carry the leverage, every other row
is flat), so that k = d; flat spectrum and sigma_1/sigma_r = 1e3 (the statement has no
condition number); noise Gaussian, sparse (0.2% entries), and "complement" noise of
rank d/4 in the orthogonal complements of X's row/column spaces with singular values
spread over six decades (it makes the intersection W ill-conditioned, the known failure
mode of the plain pseudo-inverse).  One noise direction per (input, law) is scaled to
every level (a paired design: the fit against 1/||E|| compares the same matrices, so
draw-to-draw spread does not pose as a trend in ||E||).  A third family, "spiked"
(row 0 and column 0 with leverage 0.9 exactly, mu = 0.9 n/r), enters the sample
counts only: its prescription c mu r log n exceeds d at every tested size.

Why not feed the unrealisable inputs to the bound with k capped at d (an earlier
design): sampling all d columns, C U R can at best reproduce Y (for the optimal core
C C^+ Y R^+ R = Y, so ||X - CUR|| = ||E|| exactly), while the claimed rate is
||E|| sqrt(nd)/(mu r log n), 0.79 ||E||/(0.9 log n) for the spiked family: the ratio
grows like log n, which says that the count exceeds d (``prop1.sample_counts``) and
nothing about the bound, and which (a factor 1.4 over n = 128..1024) sits on the
constant rule's threshold for a slow trend, so that runs with different trial counts
disagreed about it.

Quick mode (``--quick``) sees the same evidence at lower precision: the SAME sizes, n up
to 1024, every design cell (n x incoherent/boundary x kappa) once instead of three
times (16 trials instead of 48), at three of the four noise levels, ||E|| = 1e-1, 1e-2
and 1e-4 ||X|| (the constant-vs-||E|| rule sees the same three-decade span; it needs
three levels for its slope t-test).  The quick trials are the first 16 trials of the
full run, draw for draw (the paired noise does not depend on the number of levels).
Measured with seed 0: every prop1 verdict of the quick run equals the full run's.  The
plain pseudo-inverse core's ratio is heavy-tailed (1/sigma_min of a square noisy W), so
its per-size max moves by 10x between runs; its verdict is inconclusive in both.

Why these ranges: n up to 1024 covers LRA-like lengths with the O(n^2) dense reference
cheap enough; rank 4 keeps mu r log n below d for incoherent inputs at most sizes
tested, so the statement's sample count is realisable.

Noiseless part (proof step (i), Chiu-Demanet), its own trial design (``NOISELESS``,
ids ``prop1.noiseless.*``): exact recovery (relative error <= 1e-8 with the rank-r
core) from k = ceil(c mu r log n) uniform rows and columns, failure probability
against the allowed n^-2 (constant 1 in the O).  Decidability: with zero failures in
N trials the Clopper-Pearson upper end is about 3.7/N, so certifying a rate below
n^-2 needs N > 3.7 n^2 trials; the check therefore runs n in {24, 32}, d = n, r = 1 (small enough that c mu r log n <= d for incoherent inputs) and
N = 7000 recoveries per (n, family) cell with c = 1 (the Bonferroni-corrected upper end
with no failure is ~5.1/N = 7.3e-4 < 32^-2 = 9.8e-4; c = 2 asks for k > d = n for most
inputs at these n, which prop1.sample_counts reports), enough to
decide either way.  At n >= 128 (>= 6 10^4 trials per cell) only a violation could be
shown.  Families: generic incoherent factors (recovery is exact whenever the sampled
intersection has rank r, which happens almost surely) and the hard family of
``def1.support_matrix`` (first singular pair supported on m rows/columns) with the
smallest m for which the prescribed k fits in d, so that the statement's count is
realisable.  Rate rule per cell, Bonferroni over cells.

Sample counts (``prop1.sample_counts``): the prescribed k = c mu r log n is compared
with d for every tested matrix.

Corrected statement (for a violated core): the missing hypothesis is the core; with the
rank-r truncated pseudo-inverse (or C^+ Y R^+) the bound is tested the same way (see
the ``prop1.corrected.*`` entries, computed from the same trials).
"""

from __future__ import annotations

import math

import numpy as np

from ._common import cur_core
from ._framework import Check, Entry
from ._lowrank import boundary_factors, coherent_factors, lowrank_factors, noise
from ._verdict import (HOLDS_C, INCONCLUSIVE, VIOLATED, clopper_pearson, combine_verdicts, deterministic_verdict,
                       fit_constant, rate_verdict)

ID = "prop1"
CORES = ("pinv", "truncated", "optimal")
NOISES = ("gaussian", "sparse", "complement")
ETAS = (1e-1, 1e-2, 1e-3, 1e-4)
CS = (1, 2)
LEVERAGE = 0.9   # row 0 / column 0 leverage of the spiked family (mu = 0.9 n / r)


def sample_count(c, mu, r, n, d):
    return min(int(math.ceil(c * mu * r * math.log(n))), d)


def _pinv_and_truncated(W, r, m):
    """The "pinv" and "truncated" cores of ``cur_core`` from ONE SVD of the intersection W
    (``m`` = max(Y.shape)); bitwise the same as ``cur_core`` (which follows numpy's pinv:
    cutoff 1e-15 sigma_max), computed once because the SVD dominates the trial's cost."""
    u, s, vt = np.linalg.svd(W, full_matrices=False)
    large = s > 1e-15 * s.max()
    inv = np.divide(1, s, where=large, out=s.copy())
    inv[~large] = 0
    out = dict(pinv=np.matmul(vt.T, np.multiply(inv[:, None], u.T)))
    rr = min(r, int(np.sum(s > s[0] * m * np.finfo(float).eps)) if s[0] > 0 else 0)
    out["truncated"] = (np.zeros((W.shape[1], W.shape[0])) if rr == 0
                        else (vt[:rr].T / s[:rr]) @ u[:, :rr].T)
    return out


def boundary_mu(c, r, n, d):
    """The largest mu whose prescribed count ceil(c mu r log n) still fits in d (the count
    is then exactly d; the 0.5 keeps rounding from pushing it to d + 1)."""
    return (d - 0.5) / (c * r * math.log(n))


def trial(ss, i, p):
    rng = np.random.default_rng(ss)
    ns = p["ns"]
    n = ns[i % len(ns)]
    d = n // 2
    r = p["r"]
    coherent = (i // len(ns)) % 2 == 1
    kappa = 1e3 if (i // (2 * len(ns))) % 2 == 1 else 1.0
    if coherent:
        # the most coherent input each c's prescription can serve (bound evidence), and a
        # maximally spiked one (count evidence only: its prescription exceeds d)
        inputs = {c: boundary_factors(rng, n, d, r, mu=boundary_mu(c, r, n, d), kappa=kappa) for c in CS}
        spiked_mu = coherent_factors(rng, n, d, r, leverage=LEVERAGE, kappa=kappa)[2]
    else:
        f = lowrank_factors(rng, n, d, r, kappa=kappa)
        inputs = {c: f for c in CS}
        spiked_mu = None
    rows = []
    for c in CS:
        P, Q, mu = inputs[c]
        k_pres = int(math.ceil(c * mu * r * math.log(n)))
        family = "boundary" if coherent else "incoherent"
        rows.append(dict(c=c, kind="count", family=family, mu=mu, k_pres=k_pres))
        if spiked_mu is not None:
            rows.append(dict(c=c, kind="count", family="spiked", mu=spiked_mu,
                             k_pres=int(math.ceil(c * spiked_mu * r * math.log(n)))))
        if k_pres > d:
            continue            # the statement's prescription cannot be carried out: counts only
        k = k_pres
        X = P @ Q.T
        I = np.sort(rng.choice(n, k, replace=False))
        J = np.sort(rng.choice(d, k, replace=False))
        for kind in NOISES:
            # paired design: one noise direction per (input, kind), scaled to every level,
            # so the fit against 1/||E|| compares the same matrices at different scales
            E1 = noise(rng, kind, n, d, 1.0, P, Q)
            for eta in p["etas"]:
                Y = X + eta * E1
                # X - C U R = [P, -C] [Q, (U R)^T]^T: the left factor does not depend on the core, so
                # its QR is computed once (bitwise the same as lowrank_norm2 per core)
                qa, ra = np.linalg.qr(np.hstack([P, -Y[:, J]]))
                cores = _pinv_and_truncated(Y[np.ix_(I, J)], r, max(Y.shape))
                for core in CORES:
                    U = cores[core] if core in cores else cur_core(Y, I, J, core, r)
                    _, rb = np.linalg.qr(np.hstack([Q, (U @ Y[I, :]).T]))
                    err = float(np.linalg.norm(ra @ rb.T, 2))
                    bound = eta * math.sqrt(n * d) / (mu * r * math.log(n))
                    rows.append(dict(c=c, kind=kind, family=family, mu=mu, eta=eta, core=core, k=k,
                                     k_pres=k_pres, err=err, ratio=err / bound))
    return dict(n=n, d=d, r=r, coherent=coherent, kappa=kappa, rows=rows)


def summarise(results, p, ctx):
    entries = []
    N = len(results)
    for core in CORES:
        for c in CS:
            sizes, ratios, etas, worst = [], [], [], None
            for ti, r in enumerate(results):
                for row in r["rows"]:
                    if row.get("core") == core and row["c"] == c:
                        sizes.append(r["n"])
                        ratios.append(row["ratio"])
                        etas.append(1.0 / row["eta"])
                        if worst is None or row["ratio"] > worst[0]:
                            worst = (row["ratio"], ti, r, row)
            fn = fit_constant(sizes, ratios)
            fe = fit_constant(etas, ratios)
            order = [VIOLATED, INCONCLUSIVE, HOLDS_C]
            verdict = min((fn["verdict"], fe["verdict"]), key=order.index)
            cx = None
            if verdict == VIOLATED:
                _, ti, r, row = worst
                cx = ctx.save_counterexample(f"{ID}.bound.{core}.c{c}", trial=ti, seed=ctx.seed,
                                             n=r["n"], d=r["d"], r=r["r"], mu=row["mu"], kappa=r["kappa"],
                                             family=row["family"], noise=row["kind"], eta=row["eta"],
                                             k=row["k"], err=row["err"], ratio=row["ratio"])
            ev = (f"vs n: {fn['reason']}; per-n max ratio {_d(fn['per_size'])}.\n\n"
                  f"vs 1/||E||: {fe['reason']}; per-1/||E|| max ratio {_d(fe['per_size'])}.\n\n"
                  f"worst input: {worst[3]['family']} X, {worst[3]['kind']} noise, ||E|| = {worst[3]['eta']}, "
                  f"n = {worst[2]['n']}, mu = {worst[3]['mu']:.3g}, kappa = {worst[2]['kappa']}, "
                  f"ratio {worst[0]:.3g}.")
            entries.append(Entry(
                f"{ID}.bound.{core}.c{c}",
                "||X - C U R|| <= O(||E|| sqrt(nd)/(mu r log n)) w.p. >= 1 - O(n^-2), k = O(mu r log n) uniform "
                f"rows/columns [core = {core}, k = ceil({c} mu r log n)]",
                "constant rule vs n and vs 1/||E|| (verdict = the worse of the two)",
                verdict, len(ratios), None, None, None,
                constant=(fn["constant"] if verdict == HOLDS_C else None), counterexample=cx,
                evidence=ev, details=dict(vs_n=fn, vs_eta=fe)))
    # corrected: the core as the missing hypothesis
    byid = {e.id: e for e in entries}
    for c in CS:
        bad = byid[f"{ID}.bound.pinv.c{c}"]
        if bad.verdict == VIOLATED:
            for core in ("truncated", "optimal"):
                src = byid[f"{ID}.bound.{core}.c{c}"]
                entries.append(Entry(
                    f"{ID}.corrected.{core}.c{c}",
                    f"Prop. 1 with the hypothesis 'U is the rank-r truncated pseudo-inverse of the intersection' "
                    f"(or C^+ (X+E) R^+): ||X - C U R|| <= C0 ||E|| sqrt(nd)/(mu r log n) [core = {core}]",
                    "same trials and constant rule as the uncorrected entry", src.verdict, src.trials,
                    constant=src.constant, corrected_of=bad.id, evidence=src.evidence, details=src.details))
    # sample counts: when does the prescription exceed d?
    cnt = [(r, row) for r in results for row in r["rows"] if row["kind"] == "count"]
    over = [(r, row) for r, row in cnt if row["k_pres"] > r["d"]]
    fam_mu = {f: [row["mu"] for _, row in cnt if row["family"] == f] for f in ("incoherent", "boundary", "spiked")}
    cx = None
    if over:
        r, row = max(over, key=lambda rr: rr[1]["k_pres"] / rr[0]["d"])
        cx = ctx.save_counterexample(f"{ID}.sample_counts", n=r["n"], d=r["d"], r=r["r"], mu=row["mu"], c=row["c"], family=row["family"],
                                     k_prescribed=row["k_pres"], seed=ctx.seed,
                                     trial=next(i for i, q in enumerate(results) if q is r))
    e_sc = Entry(
        f"{ID}.sample_counts",
        "The prescribed count k = c mu r log n (c = 1, 2) is realisable (k <= d <= n) for every mu-incoherent "
        "rank-r X of the hypotheses",
        "deterministic rule over every tested matrix (incoherent, boundary and spiked factors, n = 128..1024, "
        "d = n/2, r = 4); a count above d asks for more columns than exist",
        deterministic_verdict(len(over)), len(cnt), len(over), len(over) / len(cnt), counterexample=cx,
        evidence=("mu by family: " + "; ".join(f"{f} [{min(v):.3g}, {max(v):.3g}]" for f, v in fam_mu.items() if v)
                  + ". Cases with k > d (family, n, mu, c, k, d): "
                  + ", ".join(f"({row['family']}, {r['n']}, {row['mu']:.3g}, {row['c']}, {row['k_pres']}, {r['d']})"
                              for r, row in over[:10]) + (" ..." if len(over) > 10 else "")
                  + ". Since mu can be as large as n/r, k = c mu r log n can reach c n log n > n. These inputs "
                    "give no evidence on the error bound (its sampling cannot be carried out); sampling all d "
                    "columns instead, C U R can at best reproduce X + E (error ||E|| when E lies in X's "
                    "singular spaces), while the claimed rate is ||E|| sqrt(nd)/(mu r log n), for the spiked "
                    "family 0.79 ||E|| / (0.9 log n): a ratio growing like log n."))
    entries.append(e_sc)
    ok = [(r, row) for r, row in cnt if row["mu"] <= r["d"] / (row["c"] * r["r"] * math.log(r["n"]))]
    bad = [(r, row) for r, row in ok if row["k_pres"] > r["d"]]
    entries.append(Entry(
        f"{ID}.corrected.sample_counts",
        "Corrected: the prescription is realisable exactly when mu <= d / (c r log n) (a hypothesis to add to "
        "Prop. 1); it then holds for the incoherent inputs at every tested n",
        "deterministic rule on the matrices meeting mu <= d/(c r log n): k <= d",
        deterministic_verdict(len(bad)), len(ok), len(bad), len(bad) / max(1, len(ok)),
        corrected_of=e_sc.id if e_sc.verdict == VIOLATED else None,
        evidence=(f"{len(ok)} of {len(cnt)} (matrix, c) cases meet the hypothesis; incoherent inputs meeting it: "
                  f"{sum(1 for _, row in ok if row['family'] == 'incoherent')} of "
                  f"{sum(1 for _, row in cnt if row['family'] == 'incoherent')}.")))
    return entries


def _d(dd):
    return "{" + ", ".join(f"{k:g}: {v:.3g}" for k, v in dd.items()) + "}"


def figure(results, p, entries, path):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for core, col in zip(CORES, ("tab:red", "tab:blue", "tab:green")):
        for ax, key in zip(axes, ("n", "eta")):
            xs, ys = [], []
            for r in results:
                for row in r["rows"]:
                    if row.get("core") == core and row["c"] == 1:
                        xs.append(r["n"] if key == "n" else row["eta"])
                        ys.append(row["ratio"])
            ax.scatter(xs, ys, s=6, color=col, alpha=0.5, label=core)
    for ax, lab in zip(axes, ("n", "||E|| / ||X||")):
        ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel(lab)
        ax.set_ylabel("||X - CUR|| / (||E|| sqrt(nd)/(mu r log n))")
        ax.legend()
    fig.suptitle("Prop. 1: measured error / claimed rate (c = 1)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


CHECK = Check(
    id=ID, title="Proposition 1 (skeleton approximation under noise)",
    claim="X rank-r, mu-incoherent, n >= d; sampling O(mu r log n) rows and columns uniformly from X + E, "
          "w.p. >= 1 - O(n^-2): ||X - C U R|| <= O(||E|| sqrt(nd)/(mu r log n)).",
    interpretation="k = ceil(c mu r log n), c in {1,2}, uniform without replacement; cores pinv, truncated, "
                   "optimal; the O(.) constant must be uniform in n and in ||E||. See the module docstring.",
    params=lambda quick: dict(trials=16 if quick else 48, r=4, ns=[128, 256, 512, 1024],
                              etas=[1e-1, 1e-2, 1e-4] if quick else list(ETAS)),
    trial=trial, summarise=summarise, figure=figure)


# --------------------------------------------------------------------------- noiseless step
NL_TOL = 1e-8
NL_FAMILIES = ("generic", "support")
NL_CS = (1,)   # c = 2 gives k = 2 mu log n > d = n for most inputs at the resolvable n (measured: skipped)


def smallest_support_matrix(rng, n, d, c):
    """Rank-1 X = a b^T with a, b supported on m random entries, m the smallest support for
    which the prescribed k = ceil(c mu log n) fits in d (the hardest realisable input of
    this family: fewer rows carry the signal, so uniform samples miss them more often)."""
    for m in range(1, n + 1):
        for _ in range(8):
            a = np.zeros(n)
            b = np.zeros(d)
            a[rng.choice(n, m, replace=False)] = rng.standard_normal(m)
            b[rng.choice(d, min(m, d), replace=False)] = rng.standard_normal(min(m, d))
            mu = max(n * np.max(a * a) / (a @ a), d * np.max(b * b) / (b @ b))
            if math.ceil(c * mu * math.log(n)) <= d:
                return np.outer(a, b), float(mu), m
    return np.outer(a, b), float(mu), n          # none realisable: counted as unrealisable


def noiseless_trial(ss, i, p):
    rng = np.random.default_rng(ss)
    n = p["ns"][i % len(p["ns"])]
    d = n
    out = dict(n=n, cells={})
    for fam in NL_FAMILIES:
        for c in NL_CS:
            fails = unreal = 0
            first = -1
            for rep in range(p["reps"]):
                if fam == "generic":
                    P, Q, mu = lowrank_factors(rng, n, d, 1)
                    X = P @ Q.T
                else:
                    X, mu, _ = smallest_support_matrix(rng, n, d, c)
                k_pres = int(math.ceil(c * mu * math.log(n)))
                if k_pres > d:
                    unreal += 1
                    continue
                I = np.sort(rng.choice(n, k_pres, replace=False))
                J = np.sort(rng.choice(d, k_pres, replace=False))
                U = cur_core(X, I, J, "truncated", 1)
                err = np.linalg.norm(X - X[:, J] @ U @ X[I, :]) / np.linalg.norm(X)
                if err > NL_TOL:
                    fails += 1
                    if first < 0:
                        first = rep
            out["cells"][f"{fam}|{c}"] = dict(fails=fails, n_ok=p["reps"] - unreal, unreal=unreal, first=first)
    return out


def noiseless_summarise(results, p, ctx):
    entries = []
    for c in NL_CS:
        agg = {}
        for ti, r in enumerate(results):
            for fam in NL_FAMILIES:
                cell = r["cells"][f"{fam}|{c}"]
                a = agg.setdefault((r["n"], fam), [0, 0, 0, None])
                a[0] += cell["fails"]
                a[1] += cell["n_ok"]
                a[2] += cell["unreal"]
                if cell["first"] >= 0 and a[3] is None:
                    a[3] = (ti, cell["first"])
        conf = 1 - 0.05 / (len(agg) * len(NL_CS))
        cells = {key: (rate_verdict(a[0], a[1], 1.0 / key[0] ** 2, conf), a) for key, a in agg.items()}
        allv = [v for (v, _), _ in cells.values()]
        verdict = combine_verdicts(allv)
        wkey = max(cells, key=lambda kk: cells[kk][1][0] / max(1, cells[kk][1][1]))
        (wv, wci), wa = cells[wkey]
        cx = None
        if verdict == VIOLATED and wa[3] is not None:
            cx = ctx.save_counterexample(f"{ID}.noiseless.c{c}", n=wkey[0], family=wkey[1], c=c, seed=ctx.seed,
                                         trial=wa[3][0], replicate=wa[3][1], reps=p["reps"],
                                         note="rerun noiseless_trial(trial seed, trial, params): the replicate "
                                              "fails exact recovery")
        tab = "\n".join(f"| {kk[0]} | {kk[1]} | {a[0]}/{a[1]} | [{ci[0]:.2e}, {ci[1]:.2e}] | {1 / kk[0] ** 2:.2e} | "
                        f"{a[2]} | {v} |" for kk, ((v, ci), a) in sorted(cells.items()))
        entries.append(Entry(
            f"{ID}.noiseless.c{c}",
            "Noiseless step (Chiu-Demanet): X = C U R exactly from k = O(mu r log n) uniform rows/columns "
            f"w.p. >= 1 - O(n^-2) [k = ceil({c} mu r log n), O-constant 1]",
            f"rank-1 X, d = n, rank-1 core, failure = rel. error > {NL_TOL}; rate rule per (n, family) cell vs "
            f"n^-2, Bonferroni confidence {conf:.4f}; entry = worst cell",
            verdict, wa[1], wa[0], wa[0] / max(1, wa[1]), list(wci), counterexample=cx,
            evidence=("| n | family | failures | CI | allowed n^-2 | unrealisable (k > d, skipped) | cell |\n"
                      "|---|---|---|---|---|---|---|\n" + tab
                      + "\n\nThe support family uses the smallest support m for which the prescribed count fits "
                        "in d: recovery needs a sampled row and column inside the support, missed with "
                        "probability about 2(1 - m/n)^k ~ 2 n^(-c mu m/n)."),
            details={f"{kk[0]}|{kk[1]}": dict(failures=a[0], trials=a[1], ci=list(ci), verdict=v)
                     for kk, ((v, ci), a) in cells.items()}))
    return entries


def noiseless_figure(results, p, entries, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    ns = sorted({r["n"] for r in results})
    for fam, mk in zip(NL_FAMILIES, ("o", "s")):
        for c in NL_CS:
            k = [sum(r["cells"][f"{fam}|{c}"]["fails"] for r in results if r["n"] == n) for n in ns]
            m = [sum(r["cells"][f"{fam}|{c}"]["n_ok"] for r in results if r["n"] == n) for n in ns]
            hi = [clopper_pearson(a, b)[1] for a, b in zip(k, m)]
            ax.plot(ns, hi, mk + "-", label=f"{fam}, c = {c}: 95% upper end of P(fail)")
    ax.plot(ns, [1 / n ** 2 for n in ns], "k--", label="allowed n^-2")
    ax.set_yscale("log"); ax.set_xlabel("n"); ax.set_ylabel("failure probability")
    ax.set_title("Prop. 1 noiseless step: exact recovery failures"); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)


NOISELESS = Check(
    id=f"{ID}.noiseless", title="Proposition 1, noiseless step (exact recovery, Chiu-Demanet)",
    claim="Noiseless X rank-r, mu-incoherent: X = C U R exactly from O(mu r log n) uniform rows and columns "
          "with probability >= 1 - O(n^-2).",
    interpretation="k = ceil(mu r log n) (c = 1; c = 2 exceeds d at these n); allowed failure probability n^-2; n small enough that "
                   "n^-2 is resolvable. See the prop1 module docstring.",
    params=lambda quick: dict(trials=6, reps=700, ns=[24]) if quick else dict(trials=20, reps=700, ns=[24, 32]),
    trial=noiseless_trial, summarise=noiseless_summarise, figure=noiseless_figure)

CHECKS = [CHECK, NOISELESS]
