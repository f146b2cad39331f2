"""Fixtures shared by the documentation tests: one HTML build of the docs per session.

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
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HERE = Path(__file__).resolve().parent

# an IPython startup file for the notebook kernels, not a module of the test process
# (--doctest-modules would import it, and it patches matplotlib)
collect_ignore = ["notebook_figure_check.py"]


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
