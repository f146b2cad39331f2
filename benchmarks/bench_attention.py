"""Benchmark: ``skeleton_attention`` vs ``softmax_attention`` (and the Nystromformer
baseline) for n = 1k..64k at d = 64.

Run ``python -m benchmarks.bench_attention [--quick] [--out DIR]``; writes
``DIR/attention.md``, ``DIR/attention.json`` and ``DIR/attention.png`` (default
``DIR = docs/benchmarks``).  One process; median of ``--repeats`` rounds after a warm-up
call per method (excluded), methods interleaved within each round; BLAS and numba
threads pinned (threadpoolctl / ``numba.set_num_threads``) and reported.

Dense softmax attention costs O(n^2 d) time.  ``softmax_attention`` computes it in row
blocks (never more than 2^22 scores at once), so memory is not what limits it here; a
naive implementation holding the n x n score matrix would need 8 n^2 bytes (2 GiB at
n = 16384, 32 GiB at n = 65536 - more than this machine has).  It is timed up to
``--softmax-max`` (default 16384) to keep the run within minutes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, timed
from skeleton.attention import nystrom_attention, skeleton_attention, softmax_attention


def loglog_slope(ns, ts):
    """Least-squares slope of log(time) against log(n) (1 = linear, 2 = quadratic)."""
    if len(ns) < 2:
        return float("nan")
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def run(ns, d, s1, s2, m, repeats, softmax_max):
    rows = []
    for n in ns:
        rng = np.random.default_rng(0)
        Q, K, V = rng.standard_normal((3, n, d))
        P1 = rng.permutation(n)[:s1]
        P2 = rng.permutation(d)[:s2]
        methods = {
            "skeleton": lambda: skeleton_attention(Q, K, V, P1, P2),
            "nystrom": lambda: nystrom_attention(Q, K, V, m),
        }
        if n <= softmax_max:
            methods["softmax"] = lambda: softmax_attention(Q, K, V)
        reps = repeats if n <= 8192 else max(3, repeats // 2)
        t = timed(methods, reps)
        row = {"n": n, "repeats": reps, "timings": t}
        if n <= softmax_max:
            # how far the baselines are from the dense attention they replace (for context)
            ref = softmax_attention(Q, K, V)
            row["nystrom_rel_err_vs_softmax"] = float(
                np.linalg.norm(nystrom_attention(Q, K, V, m) - ref) / np.linalg.norm(ref))
        rows.append(row)
        print(n, {k: round(v["median_s"], 4) for k, v in t.items()}, flush=True)
    return rows


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for key, label, c in (("skeleton", "skeleton_attention", "C0"), ("nystrom", "nystrom_attention", "C2"),
                          ("softmax", "softmax_attention", "C3")):
        pts = [(r["n"], r["timings"][key]["median_s"]) for r in rows if key in r["timings"]]
        if pts:
            x, y = zip(*pts)
            ax.loglog(x, y, "o-", color=c, label=label)
    x = np.array([r["n"] for r in rows], float)
    t0 = rows[0]["timings"]["skeleton"]["median_s"]
    ax.loglog(x, t0 * x / x[0], ":", color="grey", label="linear in n")
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel("median time [s]")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(res):
    rows, info, p = res["rows"], res["machine"], res["params"]
    ns = [r["n"] for r in rows]
    slope = {k: loglog_slope([r["n"] for r in rows if k in r["timings"]],
                             [r["timings"][k]["median_s"] for r in rows if k in r["timings"]])
             for k in ("skeleton", "nystrom", "softmax")}
    base_n, base_t = rows[0]["n"], rows[0]["timings"]["skeleton"]["median_s"]
    per_n = [(r["timings"]["skeleton"]["median_s"] / r["n"]) / (base_t / base_n) for r in rows]
    lines = [
        "# Benchmark: skeleton attention (`skeleton.attention`)",
        "",
        f"Machine: {info['cpu']}, {info['logical_cores']} logical cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, SciPy {info['scipy']}, numba {info['numba']}; BLAS "
        f"{', '.join(info['thread_pools']) or 'n/a'}.",
        "",
        f"Command: `{res['command']}` ({res['date']}). float64, d = {p['d']}; skeleton attention "
        f"with s1 = {p['s1']} sampled tokens and s2 = {p['s2']} sampled features (LayerNorm on, "
        f"`combine=\"mean\"`); Nystromformer with m = {p['m']} segment-mean landmarks and the "
        "6-step iterative pseudo-inverse; dense softmax attention (the reference, row-blocked) "
        f"up to n = {p['softmax_max']}. Median of the stated rounds after one warm-up call per "
        "method (excluded), methods interleaved, one process. BLAS and numba pinned to "
        f"{p['threads']} thread(s) with threadpoolctl / `numba.set_num_threads` (the 2-core box "
        "is shared with other jobs; runs were taken under a lock that keeps other benchmarks "
        "and test runs off it; 1-minute load average "
        f"{res['load_average_1min']['before']:.2f} before, {res['load_average_1min']['after']:.2f} "
        "after the run).",
        "",
        f"| n | rounds | skeleton | skeleton time/n relative to n = {base_n} | Nystromformer "
        "| softmax | softmax / skeleton | Nystrom rel. error vs softmax |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = {k: v["median_s"] for k, v in r["timings"].items()}
        sk, sm = t["skeleton"], t.get("softmax")
        err = r.get("nystrom_rel_err_vs_softmax")
        lines.append(
            f"| {r['n']} | {r['repeats']} | {1e3 * sk:.2f} ms | {(sk / r['n']) / (base_t / base_n):.2f} "
            f"| {1e3 * t['nystrom']:.2f} ms | "
            + (f"{1e3 * sm:.1f} ms | {sm / sk:.1f}x |" if sm is not None else "not timed | - |")
            + (f" {err:.2f} |" if err is not None else " - |")
        )
    lines += [
        "",
        "Growth (least-squares slope of log time against log n; 1 = linear, 2 = quadratic): "
        f"skeleton {slope['skeleton']:.2f} over n = {ns[0]}..{ns[-1]}, Nystromformer "
        f"{slope['nystrom']:.2f}, softmax {slope['softmax']:.2f} over the n where it was timed.",
        "",
        "The skeleton cost is O(n (s1 + s2) d); measured time/n stays between "
        f"{min(per_n):.2f} and {max(per_n):.2f} times its value at n = {base_n} over a "
        f"{ns[-1] // ns[0]}-fold range of n. The Nystrom error column only puts the baseline in context "
        "(skeleton attention with LayerNorm is not an approximation of softmax attention "
        "entry by entry; accuracy comparisons at equal cost belong to experiments/).",
        "",
        "![timings](attention.png)",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], threads=1, threads_help="BLAS and numba threads (pinned; default 1)")
    ap.add_argument("--softmax-max", type=int, default=16384)
    args = ap.parse_args(argv)
    import numba
    import threadpoolctl

    d, s1, s2, m = 64, 32, 32, 64
    if args.quick:
        ns, repeats = [1024, 2048, 4096], args.repeats or 3
        softmax_max = min(args.softmax_max, 4096)
    else:
        ns, repeats = [1024, 2048, 4096, 8192, 16384, 32768, 65536], args.repeats or 5
        softmax_max = args.softmax_max
    numba.set_num_threads(args.threads)
    load_before = load_average()
    with threadpoolctl.threadpool_limits(limits=args.threads):
        info = machine_info()
        rows = run(ns, d, s1, s2, m, repeats, softmax_max)
    res = {
        "command": "python -m benchmarks.bench_attention" + (" --quick" if args.quick else ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": info,
        "params": {"d": d, "s1": s1, "s2": s2, "m": m, "softmax_max": softmax_max,
                   "threads": args.threads},
        "rows": rows,
        "load_average_1min": {"before": load_before, "after": load_average()},
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "attention.json").write_text(json.dumps(res, indent=1))
    plot(rows, out / "attention.png")
    text = report(res)
    (out / "attention.md").write_text(text)
    print(text)
    return res


if __name__ == "__main__":
    main()
