"""What the rendered documentation is checked for, page by page.

Used by ``tests/test_docs_rendered.py`` on the HTML that Sphinx writes:

* raw markup: reStructuredText directives and roles, MyST roles and directive fences,
  numpydoc's marker, shown as text because a page or docstring was parsed by the wrong
  parser;
* math that MathJax cannot parse, checked with the MathJax build the pages load, run
  by Node.js (``mathjax_parse.js`` beside this file);
* scripts, styles, fonts or images loaded from the network (the site must render
  offline).

Each check returns a list of findings, ``"page: what"`` strings, empty when the page is
clean, so that a failing test lists every problem at once.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Markup that only ever reaches a reader's screen by mistake. A role is matched when its
# target follows at once (the backquote, or the target's text where the backquotes
# became a code span), a directive with its double colon, so that prose about them
# ("the :math: role") is not flagged.
_ROLE_NAMES = (r"(?:py:|std:|numpy:)?(?:func|class|meth|mod|attr|obj|data|exc|ref|doc|term|math"
               r"|numref|eq|download|any|cite|abbr|sup|sub)")
RAW_MARKUP = {
    "reST directive": re.compile(r"(?<![\w.])\.\. [a-z][\w:.-]*::"),
    "reST role": re.compile(r"(?<![\w`]):" + _ROLE_NAMES + r":(?=[`~\w])"),
    "MyST role": re.compile(r"\{" + _ROLE_NAMES + r"\}(?=[`~\w])"),
    "MyST directive fence": re.compile(r"(?:```|:::)\{[a-z][\w-]*\}"),
    "numpydoc marker": re.compile(r"processed by numpydoc"),
}

_MATH_CLASS = "math"
_SKIPPED_TAGS = {"script", "style", "template"}
# attributes through which a page makes the browser fetch something
_LOADING_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}
_LINK_RELS_THAT_LOAD = {"stylesheet", "preload", "modulepreload", "icon", "shortcut",
                        "prefetch", "manifest", "apple-touch-icon"}
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
_CSS_URL = re.compile(r"""(?:@import\s+|url\()\s*["']?([^"')\s]+)""", re.I)


class _Page(HTMLParser):
    """Splits a page into visible text, math (with its display flag) and loaded URLs."""

    _VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.math: list[tuple[str, bool]] = []
        self.loads: list[str] = []
        self._stack: list[str] = []
        self._math_at = None          # stack depth of the open math element
        self._math_buf: list[str] = []
        self._math_display = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._record_loads(tag, attrs)
        if tag in self._VOID:
            return
        classes = (attrs.get("class") or "").split()
        if self._math_at is None and tag in ("span", "div") and _MATH_CLASS in classes:
            self._math_at = len(self._stack)
            self._math_buf = []
            self._math_display = tag == "div"
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag not in self._stack:          # a stray end tag closes nothing
            return
        while self._stack:
            open_tag = self._stack.pop()
            if self._math_at is not None and len(self._stack) == self._math_at:
                self.math.append(("".join(self._math_buf), self._math_display))
                self._math_at = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if any(tag in _SKIPPED_TAGS for tag in self._stack):
            return
        if self._math_at is not None:
            self._math_buf.append(data)
        self.text.append(data)

    def _record_loads(self, tag, attrs):
        if tag == "link":
            rels = set((attrs.get("rel") or "").lower().split())
            if not rels & _LINK_RELS_THAT_LOAD:
                return
        for name in _LOADING_ATTRS.get(tag, ()):
            value = attrs.get(name)
            if value:
                self.loads.extend(part.split()[0] for part in value.split(",") if part.strip())
        style = attrs.get("style")
        if style:
            self.loads.extend(_CSS_URL.findall(style))


def parse_page(path):
    """``(visible text, [(tex, display), ...], [loaded URL, ...])`` of one HTML page."""
    return parse_page_source(Path(path).read_text(encoding="utf-8"))


def parse_page_source(source):
    """:func:`parse_page` of HTML given as a string."""
    # inline <style> blocks load through url() and @import too
    style_urls = [u for block in re.findall(r"<style[^>]*>(.*?)</style>", source, re.S | re.I)
                  for u in _CSS_URL.findall(block)]
    page = _Page()
    page.feed(source)
    page.close()
    return "".join(page.text), page.math, page.loads + style_urls


def html_pages(html_dir):
    """Every HTML page of a build, sorted, as paths relative to the build."""
    html_dir = Path(html_dir)
    return sorted(p.relative_to(html_dir) for p in html_dir.rglob("*.html")
                  if not p.relative_to(html_dir).parts[0].startswith("_"))


def find_raw_markup(text):
    """``[(kind, excerpt), ...]`` for each piece of raw markup in visible text."""
    found = []
    for kind, pattern in RAW_MARKUP.items():
        for m in pattern.finditer(text):
            excerpt = " ".join(text[max(0, m.start() - 30):m.end() + 40].split())
            found.append((kind, excerpt))
    return found


def raw_markup_findings(html_dir):
    findings = []
    for rel in html_pages(html_dir):
        text, _, _ = parse_page(Path(html_dir) / rel)
        findings += [f"{rel}: {kind}: ...{excerpt}..." for kind, excerpt in find_raw_markup(text)]
    return findings


def network_findings(html_dir):
    """Pages, and the site's own style sheets, that load anything from the network."""
    html_dir = Path(html_dir)
    findings = []
    for rel in html_pages(html_dir):
        _, _, loads = parse_page(html_dir / rel)
        findings += [f"{rel}: loads {url}" for url in loads if _REMOTE.match(url)]
    for css in sorted(html_dir.glob("_static/**/*.css")):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if _REMOTE.match(url):
                findings.append(f"{css.relative_to(html_dir)}: loads {url}")
    return findings


def strip_delimiters(tex):
    """The TeX inside Sphinx's ``\\(...\\)`` / ``\\[...\\]`` (or none)."""
    tex = tex.strip()
    for left, right in ((r"\(", r"\)"), (r"\[", r"\]")):
        if tex.startswith(left) and tex.endswith(right):
            return tex[len(left):-len(right)]
    return tex


def mathjax_dir():
    """The MathJax 3 build the docs ship (from the ``sphinx-mathjax-offline`` package)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "static" / "mathjax"
    return path if (path / "node-main.js").exists() else None


def node_executable():
    return shutil.which("node") or shutil.which("nodejs")


def parse_math(formulas, *, node=None, mathjax=None, timeout=300):
    """MathJax's error message for each ``(tex, display)`` formula (None where it parses).

    Runs MathJax's TeX input (the same packages as the pages' ``tex-chtml.js``, with
    ``noundefined`` removed as in ``docs/conf.py``) in Node.js over all formulas at once.
    """
    node = node or node_executable()
    mathjax = mathjax or mathjax_dir()
    proc = subprocess.run([node, str(HERE / "mathjax_parse.js"), str(mathjax)],
                          input=json.dumps([[tex, bool(display)] for tex, display in formulas]),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"mathjax_parse.js failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def math_findings(html_dir, **kwargs):
    """Every formula of the build that MathJax does not parse, with its page."""
    html_dir = Path(html_dir)
    where, formulas = [], []
    for rel in html_pages(html_dir):
        _, math, _ = parse_page(html_dir / rel)
        for tex, display in math:
            where.append(rel)
            formulas.append((strip_delimiters(tex), display))
    errors = parse_math(formulas, **kwargs) if formulas else []
    return len(formulas), [f"{rel}: {err}: {' '.join(tex.split())[:160]}"
                           for rel, (tex, _), err in zip(where, formulas, errors) if err]
