"""Benchmark: ``skeleton_attention`` vs ``softmax_attention`` (and Nystromformer) for
n = 1k..64k at d = 64.

Run ``python -m benchmarks.bench_attention [--quick] [--out DIR]``; writes
``DIR/benchmarks-attention.md`` (default ``docs/``).  One process; median of
``--repeats`` rounds after a warm-up call (excluded), methods interleaved per round.
Softmax attention (O(n^2 d)) is timed only up to ``--softmax-max`` (default 16384).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_smoothing import machine
from skeleton.attention import nystrom_attention, skeleton_attention, softmax_attention


def time_interleaved(methods, repeats):
    for f in methods.values():
        f()
    ts = {k: [] for k in methods}
    for _ in range(repeats):
        for k, f in methods.items():
            t0 = time.perf_counter()
            f()
            ts[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in ts.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="docs")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--softmax-max", type=int, default=16384)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS and numba threads (pinned with threadpoolctl; default 1)")
    args = ap.parse_args(argv)
    import numba
    import threadpoolctl

    numba.set_num_threads(args.threads)
    with threadpoolctl.threadpool_limits(limits=args.threads):
        _run(args)


def _run(args):
    d, s1, s2, m = 64, 32, 32, 64
    if args.quick:
        ns, repeats = [1024, 2048, 4096], args.repeats or 3
        args.softmax_max = min(args.softmax_max, 4096)
    else:
        ns, repeats = [1024, 2048, 4096, 8192, 16384, 32768, 65536], args.repeats or 5
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
        if n <= args.softmax_max:
            methods["softmax"] = lambda: softmax_attention(Q, K, V)
        t = time_interleaved(methods, repeats if n <= 8192 else max(3, repeats // 2))
        rows.append((n, t))
        print(n, {k: round(v, 4) for k, v in t.items()}, flush=True)

    base_n, base_t = rows[0][0], rows[0][1]["skeleton"]
    lines = [
        "# Benchmark: skeleton attention (`skeleton.attention`)",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `python -m benchmarks.bench_attention{' --quick' if args.quick else ''}`; float64, "
        f"d = {d}, s1 = {s1}, s2 = {s2} (skeleton), m = {m} landmarks (Nystromformer, 6-step "
        f"iterative pseudo-inverse); median of {repeats} rounds (n > 8192: {max(3, repeats // 2)}) "
        "after one warm-up call each, methods interleaved, one process; BLAS and numba pinned "
        f"to {args.threads} thread(s) with threadpoolctl / numba.set_num_threads (the box is "
        "shared: pinned single-threaded runs are the ones that stay comparable). Softmax attention is the dense reference (row-blocked, never "
        f"holds more than 2^22 scores), timed up to n = {args.softmax_max}.",
        "",
        "| n | skeleton | skeleton time / n (relative to n = "
        f"{base_n}) | Nystromformer | softmax | softmax / skeleton |",
        "|---|---|---|---|---|---|",
    ]
    for n, t in rows:
        sk = t["skeleton"]
        sm = t.get("softmax")
        lines.append(
            f"| {n} | {1e3 * sk:.2f} ms | {(sk / n) / (base_t / base_n):.2f} | {1e3 * t['nystrom']:.2f} ms | "
            + (f"{1e3 * sm:.1f} ms | {sm / sk:.1f}x |" if sm is not None else "- | - |")
        )
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks-attention.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
