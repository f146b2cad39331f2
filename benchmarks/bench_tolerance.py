"""Benchmark: skeleton_approx to a tolerance (rtol) - coverage, estimate, sample counts.

For matrices with known spectra (``low_rank`` with singular values ``0.8^k``,
``0.95^k`` and ``k^-3``, 600 x 400) and each selection rule, many seeded trials of
``skeleton_approx(X, rtol=...)`` measure:

* coverage: the fraction of trials whose true relative Frobenius error (formed
  densely) is at most ``rtol`` - the claim is at least 99 %;
* the estimate: ``error_estimate.estimate / true error`` (min, median, max) - the
  claim is within a factor 10;
* sample counts against ``r*``, the smallest rank whose SVD tail meets ``rtol``
  (Eckart-Young, ``numpy.linalg.svd``) - the claim for the deterministic rules is at
  most ``2 r*``. Both readings of "sample count" are reported (median and max over
  trials): the rank of the approximation, ``min(n_rows, n_cols)``, and the longer
  side, ``max(n_rows, n_cols)``, which the tolerance mode oversamples by 1.25
  (:data:`skeleton.tolerance.OVERSAMPLE`);
* wall time per call.

Also a kernel matrix read as an entry oracle (held-out entries), with uniform,
pivoted QR, rpcholesky and aca. Trials draw their seeds from one ``SeedSequence``.

With ``--minimal``, instead: for the ``k^-3`` spectrum, the smallest *fixed* count
(``n_cols = k``, ``n_rows = k`` or ``ceil(1.25 k)``) at which each deterministic rule
meets ``rtol`` on every one of 5 seeds - what no tolerance mode of that rule and core
can undercut (a scan in steps of 8, then of 1). Writes ``tolerance_minimal.*``.

Run ``python -m benchmarks.bench_tolerance [--quick] [--trials N] [--out DIR]``; writes
``DIR/tolerance.md`` and ``DIR/tolerance.json`` (``tolerance_quick.*`` with
``--quick``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, write_report
from skeleton import KernelMatrix, skeleton_approx
from skeleton.matrices import low_rank
from skeleton.tolerance import OVERSAMPLE

RULES = ("uniform", "pivoted_qr", "deim", "maxvol")
RTOLS = (1e-3, 1e-6, 1e-10)
SPECTRA = {
    "geometric 0.8^k": lambda m: 0.8 ** np.arange(m),
    "geometric 0.95^k": lambda m: 0.95 ** np.arange(m),
    "power law k^-3": lambda m: np.arange(1, m + 1) ** -3.0,
}


def needed_rank(s, rtol):
    tails = np.sqrt(np.cumsum((s**2)[::-1])[::-1]) / np.linalg.norm(s)
    return int(np.argmax(np.append(tails, 0.0) <= rtol))


def study(X, s, rules, rtols, seeds, dense=None):
    dense = X if dense is None else dense
    rows = []
    for rule in rules:
        for rtol in rtols:
            need = needed_rank(s, rtol) if s is not None else None
            ok, ratios, counts, ranks, times = 0, [], [], [], []
            for ss in seeds:
                t0 = time.perf_counter()
                cur = skeleton_approx(X, rtol=rtol, sampling=rule, rng=np.random.default_rng(ss))
                times.append(time.perf_counter() - t0)
                err = cur.error(dense)
                ok += err <= rtol
                ratios.append(cur.error_estimate.estimate / err if err > 0 else np.inf)
                counts.append(max(cur.row_idx.size, cur.col_idx.size))
                ranks.append(min(cur.row_idx.size, cur.col_idx.size))
            ratios = np.array(ratios)
            rows.append({
                "rule": rule, "rtol": rtol, "trials": len(seeds), "coverage": ok / len(seeds),
                "estimate_ratio": [float(ratios.min()), float(np.median(ratios)), float(ratios.max())],
                "count_median": float(np.median(counts)), "count_max": int(max(counts)),
                "needed_rank": need,
                "count_over_needed": None if not need else float(max(counts) / need),
                "rank_median": float(np.median(ranks)), "rank_max": int(max(ranks)),
                "rank_over_needed": None if not need else float(max(ranks) / need),
                "seconds_median": float(np.median(times)),
                "method": cur.error_estimate.method,
            })
    return rows


def minimal_fixed_counts(X, s, rules, rtols, seeds, oversample=(1.0, OVERSAMPLE)):
    """The smallest k whose skeleton (n_cols=k, n_rows=ceil(f k)) meets rtol on all seeds."""
    def worst(rule, k, f):
        return max(skeleton_approx(X, n_rows=min(X.shape[0], math.ceil(f * k)), n_cols=k, sampling=rule,
                                   rng=np.random.default_rng(ss)).error(X) for ss in seeds)

    out = []
    for rtol in rtols:
        need = needed_rank(s, rtol)
        for rule in rules:
            for f in oversample:
                k, top = need, min(X.shape)
                while k < top and worst(rule, min(top, k + 8), f) > rtol:
                    k += 8
                while k < top and worst(rule, k, f) > rtol:
                    k += 1
                out.append({"rule": rule, "rtol": rtol, "oversample": f, "needed_rank": need, "k": k,
                            "longer": min(X.shape[0], math.ceil(f * k))})
    return out


def main_minimal(args):
    n, d = 600, 400
    X = low_rank(n, d, d, singular_values=SPECTRA["power law k^-3"](d), rng=1)
    s = np.linalg.svd(X, compute_uv=False)
    seeds = np.random.SeedSequence(2026).spawn(5)
    res = {"command": "python -m benchmarks.bench_tolerance --minimal", "machine": machine_info(),
           "rows": minimal_fixed_counts(X, s, RULES[1:], (1e-3, 1e-6), seeds)}
    m = res["machine"]
    lines = ["# Smallest fixed counts that meet rtol (power law k^-3, 600 x 400)", "",
             f"Command: `{res['command']}`. Machine: {m['cpu']}, {m['logical_cores']} logical cores. For each "
             "deterministic rule (default core), the smallest k such that `skeleton_approx(X, n_rows=ceil(f k), "
             "n_cols=k)` meets rtol on all of 5 seeds; r* is the SVD rank that meets it. No tolerance mode of "
             "these rules and cores can stop below these counts.", "",
             "| rule | rtol | row oversampling f | r* | k (rank) | k / r* | n_rows | n_rows / r* |",
             "|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        lines.append(f"| {r['rule']} | {r['rtol']:.0e} | {r['oversample']:g} | {r['needed_rank']} | {r['k']} | "
                     f"{r['k'] / r['needed_rank']:.2f} | {r['longer']} | {r['longer'] / r['needed_rank']:.2f} |")
    write_report(args.out, "tolerance_minimal", res, lines)
    return res


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], repeats=False, threads=False)
    ap.add_argument("--families", nargs="+", default=None, choices=[*SPECTRA, "kernel"],
                    help="run only these matrix families (default: all)")
    ap.add_argument("--trials", type=int, default=None,
                    help="seeded trials per row (default 200; 20 with --quick); the kernel matrix gets a tenth")
    ap.add_argument("--minimal", action="store_true",
                    help="the smallest fixed counts that meet rtol on the k^-3 spectrum instead")
    args = ap.parse_args(argv)
    if args.minimal:
        return main_minimal(args)
    trials = args.trials or (20 if args.quick else 200)
    n, d = (300, 200) if args.quick else (600, 400)
    seeds = np.random.SeedSequence(2026).spawn(trials)
    command = "python -m benchmarks.bench_tolerance" + (" --quick" if args.quick else "")
    command += f" --trials {args.trials}" if args.trials else ""
    families = args.families or [*SPECTRA, "kernel"]
    command += " --families " + " ".join(f"'{f}'" for f in families) if args.families else ""
    res = {"command": command, "machine": machine_info(), "load_before": load_average(), "trials": trials,
           "shape": [n, d], "families": {}}
    res["kernel_trials"] = max(5, trials // 10)
    for name, spectrum in SPECTRA.items():
        if name not in families:
            continue
        m = min(n, d)
        X = low_rank(n, d, m, singular_values=spectrum(m), rng=1)
        s = np.linalg.svd(X, compute_uv=False)
        res["families"][name] = study(X, s, RULES, RTOLS, seeds)
    if "kernel" in families:
        x = np.random.default_rng(3).uniform(size=(2000 if args.quick else 5000, 2))
        K = KernelMatrix(x, bandwidth=0.25)
        res["families"]["gaussian kernel (entry oracle)"] = study(
            K, None, ("uniform", "pivoted_qr", "rpcholesky", "aca"), (1e-6, 1e-10),
            seeds[: res["kernel_trials"]], dense=K.to_array())
    res["load_after"] = load_average()
    write_report(args.out, "tolerance_quick" if args.quick else "tolerance", res, report(res))
    return res


def report(res):
    m = res["machine"]
    lines = [
        "# skeleton_approx to a tolerance: coverage, estimate, counts",
        "",
        f"Command: `{res['command']}`. Machine: {m['cpu']}, {m['logical_cores']} logical cores; 1-min load "
        f"average before/after: {res['load_before']:.2f} / {res['load_after']:.2f}. {res['trials']} seeded "
        f"trials per row ({res['kernel_trials']} for the kernel matrix); {res['shape'][0]} x {res['shape'][1]} "
        "matrices with the stated singular values. Coverage: the fraction of trials with true error <= rtol "
        "(claimed >= 99 %). "
        "Estimate: estimated / true error, min / median / max (claimed within 10x). Counts (median, max) "
        "against r*, the SVD rank that meets rtol (claimed <= 2 r* for the deterministic rules), in both "
        "readings: the rank k = min(n_rows, n_cols), and the longer side max(n_rows, n_cols), which the "
        "tolerance mode oversamples by 1.25.",
        "",
    ]
    for fam, rows in res["families"].items():
        lines += [f"## {fam}", "",
                  "| rule | rtol | coverage | estimate / true | rank k (median, max) | longer side (median, max) "
                  "| r* | k max / r* | longer max / r* | s per call |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            est = " / ".join(f"{v:.2f}" for v in r["estimate_ratio"])
            ratio = "-" if r["count_over_needed"] is None else f"{r['count_over_needed']:.2f}"
            kratio = "-" if r["rank_over_needed"] is None else f"{r['rank_over_needed']:.2f}"
            lines.append(f"| {r['rule']} | {r['rtol']:.0e} | {r['coverage']:.1%} | {est} | "
                         f"{r['rank_median']:.0f}, {r['rank_max']} | {r['count_median']:.0f}, {r['count_max']} | "
                         f"{r['needed_rank'] or '-'} | {kratio} | {ratio} | {r['seconds_median']:.3f} |")
        lines.append("")
    return lines


if __name__ == "__main__":
    main()
