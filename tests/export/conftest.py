"""Projects and remotes for the export tests: rendered versions of one spec, bare git repos."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codebegen.gate.trust_report import Check, TrustReport
from codebegen.spec import ProjectSpec
from codebegen.templates import render_project

SPEC: dict[str, Any] = {
    "name": "library",
    "description": "Lending library API",
    "auth": False,
    "entities": [
        {"name": "Book", "fields": [{"name": "title", "type": "str"}, {"name": "isbn", "type": "str", "unique": True}]},
    ],
    "relationships": [],
}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout.strip()


def spec_with(**changes: Any) -> dict[str, Any]:
    """SPEC with entities appended (``entities=[...]``) or keys replaced."""
    spec = copy.deepcopy(SPEC)
    spec["entities"] += changes.pop("entities", [])
    spec.update(changes)
    return spec


def passing_report(project: str) -> TrustReport:
    # The checks a real gate run writes (tests/export/test_export_generated.py runs the real gate).
    return TrustReport(
        template="fastapi_sqlalchemy", project=project, codebegen_version="test", started_at="2026-12-01T00:00:00Z",
        duration_s=1.0, checks=[Check("compile", "pass"), Check("pytest", "pass", detail="12 passed")],
    )  # fmt: skip


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Render a version of a spec into a new directory with a passing trust report."""
    count = iter(range(1, 1000))

    def make(spec: dict[str, Any] | None = None, *, report: TrustReport | None = None) -> Path:
        out = tmp_path / f"project-{next(count)}"
        spec = spec or SPEC
        render_project(ProjectSpec.model_validate(spec), "fastapi_sqlalchemy", out)
        (report or passing_report(spec["name"])).write(out)
        return out

    return make


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    return remote


@pytest.fixture
def user_clone(tmp_path: Path) -> Callable[[Path, str], Path]:
    """A user's clone of the remote on a branch, with an identity, to make hand edits with."""

    def clone(remote: Path, branch: str = "codebegen") -> Path:
        where = tmp_path / f"user-{branch}-{len(list(tmp_path.glob('user-*')))}"
        subprocess.run(["git", "clone", "-q", "-b", branch, str(remote), str(where)], check=True)
        git(where, "config", "user.name", "A User")
        git(where, "config", "user.email", "user@example.com")
        return where

    return clone
