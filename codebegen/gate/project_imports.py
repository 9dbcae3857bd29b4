"""Static resolution of a project's own imports, with ``ast`` and without executing anything.

Owns one question: does every import that points inside the project land on something that
exists? ``import app.x``, ``from app.x import y`` and relative imports must map to a module file
or package in the project, and ``y`` must be a submodule or a top-level name of that module.

The project's own top-level packages are the root folders holding an ``__init__.py`` and the
root ``.py`` modules; every other import (``fastapi``, the ``alembic`` library even though the
project has an ``alembic/`` folder of migrations) is third-party and not looked at here — a
missing library shows up in the gate's pytest and boot checks. Imports under
``try: ... except ImportError`` are optional by intent and skipped. A module that star-imports
or defines ``__getattr__`` is taken to export any name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Folders that are not the project's source: anywhere, and (for names a package could also
# use, such as ``build``) only at the project root.
SKIP_ANYWHERE = frozenset({".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"})
SKIP_AT_ROOT = frozenset(
    {".codebegen", ".venv", "venv", "env", "node_modules", ".tox", ".nox", "build", "dist", "htmlcov"}
)


def is_skipped(parts: tuple[str, ...], *, is_dir: bool) -> bool:
    """Whether the path ``parts`` (relative to the project root) is outside the project's source."""
    name = parts[-1]
    if not is_dir:
        return False
    return name in SKIP_ANYWHERE or name.endswith(".egg-info") or (len(parts) == 1 and name in SKIP_AT_ROOT)


@dataclass(frozen=True)
class ImportProblem:
    file: str  # relative to the project root, posix
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` file of the project, skipping virtualenvs, caches and VCS folders."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if path.is_file() and not any(is_skipped(rel[: i + 1], is_dir=True) for i in range(len(rel) - 1)):
            out.append(path)
    return out


class _Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.top = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
        self.top |= {p.stem for p in root.glob("*.py")}
        self._names: dict[Path, set[str] | None] = {}

    def module_path(self, dotted: str) -> Path | None:
        """The file (module or package ``__init__``) or namespace folder for a dotted name."""
        base = self.root.joinpath(*dotted.split("."))
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
        if base.is_dir() and "." in dotted:  # a namespace sub-package
            return base
        return None

    def exported(self, module_file: Path) -> set[str] | None:
        """Top-level names a module binds; None when it may export anything."""
        if module_file not in self._names:
            self._names[module_file] = _bound_names(module_file) if module_file.is_file() else set()
        return self._names[module_file]

    def package_of(self, file: Path) -> str | None:
        """The dotted package a file belongs to, or None when it is outside the project's packages."""
        parts = file.relative_to(self.root).parts[:-1]
        return ".".join(parts) if parts and parts[0] in self.top else None


def _bound_names(path: Path) -> set[str] | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None  # the compile check reports it; don't pile on
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if node.name == "__getattr__":
                return None
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return None
            names |= {a.asname or a.name for a in node.names}
        else:
            for target in _targets(node):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
            names |= {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}
    return names


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run at module level, looking into if/try/with blocks."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If | ast.While | ast.For | ast.AsyncFor):
            out += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            out += _top_level(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            out += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                out += _top_level(handler.body)
    return out


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        return [node.target]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [i.optional_vars for i in node.items if i.optional_vars is not None]
    return []


def _optional_imports(tree: ast.AST) -> set[int]:
    """ids of import nodes guarded by ``except ImportError`` / ``ModuleNotFoundError``."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try | ast.TryStar):
            caught = {n.id for h in node.handlers if h.type is not None for n in ast.walk(h.type)
                      if isinstance(n, ast.Name)}  # fmt: skip
            if caught & {"ImportError", "ModuleNotFoundError", "Exception"}:
                for stmt in node.body:
                    guarded |= {id(n) for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom)}
    return guarded


def check_imports(root: Path) -> tuple[list[ImportProblem], int]:
    """Every unresolved project-internal import under ``root``; also the number of imports checked."""
    root = root.resolve()
    project = _Project(root)
    problems: list[ImportProblem] = []
    checked = 0
    for file in python_files(root):
        rel = file.relative_to(root).as_posix()
        try:
            tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"), filename=rel)
        except SyntaxError:
            continue  # reported by the compile check
        optional = _optional_imports(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in optional:
                continue
            found = _check_node(node, file, project)
            checked += found[1]
            problems += [ImportProblem(rel, node.lineno, msg) for msg in found[0]]
    return problems, checked


def _check_node(node: ast.Import | ast.ImportFrom, file: Path, project: _Project) -> tuple[list[str], int]:
    if isinstance(node, ast.Import):
        mods = [a.name for a in node.names if a.name.split(".")[0] in project.top]
        return [f"import {m}: no module {_where(m)} in the project" for m in mods
                if _first_missing(m, project)], len(mods)  # fmt: skip
    if node.level:
        package = project.package_of(file)
        if package is None:
            return [f"relative import in {file.name}, which is not inside a package"], 1
        parts = package.split(".")
        if node.level - 1 >= len(parts):
            return [f"relative import goes above the top-level package {parts[0]!r}"], 1
        base = ".".join(parts[: len(parts) - (node.level - 1)])
        module = f"{base}.{node.module}" if node.module else base
        shown = "." * node.level + (node.module or "")
    else:
        if node.module is None or node.module.split(".")[0] not in project.top:
            return [], 0
        module = shown = node.module
    missing = _first_missing(module, project)
    if missing:
        return [f"from {shown} import ...: no module {_where(missing)} in the project"], 1
    target = project.module_path(module)
    exported = project.exported(target) if target is not None and target.is_file() else set()
    errors = []
    for alias in node.names:
        if alias.name == "*" or project.module_path(f"{module}.{alias.name}") is not None:
            continue
        if exported is not None and alias.name not in exported:
            errors.append(f"from {shown} import {alias.name}: {module} has no submodule or name {alias.name!r}")
    return errors, 1


def _first_missing(dotted: str, project: _Project) -> str | None:
    """The shortest prefix of ``dotted`` that does not resolve, or None if all of it does."""
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if project.module_path(prefix) is None and not (i == 1 and prefix in project.top):
            return prefix
    return None


def _where(dotted: str) -> str:
    path = dotted.replace(".", "/")
    return f"{dotted} ({path}.py or {path}/)"


__all__ = ["ImportProblem", "check_imports", "is_skipped", "python_files"]
