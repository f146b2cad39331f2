"""Fixtures shared by the tests.

Numerical references (session-scoped, so that hypothesis tests may use them too), each
written once here from the formulas with numpy.linalg and independent of the library:

* ``rel(a, b)`` - the relative Frobenius-norm difference ``||a - b|| / ||b||``;
* ``svd_tail(X, k)`` - ``||X - X_k||_F / ||X||_F`` of the best rank-k approximation
  (Eckart-Young), what no rank-k approximation can beat;
* ``dense_cur(X, I, J, core, rank)`` - the skeleton ``C U R`` multiplied out.

``cp``: the CuPy module, or a skip where CuPy or a CUDA device is missing; tests that
take it are marked ``gpu``.

The documentation tests share one HTML build of the docs per session:
``docs_build`` runs ``python -m sphinx -W --keep-going -b html`` once, executing the
notebooks (myst-nb, a fresh kernel each, in ``docs/notebooks``), and is used by
``test_docs.py`` (no warnings), ``test_docs_rendered.py`` (the pages as a reader sees
them) and ``test_notebooks.py`` (the executed notebooks), so that neither the site nor
the notebooks are built or run twice.

The notebook kernels start with ``notebook_figure_check.py`` as an IPython startup
file: every figure a notebook shows is checked (axis labels, font size on the page) and
each problem is printed to the cell's stderr, where ``test_notebooks.py`` finds it.
"""

from __future__ import annotations

import os

# as the CLI and the benchmarks do (the library sets nothing process-wide): numba's
# OpenMP threads must not spin between parallel regions on a machine with few cores
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HERE = Path(__file__).resolve().parent

# an IPython startup file for the notebook kernels, not a module of the test process
# (--doctest-modules would import it, and it patches matplotlib)
collect_ignore = ["notebook_figure_check.py"]


def _rel(a, b):
    """``||a - b||_F / ||b||_F`` in complex128 (0 when both are zero)."""
    a, b = np.asarray(a, dtype=np.complex128), np.asarray(b, dtype=np.complex128)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _svd_tail(X, k, s=None):
    """``||X - X_k||_F / ||X||_F`` from the singular values ``s`` of X (computed in at
    least float64 when not given)."""
    if s is None:
        X = np.asarray(X)
        s = np.linalg.svd(X.astype(np.result_type(X.dtype, np.float64)), compute_uv=False)
    s = np.asarray(s, dtype=np.float64) / np.max(s)  # scaled: no under- or overflow
    return float(np.sqrt(np.sum(s[k:] ** 2)) / np.linalg.norm(s))


def _dense_cur(X, I, J, core="truncated", rank=None):
    """The skeleton ``C U R`` of ``X`` on rows ``I`` and columns ``J``, multiplied out.

    ``"pinv"``: ``U = W^+`` with NumPy's cut ``max(W.shape) * eps``; ``"truncated"``:
    the same with the ``rank`` largest singular values of ``W = X[I, J]`` when ``rank``
    is given; ``"optimal"``: ``U = C^+ X R^+``.  Accurate where ``W`` is well
    conditioned (the products are formed as written).
    """
    X = np.asarray(X)
    C, R, W = X[:, J], X[I, :], X[np.ix_(I, J)]
    if core == "optimal":
        return C @ (np.linalg.pinv(C) @ X @ np.linalg.pinv(R)) @ R
    Uw, s, Vh = np.linalg.svd(W, full_matrices=False)
    keep = int(np.sum(s > s[0] * max(W.shape) * np.finfo(W.dtype).eps))
    k = rank if core == "truncated" and rank else keep
    return C @ ((Vh[:k].conj().T / s[:k]) @ (Uw[:, :k].conj().T @ R))


def _cupy_with_device():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:  # pragma: no cover - needs hardware
            pytest.skip("no CUDA device")
    except Exception as exc:  # pragma: no cover - CUDA driver or runtime missing
        pytest.skip(f"CUDA not usable: {exc}")
    return cupy


@pytest.fixture(scope="session")
def rel():
    return _rel


@pytest.fixture(scope="session")
def svd_tail():
    return _svd_tail


@pytest.fixture(scope="session")
def dense_cur():
    return _dense_cur


@pytest.fixture(scope="session")
def cp():
    """The CuPy module (tests taking it are marked gpu and skipped without a GPU)."""
    return _cupy_with_device()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "cp" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gpu)


@dataclass(frozen=True)
class DocsBuild:
    html: Path          # the site
    executed: Path      # myst-nb's executed notebooks: executed / "notebooks" / "NAME.ipynb"
    returncode: int
    log: str            # Sphinx's stderr (warnings and errors)


@pytest.fixture(scope="session")
def docs_build(tmp_path_factory):
    for module in ("sphinx", "numpydoc", "myst_nb", "pydata_sphinx_theme", "jupytext"):
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("docs")
    ipython_dir = out / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    shutil.copy(HERE / "notebook_figure_check.py", startup / "00-figure-check.py")
    env = dict(os.environ, IPYTHONDIR=str(ipython_dir),
               # figures render inline as PNG whatever backend the shell selected
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
           "-D", "nb_execution_mode=force", "-D", "nb_execution_raise_on_error=0",
           "-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, env=env)
    return DocsBuild(html=out / "html", executed=out / "jupyter_execute",
                     returncode=proc.returncode, log=proc.stderr)
