"""Benchmark: CUR of the 10^6 x 10^6 Gaussian kernel matrix through its entry oracle.

``KernelMatrix(x, bandwidth=0.2)`` of ``n`` uniform points in the unit square
(``n = 10^6``: the dense matrix would take 8 TB) is approximated by
``skeleton_approx(K, n_rows=k, n_cols=k, sampling=...)``, which evaluates only ``C = K[:, J]``,
``R = K[I, :]`` (and, for ``"pivoted_qr"``, a ``4k x 4k`` sub-sample block).
Reported for each rule and ``k``: median wall time (one warm-up excluded), the
relative error on ``HELD_OUT`` random entries outside the sampled rows and columns,
``||K_H - (CUR)_H||_2 / ||K_H||_2`` over those entries, and the peak memory traced by
:mod:`tracemalloc` during one call (NumPy reports its allocations there) against the
size of ``C`` and ``R``.

Run ``python -m benchmarks.bench_kernel [--quick] [--out DIR]``; writes
``DIR/kernel.md`` and ``DIR/kernel.json``.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info
from skeleton import KernelMatrix, skeleton_approx

BANDWIDTH = 0.2
HELD_OUT = 200_000
GOAL_TIME = 2.0
GOAL_ERR = 1e-6
GOAL_MEM = 2.0


def held_out_error(K, cur, m, rng):
    """Relative error of ``cur`` on ``m`` random entries off the sampled rows/columns."""
    n, d = K.shape
    i = rng.integers(0, n, 2 * m)
    j = rng.integers(0, d, 2 * m)
    keep = ~np.isin(i, cur.row_idx) & ~np.isin(j, cur.col_idx)
    i, j = i[keep][:m], j[keep][:m]
    # exact entries one at a time through the oracle's own kernel, in blocks
    exact = np.concatenate([np.diag(K.entries(i[s : s + 2000], j[s : s + 2000])) for s in range(0, m, 2000)])
    approx = np.einsum("ik,ki->i", cur.C[i] @ cur.U, cur.R[:, j])
    return float(np.linalg.norm(exact - approx) / np.linalg.norm(exact)), int(i.size)


def run_case(K, sampling, k, repeats, rng_seed=0):
    f = lambda: skeleton_approx(K, n_rows=k, n_cols=k, sampling=sampling, core="truncated", rng=rng_seed)  # noqa: E731
    f()  # warm-up (numba kernels loaded, pages faulted once)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cur = f()
        times.append(time.perf_counter() - t0)
        del cur
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cur = f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    cr_bytes = cur.C.nbytes + cur.R.nbytes
    err, m = held_out_error(K, cur, HELD_OUT, np.random.default_rng(123))
    return {
        "sampling": sampling,
        "k": k,
        "median_s": float(np.median(times)),
        "all_s": times,
        "held_out_rel_err": err,
        "held_out_entries": m,
        "core_rank": cur.core_rank,
        "peak_traced_bytes": int(peak),
        "C_plus_R_bytes": int(cr_bytes),
        "peak_over_CR": peak / cr_bytes,
    }


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], quick_help="10^5 points instead of 10^6", repeats=3, threads=2)
    args = ap.parse_args(argv)
    import numba
    import threadpoolctl

    n = 10**5 if args.quick else 10**6
    cases = [("pivoted_qr", 120), ("pivoted_qr", 128), ("pivoted_qr", 140), ("uniform", 140), ("uniform", 250)]
    numba.set_num_threads(args.threads)
    x = np.random.default_rng(0).random((n, 2))
    K = KernelMatrix(x, bandwidth=BANDWIDTH)
    load_before = load_average()
    rows = []
    with threadpoolctl.threadpool_limits(limits=args.threads):
        info = machine_info()
        for sampling, k in cases:
            r = run_case(K, sampling, k, args.repeats)
            rows.append(r)
            print(r, flush=True)
    res = {
        "command": "python -m benchmarks.bench_kernel" + (" --quick" if args.quick else ""),
        "machine": info,
        "threads": args.threads,
        "n": n,
        "bandwidth": BANDWIDTH,
        "load_before": load_before,
        "load_after": load_average(),
        "rows": rows,
    }
    lines = [
        f"# CUR of the {n} x {n} Gaussian kernel matrix (entry oracle)",
        "",
        f"Command: `{res['command']}`. Machine: {info['cpu']}, {info['logical_cores']} logical cores; "
        f"NumPy {info['numpy']}, numba {info['numba']}; threads {args.threads} "
        f"(BLAS pinned: {', '.join(info['thread_pools'])}). Load average before/after: "
        f"{res['load_before']} / {res['load_after']}.",
        "",
        f"{n} uniform points in the unit square, bandwidth {BANDWIDTH}; k rows = k columns, core='truncated' "
        "(default cut-off sqrt(eps)). Time: median of "
        f"{args.repeats} calls after a warm-up. Error: relative 2-norm over {HELD_OUT} random held-out entries "
        "(rows and columns not sampled). Peak: tracemalloc peak during one call, over the bytes of C and R. "
        f"Goals (issue 6): < {GOAL_TIME} s, held-out error <= {GOAL_ERR}, peak < {GOAL_MEM} x (C + R).",
        "",
        "| sampling | k | median time [s] | held-out rel. error | core rank | peak [MB] | C+R [MB] | peak / (C+R) | goals met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = r["median_s"] < GOAL_TIME and r["held_out_rel_err"] <= GOAL_ERR and r["peak_over_CR"] < GOAL_MEM
        lines.append(
            f"| {r['sampling']} | {r['k']} | {r['median_s']:.3f} | {r['held_out_rel_err']:.2e} | {r['core_rank']} | "
            f"{r['peak_traced_bytes'] / 2**20:.0f} | {r['C_plus_R_bytes'] / 2**20:.0f} | {r['peak_over_CR']:.2f} | "
            f"{'yes' if met else 'no'} |"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "kernel_quick" if args.quick else "kernel"
    (out / f"{stem}.json").write_text(json.dumps(res, indent=1, default=float))
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return res


if __name__ == "__main__":
    main()
