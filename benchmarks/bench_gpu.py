"""Benchmark: the CuPy path beside the NumPy path, on one GPU, in one process.

Three cases, each run on the device (CuPy arrays) and on the host (NumPy arrays) with
the same inputs and the same random state, so that the two results can be compared
entry by entry and the ratio of their times read directly:

``cur``
    ``skeleton_approx`` of a 20000 x 5000 matrix (rank 50 plus noise of relative size
    1e-6), ``k = 600`` rows and columns, ``sampling="uniform"`` and
    ``sampling="pivoted_qr"``: time, relative error :math:`\\|X - CUR\\|_F/\\|X\\|_F`,
    whether both paths chose the same rows and columns, and how far apart their
    approximations are.
``smoothing``
    ``smooth`` of a 65536 x 256 matrix with ``r = 32`` segments (a random spectrum):
    time and the relative difference of the two results.
``incoherence``
    randomized ``incoherence`` of the ``cur`` matrix at rank 50: time, μ, the
    certified error bound and the power iterations of each path.

Run ``python -m benchmarks.bench_gpu [--out DIR] [--only CASE ...] [--repeats N]``;
writes ``DIR/gpu.json`` and ``DIR/gpu.md`` (``gpu_CASE.*`` with ``--only``; default
``DIR = gpu_check``).  Device
times are wall times around calls that end in a device synchronisation; one warm-up
call per method is excluded (CUDA context, cuBLAS/cuSOLVER handles, FFT plans, numba).
``benchmarks/gpu_check.sh`` runs it after installing the ``gpu`` extra and the CuPy
tests, each step under a time limit.

``--dry-run`` runs every case end to end at small sizes with NumPy standing in for
CuPy (both "paths" on the host), to check the script and its report where there is no
GPU; its figures say nothing about a GPU.  Without ``--dry-run`` and without CuPy or
a CUDA device it prints why and exits with status 3 (no CuPy) or 4 (no device).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, timed, write_report

CASES = ("cur", "smoothing", "incoherence")
SIZES = {  # case: (full size, dry-run size)
    "cur": ((20000, 5000, 50, 600), (400, 200, 8, 40)),
    "smoothing": ((65536, 256, 32), (512, 64, 8)),
    "incoherence": ((20000, 5000, 50), (400, 200, 8)),
}
NO_CUPY, NO_DEVICE = 3, 4


class _HostStandIn:
    """What the benchmark needs of CuPy, on the host (``--dry-run``)."""

    name = "numpy (dry run: no GPU)"

    @staticmethod
    def asarray(a):
        return np.array(a, copy=True)  # a separate array, as a device copy would be

    @staticmethod
    def asnumpy(a):
        return np.asarray(a)

    @staticmethod
    def synchronize():
        pass


class _Cupy:
    """The device: CuPy arrays, and a synchronisation that ends every timed call."""

    def __init__(self, cp):
        self.cp = cp
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.runtime.getDevice())
        name = props["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)

    def asarray(self, a):
        return self.cp.asarray(a)

    def asnumpy(self, a):
        return self.cp.asnumpy(a)

    def synchronize(self):
        self.cp.cuda.Device().synchronize()


def device_or_exit(dry_run):
    """The device wrapper, or a message and ``sys.exit`` when there is none."""
    if dry_run:
        return _HostStandIn()
    try:
        import cupy as cp
    except ImportError as exc:
        print(f"bench_gpu: CuPy is not installed ({exc}); install the gpu extra "
              "(pip install -e \".[gpu]\") or pass --dry-run", file=sys.stderr)
        sys.exit(NO_CUPY)
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:  # the CUDA driver or runtime is missing
        print(f"bench_gpu: CuPy cannot reach a CUDA device ({type(exc).__name__}: {exc})", file=sys.stderr)
        sys.exit(NO_DEVICE)
    if count < 1:
        print("bench_gpu: no CUDA device found", file=sys.stderr)
        sys.exit(NO_DEVICE)
    return _Cupy(cp)


def _test_matrix(n, d, r, seed=0):
    """Rank ``r`` with singular values 1 .. 1e-2, plus Gaussian noise of spectral norm
    about 1e-6 (the setting of Proposition 1)."""
    rng = np.random.default_rng(seed)
    W = np.linalg.qr(rng.standard_normal((n, r)))[0]
    V = np.linalg.qr(rng.standard_normal((d, r)))[0]
    X = (W * np.logspace(0, -2, r)) @ V.T
    X += rng.standard_normal((n, d)) * (1e-6 / (math.sqrt(n) + math.sqrt(d)))
    return X


def _synced(dev, f):
    def call():
        out = f()
        dev.synchronize()
        return out

    return call


def _rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def case_cur(dev, size, repeats):
    from skeleton import skeleton_approx

    n, d, r, k = size
    X = _test_matrix(n, d, r)
    Xd = dev.asarray(X)
    dev.synchronize()
    rows = []
    for sampling in ("uniform", "pivoted_qr"):
        def run(A):
            return skeleton_approx(A, n_rows=k, n_cols=k, rank=r, sampling=sampling, rng=1)

        times = timed({"device": _synced(dev, lambda: run(Xd)), "host": lambda: run(X)}, repeats)
        gpu, cpu = run(Xd), run(X)
        dev.synchronize()
        same = bool(np.array_equal(gpu.row_idx, cpu.row_idx) and np.array_equal(gpu.col_idx, cpu.col_idx))
        rows.append({
            "sampling": sampling, "n": n, "d": d, "rank": r, "k": k,
            "device_s": times["device"]["median_s"], "host_s": times["host"]["median_s"],
            "speedup": times["host"]["median_s"] / times["device"]["median_s"],
            "device_error": float(gpu.error(Xd)), "host_error": float(cpu.error(X)),
            "same_indices": same,
            "device_vs_host": _rel(dev.asnumpy(gpu.to_array()), cpu.to_array()) if same else None,
            "evaluation": [gpu.evaluation, cpu.evaluation],
        })
    return rows


def case_smoothing(dev, size, repeats):
    from skeleton.smoothing import smooth, to_frequency

    n, d, r = size
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d))
    L = to_frequency(rng.standard_normal((n, d)) / n)
    Xd, Ld = dev.asarray(X), dev.asarray(L)
    dev.synchronize()
    times = timed({"device": _synced(dev, lambda: smooth(Xd, Ld, r)), "host": lambda: smooth(X, L, r)}, repeats)
    gpu, cpu = smooth(Xd, Ld, r), smooth(X, L, r)
    return [{
        "n": n, "d": d, "r": r,
        "device_s": times["device"]["median_s"], "host_s": times["host"]["median_s"],
        "speedup": times["host"]["median_s"] / times["device"]["median_s"],
        "device_vs_host": _rel(dev.asnumpy(gpu), cpu),
    }]


def case_incoherence(dev, size, repeats):
    from skeleton import incoherence

    n, d, r = size
    X = _test_matrix(n, d, r)
    Xd = dev.asarray(X)
    dev.synchronize()

    def run(A):
        return incoherence(A, r, method="randomized", rng=3)

    times = timed({"device": _synced(dev, lambda: run(Xd)), "host": lambda: run(X)}, repeats)
    gpu, cpu = run(Xd), run(X)
    return [{
        "n": n, "d": d, "rank": r,
        "device_s": times["device"]["median_s"], "host_s": times["host"]["median_s"],
        "speedup": times["host"]["median_s"] / times["device"]["median_s"],
        "device_mu": gpu.mu, "host_mu": cpu.mu,
        "device_bound": gpu.mu_error_bound, "host_bound": cpu.mu_error_bound,
        "device_iterations": gpu.power_iterations, "host_iterations": cpu.power_iterations,
    }]


RUN = {"cur": case_cur, "smoothing": case_smoothing, "incoherence": case_incoherence}


def _fmt(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def report_lines(res):
    lines = [
        "# GPU check: the CuPy path beside the NumPy path",
        "",
        f"Command: `python -m benchmarks.bench_gpu{' --dry-run' if res['dry_run'] else ''}`. "
        f"Device: {res['device']}. Host: {res['machine']['cpu']}, {res['machine']['logical_cores']} "
        f"logical cores; NumPy {res['machine']['numpy']}, SciPy {res['machine']['scipy']}"
        + (f", CuPy {res['cupy']}" if res.get("cupy") else "") + ". "
        f"Median of {res['repeats']} rounds after one warm-up call per method; device calls end in a "
        f"synchronisation. 1-min load average before/after: {_fmt(res['load_before'])} / "
        f"{_fmt(res['load_after'])}.",
    ]
    if res["dry_run"]:
        lines += ["", "**Dry run**: small sizes, NumPy standing in for CuPy on the host; the figures "
                      "check the script, not a GPU."]
    for case, rows in res["cases"].items():
        if not rows:
            continue
        keys = list(rows[0])
        lines += ["", f"## {case}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(row[k]) for k in keys) + " |" for row in rows]
    return lines


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], repeats=3, threads=False)
    ap.set_defaults(out="gpu_check")
    ap.add_argument("--dry-run", action="store_true",
                    help="small sizes with NumPy standing in for CuPy (no GPU needed)")
    ap.add_argument("--only", nargs="*", choices=CASES, help="run only these cases")
    args = ap.parse_args(argv)
    dev = device_or_exit(args.dry_run)
    small = args.dry_run or args.quick
    repeats = 1 if small and args.repeats == 3 else args.repeats
    res = {"benchmark": "gpu", "dry_run": bool(args.dry_run), "device": dev.name, "repeats": repeats,
           "machine": machine_info(), "load_before": load_average(), "cases": {}}
    if not args.dry_run:
        res["cupy"] = dev.cp.__version__
    for case in args.only or CASES:
        t0 = time.perf_counter()
        res["cases"][case] = RUN[case](dev, SIZES[case][1 if small else 0], repeats)
        print(f"bench_gpu: {case} done in {time.perf_counter() - t0:.1f} s", flush=True)
    res["load_after"] = load_average()
    stem = "gpu" if not args.only else "gpu_" + "_".join(args.only)
    write_report(args.out, stem, res, report_lines(res))
    return res


if __name__ == "__main__":
    main()
