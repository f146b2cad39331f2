r"""Error vs number of sampled rows/columns for five selection rules.

Rules (:mod:`skeleton.sampling`): uniform (the paper's and Chiu & Demanet's),
leverage-score sampling (Drineas, Mahoney & Muthukrishnan 2008), pivoted QR, DEIM
(Sorensen & Embree 2016) and maxvol (Goreinov et al. 2010).  Matrices: an incoherent
low-rank matrix (:math:`\mu` near 1); a "localized" one whose first left singular vector
lives on only :math:`m` rows (the other :math:`r - 1` spread), so
:math:`\mu \approx n/(rm)`; and the spiky :func:`skeleton.matrices.coherent` matrix
(:math:`r` non-zero rows, :math:`\mu = n/r`, the maximum).

Why :math:`\mu` predicts where uniform sampling breaks: exact recovery from :math:`k`
rows needs the sampled rows of the left singular basis :math:`W` (:math:`n\times r`) to
have rank :math:`r`.  If the leverage mass sits on few rows (large
:math:`\mu = \tfrac{n}{r}\max_i \|W_i\|^2`), :math:`k` uniform rows miss them with
probability about :math:`(1 - m/n)^k = (1 - 1/(\mu r))^k`, so :math:`k` must grow like
:math:`\mu r\log n` (Chiu & Demanet 2013, Thm. 1.1; the dashed line in each panel).  The
other rules look at :math:`W` (or a sketch) and pick the heavy rows whatever
:math:`\mu` is.

Noiseless rank-:math:`r` matrices, ``truncated`` core at rank :math:`r`, relative
Frobenius error; "recovered" means relative error :math:`\le 10^{-8}`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from skeleton import incoherence, skeleton_approx
from skeleton.matrices import coherent, low_rank

from ._common import Timer, generators, parse_args, pyplot, save

NAME = "sampling_rules"
RULES = ("uniform", "leverage", "pivoted_qr", "deim", "maxvol")
RECOVERED = 1e-8


def _localized(n, d, r, m, rng):
    """Rank r; left singular vector 1 supported on m random rows, the rest spread."""
    first = np.zeros(n)
    # equal magnitudes: each support row has leverage >= 1/m, so mu ~ n/(r m)
    first[rng.choice(n, m, replace=False)] = rng.choice([-1.0, 1.0], m)
    # QR keeps the first column's support; the spread columns are made orthogonal to it
    W, _ = np.linalg.qr(np.column_stack([first, rng.standard_normal((n, r - 1))]))
    V, _ = np.linalg.qr(rng.standard_normal((d, r)))
    return (W * np.logspace(0, -1, r)) @ V.T


def _matrix(kind, n, d, r, m, rng):
    if kind == "incoherent":
        return low_rank(n, d, r, mu=1.2, rng=rng)
    if kind == "localized":
        return _localized(n, d, r, m, rng)
    return coherent(n, d, r, rng=rng)


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    if args.quick:
        n, d, r, m, trials = 150, 100, 3, 6, 3
        ks = [3, 6, 12, 24, 48]
    else:
        n, d, r, m, trials = 600, 400, 5, 12, 20
        ks = [5, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192]
    kinds = ("incoherent", "localized", "coherent")

    results = {}
    with Timer() as timer:
        for ki, kind in enumerate(kinds):
            errs = {rule: np.empty((len(ks), trials)) for rule in RULES}
            mus = []
            for t, rng in enumerate(generators(args.seed, trials, ki)):
                X = _matrix(kind, n, d, r, m, rng)
                mus.append(incoherence(X, r).mu)
                for j, k in enumerate(ks):
                    seed = int(rng.integers(2**31))
                    for rule in RULES:
                        with warnings.catch_warnings():
                            # uniform rows that miss the support of a coherent matrix
                            # give a zero intersection: a measured failure (error 1),
                            # not a problem of the run, so its warning is not shown
                            warnings.simplefilter("ignore", RuntimeWarning)
                            cur = skeleton_approx(X, n_rows=k, n_cols=k, rank=r, sampling=rule,
                                                  core="truncated", rng=seed)
                        errs[rule][j, t] = cur.error(X)
            mu = float(np.mean(mus))
            results[kind] = {
                "mu": mu,
                "predicted_k": mu * r * math.log(n),
                "rules": {rule: {"median_error": np.median(errs[rule], axis=1),
                                 "recovery_rate": (errs[rule] <= RECOVERED).mean(axis=1)}
                          for rule in RULES},
            }

    payload = {"quick": args.quick, "seed": args.seed, "n": n, "d": d, "r": r,
               "localized_support": m,
               "trials": trials, "k": ks, "recovered_threshold": RECOVERED,
               "matrices": results, "seconds": timer.seconds}
    return save(NAME, args.out, payload, figure(payload))


def figure(payload):
    """The figure, drawn from the JSON payload alone (so a saved run can be re-drawn)."""
    n, d, r, trials, ks = (payload[k] for k in ("n", "d", "r", "trials", "k"))
    results = payload["matrices"]
    kinds = list(results)
    plt = pyplot()
    fig, axes = plt.subplots(1, len(kinds), figsize=(14, 4.2), sharey=True)
    markers = dict(zip(RULES, "osD^v"))
    for ax, kind in zip(axes, kinds):
        res = results[kind]
        for rule in RULES:
            y = np.maximum(res["rules"][rule]["median_error"], 1e-17)
            ax.plot(ks, y, marker=markers[rule], label=rule)
        if res["predicted_k"] <= max(ks):
            ax.axvline(res["predicted_k"], color="k", ls="--", lw=1,
                       label=r"$\mu r \ln n$")
        ax.axhline(RECOVERED, color="gray", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(min(ks) * 0.9, max(ks) * 1.1)
        ax.set_title(f"{kind}: mu = {res['mu']:.1f} (max {max(n, d) / r:.0f}), "
                     rf"$\mu r\ln n$ = {res['predicted_k']:.0f}", fontsize=10)
        ax.set_xlabel("k sampled rows = columns")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("median relative error (Frobenius)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Selection rules, n={n}, d={d}, rank {r}, noiseless, truncated core, "
                 f"{trials} trials")

    return fig


if __name__ == "__main__":
    main()
