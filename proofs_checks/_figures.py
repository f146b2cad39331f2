"""Figure finishing shared by the checks: one colour per verdict, legends, labels, saving.

Every series that is evidence for an entry is drawn in the colour of that entry's
verdict (inconclusive is grey, never green), with error bars wherever an interval
exists, beside the claimed bound; :func:`finish` labels the axes, adds the verdict
legend and writes the PNG.
"""

from __future__ import annotations

import numpy as np

from ._verdict import clopper_pearson

__all__ = ["VERDICT_COLOURS", "colour", "rate_errorbar", "finish", "subplots", "size_axis"]

VERDICT_COLOURS = {
    "holds": "#1a9641",                # green
    "holds_with_constant": "#2b83ba",  # blue
    "violated": "#d7191c",             # red
    "inconclusive": "#7f7f7f",         # grey
}
CLAIM_STYLE = dict(color="black", ls="--", lw=1.3)


def colour(verdict):
    """The colour of a verdict."""
    return VERDICT_COLOURS[verdict]


def subplots(ncols=1, nrows=1, *, width=6.0, height=4.2, **kw):
    """matplotlib figure and axes (Agg backend), sized per panel."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    return fig, axes.ravel()


def rate_errorbar(ax, x, failures, trials, *, verdict, level=0.95, marker="o", label=None, offset=1.0):
    """Failure rates k/N at x with Clopper-Pearson error bars, in the verdict's colour.

    Zero rates are drawn at their upper end (a rate of 0 has no place on a log axis)
    with a downward marker."""
    x = np.asarray(x, float) * offset
    k = np.asarray(failures, float)
    N = np.asarray(trials, float)
    ci = np.array([clopper_pearson(int(a), int(b), level) for a, b in zip(k, N)])
    rate = k / np.maximum(N, 1)
    pos = k > 0
    c = colour(verdict)
    if pos.any():
        ax.errorbar(x[pos], rate[pos], yerr=[rate[pos] - ci[pos, 0], ci[pos, 1] - rate[pos]], fmt=marker + "-",
                    color=c, capsize=3, ms=5, label=label)
        label = None
    if (~pos).any():
        ax.plot(x[~pos], ci[~pos, 1], "v", color=c, ms=7, label=(label + " (0 failures: upper end)") if label else None)


def size_axis(ax, sizes):
    """Log x axis with one plain tick per tested size (no crowded minor labels)."""
    from matplotlib.ticker import FixedLocator, NullLocator
    sizes = sorted({int(v) for v in sizes})
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([str(v) for v in sizes])


def finish(fig, axes, path, *, title=None, xlabel=None, ylabel=None, verdicts=(), legend=True, claim_label=None,
           legend_below=False):
    """Label, add the verdict legend (the verdicts drawn, plus the claim's line style), save, close.

    ``legend_below`` puts the legend under the panels (for bar charts it would cover)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import NullFormatter
    axes = list(np.atleast_1d(axes))
    for ax in axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                axis.set_minor_formatter(NullFormatter())      # no crowded 2x10^2 3x10^2 ... labels
        if xlabel and not ax.get_xlabel():
            ax.set_xlabel(xlabel)
        if ylabel and not ax.get_ylabel():
            ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.25)
    if legend:
        handles, labels = axes[0].get_legend_handles_labels()
        seen = list(dict.fromkeys(v for v in verdicts))
        handles += [Patch(color=colour(v)) for v in seen]
        labels += [f"verdict: {v}" for v in seen]
        if claim_label:
            handles.append(Line2D([], [], **CLAIM_STYLE))
            labels.append(claim_label)
        if handles and legend_below:
            fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=min(4, len(handles)),
                       bbox_to_anchor=(0.5, 0.0))
        elif handles:
            axes[0].legend(handles, labels, fontsize=8, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    if legend and legend_below:
        rows = -(-len(axes[0].get_legend_handles_labels()[0] + list(verdicts)) // 4)
        fig.subplots_adjust(bottom=0.08 + 0.04 * rows)
    fig.savefig(path, dpi=100)
    plt.close(fig)
