"""On demand (not in the default suite): CUR of a matrix on disk, larger than is sensible
to load, through dask.

``python -m benchmarks.bench_outofcore [--gb 20] [--dir /tmp] [--out DIR] [--keep]``

1. Writes an uncompressed zarr store of ``--gb`` GB of float64 (``n x 25000``, row
   chunks of 500 x 25000): a rank-50 matrix plus Gaussian noise of spectral norm
   about ``1e-6 ||X||_2`` (scaled by the Bai-Yin estimate ``sqrt(n) + sqrt(d)``).
2. In a *fresh* process (so that its peak resident set size is the run's own), opens
   it with ``dask.array.from_zarr`` and runs ``skeleton_approx`` (uniform, k = 600
   rows and columns, truncated core at rank 50) with ``check_finite=True`` (one pass
   over the store) and ``check_finite=False``; reports wall time, peak RSS
   (``resource.getrusage``), the bytes of ``C`` and ``R``, and the relative Frobenius
   error on 20 random row blocks read back from disk.
3. Deletes the store unless ``--keep``.

Writes ``DIR/outofcore.md`` and ``DIR/outofcore.json``.  The machine's page cache may
hold part of the store after it is written; the report says how much RAM the
machine has so the reader can judge.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

D = 25_000
ROW_CHUNK = 500
RANK = 50
K = 600


def write_store(path, gb, seed=0):
    import zarr

    n = int(gb * 1e9 / 8 / D) // ROW_CHUNK * ROW_CHUNK
    z = zarr.create_array(str(path), shape=(n, D), chunks=(ROW_CHUNK, D), dtype="f8", compressors=None, overwrite=True)
    ss = np.random.default_rng(seed)
    sv = np.logspace(0, -2, RANK)
    Vt = np.linalg.qr(ss.standard_normal((D, RANK)))[0].T
    noise = 1e-6 * sv[0] / (np.sqrt(n) + np.sqrt(D))
    seeds = np.random.SeedSequence(seed).spawn(n // ROW_CHUNK)
    t0 = time.perf_counter()
    for b, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        U = rng.standard_normal((ROW_CHUNK, RANK)) / np.sqrt(n)  # columns ~ orthonormal for large n
        z[b * ROW_CHUNK : (b + 1) * ROW_CHUNK] = (U * sv) @ Vt + noise * rng.standard_normal((ROW_CHUNK, D))
    return n, time.perf_counter() - t0


def run_on(path):
    """In this (fresh) process: the CUR runs, printed as one JSON line."""
    import dask
    import dask.array as da

    from skeleton import skeleton_approx

    X = da.from_zarr(str(path))
    n, d = X.shape
    out = {"shape": [n, d], "chunks": [ROW_CHUNK, d], "nbytes": int(X.nbytes)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["rss_before_bytes"] = rss0
    with dask.config.set(scheduler="threads", num_workers=2):
        for check in (True, False):
            t0 = time.perf_counter()
            cur = skeleton_approx(X, n_rows=K, n_cols=K, rank=RANK, rng=0, check_finite=check)
            t = time.perf_counter() - t0
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            out[f"check_finite={check}"] = {"seconds": t, "peak_rss_bytes": rss, "C_plus_R_bytes": cur.C.nbytes + cur.R.nbytes}
    # error on random row blocks read back from disk
    rng = np.random.default_rng(1)
    num = den = 0.0
    CU = cur.C @ cur.U
    for b in rng.choice(n // ROW_CHUNK, min(20, n // ROW_CHUNK), replace=False):
        Xb = np.asarray(X[b * ROW_CHUNK : (b + 1) * ROW_CHUNK].compute())
        Db = Xb - CU[b * ROW_CHUNK : (b + 1) * ROW_CHUNK] @ cur.R
        num += float(np.vdot(Db, Db))
        den += float(np.vdot(Xb, Xb))
    out["rel_fro_err_20_blocks"] = float(np.sqrt(num / den))
    print(json.dumps(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=20.0)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--out", default="docs/benchmarks")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    ap.add_argument("--path", default=None, help="store location (default: DIR/skeleton_outofcore_PID.zarr)")
    ap.add_argument("--write-only", action="store_true", help="write the store and stop (implies --keep)")
    ap.add_argument("--skip-write", action="store_true", help="measure an existing store at --path")
    ap.add_argument("--run-on", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="1 GB instead of --gb")
    args = ap.parse_args(argv)
    if args.run_on:
        return run_on(args.run_on)
    from benchmarks._common import machine_info, write_report

    gb = 1.0 if args.quick else args.gb
    path = Path(args.path) if args.path else Path(args.dir) / f"skeleton_outofcore_{os.getpid()}.zarr"
    info_path = path.with_suffix(".write.json")
    if args.write_only:
        n, t_write = write_store(path, gb)
        info_path.write_text(json.dumps({"n": n, "write_seconds": t_write}))
        print(f"wrote {path}: {n} x {D} float64 in {t_write:.1f} s", flush=True)
        return None
    try:
        if args.skip_write:
            t_write = json.loads(info_path.read_text())["write_seconds"]
        else:
            n, t_write = write_store(path, gb)
            print(f"wrote {path}: {n} x {D} float64 in {t_write:.1f} s", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_outofcore", "--run-on", str(path)],
            capture_output=True, text=True,
        )
        if proc.returncode:
            raise RuntimeError(f"the measuring process failed:\n{proc.stderr}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
            info_path.unlink(missing_ok=True)
    info = machine_info()
    mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    res.update({"machine": info, "write_seconds": t_write, "ram_bytes": mem_total,
                "command": "python -m benchmarks.bench_outofcore" + (" --quick" if args.quick else f" --gb {gb:g}")
                + (" (store written by a separate --write-only call)" if args.skip_write else "")})
    G = 2**30
    lines = [
        "# Out of core: CUR of a matrix on disk (zarr, through dask)",
        "",
        f"Command: `{res['command']}`. Machine: {info['cpu']}, {info['logical_cores']} logical cores, "
        f"{mem_total / G:.1f} GiB RAM; dask threaded scheduler with 2 workers. Store: {res['shape'][0]} x {res['shape'][1]} "
        f"float64 = {res['nbytes'] / G:.1f} GiB, uncompressed zarr, row chunks {ROW_CHUNK} x {D} "
        f"({ROW_CHUNK * D * 8 / 2**20:.0f} MiB); written in {t_write:.0f} s. Rank {RANK} + noise ~1e-6; "
        f"skeleton_approx uniform, k = {K}, truncated core (rank {RANK}). Peak RSS from getrusage in a fresh process (the running maximum: the second row includes the first run) "
        f"(RSS before the runs: {res['rss_before_bytes'] / G:.2f} GiB). The page cache may have held part of the store.",
        "",
        "| check_finite | time [s] | peak RSS [GiB] | C + R [GiB] | peak RSS / matrix |",
        "|---|---|---|---|---|",
    ]
    for check in (True, False):
        r = res[f"check_finite={check}"]
        lines.append(f"| {check} | {r['seconds']:.1f} | {r['peak_rss_bytes'] / G:.2f} | {r['C_plus_R_bytes'] / G:.2f} | "
                     f"{r['peak_rss_bytes'] / res['nbytes']:.3f} |")
    lines += ["", f"Relative Frobenius error on 20 random row blocks: {res['rel_fro_err_20_blocks']:.2e}."]
    write_report(args.out, "outofcore_quick" if args.quick else "outofcore", res, lines)
    return res


if __name__ == "__main__":
    main()
