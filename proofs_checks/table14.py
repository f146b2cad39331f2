r"""Appendix E / Table 14: the smoother lowers the incoherence mu.

Claim (CLAIMS.md): with r = s1 = s2 = 8 on LRA Text and Pathfinder, validation token
matrices after 100 training steps, mu at rank 32 and 16 drops from X to X_smooth
("the average incoherence value reduced 30%"), and the spread (standard error) drops.

What can and cannot be tested here.  The 30% figure is about *trained* kernels on
*LRA* token matrices; neither trained weights nor the LRA data are available, so that
number is not reproduced.  What is tested:

* ``table14.paper_arithmetic`` — the paper's own table (numbers as restated in
  CLAIMS.md, the input data of this entry) averages to a 30% reduction: agreement rule
  with rtol 0.1 on the mean of the four relative reductions (i.e. 27%-33%).
* ``table14.paper_spread`` — every standard error in the table drops after smoothing
  (deterministic rule on the table).
* ``table14.reduces.<kernel>`` — the mechanism, on inputs we can build: does the
  smoother (eq. (3), r = 8 segments, block layout, circular FFT as in the paper) lower
  mu at ranks 16 and 32?  Kernels: ``kaiming`` (the untrained random initialisation of
  both code versions: the control), ``legt`` (the constructed LegT memory kernel of
  Prop. 3, theta = 64, s = 8), ``gaussian_bank`` (a constructed bank of causal Gaussian
  low-pass kernels, widths 1..32, one per column).  Input families (n = 1024 as
  Pathfinder, d = 64 as the LRA models): i.i.d. Gaussian tokens (mu near its minimum),
  Zipf-distributed token embeddings with sinusoidal positions (text-like), quantised
  32 x 32 images with dashed curves embedded per intensity (Pathfinder-like), Gaussian
  tokens with a few outlier tokens (coherent), normalised random walks (smooth).
  Rule per family: the relative reduction 1 - mu(X_smooth)/mu(X) over trials and both
  ranks has a 95% t-interval; the entry is ``violated`` if some family's interval lies
  below 0 (smoothing raises mu there), ``holds`` if every family's lies above 0,
  ``inconclusive`` otherwise.  The 30% level is compared in the evidence.
* ``table14.corrected.<kernel>`` (only for a violated kernel) — derived restriction.
  A convolution along the sequence mixes each token with its neighbours.  If mu comes
  from a few outlying tokens (a row i with leverage near 1, mu_rows ~ n/k), the
  smoothed matrix spreads that row over the kernel's support, so its leverage, and
  mu_rows, drop by about the support length; nothing similar holds for inputs whose
  mu is already near its minimum, or for smooth inputs, where a low-pass kernel
  removes the high-frequency directions and concentrates the column leverage of the
  remaining ones (measured: mu rises).  Corrected statement: the smoother lowers mu
  on inputs with outlying tokens, mu_rows(X) >= 10 at that rank (a Gaussian matrix
  of this shape has mu_rows ~ 2-3), checked with the same interval rule on those
  samples only.

mu is ``skeleton.incoherence(X, rank=k).mu``; a rank-k subspace with sigma_k <= 1e-10
sigma_1 makes mu undefined and is dropped (counted in the evidence).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from skeleton import incoherence
from skeleton.smoothing import gaussian_kernel, kaiming_kernel, legt_kernel, smooth, to_frequency

from ._framework import Check, Entry
from ._verdict import HOLDS, INCONCLUSIVE, VIOLATED, agreement_verdict, deterministic_verdict

ID = "table14"
RANKS = (16, 32)
FAMILIES = ("gaussian", "text_like", "pathfinder_like", "outliers", "random_walk")
KERNELS = ("kaiming", "legt", "gaussian_bank")
ROW_SPIKE_MU = 10.0

# Table 14 as restated in CLAIMS.md: (mean, standard error) of mu before / after.
PAPER = {
    ("Text", 32): ((2.75, 0.027), (2.05, 0.007)),
    ("Pathfinder", 32): ((3.83, 0.221), (1.99, 0.001)),
    ("Text", 16): ((3.98, 0.046), (3.23, 0.038)),
    ("Pathfinder", 16): ((4.88, 0.264), (3.48, 0.001)),
}


def positions(n, d):
    pos = np.arange(n)[:, None]
    i = np.arange(d // 2)[None, :]
    ang = pos / 10000 ** (2 * i / d)
    return np.hstack([np.sin(ang), np.cos(ang)])


def make_input(rng, fam, n, d):
    if fam == "gaussian":
        return rng.standard_normal((n, d))
    if fam == "text_like":
        V = 256
        emb = rng.standard_normal((V, d))
        p = 1.0 / np.arange(1, V + 1)
        tok = rng.choice(V, n, p=p / p.sum())
        return emb[tok] + positions(n, d)
    if fam == "pathfinder_like":
        side = int(round(math.sqrt(n)))
        img = np.zeros((side, side))
        for _ in range(2):                                  # two dashed random curves
            y, x = rng.uniform(0, side, 2)
            ang = rng.uniform(0, 2 * np.pi)
            for k in range(3 * side):
                ang += rng.normal(0, 0.3)
                y, x = (y + np.sin(ang)) % side, (x + np.cos(ang)) % side
                if (k // 3) % 2 == 0:
                    img[int(y), int(x)] = 1.0
        levels = np.clip((img.ravel()[:n] * 7).astype(int), 0, 7)
        emb = rng.standard_normal((8, d))
        return emb[levels] + positions(n, d)
    if fam == "outliers":
        X = rng.standard_normal((n, d))
        X[rng.choice(n, 3, replace=False)] *= 20.0
        return X
    if fam == "random_walk":
        W = np.cumsum(rng.standard_normal((n, d)), axis=0)
        return W / np.abs(W).max(axis=0, keepdims=True)
    raise ValueError(fam)


def make_kernel(rng, kind, n, d, r):
    if kind == "kaiming":
        return kaiming_kernel(n, d, rng=rng)
    if kind == "legt":
        return to_frequency(legt_kernel(n, d // r, 64.0, r=r))
    if kind == "gaussian_bank":
        widths = np.geomspace(1.0, 32.0, d)
        K = np.column_stack([gaussian_kernel(n, 1, w)[:, 0] for w in widths])
        return to_frequency(K)
    raise ValueError(kind)


def mu_or_none(X, k):
    inc = incoherence(X, rank=k)
    s = np.asarray(inc.singular_values)
    if s[k - 1] <= 1e-10 * s[0]:
        return None
    return float(inc.mu)


def trial(ss, i, p):
    rng = np.random.default_rng(ss)
    n, d, r = p["n"], p["d"], p["r"]
    fam = FAMILIES[i % len(FAMILIES)]
    X = make_input(rng, fam, n, d)
    rec = dict(fam=fam, mu={str(k): mu_or_none(X, k) for k in RANKS},
               mu_rows={str(k): float(incoherence(X, rank=k).mu_rows) for k in RANKS})
    for kind in KERNELS:
        Y = smooth(X, make_kernel(rng, kind, n, d, r), r, workers=1)
        rec[kind] = {str(k): mu_or_none(Y, k) for k in RANKS}
    return rec


def t_interval(v, conf=0.95):
    v = np.asarray(v, float)
    if v.size < 2:
        return (float("-inf"), float("inf"))
    h = stats.t.ppf(1 - (1 - conf) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return (float(v.mean() - h), float(v.mean() + h))


def reductions(results, kind, only_coherent=False):
    """{family: [1 - mu_s/mu_x]} over trials and ranks; and the count of undefined mu."""
    out, undefined = {}, 0
    for rr in results:
        for k in RANKS:
            a, b = rr["mu"][str(k)], rr[kind][str(k)]
            if a is None or b is None:
                undefined += 1
                continue
            if only_coherent and rr["mu_rows"][str(k)] < ROW_SPIKE_MU:
                continue
            out.setdefault(rr["fam"], []).append(1.0 - b / a)
    return out, undefined


def family_verdict(red):
    cis = {f: t_interval(v) for f, v in red.items()}
    if any(hi < 0 for lo, hi in cis.values()):
        return VIOLATED, cis
    if cis and all(lo > 0 for lo, hi in cis.values()):
        return HOLDS, cis
    return INCONCLUSIVE, cis


def summarise(results, p, ctx):
    out = []
    reds = [1 - after[0] / before[0] for before, after in PAPER.values()]
    mean_red = float(np.mean(reds))
    out.append(Entry(
        f"{ID}.paper_arithmetic", "Table 14: 'the average incoherence value reduced 30%'",
        "mean over the four (dataset, rank) cells of 1 - mu_Xsmooth/mu_X from the paper's table; agreement "
        "rule, rtol 0.1 around 0.30", agreement_verdict(mean_red, 0.30, rtol=0.1), len(reds),
        evidence="per-cell reductions: " + ", ".join(f"{k[0]} r={k[1]}: {v:.1%}" for k, v in zip(PAPER, reds))
                 + f"; mean {mean_red:.1%}. The data are the paper's (trained models, LRA); not re-measured."))
    k = sum(after[1] >= before[1] for before, after in PAPER.values())
    out.append(Entry(
        f"{ID}.paper_spread", "Table 14: the spread (standard error) of mu drops after smoothing",
        "deterministic rule on the paper's four cells", deterministic_verdict(k), len(PAPER), k, k / len(PAPER),
        evidence=", ".join(f"{kk[0]} r={kk[1]}: {b[1]} -> {a[1]}" for kk, (b, a) in PAPER.items())))
    mus = {}
    for rr in results:
        for kk in RANKS:
            mus.setdefault((rr["fam"], kk), []).append(rr["mu"][str(kk)])
    base = "mu(X) per family (mean at r=16 / r=32): " + "; ".join(
        f"{f}: {_m(mus.get((f, 16)))} / {_m(mus.get((f, 32)))}" for f in FAMILIES) + \
        ". Paper (trained, LRA): Text 3.98 / 2.75, Pathfinder 4.88 / 3.83."
    for kind in KERNELS:
        red, und = reductions(results, kind)
        v, cis = family_verdict(red)
        allr = [x for vv in red.values() for x in vv]
        after = "; ".join(f"{f}: {_m([rr[kind]['16'] for rr in results if rr['fam'] == f])} / "
                          f"{_m([rr[kind]['32'] for rr in results if rr['fam'] == f])}" for f in FAMILIES)
        tab = "\n".join(f"| {f} | {np.mean(v_):.1%} | [{cis[f][0]:.1%}, {cis[f][1]:.1%}] | {len(v_)} |"
                        for f, v_ in red.items())
        nbad = sum(hi < 0 for lo, hi in cis.values())
        e = Entry(f"{ID}.reduces.{kind}",
                  f"The smoother lowers mu at ranks 16 and 32 [kernel: {kind}"
                  f"{', untrained random control' if kind == 'kaiming' else ', constructed'}]",
                  "eq. (3), r = 8 segments, block layout, circular; per-family 95% t-interval of the relative "
                  "reduction (trials x ranks); violated if some family's interval < 0, holds if all > 0",
                  v, len(allr), nbad, None, None,
                  evidence=(f"mean reduction over all samples {np.mean(allr):.1%} (paper's trained figure: 30%). "
                            f"{base} mu(X_smooth): {after}. Undefined mu (rank-deficient) dropped: {und}.\n\n"
                            "| family | mean reduction | 95% CI | samples |\n|---|---|---|---|\n" + tab),
                  details=dict(ci={f: list(c) for f, c in cis.items()}))
        if v == VIOLATED:
            cx = None
            worst = min(cis, key=lambda f: cis[f][1])
            idx = next(i for i, rr in enumerate(results) if rr["fam"] == worst)
            cx = ctx.save_counterexample(f"{ID}.reduces.{kind}", trial=idx, seed=ctx.seed, family=worst,
                                         kernel=kind, mu_before=[results[idx]["mu"][str(q)] or np.nan for q in RANKS],
                                         mu_after=[results[idx][kind][str(q)] or np.nan for q in RANKS],
                                         ranks=np.array(RANKS))
            e.counterexample = cx
        out.append(e)
        if v == VIOLATED:
            red_c, _ = reductions(results, kind, only_coherent=True)
            vc, cis_c = family_verdict(red_c)
            tab = "\n".join(f"| {f} | {np.mean(v_):.1%} | [{cis_c[f][0]:.1%}, {cis_c[f][1]:.1%}] | {len(v_)} |"
                            for f, v_ in red_c.items())
            n_c = sum(len(v_) for v_ in red_c.values())
            out.append(Entry(
                f"{ID}.corrected.{kind}",
                f"Corrected: the smoother [{kind}] lowers mu on inputs whose coherence comes from a few outlying "
                f"tokens (row incoherence n/k max_i ||W_i||^2 >= {ROW_SPIKE_MU} at rank k)",
                f"same rule restricted to samples with mu_rows(X) >= {ROW_SPIKE_MU} (derivation in the module docstring)",
                vc if n_c else INCONCLUSIVE, n_c, sum(hi < 0 for lo, hi in cis_c.values()),
                corrected_of=e.id,
                evidence=("no coherent samples" if not n_c else
                          "| family | mean reduction | 95% CI | samples |\n|---|---|---|---|\n" + tab),
                details=dict(ci={f: list(c) for f, c in cis_c.items()})))
    return out


def _m(v):
    v = [x for x in (v or []) if x is not None]
    return f"{np.mean(v):.3g}" if v else "-"


def figure(results, p, entries, path):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    w = 0.8 / (1 + len(KERNELS))
    for ax, kk in zip(axes, RANKS):
        x = np.arange(len(FAMILIES))
        for j, kind in enumerate(("mu",) + KERNELS):
            vals = [np.mean([rr[kind][str(kk)] for rr in results if rr["fam"] == f and rr[kind][str(kk)] is not None]
                            or [np.nan]) for f in FAMILIES]
            ax.bar(x + j * w, vals, w, label="X" if kind == "mu" else f"X_smooth ({kind})")
        ax.set_xticks(x + 0.4 - w / 2); ax.set_xticklabels(FAMILIES, rotation=20, fontsize=8)
        ax.set_title(f"mu at rank {kk}"); ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)


CHECK = Check(
    id=ID, title="Table 14: the smoother lowers incoherence (Appendix E)",
    claim="With r = s1 = s2 = 8 on LRA Text and Pathfinder (trained 100 steps), mu at rank 32 and 16 drops from "
          "X to X_smooth: 'the average incoherence value reduced 30%', and the spread drops.",
    interpretation="The trained-model figure is not reproducible here (no trained weights, no LRA data); tested: "
                   "the paper's arithmetic, and whether the smoother lowers mu with an untrained random kernel "
                   "and with constructed kernels on built input families. See the module docstring.",
    # quick = full: the check takes seconds, and interval verdicts need the same samples to agree
    params=lambda quick: dict(trials=len(FAMILIES) * 10, n=1024, d=64, r=8),
    trial=trial, summarise=summarise, figure=figure)
