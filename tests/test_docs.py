"""The documentation builds without a single warning, and its examples run.

The build is the session's one HTML build (``docs_build`` in ``conftest.py``): the
equivalent of ``python -m sphinx -W -b html docs docs/_build/html`` with the notebooks
executed. A broken docstring, page or notebook fails ``test_sphinx_build_has_no_warnings``;
what the built pages show is checked in ``test_docs_rendered.py``.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
USER_GUIDE = sorted(p for p in (DOCS / "user_guide").glob("*.md") if p.name != "index.md")
# pages whose ```pycon blocks are examples with their output, run as doctests
EXAMPLE_PAGES = [DOCS / "index.md", *USER_GUIDE]
PYCON = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
# the pages written by hand (benchmark tables and the verification report are generated)
HAND_WRITTEN = sorted([*DOCS.glob("*.md"), *(DOCS / "user_guide").glob("*.md"),
                       *(DOCS / "notebooks").glob("*.md")])
MAX_CODE_LINE = 80       # characters of code that fit the page's column (see test_notebooks)


def test_sphinx_build_has_no_warnings(docs_build):
    assert docs_build.returncode == 0, docs_build.log[-6000:]
    # Sphinx's own ("FILE:LINE: WARNING: ..."); the notebook kernels log lines of theirs
    # ("[IPKernelApp] WARNING | ...") about their transport, which are not the docs'
    warnings = re.findall(r"^(?:.*: )?WARNING: .*$", docs_build.log, re.M)
    assert not warnings, "\n".join(warnings)


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


@pytest.mark.parametrize("page", USER_GUIDE, ids=lambda p: p.stem)
def test_user_guide_page_opens_with_an_example(page):
    """Before its first section, each page shows code and what it prints."""
    text = page.read_text()
    intro = text.split("\n## ", 1)[0]
    block = PYCON.search(intro)
    assert block, f"{page.name}: no ```pycon example before the first section"
    lines = block.group(1).splitlines()
    assert any(line.startswith(">>> ") for line in lines)
    assert any(line and not line.startswith((">>>", "...")) for line in lines), \
        f"{page.name}: the opening example shows no output"


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.stem)
def test_page_examples_print_what_the_page_says(page):
    """The ```pycon blocks of a page run in order, in one namespace, as doctests."""
    text = page.read_text()
    blocks = list(PYCON.finditer(text))
    assert blocks, f"{page.name} has no ```pycon example"
    globs = {"__name__": "__main__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for i, m in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(
            m.group(1), globs, f"{page.name}[{i}]", str(page), text[:m.start()].count("\n") + 1)
        runner.run(test, out=report.append, clear_globs=False)
        globs.update(test.globs)  # a DocTest works on a copy: carry the names on
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("page", HAND_WRITTEN, ids=lambda p: p.stem)
def test_code_blocks_fit_the_page(page):
    long = [f"{page.name}: {len(line)} characters: {line[:50]}..."
            for m in FENCE.finditer(page.read_text()) for line in m.group(2).splitlines()
            if len(line) > MAX_CODE_LINE]
    assert not long, "\n".join(long)


_REPO_PATH = re.compile(r"`((?:tests|benchmarks|skeleton|proofs_checks|experiments|docs)/[\w./*-]+)`")


@pytest.mark.parametrize("page", [*HAND_WRITTEN, DOCS.parent / "README.md", DOCS.parent / "CONTRIBUTING.md"],
                         ids=lambda p: p.name)
def test_repository_paths_named_in_the_docs_exist(page):
    # a page that sends the reader to `tests/...py` or `benchmarks/...` must name a
    # file (or glob) that is there; build outputs (docs/_build) exist only after a build
    root = DOCS.parent
    named = sorted({p for p in _REPO_PATH.findall(page.read_text()) if not p.startswith("docs/_build")})
    missing = [p for p in named if not any(root.glob(p.rstrip("/")))]
    assert not missing, missing
