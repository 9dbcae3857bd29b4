"""Static resolution of a project's own imports."""

from pathlib import Path

from codebegen.gate.project_imports import check_imports, python_files


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_valid_imports_resolve(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/__init__.py": "from .sub import thing\n",
        "app/sub/__init__.py": "try:\n    from .nothing import x\nexcept ImportError:\n    x = None\nthing = 1\n",
        "app/sub/leaf.py": "from . import thing\nfrom .. import sub\nfrom ..sub import leaf\n",
        "app/ns/mod.py": "VALUE = 1\n",  # a namespace sub-package (no __init__.py)
        "app/star.py": "from app.sub import *\n",
        "app/lazy.py": "def __getattr__(name):\n    return name\n",
        "app/user.py": "from app.star import anything\nfrom app.lazy import whatever\nimport app.sub.leaf\n"
                       "from app.ns.mod import VALUE\nfrom app.ns import mod\n",
        "alembic/env.py": "from alembic import context\nimport fastapi\n",  # the library, not the folder
    })  # fmt: skip
    problems, checked = check_imports(tmp_path)
    assert problems == [] and checked >= 8


def test_unresolved_imports_are_reported_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": "class Item: ...\n",
        "app/bad.py": "from ...too_far import x\nimport app.nope\nfrom .models import Itme\n"
                      "from app import missing\n\ndef f():\n    from app.models import Gone\n",
        "tests/test_x.py": "from . import helpers\n",  # tests/ is not a package here
    })  # fmt: skip
    messages = [str(p) for p in check_imports(tmp_path)[0]]
    assert messages == [
        "app/bad.py:1: relative import goes above the top-level package 'app'",
        "app/bad.py:2: import app.nope: no module app.nope (app/nope.py or app/nope/) in the project",
        "app/bad.py:3: from .models import Itme: app.models has no submodule or name 'Itme'",
        "app/bad.py:4: from app import missing: app has no submodule or name 'missing'",
        "app/bad.py:7: from app.models import Gone: app.models has no submodule or name 'Gone'",
        "tests/test_x.py:1: relative import in test_x.py, which is not inside a package",
    ]


def test_virtualenvs_and_caches_are_not_project_source(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", ".venv/lib/x.py": "", "app/__pycache__/y.py": "",
                     "app/build/z.py": "", "build/w.py": ""})  # fmt: skip
    assert [p.relative_to(tmp_path).as_posix() for p in python_files(tmp_path)] == [
        "app/__init__.py", "app/build/z.py"
    ]  # fmt: skip
