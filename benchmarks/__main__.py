"""Run every benchmark: ``python -m benchmarks [--quick] [--out DIR]``.

Each module's ``main(argv)`` is called in turn in this one process with the same
``--quick``/``--out`` flags; each writes its own markdown, JSON and PNG into ``DIR``
(default ``docs/benchmarks``).  The out-of-core demonstration
(:mod:`benchmarks.bench_outofcore`, a 20 GB matrix on disk) is not part of the
default suite; run it on demand with ``python -m benchmarks.bench_outofcore``.
"""

from __future__ import annotations

import argparse
import importlib
import time

# The default suite, in order; each module has main(argv) taking --quick and --out.
SUITE = ("bench_cur", "bench_kernel", "bench_smoothing", "bench_attention")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (each module's own quick mode)")
    ap.add_argument("--out", default="docs/benchmarks", help="output directory (default docs/benchmarks)")
    ap.add_argument("--only", nargs="*", choices=SUITE, help="run only these modules")
    args = ap.parse_args(argv)
    forwarded = (["--quick"] if args.quick else []) + ["--out", args.out]
    timings = {}
    for name in args.only or SUITE:
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name} {' '.join(forwarded)}", flush=True)
        t0 = time.perf_counter()
        mod.main(list(forwarded))
        timings[name] = time.perf_counter() - t0
    for name, t in timings.items():
        print(f"{name}: {t:.1f} s")
    return timings


if __name__ == "__main__":
    main()
