"""``skeleton verify`` / ``python -m proofs_checks``: argument parsing and the run.

Provides the two functions the library CLI calls: :func:`add_verify_arguments` and
:func:`run_verify`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

__all__ = ["add_verify_arguments", "run_verify", "main", "build_parser"]


def _available_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``skeleton verify`` to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and trial counts (same verdicts, < 2 min on 2 cores)")
    parser.add_argument("--only", nargs="+", metavar="ID", default=None,
                        help="run only the checks whose id matches (prefix, e.g. prop2 or def1)")
    parser.add_argument("--trials", type=int, default=None, metavar="N",
                        help="override the number of trials of every selected check")
    parser.add_argument("--workers", type=int, default=_available_cores(), metavar="K",
                        help="parallel worker processes (default: the available cores; results do "
                             "not depend on it)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="master seed (default 0)")
    parser.add_argument("--out", default="skeleton-report", metavar="DIR",
                        help="output folder (default ./skeleton-report/)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a killed run from the journals in --out")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the trials on a dask.distributed scheduler at ADDRESS")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)


def _select(only, checks):
    """Checks named by --only: a check id or id prefix (``prop2``, ``prop1.noiseless``), or an
    entry id (``prop2.max_t.gaussian``), which selects the check with the longest id it starts with."""
    if not only:
        return list(checks)
    sel = set()
    for o in only:
        direct = [c.id for c in checks if c.id == o or c.id.startswith(o)]
        if direct:
            sel.update(direct)
            continue
        owners = [c.id for c in checks if o.startswith(c.id + ".")]
        if owners:
            sel.add(max(owners, key=len))
    return [c for c in checks if c.id in sel]


def _writable(out):
    """None if ``out`` can hold the report, else the reason (one line)."""
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".write-test")
        with open(probe, "w") as fh:
            fh.write("")
        os.remove(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def run_verify(args: argparse.Namespace) -> int:
    """Run ``skeleton verify`` with parsed ``args``; returns the exit code.

    0: all selected checks ran (whatever their verdicts: a violated claim is a finding);
    2: bad arguments or an output folder that cannot be written; 3: stopped by
    ``--stop-after`` (test hook, journals kept).
    """
    import matplotlib
    matplotlib.use("Agg")
    from . import ALL_CHECKS
    from ._estimate import describe, estimate_seconds
    from ._framework import StopRequested, run_checks
    from ._report import summary_table

    if getattr(args, "list", False):
        for c in ALL_CHECKS:
            print(f"{c.id:20s} {c.title}")
        return 0
    checks = _select(args.only, ALL_CHECKS)
    if not checks:
        print(f"no check matches {args.only}; use --list", file=sys.stderr)
        return 2
    if args.workers < 1 or (args.trials is not None and args.trials < 1):
        print("--workers and --trials must be >= 1", file=sys.stderr)
        return 2
    why = _writable(args.out)
    if why:
        print(f"skeleton verify: cannot write the report to --out {args.out}: {why}", file=sys.stderr)
        return 2
    est = estimate_seconds(checks, quick=args.quick, workers=args.workers, trials=args.trials)
    print(f"{len(checks)} checks, {args.workers} worker(s): estimated {describe(est)} on this machine; "
          f"report in {args.out}/", flush=True)
    t0 = time.perf_counter()
    try:
        entries = run_checks(checks, seed=args.seed, quick=args.quick, trials=args.trials,
                             workers=args.workers, out_dir=args.out, resume=args.resume,
                             scheduler=args.scheduler, progress=not args.no_progress,
                             stop_after=args.stop_after, known_checks=ALL_CHECKS,
                             machine=_machine(args.workers))
    except StopRequested as exc:
        print(f"stopped after --stop-after trials (in {exc}); rerun with --resume",
              file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"skeleton verify: cannot write the report to --out {args.out}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print(summary_table(entries))
    print(f"\n{len(entries)} entries from {len(checks)} checks in "
          f"{time.perf_counter() - t0:.1f} s; report: {args.out}/report.md (files of the previous run there "
          f"replaced; list in {args.out}/.manifest.json)")
    return 0


def _machine(workers):
    import platform
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {_available_cores()} cores, {workers} worker(s)"


def build_parser():
    p = argparse.ArgumentParser(prog="python -m proofs_checks",
                                description="Numerical verdicts on the claims of S3Attention.")
    add_verify_arguments(p)
    return p


def main(argv=None) -> int:
    return run_verify(build_parser().parse_args(argv))
