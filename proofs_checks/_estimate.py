"""How long a ``skeleton verify`` run will take on this machine, said before it starts.

Each :class:`~proofs_checks._framework.Check` carries ``cost``, the seconds one of its
trials takes on one core of the reference machine (the project's 2-core AMD EPYC
build box, measured with :func:`measure_costs`).  The estimate is the sum over the
selected checks of cost x trials, divided by the workers (except for the timing checks,
whose trials run one at a time), plus about two seconds per check
for its summary and figure, times the ratio of this machine's time to the reference's
on a small fixed benchmark (dense SVDs and FFTs, about 0.1 s), plus the start-up of
the worker processes.  It is a rough figure: a
busy machine runs slower than its benchmark said.
"""

from __future__ import annotations

import time

import numpy as np

from ._framework import total_trials

__all__ = ["machine_speed", "estimate_seconds", "describe"]

REFERENCE_BENCH = 0.062      # seconds of _bench() (best of 5) on one core of the reference machine
STARTUP = 5.0                # seconds to start the worker processes and import the checks
SUMMARY = 2.0                # seconds per check in the main process: summaries, figures, report


def _bench():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((160, 160))
    x = rng.standard_normal((64, 4096))
    t0 = time.perf_counter()
    for _ in range(20):
        np.linalg.svd(A)
        np.fft.rfft(x, axis=1)
    return time.perf_counter() - t0


def machine_speed():
    """This machine's benchmark time over the reference's (> 1: slower); best of three."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        _bench()
        t = min(_bench() for _ in range(3))
    return t / REFERENCE_BENCH


def estimate_seconds(checks, *, quick, workers, trials=None, speed=None):
    """Estimated wall-clock seconds of a run of ``checks``."""
    speed = machine_speed() if speed is None else speed
    work = 0.0
    for c in checks:
        p = dict(c.params(quick))
        if trials is not None:
            held = int(p.get("held_out", 0))
            p["held_out"] = max(1, -(-int(trials) * held // int(p["trials"]))) if held else 0
            p["trials"] = int(trials)
        cost = c.cost if not isinstance(c.cost, tuple) else c.cost[0 if quick else 1]
        # timing checks run their trials one at a time; the others share the workers
        work += cost * total_trials(p) / (1 if c.timed else max(1, int(workers)))
    return STARTUP + (SUMMARY * len(checks) + work) * speed


def describe(seconds):
    """'about 40 s' / 'about 6 min'."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    return f"about {seconds / 60:.0f} min"


def measure_costs(checks, *, trials=4, quick=True):
    """Seconds per trial of each check on one core of this machine, in reference units
    (divided by :func:`machine_speed`): the figures to put in ``Check.cost``."""
    from threadpoolctl import threadpool_limits

    from ._framework import trial_seeds
    out = {}
    with threadpool_limits(1):
        speed = machine_speed()
        for c in checks:
            p = dict(c.params(quick))
            idx = np.unique(np.linspace(0, total_trials(p) - 1, trials).astype(int))   # spread over the design
            seeds = trial_seeds(0, c.id, total_trials(p))
            t0 = time.perf_counter()
            for i in idx:
                c.trial(seeds[i], int(i), p)
            out[c.id] = (time.perf_counter() - t0) / idx.size / speed
    return out


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    from . import ALL_CHECKS
    for cid, cost in measure_costs(ALL_CHECKS).items():
        print(f"{cid:20s} cost={cost:.3g}")
