"""Benchmark: ``smooth`` (r + d FFTs, fused) vs ``smooth_full`` (3d FFTs, SciPy) vs a
plain ``numpy.fft`` full-form implementation.

Run ``python -m benchmarks.bench_smoothing [--quick] [--out DIR]``; writes
``DIR/benchmarks-smoothing.md`` (default ``docs/``).  All timings come from one
process: median of ``--repeats`` runs after one warm-up run (excluded), so the
ratios are comparable.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy

from skeleton.smoothing import smooth, smooth_full, to_frequency


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover
        pass
    import numba

    try:
        import threadpoolctl

        pools = threadpoolctl.threadpool_info()
        blas = ", ".join(f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads)" for p in pools)
    except ImportError:  # pragma: no cover
        blas = "threadpoolctl not installed"
    return (
        f"{cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, SciPy {scipy.__version__}, numba {numba.__version__}; "
        f"thread pools: {blas}"
    )


def time_interleaved(methods, repeats):
    """Median seconds per method; methods = {name: (callable, numba threads)}.

    One warm-up call each (excluded), then ``repeats`` rounds that call every method
    once in turn, so that load from other processes hits all methods alike.
    """
    import numba

    for f, thr in methods.values():
        numba.set_num_threads(thr)
        f()
    ts = {k: [] for k in methods}
    for _ in range(repeats):
        for k, (f, thr) in methods.items():
            numba.set_num_threads(thr)
            t0 = time.perf_counter()
            f()
            ts[k].append(time.perf_counter() - t0)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return {k: statistics.median(v) for k, v in ts.items()}


def numpy_full(X, K0):
    """The paper's full form with plain numpy.fft (single-threaded pocketfft)."""
    n = X.shape[0]
    return np.fft.irfft(np.fft.rfft(X, axis=0) * np.fft.rfft(K0, axis=0), n=n, axis=0)


def run(sizes, r, repeats):
    rows = []
    ncores = os.cpu_count() or 1
    for n, d in sizes:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d))
        K0 = rng.standard_normal((n, d)) / n
        L = to_frequency(K0)
        # correctness of what is timed: on segment-constant input all three agree
        Xc = X.reshape(n, r, d // r).mean(axis=2).repeat(d // r, axis=1)
        ref = numpy_full(Xc, K0)
        err = np.linalg.norm(smooth(Xc, L, r) - ref) / np.linalg.norm(ref)
        assert err < 1e-12, err
        res = time_interleaved(
            {
                "smooth": (lambda: smooth(X, L, r, workers=ncores), ncores),
                "smooth_full": (lambda: smooth_full(X, K0, workers=ncores), ncores),
                "numpy": (lambda: numpy_full(X, K0), ncores),
                "smooth_1": (lambda: smooth(X, L, r, workers=1), 1),
                "smooth_full_1": (lambda: smooth_full(X, K0, workers=1), 1),
                "smooth_repo": (lambda: smooth(X, L, d, workers=ncores), ncores),
            },
            repeats,
        )
        rows.append((n, d, res))
        print(n, d, {k: round(v, 4) for k, v in res.items()}, flush=True)
    return rows


def report(rows, r, repeats, quick):
    ncores = os.cpu_count() or 1
    lines = [
        "# Benchmark: Fourier smoothing (`skeleton.smoothing`)",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `python -m benchmarks.bench_smoothing{' --quick' if quick else ''}`; "
        f"median of {repeats} rounds after one warm-up call each (excluded), all in one process, "
        "methods interleaved within each round; float64; r = {r}.",
        "",
        "* `smooth`: eq. (3), r rfft + d irfft, numba-fused averaging and products, "
        f"scipy.fft with `workers={ncores}` and numba on {ncores} threads.",
        "* `smooth (1 thr)`: the same with `workers=1` and `numba.set_num_threads(1)`.",
        "* `smooth_full`: eq. (2), 3d transforms with scipy.fft (`workers` as stated).",
        "* `numpy full`: eq. (2) written with `numpy.fft` (single-threaded, no `workers`).",
        "* `smooth r=d`: the repository's variant without averaging (2d transforms).",
        "",
        "| n | d | smooth | smooth (1 thr) | smooth r=d | smooth_full | smooth_full (1 thr) | numpy full "
        "| numpy full / smooth | numpy full / smooth (1 thr) | smooth_full / smooth |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, d, t in rows:
        ms = {k: f"{1e3 * v:.1f} ms" for k, v in t.items()}
        lines.append(
            f"| {n} | {d} | {ms['smooth']} | {ms['smooth_1']} | {ms['smooth_repo']} | {ms['smooth_full']} "
            f"| {ms['smooth_full_1']} | {ms['numpy']} | {t['numpy'] / t['smooth']:.2f}x "
            f"| {t['numpy'] / t['smooth_1']:.2f}x | {t['smooth_full'] / t['smooth']:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    ap.add_argument("--out", default="docs", help="output directory for the markdown table")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    r = 32
    if args.quick:
        sizes, repeats = [(4096, 64), (16384, 128)], args.repeats or 3
    else:
        sizes, repeats = [(4096, 64), (65536, 256)], args.repeats or 7
    import threadpoolctl

    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):  # BLAS is not timed here
        rows = run(sizes, r, repeats)
    text = report(rows, r, repeats, args.quick)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks-smoothing.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
