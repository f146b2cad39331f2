"""What every benchmark shares: the machine it ran on, the timing loop, the CLI preamble.

* :func:`machine_info` names the CPU, the library versions and the thread pools, so
  that a report says where its numbers come from.
* :func:`timed` is the one timing loop: warm-up calls excluded, methods interleaved
  within each round (load from other processes hits them alike), median of the rounds.
* :func:`base_parser` gives each module's ``main(argv)`` the flags
  ``python -m benchmarks`` forwards (``--quick``, ``--out``), plus ``--repeats`` and
  ``--threads`` with that module's defaults.
* :func:`write_report` writes a module's JSON and markdown, with the code revision
  they were measured at (:func:`code_revision`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

try:  # (POSIX only: the system CPU time of each timed call)
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None

# numba's OpenMP threads spin after parallel regions and starve OpenBLAS on machines with few cores
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import scipy  # noqa: E402

__all__ = ["base_parser", "cpu_model", "load_average", "machine_info", "timed", "write_report"]


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name, with its family, model and whether it has AVX-512 (from
    /proc/cpuinfo where there is one).

    A virtual machine often reports only a brand ("AMD EPYC"): the family and model
    tell its generations apart (AMD family 25 holds Zen 3 and Zen 4: EPYC Milan is
    model 1, Genoa model 17; family 26 is Zen 5), and AVX-512 decides which of
    OpenBLAS's kernels run.
    """
    fields = {}
    try:
        with open(cpuinfo) as fh:
            for line in fh:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:  # pragma: no cover
        pass
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields and "model" in fields:
        avx512 = "AVX-512" if "avx512f" in fields.get("flags", "").split() else "no AVX-512"
        name += f" (CPU family {fields['cpu family']}, model {fields['model']}, {avx512})"
    return name


# Environment variables that change which BLAS kernels run, recorded with each report.
_BLAS_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", "MKL_DEBUG_CPU_TYPE",
                     "MKL_ENABLE_INSTRUCTIONS")


def machine_info():
    """Machine, library versions and thread pools, as a dict for the JSON reports."""
    import numba

    info = {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }
    try:
        import threadpoolctl

        # the kernel OpenBLAS runs (its 'architecture') sets the GEMM rate that the
        # peers and the project share: a core type forced through the environment
        # (OPENBLAS_CORETYPE) can halve it on a processor newer than the build knows
        info["thread_pools"] = [
            f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads"
            + (f", {p['architecture']} kernels)" if p.get("architecture") else ")")
            for p in threadpoolctl.threadpool_info()
        ]
    except ImportError:  # pragma: no cover
        info["thread_pools"] = []
    info["blas_environment"] = blas_environment()
    return info


def load_average():
    """1-minute load average (other jobs on the shared box), or None where unavailable."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover
        return None


def timed(methods, repeats, *, warmup=True, pause=0.0, prepare=None, shuffle=None):
    """Median wall time of each zero-argument callable in ``methods`` (a dict).

    One warm-up call per method first (JIT, plan caches, page faults; not counted)
    unless ``warmup=False``; then ``repeats`` rounds, each calling every method once,
    in order. Before each timed call, and outside the timed window, the process idles
    ``pause`` seconds (BLAS threads left spinning by the previous call then no longer
    slow the next one) and then ``prepare(name)`` runs if given (to set that method's
    thread count, say). Returns ``{name: {"median_s", "min_s", "all_s", "warmup",
    "sys_median_s"}}``; the last is the process's kernel (system) CPU time per call, where
    the platform reports it (``resource``; None elsewhere): page faults on fresh memory
    show up there, and on a virtual machine they can dominate a memory-bound call.

    ``shuffle`` (a seed for :class:`numpy.random.SeedSequence`) calls the methods of
    each round in a fresh random order instead: a cost that depends on the place in
    the round (memory the machine reclaims after a while, say) then falls on every
    method alike rather than on whichever one always comes at that place.
    """
    if warmup:
        for k, f in methods.items():
            if prepare is not None:
                prepare(k)
            f()
    ts = {k: [] for k in methods}
    sys_s = {k: [] for k in methods}
    names = list(methods)
    orders = ([names] * repeats if shuffle is None else
              [[names[i] for i in np.random.default_rng(seed).permutation(len(names))]
               for seed in np.random.SeedSequence(shuffle).spawn(repeats)])
    for order in orders:
        for k in order:
            f = methods[k]
            if pause:
                time.sleep(pause)
            if prepare is not None:  # (after the pause: what it prepares is fresh)
                prepare(k)
            r0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime if resource else 0.0
            t0 = time.perf_counter()
            f()
            ts[k].append(time.perf_counter() - t0)
            sys_s[k].append((resource.getrusage(resource.RUSAGE_SELF).ru_stime if resource else 0.0) - r0)
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "all_s": v, "warmup": warmup,
                "sys_median_s": statistics.median(sys_s[k]) if resource else None} for k, v in ts.items()}


def base_parser(description, *, quick_help="small sizes, few repeats", repeats=None, threads=None,
                threads_help="BLAS and numba threads (pinned)", tag=False):
    """An argument parser with ``--quick``, ``--out`` and, where the module takes them
    (a default other than ``False``), ``--repeats`` and ``--threads``; with ``tag``,
    ``--tag`` (for :func:`write_report`)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--out", default="docs/benchmarks", help="output directory (default docs/benchmarks)")
    if tag:
        ap.add_argument("--tag", default=None,
                        help="a name for this machine's run: written as NAME_TAG.md/.json, titled '(TAG)', "
                             "beside another machine's NAME.md")
    if repeats is not False:
        ap.add_argument("--repeats", type=int, default=repeats, help="timed rounds (default: the module's own)")
    if threads is not False:
        ap.add_argument("--threads", type=int, default=threads, help=threads_help)
    return ap


def code_revision():
    """``git describe --always --dirty`` of the checkout holding the benchmarks (a
    ``-dirty`` suffix when files differ from that commit), or None outside one."""
    import subprocess
    from pathlib import Path

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def blas_environment():
    """The BLAS settings taken from the environment (``_BLAS_ENVIRONMENT``), as a dict."""
    return {k: os.environ[k] for k in _BLAS_ENVIRONMENT if k in os.environ}


def blas_environment_line():
    """A sentence naming the BLAS settings taken from the environment, or saying
    there were none."""
    env = blas_environment()
    if not env:
        return "BLAS environment: none of " + ", ".join(_BLAS_ENVIRONMENT) + " set."
    return "BLAS environment: " + ", ".join(f"`{k}={v}`" for k, v in env.items()) + "."


def write_report(out_dir, stem, res, lines, tag=None):
    """Write ``stem.json`` (``res``) and ``stem.md`` (``lines``) into ``out_dir``, and
    print the markdown; with ``tag``, as ``stem_tag.*``, the title (the first line)
    ending in ``(tag)``: a second machine's run kept beside the first's.  Both record
    the code revision (:func:`code_revision`): a ``code_revision`` key in a dict
    ``res``, a line in the markdown; the markdown ends with the BLAS settings
    taken from the environment (:func:`blas_environment_line`)."""
    from pathlib import Path

    rev = code_revision()
    if isinstance(res, dict):
        res = {**res, "code_revision": rev}
    lines = [*lines, "", f"Code revision: `{rev}` (`git describe --always --dirty`)." if rev else
             "Code revision: unknown (not run from a git checkout).", "", blas_environment_line()]
    if tag:
        if not tag.replace("-", "").isalnum():
            raise ValueError(f"tag must be letters, digits and '-', got {tag!r}")
        stem = f"{stem}_{tag}"
        lines = [f"{lines[0]} ({tag})", *lines[1:]] if lines and lines[0].startswith("# ") else lines
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(res, indent=1, default=float))
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
