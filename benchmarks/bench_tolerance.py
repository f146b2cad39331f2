"""Benchmark: skeleton_approx to a tolerance (rtol) - coverage, estimate, sample counts.

For matrices with known spectra (``low_rank`` with singular values ``0.8^k``,
``0.95^k`` and ``k^-3``, 600 x 400) and each selection rule, many seeded trials of
``skeleton_approx(X, rtol=...)`` measure:

* coverage: the fraction of trials whose true relative Frobenius error (formed
  densely) is at most ``rtol`` - the claim is at least 99 %;
* the estimate: ``error_estimate.estimate / true error`` (min, median, max) - the
  claim is within a factor 10;
* sample counts: ``max(n_rows, n_cols)`` against ``r*``, the smallest rank whose SVD
  tail meets ``rtol`` (Eckart-Young, ``numpy.linalg.svd``) - the claim for the
  deterministic rules is at most ``2 r*`` (median and max over trials);
* wall time per call.

Also a kernel matrix read as an entry oracle (held-out entries), with uniform,
pivoted QR, rpcholesky and aca. Trials draw their seeds from one ``SeedSequence``.

Run ``python -m benchmarks.bench_tolerance [--quick] [--trials N] [--out DIR]``; writes
``DIR/tolerance.md`` and ``DIR/tolerance.json`` (``tolerance_quick.*`` with
``--quick``).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, write_report
from skeleton import KernelMatrix, skeleton_approx
from skeleton.matrices import low_rank

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
            ok, ratios, counts, times = 0, [], [], []
            for ss in seeds:
                t0 = time.perf_counter()
                cur = skeleton_approx(X, rtol=rtol, sampling=rule, rng=np.random.default_rng(ss))
                times.append(time.perf_counter() - t0)
                err = cur.error(dense)
                ok += err <= rtol
                ratios.append(cur.error_estimate.estimate / err if err > 0 else np.inf)
                counts.append(max(cur.row_idx.size, cur.col_idx.size))
            ratios = np.array(ratios)
            rows.append({
                "rule": rule, "rtol": rtol, "trials": len(seeds), "coverage": ok / len(seeds),
                "estimate_ratio": [float(ratios.min()), float(np.median(ratios)), float(ratios.max())],
                "count_median": float(np.median(counts)), "count_max": int(max(counts)),
                "needed_rank": need,
                "count_over_needed": None if not need else float(max(counts) / need),
                "seconds_median": float(np.median(times)),
                "method": cur.error_estimate.method,
            })
    return rows


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], repeats=False, threads=False)
    ap.add_argument("--trials", type=int, default=None,
                    help="seeded trials per row (default 200; 20 with --quick); the kernel matrix gets a tenth")
    args = ap.parse_args(argv)
    trials = args.trials or (20 if args.quick else 200)
    n, d = (300, 200) if args.quick else (600, 400)
    seeds = np.random.SeedSequence(2026).spawn(trials)
    command = "python -m benchmarks.bench_tolerance" + (" --quick" if args.quick else "")
    command += f" --trials {args.trials}" if args.trials else ""
    res = {"command": command, "machine": machine_info(), "load_before": load_average(), "trials": trials,
           "shape": [n, d], "families": {}}
    for name, spectrum in SPECTRA.items():
        m = min(n, d)
        X = low_rank(n, d, m, singular_values=spectrum(m), rng=1)
        s = np.linalg.svd(X, compute_uv=False)
        res["families"][name] = study(X, s, RULES, RTOLS, seeds)
    x = np.random.default_rng(3).uniform(size=(2000 if args.quick else 5000, 2))
    K = KernelMatrix(x, bandwidth=0.25)
    res["kernel_trials"] = max(5, trials // 10)
    res["families"]["gaussian kernel (entry oracle)"] = study(
        K, None, ("uniform", "pivoted_qr", "rpcholesky", "aca"), (1e-6, 1e-10), seeds[: res["kernel_trials"]],
        dense=K.to_array())
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
        "Estimate: estimated / true error, min / median / max (claimed within 10x). Counts: max(n_rows, "
        "n_cols), median and max, and max over r* (the SVD rank that meets rtol; claimed <= 2 for the "
        "deterministic rules).",
        "",
    ]
    for fam, rows in res["families"].items():
        lines += [f"## {fam}", "",
                  "| rule | rtol | coverage | estimate / true | count (median, max) | r* | max / r* | s per call |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            est = " / ".join(f"{v:.2f}" for v in r["estimate_ratio"])
            ratio = "-" if r["count_over_needed"] is None else f"{r['count_over_needed']:.2f}"
            lines.append(f"| {r['rule']} | {r['rtol']:.0e} | {r['coverage']:.1%} | {est} | "
                         f"{r['count_median']:.0f}, {r['count_max']} | {r['needed_rank'] or '-'} | {ratio} | "
                         f"{r['seconds_median']:.3f} |")
        lines.append("")
    return lines


if __name__ == "__main__":
    main()
