"""Remotes for the export tests: a user's clone to make hand edits with. The rendered projects
(``make_project``) and the bare remote (``bare_remote``) are in tests/conftest.py, which the
studio's Export page tests share."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.export import git


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
