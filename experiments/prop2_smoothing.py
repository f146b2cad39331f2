r"""Smoothing of a sequence by a random convolution, against Proposition 2's bound.

Proposition 2 (Wang et al., arXiv 2408.08567; restated in CLAIMS.md): for
:math:`x_1,\dots,x_n` with :math:`\max_t|x_t| \le a_{\max}` and
:math:`\max_t|x_t - x_{t-1}| \le b_{\max}`, and :math:`l_1,\dots,l_n` i.i.d.
:math:`(\sigma^2/n^2)`-sub-Gaussian, :math:`f(t) = \sum_{i=1}^t l_{t+1-i}x_i` satisfies,
with probability at least :math:`1 - \delta`,

.. math::

    |f(t) - f(t-1)| \le b_{\max}\sigma\sqrt{\frac{\log(2n/\delta)}{2n}}
                       + a_{\max}\sigma\sqrt{\frac{\log(2/\delta)}{2n^2}}.

The proof ends with the maximum over :math:`t` (union bound), so both readings are
measured:

* ``max over t``: the :math:`(1 - \delta)`-quantile over draws of :math:`l` of
  :math:`\max_t |f(t) - f(t-1)|`;
* ``per t``: for each :math:`t` the :math:`(1 - \delta)`-quantile of
  :math:`|f(t) - f(t-1)|`, worst :math:`t` shown.

Either reading holds when the measured quantile lies below the bound; the failure
rates (the fraction of draws above the bound) are in the JSON beside :math:`\delta`.
:math:`f(0) = 0`, so :math:`t` runs over :math:`1,\dots,n`.  Laws of :math:`l`: those of
the variance-proxy reading of ":math:`(\sigma^2/n^2)`-sub-Gaussian" in the check
``proofs_checks.prop2`` (Gaussian, Rademacher, uniform, each with variance and optimal
variance proxy :math:`\sigma^2/n^2`), drawn by its sampler; the bound and the differences
are the check's functions too.  Inputs (:math:`a_{\max}`, :math:`b_{\max}` measured from
the sequence): constant, alternating (:math:`+1, -1, \dots`), a sinusoid, a random walk
scaled into :math:`[-1, 1]`, i.i.d. uniform values.  :math:`f` is computed as a causal
linear convolution by FFT.
"""

from __future__ import annotations

import numpy as np

from proofs_checks.prop2 import diffs_direct, paper_bound, sample_l

from ._common import Timer, generators, parse_args, pyplot, save

NAME = "prop2_smoothing"
CONVENTION = "proxy"                      # the variance-proxy reading (proofs_checks.prop2.LAWS)
LAWS = ("gaussian", "rademacher", "uniform")
INPUTS = ("constant", "alternating", "sinusoid", "random_walk", "iid_uniform")
DELTA = 0.1
SIGMA = 1.0


def _sequence(kind, n, rng):
    t = np.arange(n)
    if kind == "constant":
        return np.ones(n)
    if kind == "alternating":
        return (-1.0) ** t
    if kind == "sinusoid":
        return np.sin(2 * np.pi * t / 50)
    if kind == "random_walk":
        w = np.cumsum(rng.choice([-1.0, 1.0], n))
        return w / np.abs(w).max()
    if kind == "iid_uniform":
        return rng.uniform(-1, 1, n)
    raise ValueError(kind)


def bound(n, a_max, b_max, sigma=SIGMA, delta=DELTA):
    """The right-hand side of Proposition 2 as printed (``proofs_checks.prop2.paper_bound``)."""
    return paper_bound(a_max, b_max, n, delta=delta, sigma=sigma)


def differences(x, l):
    """|f(t) - f(t-1)|, t = 1..n, for each row of ``l`` (f(0) = 0; ``proofs_checks.prop2.diffs_direct``)."""
    return np.abs(diffs_direct(np.asarray(l, float), np.asarray(x, float)))


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    if args.quick:
        sizes, trials = [64, 256, 1024], 200
    else:
        sizes, trials = [64, 256, 1024, 4096, 16384], 2000

    results = {}
    with Timer() as timer:
        for ii, kind in enumerate(INPUTS):
            results[kind] = {}
            for ni, n in enumerate(sizes):
                seq_rng, *law_rngs = generators(args.seed, 1 + len(LAWS), ii, ni)
                x = _sequence(kind, n, seq_rng)
                a_max = float(np.abs(x).max())
                b_max = float(np.abs(np.diff(x)).max())
                B = bound(n, a_max, b_max)
                entry = {"a_max": a_max, "b_max": b_max, "bound": B}
                for law, rng in zip(LAWS, law_rngs):
                    D = differences(x, sample_l(rng, CONVENTION, law, n, trials, sigma=SIGMA))
                    per_t_quantile = np.quantile(D, 1 - DELTA, axis=0)
                    entry[law] = {
                        "max_t_quantile": float(np.quantile(D.max(axis=1), 1 - DELTA)),
                        "max_t_failure_rate": float((D.max(axis=1) > B).mean()),
                        "per_t_worst_quantile": float(per_t_quantile.max()),
                        "per_t_worst_failure_rate": float((D > B).mean(axis=0).max()),
                    }
                results[kind][str(n)] = entry

    plt = pyplot()
    fig, axes = plt.subplots(1, len(INPUTS), figsize=(17, 3.9), sharey=True)
    for ax, kind in zip(axes, INPUTS):
        res = results[kind]
        ns = np.array(sizes, dtype=float)
        for j, law in enumerate(LAWS):
            ax.plot(ns, [res[str(n)][law]["max_t_quantile"] for n in sizes], "o-",
                    color=f"C{j}", label=f"{law}: max over t")
            ax.plot(ns, [res[str(n)][law]["per_t_worst_quantile"] for n in sizes], "s:",
                    color=f"C{j}", label=f"{law}: per t (worst t)")
        ax.plot(ns, [res[str(n)]["bound"] for n in sizes], "k--", lw=2,
                label="Prop. 2 bound")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{kind} (a={res[str(sizes[0])]['a_max']:.2g}, "
                     f"b={res[str(sizes[0])]['b_max']:.2g})", fontsize=9)
        ax.set_xlabel("n")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel(rf"$(1-\delta)$-quantile of $|f(t)-f(t-1)|$, $\delta$={DELTA}")
    axes[-1].legend(fontsize=6)
    fig.suptitle(rf"Proposition 2: measured vs bound, $\sigma$ = {SIGMA}, {trials} draws "
                 "of l per point")

    payload = {"quick": args.quick, "seed": args.seed, "delta": DELTA, "sigma": SIGMA,
               "trials": trials, "sizes": sizes, "laws": list(LAWS),
               "inputs": list(INPUTS), "results": results, "seconds": timer.seconds}
    return save(NAME, args.out, payload, fig)


if __name__ == "__main__":
    main()
