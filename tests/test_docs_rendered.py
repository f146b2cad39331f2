"""The built site as a reader sees it (the docs job; see CONTRIBUTING.md).

On the session's HTML build (``docs_build`` in ``conftest.py``), every page is checked
for raw directive or role text, for math that MathJax cannot parse (with the MathJax the
pages load, run by Node.js) and for anything loaded from the network; the checks
themselves are shown to catch each of these on a small site built with the project's
``conf.py`` and planted mistakes.

Then headless Chromium (Debian's ``chromium`` package) opens the landing page, a user
guide page, a notebook and the verification report with scripts running, as a reader
would, and the test fails on a MathJax error, on math left as TeX and on raw markup in
what is shown. It saves a screenshot of each page (``SKELETON_DOCS_SCREENSHOTS=DIR`` to
keep them) and is skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import docs_checks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NODE = docs_checks.node_executable()
MATHJAX = docs_checks.mathjax_dir()
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))
                 if p), None)

needs_node = pytest.mark.skipif(
    NODE is None or MATHJAX is None,
    reason="math parsing needs Node.js and the sphinx-mathjax-offline package (docs extra)")


@pytest.fixture(scope="session")
def site(docs_build):
    if not docs_build.html.joinpath("index.html").exists():
        pytest.fail(f"the docs build wrote no site:\n{docs_build.log[-4000:]}")
    return docs_build.html


# --- the checks on every page ---------------------------------------------------------

def test_no_page_shows_raw_markup(site):
    findings = docs_checks.raw_markup_findings(site)
    assert not findings, "\n".join(findings)


@needs_node
def test_all_math_parses(site):
    count, findings = docs_checks.math_findings(site)
    assert count > 300          # the site has several hundred formulas; none were lost
    assert not findings, "\n".join(findings)


def test_nothing_is_loaded_from_the_network(site):
    findings = docs_checks.network_findings(site)
    assert not findings, "\n".join(findings)
    mathjax = site / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.exists(), "MathJax is not in the built site"
    page = (site / "user_guide" / "smoothing.html").read_text()
    assert 'src="../_static/mathjax/tex-chtml.js"' in page


def test_page_titles_are_unique(site):
    titles = {}
    for rel in docs_checks.html_pages(site):
        m = re.search(r"<title>(.*?)</title>", (site / rel).read_text(), re.S)
        titles.setdefault(" ".join(m.group(1).split()), []).append(str(rel))
    repeated = {title: pages for title, pages in titles.items() if len(pages) > 1}
    assert not repeated, repeated


def test_landing_page_has_the_quick_start_and_a_figure(site):
    page = (site / "index.html").read_text()
    text, _, _ = docs_checks.parse_page(site / "index.html")
    assert "highlight-pycon" in page and ">>> " in text and "skeleton_approx(X" in text
    assert re.search(r'<img[^>]+src="_images/[^"]+\.png"', page)


def test_install_page_does_not_repeat_the_readme_layout(site):
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[2].strip() for line in layout.splitlines()
            if line.startswith("| `")]
    assert rows
    text, _, _ = docs_checks.parse_page(site / "install.html")
    shown = [row for row in rows if row.replace("`", "") in " ".join(text.split())]
    assert not shown, shown


def test_benchmarks_are_listed_once(site):
    text = (site / "benchmarks_index.html").read_text()
    article = text.split('<article', 1)[1].split("</article>", 1)[0]
    links = re.findall(r'href="(benchmarks/[^"#]+\.html)"', article)
    assert links and len(links) == len(set(links))
    titles = [re.search(r"<title>(.*?)</title>", (site / link).read_text(), re.S).group(1)
              for link in set(links)]
    assert len(titles) == len(set(titles)), titles


# --- the checks catch what they are for -----------------------------------------------

PLANTED = {
    "index.md": """
        # Planted mistakes

        ```{toctree}
        roles
        formulas
        network
        ```

        A role inside math, as the smoothing page once had:

        $$
        Y = \\mathcal F^{-1}(X)\\qquad\\text{(see {func}`~skeleton.smoothing.smooth`)}
        $$
        """,
    "roles.md": """
        # Roles

        A reST role written in MyST: :func:`skeleton.incoherence`.

        ```{automodule} skeleton.matrices
        :no-members:
        :no-index:
        ```
        """,
    "formulas.md": """
        # Formulas

        A brace left open: $\\frac{1}{2$. An unknown macro: $\\foo x$. A good one: $x^2$.
        """,
    "network.md": """
        # Network

        <script src="https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js"></script>
        <link rel="stylesheet" href="//fonts.example.org/font.css">
        """,
}


@pytest.fixture(scope="module")
def planted_site(tmp_path_factory):
    pytest.importorskip("sphinx")
    src = tmp_path_factory.mktemp("planted")
    for name, text in PLANTED.items():
        (src / name).write_text(textwrap.dedent(text))
    out = src / "_build"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", str(DOCS),
                           str(src), str(out)], capture_output=True, text=True, timeout=300)
    assert (out / "index.html").exists(), proc.stderr[-4000:]
    return out


def test_raw_markup_check_catches_planted_roles(planted_site):
    findings = docs_checks.raw_markup_findings(planted_site)
    kinds = {(f.split(":")[0], f.split(": ")[1]) for f in findings}
    assert ("index.html", "MyST role") in kinds            # {func} inside \text{}
    assert ("roles.html", "reST role") in kinds            # :func: in a MyST page
    assert ("roles.html", "reST directive") in kinds       # autodoc output parsed as MyST
    assert ("roles.html", "numpydoc marker") in kinds
    assert not [f for f in findings if f.startswith(("formulas.html", "network.html"))]


@needs_node
def test_math_check_catches_planted_formulas(planted_site):
    count, findings = docs_checks.math_findings(planted_site)
    assert count == 4
    assert len(findings) == 2, findings
    assert "Missing close brace" in findings[0] and "formulas.html" in findings[0]
    assert "Undefined control sequence \\foo" in findings[1]


def test_network_check_catches_planted_loads(planted_site):
    findings = docs_checks.network_findings(planted_site)
    assert sorted(findings) == [
        "network.html: loads //fonts.example.org/font.css",
        "network.html: loads https://cdn.jsdelivr.net/npm/mathjax@4/tex-mml-chtml.js",
    ]


# --- in a browser ---------------------------------------------------------------------

BROWSER_PAGES = {
    "landing": "index.html",
    "user-guide": "user_guide/smoothing.html",
    "notebook": "notebooks/01_incoherence.html",
    "verification-report": "verification/report.html",
}


def _chromium(url, profile, *args, timeout=120):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
           "--virtual-time-budget=20000", "--window-size=1400,2000", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = os.environ.get("SKELETON_DOCS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.skipif(CHROMIUM is None,
                    reason="headless Chromium is not installed (Debian: apt-get install chromium); "
                           "the browser check is part of the docs job, see CONTRIBUTING.md")
@pytest.mark.parametrize("name", BROWSER_PAGES)
def test_page_renders_in_a_browser(name, site, screenshots, tmp_path):
    page = site / BROWSER_PAGES[name]
    if not page.exists():
        pytest.fail(f"{BROWSER_PAGES[name]} is not in the built site")
    url = page.as_uri()
    proc = _chromium(url, tmp_path / "profile-dom", "--dump-dom")
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    dom = proc.stdout
    _, formulas, _ = docs_checks.parse_page(page)
    # MathJax typeset every formula of the page, and none as an error
    typeset = dom.count("<mjx-container")
    assert typeset >= len(formulas), f"{typeset} of {len(formulas)} formulas typeset"
    errors = re.findall(r'<mjx-merror[^>]*data-mjx-error="([^"]*)"', dom)
    assert not errors and "<mjx-merror" not in dom, errors
    # what is shown holds no raw markup, and no TeX delimiters left for MathJax outside code
    text, _, _ = docs_checks.parse_page_source(dom)
    raw = docs_checks.find_raw_markup(text)
    assert not raw, raw
    without_code = re.sub(r"<(pre|code)\b.*?</\1>", "", dom, flags=re.S)
    prose, _, _ = docs_checks.parse_page_source(without_code)
    left = [m.start() for m in re.finditer(r"\\[(\[]", prose)]
    assert not left, [prose[max(0, i - 40):i + 60] for i in left[:5]]
    shot = screenshots / f"{name}.png"
    proc = _chromium(url, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000, proc.stderr[-2000:]
    print(f"screenshot of {BROWSER_PAGES[name]}: {shot}")
