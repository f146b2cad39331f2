"""The documentation builds without a single warning.

A fast equivalent of ``python -m sphinx -W -b html docs docs/_build/html``: the
``dummy`` builder reads every page and every docstring (autodoc, autosummary,
numpydoc, MyST) but writes nothing, and the notebooks are not executed (the
notebooks have a test of their own).  A broken docstring fails this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_nb")
pytest.importorskip("pydata_sphinx_theme")

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_sphinx_build_has_no_warnings(tmp_path):
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "dummy",
           "-D", "nb_execution_mode=off", "-d", str(tmp_path / "doctrees"),
           str(DOCS), str(tmp_path / "out")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert "WARNING" not in proc.stderr, proc.stderr[-6000:]


def test_every_public_function_is_in_the_api_reference():
    import skeleton
    from skeleton import attention, matrices, sampling, smoothing

    api = (DOCS / "api.rst").read_text()
    listed = {line.strip() for line in api.splitlines() if line.startswith("   ")}
    missing = [f"{mod.__name__}.{name}" for mod in (matrices, sampling, smoothing, attention)
               for name in mod.__all__ if name not in listed]
    missing += [f"skeleton.{name}" for name in skeleton.__all__
                if name not in listed and not hasattr(getattr(skeleton, name), "__path__")
                and not getattr(getattr(skeleton, name), "__name__", "").startswith("skeleton.")]
    assert not missing, f"add to docs/api.rst: {missing}"
