# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Checking a paper's claims numerically
#
# A theorem with an $O(\cdot)$ and a "with high probability" cannot be *proved* by
# computation, but it can be *tested*: a false statement leaves evidence (inputs
# on which it fails too often, or a constant that has to grow with the size), and
# a true one survives a search for such inputs. `skeleton verify` runs one check
# per claim of Wang et al. (arXiv 2408.08567, restated in the project's
# CLAIMS.md) and writes a verdict for each, computed from the numbers:
#
# | verdict | meaning |
# |---|---|
# | `holds` | no failure beyond what the statement allows |
# | `holds_with_constant` | an $O(\cdot)$ claim whose measured ratio to the claimed rate stays bounded over the sizes tried; the constant is reported |
# | `violated` | the failure rate is significantly above what is allowed, or the ratio grows without bound; a counterexample is saved |
# | `inconclusive` | the trials cannot separate the two; the reason is stated |
#
# Beside the verdict, every entry says whether it is **vacuous** (a trivial competitor
# meets the claim too) and, where the paper is ambiguous, which reading
# (`convention`) it tests.
#
# This notebook shows the rules on toy numbers, then runs a check and reads its
# report.

# %%
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from IPython.display import Image, Markdown, display

from proofs_checks._verdict import (clopper_pearson, fit_constant, rate_trend,
                                    rate_verdict)
import textwrap

# %% [markdown]
# ## Rule 1: a probability claim
#
# "With probability at least $1-\delta$, the bound holds." Run $N$ independent
# trials and count the $k$ failures. $k/N$ alone is not enough: with $N = 50$ a
# true failure rate of 0.05 easily shows as 0.08. The **Clopper-Pearson**
# interval $[p_{lo}, p_{hi}]$ contains the true failure rate with probability at
# least 95 %: $p_{lo}$ is the $p$ with $P(\mathrm{Bin}(N,p)\ge k) = 0.025$ and
# $p_{hi}$ the $p$ with $P(\mathrm{Bin}(N,p)\le k) = 0.025$. The claim is
# `violated` when $p_{lo} > \delta$, `holds` when $p_{hi} < \delta$, and
# `inconclusive` otherwise.

# %%
delta = 0.05
for k, N in [(0, 200), (4, 50), (30, 200), (12, 100)]:
    verdict, (lo, hi) = rate_verdict(k, N, delta)
    print(f"{k:3d}/{N:<4d} failures: CI [{lo:.3f}, {hi:.3f}] -> {verdict}")

# %% [markdown]
# ## Rule 2: a claim with an unknown constant
#
# "$\text{error} \le O(g(n))$": the ratio error$/g(n)$ must stay bounded as $n$
# grows. The rule takes the largest ratio at each size, regresses its logarithm on
# $\log n$, and calls the claim `violated` when the slope is significantly positive
# *and* the ratio grew by more than a factor 2 over the sizes tried; a significant
# but small growth (say a missing $\log n$) is `inconclusive`; a slope whose whole
# confidence interval lies below 0.05 (a ratio converging from below, such as
# $1 - 1/(2n)$) counts as no growth, since a $\log n$ factor has local slope
# $1/\ln n > 0.05$ at every size below $5 \cdot 10^8$; otherwise
# `holds_with_constant`, with the constant and its spread. Two toy claims: one whose
# ratio is constant up to noise, one whose ratio grows like $\sqrt n$ (the bound is
# missing a factor $\sqrt n$).

# %%
rng = np.random.default_rng(0)
sizes = np.repeat([64, 128, 256, 512, 1024], 20)
bounded = 1.5 * rng.uniform(0.5, 1.0, sizes.size)
growing = 0.1 * np.sqrt(sizes) * rng.uniform(0.5, 1.0, sizes.size)
for name, ratios in [("bounded", bounded), ("growing", growing)]:
    fit = fit_constant(sizes, ratios)
    print(f"{name}: {fit['verdict']}")
    print(textwrap.fill(fit["reason"], 76, initial_indent="  ",
                        subsequent_indent="  "))

# %% [markdown]
# ## Rule 3: "with probability at least $1 - O(n^{-p})$"
#
# A per-size maximum says nothing about such a claim: the largest of $N$ draws grows
# with $N$ for any heavy-tailed error, and a tail whose mass does not shrink with $n$
# can hide behind it. The **rate-trend rule** fixes a generous constant $C$, counts the
# trials whose error exceeds $C$ times the claimed rate, and fits the decay of the
# failure rate, rate $\approx A n^{b}$, by maximum likelihood (Poisson counts, a
# profile-likelihood interval for $b$). The claim needs $b \le -p$: the rule says
# `violated` when the whole interval of $b$ lies above $-p$ (flat and rising rates
# are the plain cases), `holds` when it lies below, and `inconclusive` otherwise --
# including when nothing failed, since then no decay can be fitted. Two toy claims
# with $p = 2$: a flat failure rate, and one that falls like $n^{-4}$.

# %%
ns = [128, 256, 512, 1024]
for name, k in [("flat", [60, 58, 61, 59]), ("n^-4", [4000, 250, 16, 1])]:
    trials = [300] * 4 if name == "flat" else [10 ** 5] * 4
    t = rate_trend(ns, k, trials, p=2)
    lo, hi = t.slope_ci
    print(f"{name:5s}: {t.verdict:12s} slope {t.slope:.2f} "
          f"[{lo:.2f}, {hi:.2f}]")

# %% [markdown]
# ## Vacuous claims and corrected statements
#
# A bound that a *trivial competitor* also meets says nothing about the method it is
# stated for. Every entry carries `vacuous` and, when true, `trivial`: the competitor
# and its number (for Proposition 1, $\hat X = X + E$ -- keep every row and column --
# whose error $\|E\|$ already meets the bound). A corrected statement (where a claim
# fails) is tested only on *held-out* trials, seeded apart from the ones that
# prompted it; the machinery refuses anything else:

# %%
from proofs_checks._entry import Derivation, Entry, PostHocCorrection, corrected

fix = Entry.of_deterministic(id="toy.fix", interpretation="", failures=0,
                             trials=100,
                             claim="a threshold chosen on trials 0-99")
derived = Derivation("max of trials 0-99", samples=range(100))
try:
    corrected(fix, of="toy.claim", derived=derived, tested_on=range(100))
except PostHocCorrection as exc:
    print(textwrap.fill(f"refused: {exc}", 78))
held_out = corrected(fix, of="toy.claim", derived=derived,
                     tested_on=range(100, 200))
print(held_out.tested_on)

# %% [markdown]
# ## Running a check
#
# The command line is `skeleton verify [--quick] [--only ID ...] [--out DIR]`. We
# run the check of Definition 1 in its quick form (a few seconds) through the same
# entry point the console script uses, into a temporary folder.

# %%
from skeleton.cli import main as skeleton_main

import contextlib
import io

out = Path(tempfile.mkdtemp(prefix="verify-"))
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    status = skeleton_main(["verify", "--quick", "--only", "def1",
                            "--out", str(out), "--no-progress"])
for line in printed.getvalue().splitlines():   # the summary, first columns
    print(line[:78])
print("exit status", status)
print(textwrap.fill(", ".join(sorted(p.name for p in out.iterdir())), 78))

# %% [markdown]
# `results.json` holds one entry per claim (and per corrected statement), with the
# claim quoted, the interpretation chosen, the verdict, the trial counts, the
# interval, any fitted constant and the counterexample file:

# %%
results = json.loads((out / "results.json").read_text())
rows = ["| id | verdict | vacuous | kind | failures / trials | CI (level) |",
        "|---|---|---|---|---|---|"]
for c in results["checks"]:
    ci = "-"
    if c.get("ci"):
        lo, hi = c["ci"]
        ci = f"[{lo:.3f}, {hi:.3f}] ({100 * c['ci_level']:.4g}%)"
    counts = "-"
    if c.get("failures") is not None:
        counts = f"{c['failures']}/{c['trials']}"
    rows.append(f"| `{c['id']}` | {c['verdict']} | {c['vacuous']} "
                f"| {c['kind']} | {counts} | {ci} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# `report.md` opens with the counts per verdict and the vacuous flags, then one
# paragraph per claim (claim, finding, corrected statements), then every entry with its
# interpretation, parameters, figure and evidence:

# %%
report_md = (out / "report.md").read_text()
findings = report_md[report_md.index("## Findings"):
                     report_md.index("## All entries")]
display(Markdown(findings))
display(Image(filename=str(out / "def1.png")))

# %% [markdown]
# ## What was found for this paper
#
# The full report of the project is committed under `docs/verification/` (see the
# *Verification report* page of this site). If it is present, we summarise its
# verdicts here — read from the file, not typed in. Entries whose `corrected_of` is
# set are corrected statements derived where a claim failed.

# %%
def find_report():
    here = Path.cwd()
    for base in (here, *here.parents):
        candidate = base / "docs" / "verification" / "results.json"
        if candidate.exists():
            return candidate
    return None


report = find_report()
if report is None:
    print("docs/verification/results.json is not present in this checkout;\n"
          "run  skeleton verify --out docs/verification  to produce it.")
else:
    full = json.loads(report.read_text())
    checks = full["checks"]
    counts = {}
    for c in checks:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    vacuous = sum(bool(c.get("vacuous")) for c in checks)
    print(f"{len(checks)} entries (schema {full.get('schema')}, "
          f"quick run: {full.get('quick')}, seed {full.get('seed')})")
    print(textwrap.fill(f"{counts}; vacuous: {vacuous}", 78))
    rows = ["| id | verdict | vacuous: trivial competitor | corrects |",
            "|---|---|---|---|"]
    for c in checks:
        if c["verdict"] != "holds" or c.get("vacuous"):
            trivial = "no"
            if c.get("vacuous"):
                trivial = (c.get("trivial") or "").replace("|", "/")[:120]
            corrects = c.get("corrected_of") or ""
            rows.append(f"| `{c['id']}` | {c['verdict']} | {trivial} "
                        f"| {corrects} |")
    if len(rows) > 2:
        intro = "Entries that are not a plain `holds`:\n\n"
        display(Markdown(intro + "\n".join(rows)))
    else:
        print("every entry holds")

# %% [markdown]
# **Takeaways.** A verdict is a rule applied to measured numbers: confidence
# intervals for failure rates, the decay of a failure rate in $n$, a trend test for
# constants. A bound a trivial competitor meets is flagged vacuous, and a corrected
# statement is tested on held-out trials only. The rules are stated in
# `proofs_checks/_verdict.py` and tested on planted claims (true, false, heavy-tailed,
# vacuous, with a growing constant) so that a verdict can be trusted to mean what it
# says.
