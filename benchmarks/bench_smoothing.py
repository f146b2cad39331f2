"""Benchmark: ``smooth`` (r + d FFTs, fused) vs ``smooth_full`` (3d FFTs, SciPy) vs a
plain ``numpy.fft`` full-form implementation, at 4096 x 64 and 65536 x 256 (r = 32).

Run ``python -m benchmarks.bench_smoothing [--quick] [--out DIR]``; writes
``DIR/smoothing.md``, ``DIR/smoothing.json`` and ``DIR/smoothing.png`` (default
``DIR = docs/benchmarks``).  All timings come from one process: median of
``--repeats`` rounds after one warm-up call per method (excluded), methods interleaved
within each round so that load from other processes hits all of them alike.  Thread
counts are set explicitly (``workers`` for scipy.fft, ``numba.set_num_threads``,
threadpoolctl for BLAS) and reported.

The report also records, for the HiPPO-LegT kernel, how far the paper's circular
smoothing is from the step-by-step recurrence that ``mode="linear"`` reproduces.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, timed
from skeleton.smoothing import (
    legt_kernel,
    legt_system,
    segment_average,
    smooth,
    smooth_full,
    to_frequency,
)

GOAL = 3.0  # issue 4: smooth at least 3x faster than the numpy full form at 65536 x 256


def timed_with_threads(methods, repeats):
    """:func:`~benchmarks._common.timed` of ``methods = {name: (callable, numba threads)}``,
    each call made with its own numba thread count (set outside the timed window)."""
    import numba

    default = numba.get_num_threads()
    try:
        return timed({k: f for k, (f, _) in methods.items()}, repeats,
                     prepare=lambda k: numba.set_num_threads(methods[k][1]))
    finally:
        numba.set_num_threads(default)


def numpy_full(X, K0):
    """The paper's full form (2) with plain numpy.fft (pocketfft, single-threaded)."""
    n = X.shape[0]
    return np.fft.irfft(np.fft.rfft(X, axis=0) * np.fft.rfft(K0, axis=0), n=n, axis=0)


METHODS = {
    "smooth": "eq. (3): r rfft + d irfft, numba-fused segment means and products, all threads",
    "smooth_1": "the same on 1 thread (workers=1, numba 1 thread)",
    "smooth_repo": "repository variant without averaging (r = d: 2d transforms), all threads",
    "smooth_full": "eq. (2) with scipy.fft: 3d transforms, all threads",
    "smooth_full_1": "eq. (2) with scipy.fft on 1 thread",
    "numpy_full": "eq. (2) written with numpy.fft (single-threaded; numpy.fft has no workers)",
}


def run_case(n, d, r, repeats, ncores):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    K0 = rng.standard_normal((n, d)) / n
    L = to_frequency(K0)
    # what is timed computes the same thing: on segment-constant input all forms agree
    Xc = segment_average(X, r, repeat=True)
    ref = numpy_full(Xc, K0)
    agree = {
        "smooth": float(np.linalg.norm(smooth(Xc, L, r) - ref) / np.linalg.norm(ref)),
        "smooth_full": float(np.linalg.norm(smooth_full(Xc, K0) - ref) / np.linalg.norm(ref)),
    }
    assert max(agree.values()) < 1e-12, agree
    del Xc, ref
    methods = {  # name: (callable, numba threads)
        "smooth": (lambda: smooth(X, L, r, workers=ncores), ncores),
        "smooth_1": (lambda: smooth(X, L, r, workers=1), 1),
        "smooth_repo": (lambda: smooth(X, L, d, workers=ncores), ncores),
        "smooth_full": (lambda: smooth_full(X, K0, workers=ncores), ncores),
        "smooth_full_1": (lambda: smooth_full(X, K0, workers=1), 1),
        "numpy_full": (lambda: numpy_full(X, K0), 1),
    }
    res = timed_with_threads(methods, repeats)
    return {"n": n, "d": d, "r": r, "repeats": repeats, "agreement_rel_err": agree, "timings": res}


def profile_stages(n, d, r, repeats):
    """Median time of each stage of the fused path, one thread (where the time goes)."""
    import scipy.fft

    from skeleton._validation import check_finite
    from skeleton.smoothing._fused import _avg_transposed, _mul_transposed

    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d))
    L = to_frequency(rng.standard_normal((n, d)) / n)
    nf = n // 2 + 1
    AT = np.empty((r, n))
    YT = scipy.fft.rfft(AT, axis=-1, workers=1)
    ZT = np.empty((d, nf), dtype=complex)
    stages = {
        "validation (finiteness scans of X and L)": lambda: (check_finite(X, "X"), check_finite(L, "L")),
        "segment means (numba, written transposed)": lambda: _avg_transposed(X, r, AT),
        "r forward rfft": lambda: scipy.fft.rfft(AT, axis=-1, workers=1),
        "d products (numba)": lambda: _mul_transposed(L, YT, ZT, d // r, False),
        "d inverse irfft": lambda: scipy.fft.irfft(ZT, n=n, axis=-1, workers=1),
        "whole smooth() call": lambda: smooth(X, L, r, workers=1),
    }
    res = timed_with_threads({k: (f, 1) for k, f in stages.items()}, repeats)
    return {"n": n, "d": d, "r": r, "stages_s": {k: v["median_s"] for k, v in res.items()}}


def legt_wraparound(cases):
    """Relative distance of circular LegT smoothing from the recurrence (= linear mode)."""
    out = []
    for n, s, theta in cases:
        rng = np.random.default_rng(1)
        X = np.cumsum(rng.standard_normal((n, s)), axis=0) / np.sqrt(n)
        K = legt_kernel(n, s, theta)
        lin = smooth(X, K, 1, mode="linear", domain="time")
        circ = smooth(X, K, 1, mode="circular", domain="time")
        Ad, _ = legt_system(s, theta)
        q = max(1, n // 10)
        row_err = np.linalg.norm(circ - lin, axis=1) / np.maximum(np.linalg.norm(lin, axis=1), 1e-300)
        bad = np.nonzero(row_err > 1e-8)[0]
        burn_in = int(bad[-1] + 1) if bad.size else 0  # rows after this agree to 1e-8
        out.append({
            "n": n, "s": s, "theta": theta,
            "rel_err": float(np.linalg.norm(circ - lin) / np.linalg.norm(lin)),
            "rel_err_first_10pct": float(np.linalg.norm(circ[:q] - lin[:q]) / np.linalg.norm(lin[:q])),
            "rel_err_last_10pct": float(np.linalg.norm(circ[-q:] - lin[-q:]) / np.linalg.norm(lin[-q:])),
            "spectral_radius_Ad": float(np.max(np.abs(np.linalg.eigvals(Ad)))),
            "kernel_tail_ratio": float(np.linalg.norm(K[-1]) / np.linalg.norm(K[0])),
            "rows_wrong_beyond_1e-8": burn_in,
            "kernel_decay_len_1e-8": int(np.nonzero(np.linalg.norm(K, axis=1) > 1e-8 * np.linalg.norm(K[0]))[0][-1] + 1),
        })
    return out


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(METHODS)
    fig, axes = plt.subplots(1, len(rows), figsize=(5 * len(rows), 4), squeeze=False)
    for ax, row in zip(axes[0], rows):
        t = [1e3 * row["timings"][k]["median_s"] for k in keys]
        ax.barh(range(len(keys)), t, color=["C0", "C0", "C2", "C1", "C1", "C3"])
        ax.set_yticks(range(len(keys)), keys)
        ax.invert_yaxis()
        ax.set_xlabel("median time [ms]")
        ax.set_title(f"n = {row['n']}, d = {row['d']}, r = {row['r']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(result):
    rows, info, ncores = result["cases"], result["machine"], result["threads"]
    lines = [
        "# Benchmark: Fourier smoothing (`skeleton.smoothing`)",
        "",
        f"Machine: {info['cpu']}, {info['logical_cores']} logical cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, SciPy {info['scipy']}, numba {info['numba']}; BLAS "
        f"{', '.join(info['thread_pools']) or 'n/a'} (pinned to 1 thread: no BLAS call is timed).",
        "",
        f"Command: `{result['command']}` ({result['date']}). float64, r = 32. Median of the "
        "stated number of rounds after one warm-up call per method (excluded), all methods in "
        "one process and interleaved within each round. \"all threads\" = "
        f"{ncores} (scipy.fft `workers={ncores}`, `numba.set_num_threads({ncores})`); "
        "\"1 thread\" = `workers=1`, one numba thread. The box is shared by other jobs; runs "
        "were taken under a lock that keeps other benchmarks and test runs off it; the 1-minute "
        f"load average was {result['load_average_1min']['before']:.2f} before and "
        f"{result['load_average_1min']['after']:.2f} after the run (about 1 = this run alone "
        "on the 2 cores; higher = other processes competed, and the multi-threaded timings "
        "suffer most).",
        "",
    ]
    lines += [f"* `{k}`: {v}" for k, v in METHODS.items()]
    lines += [
        "",
        "| n | d | rounds | smooth | smooth 1 thr | smooth r=d | smooth_full | smooth_full 1 thr "
        "| numpy full | **numpy full / smooth** | numpy full / smooth 1 thr | smooth_full / smooth |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        t = {k: v["median_s"] for k, v in row["timings"].items()}
        ms = {k: f"{1e3 * v:.1f} ms" for k, v in t.items()}
        lines.append(
            f"| {row['n']} | {row['d']} | {row['repeats']} | {ms['smooth']} | {ms['smooth_1']} "
            f"| {ms['smooth_repo']} | {ms['smooth_full']} | {ms['smooth_full_1']} | {ms['numpy_full']} "
            f"| **{t['numpy_full'] / t['smooth']:.2f}x** | {t['numpy_full'] / t['smooth_1']:.2f}x "
            f"| {t['smooth_full'] / t['smooth']:.2f}x |"
        )
    big = [row for row in rows if (row["n"], row["d"]) == (65536, 256)]
    lines.append("")
    if big:
        t = {k: v["median_s"] for k, v in big[0]["timings"].items()}
        ratio, ratio1 = t["numpy_full"] / t["smooth"], t["numpy_full"] / t["smooth_1"]
        verdict = "met" if ratio >= GOAL else "NOT met"
        lines += [
            f"Goal of issue 4 (`smooth` >= {GOAL:g}x faster than the numpy full form at 65536 x 256): "
            f"**{verdict}** - measured {ratio:.2f}x with {ncores} threads and {ratio1:.2f}x on one "
            "thread (the numpy baseline is single-threaded either way; the one-thread ratio is the "
            f"like-for-like algorithmic gain of r + d = {big[0]['r'] + big[0]['d']} transforms over "
            f"3d = {3 * big[0]['d']} plus the fused averaging/products). Repeated runs on this "
            "shared box vary by tens of percent with the load of other jobs; every sample is in "
            "`smoothing.json`.",
        ]
    else:
        lines.append("(Quick run: the 65536 x 256 case of the goal was not timed.)")
    lines += [
        "",
        f"Where the time goes in `smooth` at {result['profile']['n']} x {result['profile']['d']} "
        "(one thread, each stage timed on its own; the whole call also pays the first-touch page "
        "faults of its two large buffers):",
        "",
        "| stage | median time |",
        "|---|---|",
    ]
    lines += [f"| {k} | {1e3 * v:.1f} ms |" for k, v in result["profile"]["stages_s"].items()]
    lines += [
        "",
        "Hence the fused CPU path: means written transposed (r x n) "
        "so the r rfft run along contiguous rows, the d products formed in one numba pass into a "
        "(d, n//2+1) buffer without ever repeating the r spectra, and the irfft run in place on "
        "contiguous rows; the result is returned as the Fortran-ordered transpose (a C-order copy "
        "would cost about as much as all d inverse transforms).",
        "",
        "Agreement of what is timed (segment-constant input, so all forms compute the same matrix): "
        + "; ".join(
            f"{row['n']}x{row['d']}: smooth {row['agreement_rel_err']['smooth']:.1e}, "
            f"smooth_full {row['agreement_rel_err']['smooth_full']:.1e} relative to numpy full"
            for row in rows
        )
        + ".",
        "",
        "## HiPPO-LegT kernel: circular (the paper's computation) vs the recurrence",
        "",
        "`smooth(X, legt_kernel(n, s, theta), 1, mode=\"linear\", domain=\"time\")` equals the "
        "state-space recurrence c(t) = Ad c(t-1) + Bd u(t) to 1e-12 (tests/test_smoothing_legt.py). "
        "The circular mode adds wrap-around terms; their size (X = scaled random walk):",
        "",
        "| n | s | theta | rel. error (all rows) | first 10% rows | last 10% rows | rho(Ad) | "
        "abs(K[n-1]) / abs(K[0]) | kernel length to 1e-8 | rows with row error > 1e-8 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["legt"]:
        lines.append(
            f"| {c['n']} | {c['s']} | {c['theta']:g} | {c['rel_err']:.2e} | {c['rel_err_first_10pct']:.2e} "
            f"| {c['rel_err_last_10pct']:.2e} | {c['spectral_radius_Ad']:.6f} | {c['kernel_tail_ratio']:.2e} "
            f"| {c['kernel_decay_len_1e-8']} | first {c['rows_wrong_beyond_1e-8']} |"
        )
    lines += [
        "",
        "Reading: row t of the circular result is sum_k K[k] u((t - k) mod n); for t shorter than "
        "the kernel's decay length the terms k > t wrap around to the end of the sequence, so "
        "the first rows carry an O(1) error (the sequence's end leaks into its start) while the "
        "rows after the decay length match the recurrence. When the kernel has not decayed "
        "within n (theta large against n) no row is exact. Proposition 3's memory for all t "
        "therefore needs the zero-padded (linear) form; the paper's circular FFT gives it only "
        "after a burn-in of about the kernel's decay length.",
        "",
        "![timings](smoothing.png)",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], threads_help="'all threads' count (default: all cores)")
    args = ap.parse_args(argv)
    import threadpoolctl

    r = 32
    if args.quick:
        sizes, repeats = [(4096, 64), (16384, 128)], args.repeats or 3
        legt_cases = [(1024, 8, 64.0), (1024, 8, 256.0)]
    else:
        sizes, repeats = [(4096, 64), (65536, 256)], args.repeats or 9
        legt_cases = [(1024, 8, 64.0), (1024, 8, 256.0), (1024, 8, 1024.0), (4096, 8, 64.0), (4096, 16, 256.0)]
    ncores = args.threads or os.cpu_count() or 1
    load_before = load_average()
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):  # no BLAS call is timed
        info = machine_info()
        cases = []
        for n, d in sizes:
            row = run_case(n, d, r, repeats if n * d <= 1 << 20 else max(3, repeats), ncores)
            print(n, d, {k: round(v["median_s"], 4) for k, v in row["timings"].items()}, flush=True)
            cases.append(row)
        legt = legt_wraparound(legt_cases)
        n_p, d_p = sizes[-1]
        prof = profile_stages(n_p, d_p, r, max(3, repeats // 2))
    result = {
        "command": "python -m benchmarks.bench_smoothing" + (" --quick" if args.quick else ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": info,
        "threads": ncores,
        "load_average_1min": {"before": load_before, "after": load_average()},
        "goal_ratio": GOAL,
        "cases": cases,
        "legt": legt,
        "profile": prof,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "smoothing.json").write_text(json.dumps(result, indent=1))
    plot(cases, out / "smoothing.png")
    text = report(result)
    (out / "smoothing.md").write_text(text)
    print(text)
    return result


if __name__ == "__main__":
    main()
