"""Every teaching notebook in docs/notebooks/ runs top to bottom, and reads well.

The notebooks are jupytext percent-format ``.py`` files. They are executed once per
session, by the docs build (``docs_build`` in ``conftest.py``: myst-nb, a fresh kernel
each, in ``docs/notebooks``); this test reads the executed notebooks it writes. Beyond
running without error, a notebook's rendered output has no warnings (nothing on
stderr, where the kernels' figure check also reports a plot without axis labels or with
text too small on the page) and no line too long for the page (code or output).
"""

from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "notebooks").glob("*.py"))
# characters of code or output that fit the page's column without a scroll bar (a
# window 1400 pixels wide shows 82)
MAX_LINE = 80


def test_there_are_four_or_more_notebooks():
    assert len(NOTEBOOKS) >= 4


def _executed(path, docs_build):
    executed = docs_build.executed / "notebooks" / f"{path.stem}.ipynb"
    assert executed.exists(), f"the docs build did not execute {path.name}:\n{docs_build.log[-4000:]}"
    return nbformat.read(executed, as_version=4)


def _text_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            yield out.get("name"), out.get("text", "")
        elif out.get("output_type") in ("execute_result", "display_data"):
            yield "result", out.get("data", {}).get("text/plain", "") if "image/png" not in \
                out.get("data", {}) else ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, docs_build):
    source = jupytext.read(path)
    n_code = sum(cell.cell_type == "code" for cell in source.cells)
    n_text = sum(cell.cell_type == "markdown" for cell in source.cells)
    assert n_code >= 3 and n_text >= 3, "a teaching notebook explains and computes"
    nb = _executed(path, docs_build)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in errors)
    assert any(o.get("output_type") in ("stream", "display_data", "execute_result")
               for o in outputs)


# 04_verifying_claims is maintained with `skeleton verify` (proofs_checks/) and has not
# been brought to this standard yet: long code and output lines.
_NOT_YET = set()


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(reason="lines longer than the page; see _NOT_YET"))
    if p.stem in _NOT_YET else p for p in NOTEBOOKS], ids=lambda p: p.stem)
def test_notebook_output_has_no_warnings_and_no_cut_off_lines(path, docs_build):
    nb = _executed(path, docs_build)
    problems = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if len(line) > MAX_LINE:
                problems.append(f"cell {k}: code line of {len(line)} characters: {line[:60]}...")
        for name, text in _text_outputs(cell):
            if name == "stderr" and text.strip():
                problems.append(f"cell {k}: stderr: {text.strip()[:300]}")
            for line in text.splitlines():
                if len(line) > MAX_LINE:
                    problems.append(f"cell {k}: output line of {len(line)} characters: "
                                    f"{line[:60]}...")
    assert not problems, "\n".join(problems)
