"""The export end to end on projects the real gate verified: three versions, hand edits between them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import ProjectSpec
from tests.helpers.export import git, spec_with

pytestmark = pytest.mark.slow

MEMBER = {"name": "Member", "fields": [{"name": "name", "type": "str"}, {"name": "email", "type": "email"}]}
LOAN = {"name": "Loan", "fields": [{"name": "due_date", "type": "date"}]}


def export(project: Path, remote: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codebegen.cli", "export", str(project), "--git", str(remote)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_three_verified_versions_with_hand_edits_between(tmp_path, runtime_cache, bare_remote, user_clone) -> None:
    def version(n: int, spec: dict) -> Path:
        out = tmp_path / f"v{n}"
        generate_project(ProjectSpec.model_validate(spec), out, cache_dir=runtime_cache)  # the real gate
        assert json.loads((out / "trust_report.json").read_text())["passed"] is True
        return out

    first = export(version(1, spec_with()), bare_remote)
    assert first.returncode == 0, first.stderr
    workflow = git(bare_remote, "show", "codebegen:.github/workflows/ci.yml")
    assert "push:" in workflow and "run: pytest" in workflow  # the project's tests run on every push
    assert "Verification passed" in git(bare_remote, "show", "codebegen:TRUST_REPORT.md")

    clone = user_clone(bare_remote)
    (clone / "app" / "api" / "routes" / "book.py").write_text(
        (clone / "app" / "api" / "routes" / "book.py").read_text() + "\n# hand edit: reviewed\n"
    )
    git(clone, "commit", "-qam", "hand edit")
    git(clone, "push", "-q")

    second = export(version(2, spec_with(entities=[MEMBER])), bare_remote)
    assert second.returncode == 0, second.stderr
    assert "+ entity Member (name, email)" in second.stdout

    git(clone, "pull", "-q", "--ff-only")
    (clone / "DEPLOY.md").write_text("How we deploy.\n")
    git(clone, "add", "DEPLOY.md")
    git(clone, "commit", "-qm", "deploy notes")
    git(clone, "push", "-q")

    third = export(version(3, spec_with(entities=[MEMBER, LOAN])), bare_remote)
    assert third.returncode == 0, third.stderr

    subjects = git(bare_remote, "log", "--format=%s", "codebegen").splitlines()
    assert subjects == ["codebegen: library version 3 (verified)", "deploy notes", "codebegen: library version 2 (verified)",
                        "hand edit", "codebegen: library version 1 (verified)"]  # fmt: skip
    assert git(bare_remote, "rev-list", "--merges", "codebegen") == ""
    assert "# hand edit: reviewed" in git(bare_remote, "show", "codebegen:app/api/routes/book.py")
    assert git(bare_remote, "show", "codebegen:DEPLOY.md") == "How we deploy."
    spec = json.loads(git(bare_remote, "show", "codebegen:codebegen.json"))
    assert [e["name"] for e in spec["entities"]] == ["Book", "Member", "Loan"]
