"""IPython startup file for the test build of the docs: checks each figure a notebook shows.

Installed by ``tests/conftest.py`` into the kernels that execute the notebooks. Before a
figure is rendered (the inline backend, like ``savefig``, goes through
``FigureCanvasBase.print_figure``) it is checked, and each problem is printed to
stderr, so it lands in the cell's output, where ``tests/test_notebooks.py`` fails on it:

* every axes that shows data has an x and a y label (an axes sharing an axis with a
  labelled one counts as labelled, as in a row of panels with ``sharey=True``);
* every text is readable on the page: its size, scaled by how much the page shrinks a
  figure wider than the text column, is at least ``MIN_POINTS``.
"""

import sys

import matplotlib.backend_bases

COLUMN_PIXELS = 700     # width of the docs' text column, where notebook figures are shown
MIN_POINTS = 8.0


def _labelled(ax, which):
    axis_label = "get_xlabel" if which == "x" else "get_ylabel"
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return any(getattr(other, axis_label)().strip() for other in shared.get_siblings(ax))


def figure_problems(fig):
    import matplotlib.text

    problems = []
    width_px = fig.get_figwidth() * fig.dpi
    shrink = min(1.0, COLUMN_PIXELS / width_px)
    for k, ax in enumerate(fig.axes):
        if not (ax.get_visible() and ax.axison and ax.has_data()):
            continue
        name = ax.get_title() or f"axes {k}"
        for which in ("x", "y"):
            if not _labelled(ax, which):
                problems.append(f"{name!r} has no {which}-axis label")
        ax.xaxis.get_ticklabels()
        ax.yaxis.get_ticklabels()
    small = sorted({round(float(t.get_fontsize()) * shrink, 1) for t in fig.findobj(matplotlib.text.Text)
                    if t.get_visible() and t.get_text().strip()
                    and t.get_fontsize() * shrink < MIN_POINTS})
    if small:
        problems.append(f"text shown at {small} pt on the page (under {MIN_POINTS:g} pt: the "
                        f"figure is {fig.get_figwidth():.1f} in wide, the page shrinks it "
                        f"by {shrink:.2f})")
    return problems


_print_figure = matplotlib.backend_bases.FigureCanvasBase.print_figure


def _checked_print_figure(self, *args, **kwargs):
    for problem in figure_problems(self.figure):
        print(f"figure check: {problem}", file=sys.stderr)
    return _print_figure(self, *args, **kwargs)


matplotlib.backend_bases.FigureCanvasBase.print_figure = _checked_print_figure
