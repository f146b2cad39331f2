r"""mu at rank 16 and 32 before and after smoothing, beside the paper's Table 14.

Appendix E / Table 14 of Wang et al. (arXiv 2408.08567; restated in CLAIMS.md) reports
:math:`\mu` "at rank :math:`r`" (Definition 1 applied to the top-:math:`r` singular
subspaces, as :func:`skeleton.incoherence` with ``rank=r``) of trained token matrices
:math:`X` and of their smoothed versions :math:`X_{\text{smooth}}`, for LRA Text and
Pathfinder, and claims "the average incoherence value reduced 30%".  Trained LRA token
matrices are not available here, so this experiment measures the same quantity on
synthetic token families (:math:`n\times d`, :math:`d = 64` as the paper's LRA setting)
and several smoothers, and puts the paper's numbers beside them.  Only the paper's
numbers come from the paper; all other numbers are computed.

Smoothers (:mod:`skeleton.smoothing`):

* ``kaiming r=8``: the paper's appendix ``Smoother`` at initialisation (an untrained
  random kernel, ``kaiming_kernel(distribution="normal")``), :math:`r = 8` segments,
  circular (the paper's computation).  This is the control: a smoother that has not
  learned anything.
* ``kaiming r=d``: the repository's variant (``kaiming_uniform_``, no averaging).
* ``gaussian w=4`` and ``moving avg w=8``: causal time-domain kernels, :math:`r = d`
  (with identical kernel columns and :math:`r = 8` segments :math:`X_{\text{smooth}}`
  would have rank at most 8, so :math:`\mu` at rank 16 or 32 would not be defined),
  linear (causal) convolution.
* ``legt s=8``: the HiPPO-LegT kernel with :math:`r = 8` segments of :math:`s = 8`
  Legendre coefficients (Proposition 3's construction), :math:`\theta = n/8`, linear
  convolution.

Each entry is the mean (standard error) over independent draws, as in Table 14.
"""

from __future__ import annotations

import warnings

import numpy as np

from skeleton import incoherence
from skeleton.smoothing import (gaussian_kernel, kaiming_kernel, legt_kernel,
                                moving_average_kernel, smooth)

from ._common import Timer, generators, parse_args, pyplot, save

NAME = "table14_smoothing"
RANKS = (32, 16)

# Wang et al., arXiv 2408.08567, Appendix E, Table 14 (as restated in
# shared/paper/CLAIMS.md): mean (standard error) of mu at rank r of validation token
# matrices after 100 training steps, S3Attention with r = s1 = s2 = 8.
PAPER_TABLE14 = {
    "source": "Wang et al., arXiv 2408.08567, Appendix E, Table 14",
    "rows": {
        "Text": {"mu_X_32": [2.75, 0.027], "mu_Xs_32": [2.05, 0.007],
                 "mu_X_16": [3.98, 0.046], "mu_Xs_16": [3.23, 0.038]},
        "Pathfinder": {"mu_X_32": [3.83, 0.221], "mu_Xs_32": [1.99, 0.001],
                       "mu_X_16": [4.88, 0.264], "mu_Xs_16": [3.48, 0.001]},
    },
    "claim": "the average incoherence value reduced 30%",
}

FAMILIES = ("gaussian", "random_walk", "low_rank+noise", "outlier_tokens", "heavy_tailed")
SMOOTHERS = ("kaiming r=8", "kaiming r=d", "gaussian w=4", "moving avg w=8", "legt s=8")


def _tokens(family, n, d, rng):
    if family == "gaussian":
        return rng.standard_normal((n, d))
    if family == "random_walk":         # smooth along the sequence
        return np.cumsum(rng.standard_normal((n, d)), axis=0) / np.sqrt(n)
    if family == "low_rank+noise":
        return (rng.standard_normal((n, 8)) @ rng.standard_normal((8, d))
                + 0.3 * rng.standard_normal((n, d)))
    if family == "outlier_tokens":      # a few tokens of large norm: coherent rows
        X = rng.standard_normal((n, d))
        X[rng.choice(n, 4, replace=False)] *= 10.0
        return X
    if family == "heavy_tailed":
        return rng.standard_t(2.0, size=(n, d))
    raise ValueError(family)


def _smooth(name, X, rng):
    n, d = X.shape
    if name == "kaiming r=8":
        return smooth(X, kaiming_kernel(n, d, distribution="normal", rng=rng), 8)
    if name == "kaiming r=d":
        return smooth(X, kaiming_kernel(n, d, distribution="uniform", rng=rng), d)
    if name == "gaussian w=4":
        return smooth(X, gaussian_kernel(n, d, 4.0), d, domain="time", mode="linear")
    if name == "moving avg w=8":
        return smooth(X, moving_average_kernel(n, d, 8), d, domain="time",
                      mode="linear")
    if name == "legt s=8":
        return smooth(X, legt_kernel(n, d // 8, n / 8, r=8), 8, domain="time",
                      mode="linear")
    raise ValueError(name)


def _mu(X, r, undefined):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        mu = incoherence(X, r).mu
    if caught:       # sigma_r == sigma_{r+1}: the rank-r subspace is not determined
        undefined.append(r)
    return mu


def _mean_se(values):
    v = np.asarray(values, dtype=float)
    return [float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0]


def _fmt(pair):
    return f"{pair[0]:.2f} ({pair[1]:.3f})"


def markdown_table(table, n, d, trials):
    """Measured rows beside the paper's, as a Markdown table (mean (standard error))."""
    lines = [f"| input (n={n}, d={d}) / smoother | mu_X (r=32) | mu_Xsmooth (r=32) "
             "| mu_X (r=16) | mu_Xsmooth (r=16) | reduction r=32 / r=16 |",
             "|---|---|---|---|---|---|"]
    for name, vals in PAPER_TABLE14["rows"].items():
        red = [1 - vals[f"mu_Xs_{r}"][0] / vals[f"mu_X_{r}"][0] for r in RANKS]
        lines.append(f"| **paper: {name}** (trained S3Attention, Table 14) "
                     f"| {_fmt(vals['mu_X_32'])} | {_fmt(vals['mu_Xs_32'])} "
                     f"| {_fmt(vals['mu_X_16'])} | {_fmt(vals['mu_Xs_16'])} "
                     f"| {100 * red[0]:.0f} % / {100 * red[1]:.0f} % |")
    for family, row in table.items():
        for s in SMOOTHERS:
            lines.append(
                f"| {family} / {s} | {_fmt(row['mu_X_32'])} | {_fmt(row[f'{s}: mu_Xs_32'])} "
                f"| {_fmt(row['mu_X_16'])} | {_fmt(row[f'{s}: mu_Xs_16'])} "
                f"| {100 * row[f'{s}: reduction_32']:.0f} % / "
                f"{100 * row[f'{s}: reduction_16']:.0f} % |")
    lines.append("")
    lines.append(f"Measured: mean (standard error) over {trials} draws; reduction = "
                 "1 - mu_Xsmooth / mu_X (negative: smoothing raised mu). Paper: "
                 f"{PAPER_TABLE14['source']}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    n, d, trials = (256, 64, 3) if args.quick else (1024, 64, 10)

    table = {}
    undefined = []
    with Timer() as timer:
        for fi, family in enumerate(FAMILIES):
            before = {r: [] for r in RANKS}
            after = {(s, r): [] for s in SMOOTHERS for r in RANKS}
            for rng in generators(args.seed, trials, fi):
                X = _tokens(family, n, d, rng)
                for r in RANKS:
                    before[r].append(_mu(X, r, undefined))
                for s in SMOOTHERS:
                    Xs = np.ascontiguousarray(_smooth(s, X, rng))
                    for r in RANKS:
                        after[(s, r)].append(_mu(Xs, r, undefined))
            row = {f"mu_X_{r}": _mean_se(before[r]) for r in RANKS}
            for s in SMOOTHERS:
                for r in RANKS:
                    mean_after = _mean_se(after[(s, r)])
                    row[f"{s}: mu_Xs_{r}"] = mean_after
                    row[f"{s}: reduction_{r}"] = 1.0 - mean_after[0] / row[f"mu_X_{r}"][0]
            table[family] = row

    paper_reduction = {
        name: {r: 1.0 - vals[f"mu_Xs_{r}"][0] / vals[f"mu_X_{r}"][0] for r in RANKS}
        for name, vals in PAPER_TABLE14["rows"].items()}

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.6), sharey=True)
    groups = list(FAMILIES) + [f"paper: {k}" for k in PAPER_TABLE14["rows"]]
    width = 0.8 / (len(SMOOTHERS) + 1)
    x = np.arange(len(groups))
    for ax, r in zip(axes, RANKS):
        mu_x = [table[f][f"mu_X_{r}"] for f in FAMILIES] + \
               [v[f"mu_X_{r}"] for v in PAPER_TABLE14["rows"].values()]
        ax.bar(x - 0.4 + width / 2, [m for m, _ in mu_x], width,
               yerr=[se for _, se in mu_x], color="0.3", label="X (before)")
        for j, s in enumerate(SMOOTHERS):
            vals = [table[f][f"{s}: mu_Xs_{r}"] for f in FAMILIES]
            ax.bar(x[:len(FAMILIES)] - 0.4 + (j + 1.5) * width, [m for m, _ in vals],
                   width, yerr=[se for _, se in vals], color=f"C{j}", label=s)
        # the paper's X_smooth (trained smoother) in its own colour
        paper_s = [v[f"mu_Xs_{r}"] for v in PAPER_TABLE14["rows"].values()]
        ax.bar(x[len(FAMILIES):] - 0.4 + 1.5 * width, [m for m, _ in paper_s], width,
               yerr=[se for _, se in paper_s], color="k", hatch="//", fill=False,
               label="paper: X_smooth (trained)")
        ax.set_xticks(x, groups, rotation=25, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_title(f"mu at rank {r} (n={n}, d={d}, {trials} draws)")
        ax.grid(True, axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("mu (mean, standard error)")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=7, fontsize=8,
               bbox_to_anchor=(0.5, -0.08))
    fig.suptitle("Does smoothing lower incoherence? Measured vs the paper's Table 14")

    payload = {"quick": args.quick, "seed": args.seed, "n": n, "d": d, "trials": trials,
               "ranks": list(RANKS), "families": list(FAMILIES),
               "smoothers": list(SMOOTHERS), "measured": table,
               "paper": PAPER_TABLE14, "paper_reduction": paper_reduction,
               "undefined_subspace_warnings": len(undefined), "seconds": timer.seconds}
    result = save(NAME, args.out, payload, fig)
    (args.out / f"{NAME}.md").write_text(markdown_table(table, n, d, trials))
    return result


if __name__ == "__main__":
    main()
