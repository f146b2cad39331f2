r"""Remark after Proposition 2: "with Kaiming init the kernel entries have variance O(1/n)".

Claim (CLAIMS.md, "Used after it"): with Kaiming init the kernel entries have variance
O(1/n), so "as long as sigma < O(sqrt n) the sequences are smoothed" (sigma as in
Prop. 2, where the kernel entries l_t have variance proxy sigma^2/n^2).

What is initialised: both code versions draw the frequency-domain kernel L as a real
tensor W of shape (n//2+1, d, 2) with PyTorch's ``kaiming_normal_`` /
``kaiming_uniform_`` (mode fan_in, relu).  PyTorch's fan_in of that shape is
``d * 2``, so std = sqrt(2)/sqrt(2d) = 1/sqrt(d): every real and imaginary part of L
has variance **1/d, independent of n** (``skeleton.smoothing.kaiming_kernel``).

Derivation of the time-domain variance (what Prop. 2's l_t are):
``k = irfft(L[:, j], n)`` is
k_t = (1/n)[Re L_0 + 2 sum_{f=1}^{floor((n-1)/2)} (a_f cos - b_f sin)(2 pi f t/n)
+ [n even] Re L_{n/2} (-1)^t], so with independent parts of variance p = 1/d,
Var(k_t) = p (1 + 4 floor((n-1)/2) + [n even]) / n^2 = (2n-2)/(d n^2) (n even),
(2n-1)/(d n^2) (n odd), i.e. ~ 2/(d n) for every t.  Hence in Prop. 2's notation
sigma^2/n^2 = Var(k_t) gives sigma = sqrt(n^2 Var(k_t)) ~ sqrt(2 n/d) = O(sqrt n).

Entries (``convention`` says which tensor each reads the remark on):

* ``kaiming_variance.time_entries_O(1/n)`` — the faithful reading: Prop. 2's l_t are
  the entries of the time-domain kernel irfft(L); constant rule on n * Var(k_t).
* ``kaiming_variance.freq_entries_O(1/n)`` — the same words read on the entries of L
  (the tensor that is initialised): constant rule on n * Var(Re L) across n.  It grows
  like n (the variance is 1/d).
* ``kaiming_variance.corrected.part_variance`` (corrects the frequency reading; held-out
  trials) and ``.time_variance_formula`` — the closed forms 1/d and (2n-2)/(d n^2)
  against Monte Carlo (sampling-agreement rule, per n and per distribution).
* ``kaiming_variance.sigma_O(sqrt n)`` — sigma = n sd(k_t) is O(sqrt n): constant rule
  on sigma/sqrt(n).

Parameters and why: d = 64 (the LRA setting's hidden size, 2 heads x 32); n from 64
to 8192 (LRA lengths 1K-4K and beyond; a factor 128 so that growth like n cannot hide
under the growth factor 2 of the constant rule); both initialisations.  Odd and even
n (the Nyquist bin differs).
"""

from __future__ import annotations

import math

import numpy as np

from skeleton.smoothing import kaiming_kernel, kaiming_variance

from ._entry import Derivation, Entry, corrected
from ._figures import CLAIM_STYLE, colour, finish, size_axis, subplots
from ._framework import Check, seed_of, split, trial_seeds
from ._verdict import VIOLATED, fit_constant, sampling_verdict

ID = "kaiming_variance"
DISTS = ("normal", "uniform")


def part_stats(L):
    """Mean square of the real and imaginary parts of L (its mean is 0) and the SE."""
    parts = np.concatenate([L.real.ravel(), L.imag.ravel()])
    sq = parts * parts
    return float(sq.mean()), float(sq.std(ddof=1) / math.sqrt(sq.size))


def time_stats(L, n):
    """Mean square of irfft(L, n) entries and its SE (entries of a column are correlated
    only through the 1/n-small covariance; the SE uses the column means as the units)."""
    k = np.fft.irfft(L, n, axis=0)
    sq = k * k
    col = sq.mean(axis=0)                       # independent across the d columns
    return float(col.mean()), float(col.std(ddof=1) / math.sqrt(col.size))


def trial(ss, i, p):
    n = p["ns"][i % len(p["ns"])]
    d = p["d"]
    rng = np.random.default_rng(ss)
    out = dict(n=n, d=d)
    for dist in DISTS:
        L = kaiming_kernel(n, d, distribution=dist, rng=rng)
        out[dist] = dict(zip(("part", "part_se"), part_stats(L)))
        out[dist].update(zip(("time", "time_se"), time_stats(L, n)))
    return out


TIME = "time-domain kernel l_t = irfft(L)_t: the l of Prop. 2 (the faithful reading)"
FREQ = "frequency-domain tensor L (what PyTorch initialises)"


def summarise(results, p, ctx):
    main, held, main_idx, held_idx = split(results, p)
    d = p["d"]
    sizes = [r["n"] for r in main for _ in DISTS]
    # the remark, read on the tensor Prop. 2 uses (its l_t are time-domain kernel entries)
    ft = fit_constant(sizes, [r[dist]["time"] * r["n"] for r in main for dist in DISTS])
    e_t = Entry.of_constant(
        id=f"{ID}.time_entries_O(1/n)",
        claim="With Kaiming init the kernel entries have variance O(1/n) [read on l_t = irfft(L)_t, Prop. 2's l]",
        interpretation="constant rule on n * Var(irfft(L)_t) across n (d fixed)", fit=ft, trials=len(sizes),
        convention=TIME, details=ft,
        evidence=f"2/d = {2 / d:.4g}: Var(l_t) = (2n-2)/(d n^2) <= 2/(d n).")
    # the same words read on the initialised tensor L
    fq = fit_constant(sizes, [r[dist]["part"] * r["n"] for r in main for dist in DISTS])
    cx = None
    if fq["verdict"] == VIOLATED:
        ti = max(range(len(main)), key=lambda t: main[t]["n"])
        ss = trial_seeds(ctx.seed, ID, len(results))[ti]
        cx = ctx.save_counterexample(
            f"{ID}.freq_entries_O(1_n)", trial=ti, n=main[ti]["n"], d=d,
            measured_var=main[ti]["normal"]["part"], claimed_rate=1.0 / main[ti]["n"],
            note="L = kaiming_kernel(n, d, 'normal', rng=default_rng(SeedSequence(entropy, spawn_key)))",
            **{f"seed_{k}": v for k, v in seed_of(ss).items()})
    e_f = Entry.of_constant(
        id=f"{ID}.freq_entries_O(1/n)",
        claim="With Kaiming init the kernel entries have variance O(1/n) [read on the initialised tensor L]",
        interpretation="constant rule on n * Var(Re/Im L) across n (d fixed)", fit=fq, trials=len(sizes),
        counterexample=cx, convention=FREQ, details=fq,
        evidence=(f"Var(L parts) = 1/d = {1 / d:.4g} whatever n: PyTorch's fan_in of the (n//2+1, d, 2) tensor is "
                  "2d, not n. This reading is not the one Prop. 2 needs (its l_t live in the time domain)."))
    entries = [e_t, e_f]
    # closed forms vs Monte Carlo; the 1/d of L's parts is the corrected statement of the frequency reading
    derived = Derivation("PyTorch's fan_in of the (n//2+1, d, 2) tensor (module docstring), after the main "
                         "trials showed the frequency reading failing", samples=main_idx)
    for key, label, part in (("part", "corrected.part_variance", held), ("time", "time_variance_formula", main)):
        meas, claimed, se, where = [], [], [], []
        for r in part:
            v = kaiming_variance(r["n"], d)
            for dist in DISTS:
                meas.append(r[dist][key])
                se.append(r[dist][key + "_se"])
                claimed.append(v["part"] if key == "part" else v["time"])
                where.append((r["n"], dist))
        res = sampling_verdict(meas, claimed, se)
        worst = int(np.argmax(res[3]))
        e = Entry.of_sampling(
            id=f"{ID}.{label}",
            claim=("Corrected: the entries of L itself have variance 1/d (Var Re L = Var Im L = 1/d for "
                   "kaiming_normal_/kaiming_uniform_, fan_in = 2d), independent of n" if key == "part" else
                   "Var(irfft(L, n)_t) = (2n-2)/(d n^2) (n even), (2n-1)/(d n^2) (n odd) for every t"),
            interpretation="closed forms from skeleton.smoothing.kaiming_variance against Monte Carlo"
                           + ("; held-out trials" if key == "part" else ""),
            result=res, convention=FREQ if key == "part" else TIME,
            evidence=(f"Worst comparison at (n, init) = {where[worst]}: measured {meas[worst]:.5g} vs closed form "
                      f"{claimed[worst]:.5g}."))
        entries.append(corrected(e, of=e_f.id if e_f.verdict == VIOLATED else None, derived=derived,
                                 tested_on=held_idx) if key == "part" else e)
    sig = [math.sqrt(r[dist]["time"]) * r["n"] / math.sqrt(r["n"]) for r in main for dist in DISTS]
    fs = fit_constant(sizes, sig)
    nmax = max(sizes)
    c = math.sqrt(2.0 / d)
    entries.append(Entry.of_constant(
        id=f"{ID}.sigma_O(sqrt n)",
        claim="Kaiming init corresponds to sigma = O(sqrt n) in Prop. 2 (l_t variance sigma^2/n^2)",
        interpretation="sigma := n * sd(irfft(L)_t); constant rule on sigma/sqrt(n) across n", fit=fs,
        trials=len(sizes), convention=TIME, details=fs,
        evidence=(f"sigma/sqrt(n) -> sqrt(2/d) = {c:.4g}. With sigma = sqrt(2n/d) the printed Prop. 2 bound's first "
                  f"term is b sqrt(2n/d) sqrt(log(2n/delta)/(2n)) = b sqrt(log(2n/delta)/d) = "
                  f"{math.sqrt(math.log(2 * nmax / 0.05) / d):.3g} b at n = {nmax}, and the corrected bound's "
                  f"(prop2.corrected.max_t) is b sqrt(2n/d) sqrt(2 log(2n/delta)/n) = "
                  f"{math.sqrt(4 * math.log(2 * nmax / 0.05) / d):.3g} b: the differences shrink relative to the "
                  "input's b only when d is large; 'smoothed' holds only in that weak form.")))
    return entries


def finding(entries):
    by = {e.id: e for e in entries}
    t, f = by[f"{ID}.time_entries_O(1/n)"], by[f"{ID}.freq_entries_O(1/n)"]
    return (f"Read on the time-domain kernel l_t (the tensor Prop. 2 uses, the faithful reading): {t.verdict}, "
            f"n Var(l_t) <= {t.constant if t.constant is not None else float('nan'):.3g} (-> 2/d). Read on the "
            f"initialised frequency-domain L: {f.verdict} (its entries have variance 1/d, independent of n). "
            f"sigma = O(sqrt n): {by[f'{ID}.sigma_O(sqrt n)'].verdict}.")


def _d(dd):
    return "{" + ", ".join(f"{k:g}: {v:.4g}" for k, v in dd.items()) + "}"


def figure(results, p, entries, path):
    by = {e.id: e for e in entries}
    fig, axes = subplots(1, 1, width=6.4, height=4.4)
    ax = axes[0]
    ns = np.array([r["n"] for r in results])
    for key, eid, mk, lab in (("time", f"{ID}.time_entries_O(1/n)", "o", "Var(irfft(L)_t) (Prop. 2's l_t)"),
                              ("part", f"{ID}.freq_entries_O(1/n)", "s", "Var(Re/Im L) (initialised tensor)")):
        for dist in DISTS:
            ax.scatter(ns, [r[dist][key] for r in results], marker=mk, s=18, color=colour(by[eid].verdict),
                       label=f"{lab}, {dist}" if dist == DISTS[0] else None, alpha=0.7)
    u = np.unique(ns)
    ax.plot(u, 1 / u, **CLAIM_STYLE)
    ax.plot(u, [kaiming_variance(int(n), p["d"])["time"] for n in u], "k:", label="closed form (2n-2)/(d n^2)")
    size_axis(ax, u)
    ax.set_yscale("log")
    finish(fig, axes, path, title=f"Kaiming-initialised kernel, d = {p['d']}", xlabel="n", ylabel="variance",
           verdicts=[by[f"{ID}.time_entries_O(1/n)"].verdict, by[f"{ID}.freq_entries_O(1/n)"].verdict],
           claim_label="claimed rate 1/n")


CHECK = Check(
    id=ID, title="Kaiming initialisation gives kernel variance O(1/n) (remark after Prop. 2)",
    claim="With Kaiming init the kernel entries have variance O(1/n), so as long as sigma < O(sqrt n) "
          "the sequences are smoothed.",
    interpretation="Tested on the time-domain kernel irfft(L) that Prop. 2's l_t are (the faithful reading) and "
                   "on the initialised frequency-domain tensor L; both PyTorch initialisations (normal: appendix "
                   "Smoother; uniform: repository LMUFFT_nccl). See the module docstring.",
    params=lambda quick: dict(trials=16 if quick else 48, held_out=8 if quick else 24, d=64,
                              ns=[64, 255, 1024, 8192] if quick else [64, 255, 512, 1024, 2048, 4096, 8192]),
    trial=trial, summarise=summarise, figure=figure, finding=finding, cost=(0.008, 0.005))
