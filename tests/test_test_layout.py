"""The suite's own shape: tests/ mirrors the codebegen package, and no module under tests/ imports a
test module or a conftest.py.

What more than one test module needs is a fixture in the nearest common conftest.py or a helper in
tests/helpers/. A test module imported by another runs its module code twice under two names, its
fixtures become the importer's (shadowing the conftest's), and moving or renaming one test breaks
another; tests/helpers/ never imports a test module either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "codebegen"
NOT_MIRRORED = {"helpers", "fixtures"}  # shared helpers; data (pytest's norecursedirs skips it)


def module_of(path: Path, root: Path) -> list[str]:
    """The dotted name of ``path`` as a list, ``root`` (the tests package) included."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module ``path`` may import: ``import a.b``, ``from a import b``
    (a, and a.b in case b is a module), relative imports resolved, ``importlib.import_module("a")``."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_of(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, name
            for alias in node.names:
                yield node.lineno, f"{name}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def importable_test_module(name: str, root: Path) -> Path | None:
    """The test module or conftest.py under ``root`` that the dotted ``name`` is, if any."""
    parts = name.split(".")
    if parts[0] != root.name or not (parts[-1].startswith("test_") or parts[-1] == "conftest"):
        return None
    file = root.parent.joinpath(*parts).with_suffix(".py")
    return file if file.is_file() else None


def violations(root: Path) -> list[str]:
    """``file:line imports module`` for each import of a test module or a conftest.py under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "fixtures" in path.relative_to(root).parts:
            continue
        for line, name in imported(path, root):
            target = importable_test_module(name, root)
            if target is not None and target != path:
                found.append(f"{path.relative_to(root.parent)}:{line} imports {name}")
    return sorted(set(found))


def test_no_module_under_tests_imports_a_test_module_or_a_conftest() -> None:
    assert violations(TESTS) == []


def test_the_check_catches_each_way_of_importing_a_test_module(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    files = {
        "__init__.py": "",
        "conftest.py": "",
        "test_b.py": "X = 1\n",
        "test_a.py": "from tests.test_b import X\n",
        "test_ok.py": "import os\nfrom tests.helpers import Y\nfrom tests import helpers\nfrom . import helpers as h\n",
        "helpers/__init__.py": "Y = 2\n",
        "helpers/bad.py": "def f():\n    from tests.sub.test_c import Z\n",
        "sub/__init__.py": "",
        "sub/conftest.py": "import tests.conftest\n",
        "sub/test_c.py": "Z = 3\nfrom ..test_b import X\nfrom tests import test_b\nfrom . import conftest\n",
        "sub/test_d.py": "import importlib\nimportlib.import_module('tests.sub.test_c')\n",
        "fixtures/project/tests/test_x.py": "from tests.test_b import X\n",  # data, not the suite's
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    assert violations(root) == [
        "tests/helpers/bad.py:2 imports tests.sub.test_c",
        "tests/sub/conftest.py:1 imports tests.conftest",
        "tests/sub/test_c.py:2 imports tests.test_b",
        "tests/sub/test_c.py:3 imports tests.test_b",
        "tests/sub/test_c.py:4 imports tests.sub.conftest",
        "tests/sub/test_d.py:2 imports tests.sub.test_c",
        "tests/test_a.py:1 imports tests.test_b",
    ]


def test_each_folder_of_tests_is_a_package_named_after_one_of_codebegen() -> None:
    folders = [
        d.relative_to(TESTS)
        for d in TESTS.rglob("*")
        if d.is_dir() and d.name != "__pycache__" and "fixtures" not in d.relative_to(TESTS).parts
    ]
    assert folders
    for folder in folders:
        assert (TESTS / folder / "__init__.py").is_file(), f"tests/{folder} has no __init__.py"
        if folder.parts[0] not in NOT_MIRRORED:
            assert (PACKAGE / folder / "__init__.py").is_file(), f"tests/{folder} mirrors no codebegen/{folder}"
