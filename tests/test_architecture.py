"""The shape of the package: an acyclic import graph, one backend seam, one numba guard,
small modules, nothing process-wide set at import.

The import graph is read from the source with :mod:`ast`, *every* import statement
included - those deferred into function bodies too, since a cycle hidden by a deferred
import is still a cycle in the design.  An import of a module's own parent package is
implicit in Python and not an edge.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "skeleton"
MAX_CODE_LINES = 400


def modules(root=ROOT, package="skeleton"):
    """``{dotted name: (path, is_package)}`` for every module of ``package``."""
    out = {}
    for p in sorted((root / package).rglob("*.py")):
        parts = list(p.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


def imported_names(module, is_pkg, node):
    """The dotted names an import statement refers to (absolute)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".") if is_pkg else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
    else:
        base = []
    target = ".".join(base + ([node.module] if node.module else []))
    return [target] + [f"{target}.{a.name}" for a in node.names]


def import_graph(mods):
    """``{module: set of skeleton modules it imports}``, deferred imports included."""
    graph = {}
    for name, (path, is_pkg) in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in imported_names(name, is_pkg, node):
                    while target and target not in mods:  # an attribute of a module
                        target = target.rpartition(".")[0]
                    if target:
                        deps.add(target)
        graph[name] = {d for d in deps if d != name and not name.startswith(d + ".")}
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def graph():
    return import_graph(modules())


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_is_acyclic(graph):
    assert cycles(graph) == []


def test_a_cycle_through_a_deferred_import_is_found(tmp_path):
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .low import f\n")
    (pkg / "sub" / "low.py").write_text("def f():\n    from ..high import g  # deferred\n    return g\n")
    (pkg / "high.py").write_text("from .sub import low\n\ndef g():\n    return low\n")
    found = cycles(import_graph(modules(tmp_path, "toy")))
    assert found == [["toy.high", "toy.sub", "toy.sub.low"]]


def test_backends_sit_below_validation_and_the_routines(graph):
    backends = {m for m in graph if m.startswith("skeleton._backends")}
    allowed = backends | {"skeleton._compiled", "skeleton._messages"} | {
        m for m in graph if m.startswith("skeleton._compiled.")}
    for m in backends:
        assert graph[m] <= allowed, (m, graph[m] - allowed)
    # the registry names its backends as strings (imported on first use), never by import
    assert not graph["skeleton._backends"] & (backends - {"skeleton._backends.base"})


def test_the_library_never_imports_checks_experiments_or_benchmarks():
    for name, (path, is_pkg) in modules().items():
        if name == "skeleton.cli":  # the one place that joins library and checks
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in imported_names(name, is_pkg, node):
                    assert target.split(".")[0] not in ("proofs_checks", "experiments", "benchmarks"), (name, target)


def test_numba_is_imported_in_one_place():
    importers = []
    for name, (path, is_pkg) in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "numba" for a in node.names):
                importers.append(name)
            elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "numba":
                if name.startswith("skeleton._compiled"):
                    continue  # numba's submodules, inside the guarded package
                importers.append(name)
    assert importers == ["skeleton._compiled"]


def test_no_routine_tests_a_backend_by_name():
    offenders = []
    for name, (path, _) in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "name":
                value = node.left.value
                if isinstance(value, ast.Name) and "backend" in value.id:
                    offenders.append(f"{name}:{node.lineno}")
            if name == "skeleton._backends.cupy":
                continue  # (the CuPy backend may know CuPy's arrays)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hasattr":
                if len(node.args) == 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "get":
                    offenders.append(f"{name}:{node.lineno} (CuPy detected by hasattr(., 'get'))")
    assert offenders == []


def code_lines(path):
    """Lines holding code: not blank, not comments, not docstrings."""
    src = path.read_text()
    doc = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    doc.update(range(body[0].lineno, body[0].end_lineno + 1))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type not in skip:
            lines.update(n for n in range(tok.start[0], tok.end[0] + 1) if n not in doc)
    return len(lines)


def test_code_lines_counts_code_only(tmp_path):
    p = tmp_path / "m.py"
    p.write_text('"""doc\n\nstring"""\n\n# comment\nx = 1\n\n\ndef f():\n    """doc"""\n    return (x +\n            1)\n')
    assert code_lines(p) == 4  # x = 1, def f():, and the two lines of the return


def test_no_module_is_over_400_lines_of_code():
    big = {name: n for name, (path, _) in modules().items() if (n := code_lines(path)) > MAX_CODE_LINES}
    assert big == {}


def test_importing_the_library_sets_nothing_process_wide():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import os, skeleton, skeleton.smoothing, skeleton.kernel_matrix; print('OMP_WAIT_POLICY' in os.environ)"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
