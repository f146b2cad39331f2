"""Numerical verification of the claims of S3Attention (arXiv 2408.08567).

One module per claim of ``/work/shared/paper/CLAIMS.md``; each defines ``CHECK``, a
:class:`proofs_checks._framework.Check`.  Run them with ``skeleton verify`` or
``python -m proofs_checks`` (see :mod:`proofs_checks.cli`).
"""

from __future__ import annotations

import importlib

MODULES = ("def1", "prop1", "prop2", "kaiming_variance", "fft_variance", "prop3",
           "smoothing_cost", "table14", "attention_cost")


def _load():
    """Import every module of MODULES (a missing one is an error, not a skipped claim).

    A module exports ``CHECK`` or, when one claim needs two trial designs, ``CHECKS``."""
    checks = []
    for m in MODULES:
        mod = importlib.import_module(f"{__name__}.{m}")
        checks.extend(getattr(mod, "CHECKS", None) or [mod.CHECK])
    return checks


ALL_CHECKS = _load()

__all__ = ["ALL_CHECKS", "MODULES"]
