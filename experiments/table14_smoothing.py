r"""mu at rank 16 and 32 before and after smoothing, on real data, beside the paper's Table 14.

Appendix E / Table 14 of Wang et al. (arXiv 2408.08567; restated in CLAIMS.md) reports
:math:`\mu` "at rank :math:`r`" (Definition 1 applied to the top-:math:`r` singular
subspaces) of trained token matrices :math:`X` and of their smoothed versions
:math:`X_{\text{smooth}}`, for LRA Text and Pathfinder, and claims "the average
incoherence value reduced 30%".  Trained LRA token matrices are not available here; this
experiment measures the same quantity on the token matrices the check
``proofs_checks.table14`` uses - real byte-level text and real photographs as
:math:`32 \times 32` grey pixel sequences, through a random embedding plus sinusoidal
positions (a model's first layer at initialisation), :math:`d = 64` - with the check's
smoothers (:math:`r = 8` segments, circular, the paper's computation):

* ``random_control``: the untrained random Kaiming kernel (the control);
* ``legt``: the HiPPO-LegT memory kernel of Proposition 3 (:math:`\theta = 64`, :math:`s = 8`);
* ``gaussian_bank``: causal Gaussian low-pass kernels, widths 1..32, one per column.

Data, kernels and the paper's numbers come from the check (``proofs_checks._real_data``,
``proofs_checks.table14``), so the experiment and the verdicts measure the same thing.
Each entry is the mean (standard error) over independent draws, as in Table 14.
"""

from __future__ import annotations

import numpy as np

from proofs_checks._real_data import image_tokens, text_tokens, token_matrix
from proofs_checks.table14 import DATASETS, KERNELS, PAPER, SIZES, make_kernel, mu_or_none
from skeleton.smoothing import smooth

from ._common import Timer, generators, parse_args, pyplot, save

NAME = "table14_smoothing"
RANKS = (32, 16)
FAMILIES = tuple(DATASETS)            # "text", "images"
SMOOTHERS = KERNELS
D, R = 64, 8

# Wang et al., arXiv 2408.08567, Appendix E, Table 14 (as restated in shared/paper/CLAIMS.md; the
# numbers are those of proofs_checks.table14.PAPER)
PAPER_TABLE14 = {
    "source": "Wang et al., arXiv 2408.08567, Appendix E, Table 14",
    "rows": {name: {f"mu_{which}_{k}": list(PAPER[(name, k)][j]) for k in RANKS
                    for j, which in enumerate(("X", "Xs"))} for name in DATASETS.values()},
    "claim": "the average incoherence value reduced 30%",
}


def _tokens(family, rng):
    return text_tokens(rng, SIZES[family]) if family == "text" else image_tokens(rng)


def _mean_se(values):
    v = np.asarray([x for x in values if x is not None], dtype=float)
    return [float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0]


def _fmt(pair):
    return f"{pair[0]:.2f} ({pair[1]:.3f})"


def markdown_table(table, n, d, trials):
    """Measured rows beside the paper's, as a Markdown table (mean (standard error))."""
    lines = [f"| input (n<={n}, d={d}) / smoother | mu_X (r=32) | mu_Xsmooth (r=32) "
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
    lines.append(f"Measured on real text and images at initialisation: mean (standard error) over {trials} "
                 "draws; reduction = 1 - mu_Xsmooth / mu_X (negative: smoothing raised mu). Paper: "
                 f"{PAPER_TABLE14['source']}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    trials = 4 if args.quick else 20

    table = {}
    with Timer() as timer:
        for fi, family in enumerate(FAMILIES):
            before = {r: [] for r in RANKS}
            after = {(s, r): [] for s in SMOOTHERS for r in RANKS}
            for rng in generators(args.seed, trials, fi):
                X = token_matrix(rng, _tokens(family, rng), D)
                for r in RANKS:
                    before[r].append(mu_or_none(X, r))
                for s in SMOOTHERS:
                    Xs = smooth(X, make_kernel(rng, s, X.shape[0], D, R), R)
                    for r in RANKS:
                        after[(s, r)].append(mu_or_none(Xs, r))
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
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    groups = [f"{f} (as {DATASETS[f]})" for f in FAMILIES] + [f"paper: {k}" for k in PAPER_TABLE14["rows"]]
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
                   width, yerr=[se for _, se in vals], color=f"C{j}", label=f"X_smooth, {s}")
        paper_s = [v[f"mu_Xs_{r}"] for v in PAPER_TABLE14["rows"].values()]
        ax.bar(x[len(FAMILIES):] - 0.4 + 1.5 * width, [m for m, _ in paper_s], width,
               yerr=[se for _, se in paper_s], color="k", hatch="//", fill=False,
               label="paper: X_smooth (trained)")
        ax.set_xticks(x, groups, rotation=20, ha="right", fontsize=8)
        ax.set_title(f"mu at rank {r} ({trials} draws; untrained smoothers on real data)")
        ax.set_xlabel("data")
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_ylabel("mu (mean, standard error)")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=8, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle("Does smoothing lower incoherence? Real text and images at initialisation vs the paper's Table 14")

    n = max(SIZES.values())
    payload = {"quick": args.quick, "seed": args.seed, "n": n, "sizes": dict(SIZES), "d": D, "trials": trials,
               "ranks": list(RANKS), "families": list(FAMILIES),
               "smoothers": list(SMOOTHERS), "measured": table,
               "paper": PAPER_TABLE14, "paper_reduction": paper_reduction, "seconds": timer.seconds}
    result = save(NAME, args.out, payload, fig)
    (args.out / f"{NAME}.md").write_text(markdown_table(table, n, D, trials))
    return result


if __name__ == "__main__":
    main()
