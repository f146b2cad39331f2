"""Shared plumbing for the experiment scripts: argument parsing, seeding, output.

Every experiment is ``python -m experiments.NAME [--quick] [--out DIR] [--seed S]``
and writes ``NAME.json`` (the numbers behind the figure) and ``NAME.png`` into DIR.
Monte Carlo trials draw their generators from one :class:`numpy.random.SeedSequence`
so that a run is reproducible from its seed alone.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path("experiments-out")


def parse_args(name: str, description: str, argv=None) -> argparse.Namespace:
    """Parse the common command line of an experiment."""
    parser = argparse.ArgumentParser(prog=f"python -m experiments.{name}",
                                     description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few trials (seconds; used by the tests)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default ./{DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    return parser.parse_args(argv)


def generators(seed: int, count: int, *key: int) -> list[np.random.Generator]:
    """``count`` independent generators spawned from ``SeedSequence(seed)``.

    ``key`` (small non-negative ints) selects an independent stream per configuration,
    so adding a configuration does not change the random numbers of the others.
    """
    ss = np.random.SeedSequence([seed, *key])
    return [np.random.default_rng(child) for child in ss.spawn(count)]


def _jsonable(obj):
    # numpy scalars/arrays and non-finite floats -> plain JSON (inf/nan as strings,
    # so that the file stays strict JSON).
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return x if np.isfinite(x) else str(x)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def environment() -> dict:
    """Machine and library versions, recorded in every JSON."""
    import scipy

    import skeleton

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skeleton": skeleton.__version__,
        "machine": platform.processor() or platform.machine(),
    }


def save(name: str, out: Path, payload: dict, fig) -> dict:
    """Write ``NAME.json`` and ``NAME.png`` into ``out``; return the JSON payload."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"experiment": name, **payload, "environment": environment()}
    (out / f"{name}.json").write_text(json.dumps(_jsonable(payload), indent=1) + "\n")
    fig.savefig(out / f"{name}.png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return payload


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class Timer:
    """Context manager measuring wall-clock seconds."""

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
