"""The import graph is the map: codebegen's layers hold, and no module imports itself in a circle.

The layers and the forbidden imports are import-linter contracts in pyproject.toml
([tool.importlinter]); this runs them (``lint-imports``) on the package, and on a copy of it with
one backward import injected, to show the check can fail. Circles are found with grimp (the
graph library under import-linter): every import counts, a lazy one inside a function and one
under ``TYPE_CHECKING`` too. ``python -m tests.test_architecture`` prints every circle.
"""

from __future__ import annotations

import ast
import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

import codebegen

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(codebegen.__file__).resolve().parent
PAYLOAD = "codebegen.templates.fastapi_"  # the templates' files: code of the generated projects, not of codebegen


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` (the one next to this interpreter) on the package under ``root``, with root's pyproject.toml."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail(f"lint-imports is not installed next to {sys.executable}: pip install -e '.[dev]'")
    return subprocess.run(
        [str(exe), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def import_cycles(graph: grimp.ImportGraph, package: str = "codebegen") -> list[list[str]]:
    """Every circle among the package's modules: each strongly connected component of more than one module."""
    modules = {m for m in graph.modules if (m == package or m.startswith(package + ".")) and not m.startswith(PAYLOAD)}
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in sorted(modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (the graph may be deep)
        work = [(start, 0)]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, i = work[-1]
            if i < len(edges[node]):
                work[-1] = (node, i + 1)
                nxt = edges[node][i]
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return cycles


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    members = set(cycle)
    lines = [f"{len(cycle)} modules in a circle: {', '.join(cycle)}"]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            where = graph.get_import_details(importer=importer, imported=imported)
            lines.append(f"  {importer} -> {imported} (line {', '.join(str(d['line_number']) for d in where)})")
    return "\n".join(lines)


def codebegen_graph() -> grimp.ImportGraph:
    return grimp.build_graph("codebegen", cache_dir=None)


def test_the_import_contracts_hold() -> None:
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def inject(module: Path, line: str) -> None:
    """Add ``line`` before the module's first ``from codebegen`` import."""
    text = module.read_text(encoding="utf-8")
    assert "\nfrom codebegen" in text, module
    module.write_text(text.replace("\nfrom codebegen", f"\n{line}\nfrom codebegen", 1), encoding="utf-8")


def test_the_contracts_catch_a_backward_import(tmp_path: Path) -> None:
    """The same contracts on a copy of the package whose spec (a core noun) imports the pipeline, and
    whose events import Gradio."""
    shutil.copytree(PACKAGE, tmp_path / "codebegen", ignore=shutil.ignore_patterns("__pycache__", "adapters"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    inject(tmp_path / "codebegen" / "spec.py", "import codebegen.pipeline  # backward")
    (tmp_path / "codebegen" / "events.py").write_text(
        (PACKAGE / "events.py").read_text(encoding="utf-8") + "\nimport gradio  # the studio's library\n",
        encoding="utf-8",
    )
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "codebegen.spec is not allowed to import codebegen.pipeline" in proc.stdout, proc.stdout
    assert "codebegen.events is not allowed to import gradio" in proc.stdout, proc.stdout
    assert "2 broken" in proc.stdout, proc.stdout


def test_no_module_imports_itself_in_a_circle() -> None:
    graph = codebegen_graph()
    cycles = import_cycles(graph)
    assert not cycles, "\n".join(describe(graph, c) for c in cycles)


def test_the_circle_finder_finds_circles() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("codebegen.a", "codebegen.b"), ("codebegen.b", "codebegen.c"),
                               ("codebegen.c", "codebegen.a"), ("codebegen.c", "codebegen.d"),
                               ("codebegen.e", "codebegen.f"), ("codebegen.f", "codebegen.e")]:  # fmt: skip
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["codebegen.a", "codebegen.b", "codebegen.c"], ["codebegen.e", "codebegen.f"]]


def test_every_top_level_module_sits_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    placed = {m.strip() for layer in layers for m in layer.replace(":", "|").split("|")}
    modules = {f"codebegen.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE)])}
    assert modules - placed == set(), (
        "place each new top-level module in a layer of [tool.importlinter] in pyproject.toml"
    )
    assert placed - modules == set()


def test_the_front_door_imports_neither_the_cli_nor_the_studio() -> None:
    graph = codebegen_graph()
    imported = graph.find_modules_directly_imported_by("codebegen")
    assert not {m for m in imported if m == "codebegen.cli" or m.startswith(("codebegen.cli.", "codebegen.studio"))}


def test_every_module_says_what_it_owns() -> None:
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        if rel.parts[:2] == ("codebegen", "templates") and len(rel.parts) > 3:  # the templates' payload
            continue
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))):
            missing.append(str(rel))
    assert not missing, f"modules without a docstring: {missing}"


if __name__ == "__main__":  # list every circle among codebegen's modules
    graph = codebegen_graph()
    found = import_cycles(graph)
    print("\n\n".join(describe(graph, c) for c in found) or "no circles")
    sys.exit(1 if found else 0)
