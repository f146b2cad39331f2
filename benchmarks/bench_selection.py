"""Benchmark: the selection rules of skeleton_approx against scikit-learn's randomized_svd.

Case (issue 15): the noisy rank-50 test problem of :mod:`benchmarks.bench_cur`
(singular values 1 .. 1e-2, ``||E||_2 = 1e-6 ||X||_2``), 20000 x 5000, in four
layouts: tall and wide (its transpose, 5000 x 20000), each C- and Fortran-ordered.
Per layout, in one process, interleaved within each round (in a fresh random order
each round, seeded, unless ``--fixed-order``: on a virtual machine the cost of a
call can depend on its place in the round, see :func:`benchmarks._common.timed`):

* ``sklearn.utils.extmath.randomized_svd(X, 50, n_iter=2)`` - the peer;
* ``X.sum()`` - one streaming read of X, the unit of "reads of X";
* ``skeleton_approx(X, 50, n_rows=k, n_cols=k, sampling=rule, rng=0)`` with the
  default (stable, truncated) core and ``check_finite=True``, for every rule of
  :data:`skeleton.selection.SAMPLINGS` at ``k = 600`` and ``k = 2 r = 100``;
* ``pivoted_qr`` with LU pivots of the sketch instead of pivoted QR
  (:data:`skeleton.selection.SKETCH_PIVOTS` = ``"lu"``, Dong & Martinsson 2023);
* with ``--before PATH`` (a checkout of the code before issue 14), its uniform rule
  at ``k = 600`` too, imported as a renamed copy of the package.

Reported: median time, the ratio ``time(randomized_svd) / time(rule)`` (goal >= 5),
the relative Frobenius error and its ratio to randomized_svd's (goal <= 1.1 at
``k = 600``), and ``time / time(X.sum())`` (goal <= 2 for uniform at ``k = 600``).
Errors are exact (``SkeletonApprox.error``, blockwise).

Run ``python -m benchmarks.bench_selection [--quick] [--out DIR] [--before PATH]``;
writes ``DIR/selection.md`` and ``DIR/selection.json`` (``selection_quick.*`` with
``--quick``, a 4000 x 1600 problem).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks._common import base_parser, load_average, machine_info, timed, write_report
from benchmarks.bench_cur import PAUSE_S, RANK, test_problem

RULES = ("uniform", "pivoted_qr", "deim", "maxvol", "leverage")
KS = (600, 2 * RANK)
GOAL_SPEEDUP = 5.0  # each rule >= 5x faster than randomized_svd(n_iter=2)
GOAL_ERROR = 1.1  # ... at k = 600 within 1.1x of its Frobenius error
GOAL_READS = 2.0  # uniform at k = 600: <= 2 reads of X (X.sum())
RSVD = "randomized_svd (n_iter=2)"
READ = "X.sum() (one read)"
# NumPy's own gather of a uniform sample: the least any rule returning C and R does
GATHER = "X[:, J] and X[I, :] (NumPy)"


def layouts(X):
    """The four layouts of the test problem, made one at a time (each 800 MB)."""
    yield "tall, C", lambda: X
    yield "tall, F", lambda: np.asfortranarray(X)
    yield "wide, C", lambda: np.ascontiguousarray(X.T)
    yield "wide, F", lambda: X.T


def frobenius_error(X, L, Rt):
    """``||X - L Rt||_F / ||X||_F``, blockwise."""
    num = den = 0.0
    step = max(1, (1 << 22) // X.shape[1])
    for i in range(0, X.shape[0], step):
        B = X[i : i + step]
        D = B - L[i : i + step] @ Rt
        num += float(np.vdot(D, D).real)
        den += float(np.vdot(B, B).real)
    return float(np.sqrt(num / den))


def load_before(path):
    """The ``skeleton`` package of the checkout ``path`` as a renamed copy
    (``skeleton_before``), importable beside the current one."""
    tmp = Path(tempfile.mkdtemp(prefix="skeleton_before_"))
    # (without __pycache__: numba caches there refer to the original module names)
    shutil.copytree(Path(path) / "skeleton", tmp / "skeleton_before", ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(tmp))
    return importlib.import_module("skeleton_before")


def methods_for(X, before=None):
    """name -> zero-argument callable returning a callable that gives the error."""
    from sklearn.utils.extmath import randomized_svd

    from skeleton import selection, skeleton_approx

    def rsvd():
        U, s, Vt = randomized_svd(X, RANK, n_iter=2, random_state=0)
        return lambda: frobenius_error(X, U * s, Vt)

    def rule(name, k, pivots="qr"):
        def f():
            old, selection.SKETCH_PIVOTS = selection.SKETCH_PIVOTS, pivots
            try:
                c = skeleton_approx(X, RANK, n_rows=k, n_cols=k, sampling=name, rng=0, check_finite=True)
            finally:
                selection.SKETCH_PIVOTS = old
            return lambda: c.error(X)

        return f

    def before_uniform(k):
        def f():
            c = before.skeleton_approx(X, n_rows=k, n_cols=k, rank=RANK, sampling="uniform", rng=0,
                                       check_finite=True)
            return lambda: frobenius_error(X, c.C @ c.U, c.R)

        return f

    sample = np.random.default_rng(0)
    I = np.sort(sample.choice(X.shape[0], KS[0], replace=False))
    J = np.sort(sample.choice(X.shape[1], KS[0], replace=False))
    out = {RSVD: rsvd, READ: lambda: (X.sum(), None)[1], GATHER: lambda: (X[:, J], X[I, :], None)[-1]}
    for k in KS:
        for name in RULES:
            out[f"{name}, k={k}"] = rule(name, k)
        out[f"pivoted_qr (LU pivots), k={k}"] = rule("pivoted_qr", k, "lu")
    if before is not None:
        out[f"uniform before issue 14, k={KS[0]}"] = before_uniform(KS[0])
    return out


def paired_uniform(X, before, repeats, pause):
    """Uniform at k = KS[0], now against ``before``, in three orders: alternating
    back to back, alternating with ``pause`` s idle before each call, and each alone
    (the harness above runs every method in between, which moves both figures)."""
    from skeleton import skeleton_approx

    k = KS[0]
    calls = {
        "after": lambda: skeleton_approx(X, RANK, n_rows=k, n_cols=k, sampling="uniform", rng=0, check_finite=True),
        "before": lambda: before.skeleton_approx(X, n_rows=k, n_cols=k, rank=RANK, sampling="uniform", rng=0,
                                                 check_finite=True),
    }
    for f in calls.values():  # a second warm-up beside timed()'s own (numba, caches, allocator)
        f()
    # timed() calls the methods in turn each round: alternating, back to back or idle
    out = {order: {name: v["median_s"] for name, v in timed(calls, repeats, pause=idle).items()}
           for order, idle in (("alternating", 0.0), ("alternating, idle", pause))}
    out["alone"] = {name: timed({name: f}, repeats, warmup=False)[name]["median_s"] for name, f in calls.items()}
    return out


def paired_report(res):
    m = res["machine"]
    timeout = res.get("openblas_thread_timeout")
    title = "# Uniform sampling before and after issue 14 (paired)"
    title += f", OpenBLAS threads sleeping at once (OPENBLAS_THREAD_TIMEOUT={timeout})" if timeout else ""
    lines = [title, "",
             f"Command: `{res['command']}`. Machine: {m['cpu']}, {m['logical_cores']} logical cores; "
             f"{res['threads']} threads. Noisy rank-50 problem, {res['n']} x {res['d']}, "
             f"`skeleton_approx(X, 50, n_rows={KS[0]}, n_cols={KS[0]}, sampling='uniform', check_finite=True)` "
             "against the same call of the code before issue 14 (its signature), in one process; median of "
             f"{res['paired_repeats']} calls each. 1-min load average before/after: {res['load_before']:.2f} / "
             f"{res['load_after']:.2f}.", "",
             "| layout | order | before [s] | after [s] | after / before |", "|---|---|---|---|---|"]
    for lay in res["paired"]:
        for order, t in lay["times"].items():
            lines.append(f"| {lay['layout']} | {order} | {t['before']:.4f} | {t['after']:.4f} | "
                         f"{t['after'] / t['before']:.2f} |")
    return lines


def touch_memory(mb):
    """A ``prepare`` hook for :func:`timed`: write ``mb`` MB and free them, so that the
    next call's fresh arrays get pages the process has just used (on a virtual machine,
    memory left free for a while goes back to the host, and the first touch of it costs
    a page fault served by the host: up to 0.2 s for the C and R of k = 600)."""
    def prepare(_name):
        np.ones(mb << 17)  # (8-byte entries)
    return prepare


# the seed of the per-round orders (benchmarks._common.timed)
ORDER_SEED = 20261201


def bench_layout(name, X, repeats, before, prefault=0, shuffle=ORDER_SEED):
    methods = methods_for(X, before)
    t = timed(methods, repeats, pause=PAUSE_S, prepare=touch_memory(prefault) if prefault else None,
              shuffle=shuffle)
    errs = {}
    for m, f in methods.items():
        out = f()
        errs[m] = out() if out is not None else None
    print(name, {m: round(v["median_s"], 4) for m, v in t.items()}, flush=True)
    return {"layout": name, "shape": list(X.shape), "order": "F" if X.flags.f_contiguous and not X.flags.c_contiguous
            else "C", "timings": t, "errors": errs}


def summarize(rows):
    """Per layout and method: time, speed-up over randomized_svd, error ratio, reads."""
    goals = []
    for r in rows:
        t, e = r["timings"], r["errors"]
        base_t, base_e, read = t[RSVD]["median_s"], e[RSVD], t[READ]["median_s"]
        for m in t:
            if m in (RSVD, READ, GATHER):
                continue
            speed = base_t / t[m]["median_s"]
            goals.append({"layout": r["layout"], "method": m, "time_s": t[m]["median_s"], "speedup": speed,
                          "sys_s": t[m].get("sys_median_s"),
                          "error": e[m], "error_ratio": e[m] / base_e, "reads": t[m]["median_s"] / read})
    return goals


def report(res):
    info = res["machine"]
    lines = [
        "# Selection rules against randomized_svd" + (", memory prefaulted" if res.get("prefault") else ""),
        "",
        f"Command: `{res['command']}`. Machine: {info['cpu']}, {info['logical_cores']} logical cores; "
        f"Python {info['python']}, NumPy {info['numpy']}, SciPy {info['scipy']}, numba {info['numba']}, "
        f"scikit-learn {res['sklearn']}. Threads: {res['threads']} (BLAS pinned with threadpoolctl: "
        f"{', '.join(info['thread_pools'])}; numba {res['threads']}). 1-min load average before/after: "
        f"{res['load_before']:.2f} / {res['load_after']:.2f} (the machine is shared: timings are noisy).",
        "",
        f"Noisy rank-{RANK} test problem of bench_cur (singular values 1 .. 1e-2, ||E||_2 = 1e-6 ||X||_2), "
        f"{res['n']} x {res['d']} (tall) and its transpose (wide), C- and Fortran-ordered. "
        f"`skeleton_approx(X, {RANK}, n_rows=k, n_cols=k, sampling=rule, rng=0)`: default core, "
        "check_finite=True. Median of "
        f"{res['repeats']} rounds after a warm-up call, methods interleaved within each round "
        + ("(in the same order every round)" if res.get("fixed_order") else
           f"(in a fresh random order each round, seed {res.get('order_seed', ORDER_SEED)})")
        + ", each call after "
        f"{PAUSE_S} s idle. Speed-up: time of `randomized_svd(X, {RANK}, n_iter=2)` / time of the rule (goal >= "
        f"{GOAL_SPEEDUP:g}); error ratio: relative Frobenius error / randomized_svd's (goal <= {GOAL_ERROR:g} at "
        f"k = {KS[0]}; reported at k = {KS[1]}); reads: time / time of X.sum() (goal <= {GOAL_READS:g} for "
        f"uniform at k = {KS[0]}). System: the part of the time that was the process's kernel CPU time (median), "
        "mostly page faults on the fresh memory of C and R; on this virtual machine it varies with what ran "
        "before (memory freed a while ago has gone back to the host, and touching it again faults), so in "
        "a fixed order it falls on whichever method comes at that place in the round.",
        "",
    ]
    if res.get("prefault"):
        lines[-1:-1] = ["", f"Prefaulted: before each timed call (outside it, after the idle pause) {res['prefault']} MB "
                        "are written and freed, for every method alike, so that the fresh memory of the call is memory the "
                        "process has just used rather than memory the virtual machine has handed back to its host; "
                        "what remains in the system column is the ordinary cost of the page faults."]
    for r in res["layouts"]:
        t, e = r["timings"], r["errors"]
        lines += [f"## {r['layout']} ({r['shape'][0]} x {r['shape'][1]})", "",
                  f"randomized_svd: {t[RSVD]['median_s']:.3f} s, Frobenius error {e[RSVD]:.3e}; "
                  f"X.sum(): {t[READ]['median_s']:.4f} s; NumPy's `X[:, J]`, `X[I, :]` for {KS[0]} uniform "
                  f"rows and columns (no check, no core): {t[GATHER]['median_s']:.4f} s "
                  f"({t[GATHER]['median_s'] / t[READ]['median_s']:.2f} reads).", "",
                  "| method | time [ms] | system [ms] | speed-up | Frobenius error | error ratio | reads of X |",
                  "|---|---|---|---|---|---|---|"]
        for g in res["summary"]:
            if g["layout"] != r["layout"]:
                continue
            sys_s = "-" if g.get("sys_s") is None else f"{g['sys_s'] * 1e3:.0f}"
            lines.append(f"| {g['method']} | {g['time_s'] * 1e3:.0f} | {sys_s} | {g['speedup']:.1f} | "
                         f"{g['error']:.3e} | {g['error_ratio']:.3f} | {g['reads']:.2f} |")
        lines.append("")
    lines += ["## Goals", "", "| goal | worst over layouts | target | met |", "|---|---|---|---|"]
    for k in KS:
        for name in RULES + ("pivoted_qr (LU pivots)",):
            m = f"{name}, k={k}"
            rows = [g for g in res["summary"] if g["method"] == m]
            if not rows:
                continue
            sp = min(g["speedup"] for g in rows)
            lines.append(f"| {m}: speed-up | {sp:.2f} | >= {GOAL_SPEEDUP:g} | {'yes' if sp >= GOAL_SPEEDUP else '**no**'} |")
            er = max(g["error_ratio"] for g in rows)
            if k == KS[0]:
                lines.append(f"| {m}: error ratio | {er:.3f} | <= {GOAL_ERROR:g} | "
                             f"{'yes' if er <= GOAL_ERROR else '**no**'} |")
            else:
                lines.append(f"| {m}: error ratio | {er:.3f} | reported | - |")
            if name == "uniform" and k == KS[0]:
                rd = max(g["reads"] for g in rows)
                lines.append(f"| {m}: reads of X | {rd:.2f} | <= {GOAL_READS:g} | {'yes' if rd <= GOAL_READS else '**no**'} |")
    before = [g for g in res["summary"] if g["method"].startswith("uniform before")]
    if before:
        lines += ["", "## Uniform before and after issue 14", "",
                  "| layout | before [s] | after [s] | after / before |", "|---|---|---|---|"]
        for g in before:
            now = next(x for x in res["summary"] if x["layout"] == g["layout"] and x["method"] == f"uniform, k={KS[0]}")
            lines.append(f"| {g['layout']} | {g['time_s']:.4f} | {now['time_s']:.4f} | {now['time_s'] / g['time_s']:.2f} |")
    return lines


def main(argv=None):
    ap = base_parser(__doc__.splitlines()[0], threads=2, tag=True)
    ap.add_argument("--before", default=None, help="checkout of the code before issue 14 (its uniform rule is timed)")
    ap.add_argument("--layouts", nargs="*", default=None, help="only these layouts (e.g. 'tall, C')")
    ap.add_argument("--prefault", type=int, default=0, metavar="MB",
                    help="write and free MB megabytes before each timed call (selection_prefault.*)")
    ap.add_argument("--fixed-order", action="store_true",
                    help="call the methods in the same order every round (default: a seeded random order)")
    ap.add_argument("--paired", action="store_true",
                    help="with --before: only uniform, now against before, paired (uniform_before_after.*)")
    args = ap.parse_args(argv)
    if args.paired and not args.before:
        ap.error("--paired needs --before")
    import numba
    import sklearn
    import threadpoolctl

    n, d = (4000, 1600) if args.quick else (20000, 5000)
    repeats = args.repeats or (2 if args.quick else 7)
    before = load_before(args.before) if args.before else None
    numba.set_num_threads(args.threads)
    res = {"command": "python -m benchmarks.bench_selection" + (" --quick" if args.quick else ""),
           "n": n, "d": d, "threads": args.threads, "repeats": repeats, "sklearn": sklearn.__version__,
           "load_before": load_average()}
    with threadpoolctl.threadpool_limits(limits=args.threads):
        res["machine"] = machine_info()
        X, _ = test_problem(n, d, True)
        res["layouts"] = []
        for name, make in layouts(X):
            if args.layouts and name not in args.layouts:
                continue
            if args.paired:
                res["paired_repeats"] = max(repeats, 9)
                res.setdefault("paired", []).append(
                    {"layout": name, "times": paired_uniform(make(), before, res["paired_repeats"], PAUSE_S)})
                continue
            res["layouts"].append(bench_layout(name, make(), repeats, before, args.prefault,
                                               None if args.fixed_order else ORDER_SEED))
    res["load_after"] = load_average()
    if args.paired:
        res["command"] += " --before CHECKOUT --paired"
        stem = "uniform_before_after"
        timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
        if timeout:  # OpenBLAS threads that sleep at once: the orders no longer differ
            res["command"] = f"OPENBLAS_THREAD_TIMEOUT={timeout} " + res["command"]
            stem += f"_openblas_timeout{timeout}"
            res["openblas_thread_timeout"] = timeout
        if args.layouts:
            res["command"] += " --layouts " + " ".join(f"'{x}'" for x in args.layouts)
        write_report(args.out, stem, res, paired_report(res), args.tag)
        return res
    res["summary"] = summarize(res["layouts"])
    stem = "selection_quick" if args.quick else "selection"
    if args.fixed_order:
        res["fixed_order"] = True
        res["command"] += " --fixed-order"
        stem += "_fixed_order"
    else:
        res["order_seed"] = ORDER_SEED
    if args.prefault:
        res["prefault"] = args.prefault
        res["command"] += f" --prefault {args.prefault}"
        stem += "_prefault"
    if args.tag:
        res["command"] += f" --tag {args.tag}"
    write_report(args.out, stem, res, report(res), args.tag)
    return res


if __name__ == "__main__":
    main()
