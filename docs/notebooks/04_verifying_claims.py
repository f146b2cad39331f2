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
# This notebook shows the rules on toy numbers, then runs a check and reads its
# report.

# %%
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from IPython.display import Image, Markdown, display

from proofs_checks._verdict import clopper_pearson, fit_constant, rate_verdict

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
    print(f"{k:3d}/{N:<4d} failures: CI [{lo:.3f}, {hi:.3f}] vs delta = {delta} -> {verdict}")

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
    print(f"{name:8s}: {fit['verdict']:20s} {fit['reason']}")

# %% [markdown]
# ## Running a check
#
# The command line is `skeleton verify [--quick] [--only ID ...] [--out DIR]`. We
# run the check of Definition 1 in its quick form (a few seconds) through the same
# entry point the console script uses, into a temporary folder.

# %%
from skeleton.cli import main as skeleton_main

out = Path(tempfile.mkdtemp(prefix="verify-"))
status = skeleton_main(["verify", "--quick", "--only", "def1", "--out", str(out),
                        "--no-progress"])
print("exit status", status, "; files:", sorted(p.name for p in out.iterdir()))

# %% [markdown]
# `results.json` holds one entry per claim (and per corrected statement), with the
# claim quoted, the interpretation chosen, the verdict, the trial counts, the
# interval, any fitted constant and the counterexample file:

# %%
results = json.loads((out / "results.json").read_text())
rows = ["| id | verdict | failures / trials | CI | constant |", "|---|---|---|---|---|"]
for c in results["checks"]:
    ci = "-" if not c.get("ci") else f"[{c['ci'][0]:.3f}, {c['ci'][1]:.3f}]"
    const = "-" if c.get("constant") is None else f"{c['constant']:.3g}"
    rows.append(f"| `{c['id']}` | {c['verdict']} | {c.get('failures')}/{c.get('trials')} "
                f"| {ci} | {const} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# Each entry also carries its evidence in words, and `report.md` puts the claim,
# interpretation, parameters, figure and evidence together:

# %%
for c in results["checks"]:
    print(f"{c['id']}:\n  claim: {c['claim']}\n  evidence: {c.get('evidence', '')}\n")
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
    print("docs/verification/results.json is not present in this checkout; run\n"
          "  skeleton verify --out docs/verification\nto produce it.")
else:
    full = json.loads(report.read_text())
    checks = full["checks"]
    counts = {}
    for c in checks:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    print(f"{len(checks)} entries (quick run: {full.get('quick')}, seed {full.get('seed')}):",
          counts)
    rows = ["| id | verdict | corrects | evidence |", "|---|---|---|---|"]
    for c in checks:
        if c["verdict"] != "holds":
            evidence = (c.get("evidence") or "").replace("|", "/")[:160]
            rows.append(f"| `{c['id']}` | {c['verdict']} | {c.get('corrected_of') or ''} "
                        f"| {evidence} |")
    if len(rows) > 2:
        display(Markdown("Entries that are not a plain `holds`:\n\n" + "\n".join(rows)))
    else:
        print("every entry holds")

# %% [markdown]
# **Takeaways.** A verdict is a rule applied to measured numbers: confidence
# intervals for failure rates, a trend test for constants. The rules are stated in
# `proofs_checks/_verdict.py` and tested on planted claims (true, false, and with a
# growing constant) so that a verdict can be trusted to mean what it says.
