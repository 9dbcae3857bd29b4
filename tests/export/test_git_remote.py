"""codebegen export --git: verified versions as linear commits on a branch of a real bare repository."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from codebegen.errors import ExportConflict, ExportError
from codebegen.export import export_project
from codebegen.gate.trust_report import Check
from tests.helpers.export import git, passing_report, spec_with

MEMBER = {"name": "Member", "fields": [{"name": "name", "type": "str"}]}
LOAN = {"name": "Loan", "fields": [{"name": "due_date", "type": "date"}]}


def remote_files(remote: Path, ref: str = "codebegen") -> set[str]:
    return set(git(remote, "ls-tree", "-r", "--name-only", ref).splitlines())


def first_parent_log(remote: Path, ref: str = "codebegen") -> list[str]:
    return git(remote, "log", "--format=%s", ref).splitlines()


def assert_linear(remote: Path, ref: str = "codebegen") -> None:
    assert git(remote, "rev-list", "--merges", ref) == "", "no merge commits on the branch"
    for line in git(remote, "rev-list", "--parents", ref).splitlines():
        assert len(line.split()) <= 2, f"a commit with more than one parent: {line}"


def hand_edit(clone: Path, path: str, text: str, message: str, *, append: bool = True) -> None:
    target = clone / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((target.read_text() if append and target.exists() else "") + text)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", "HEAD")


def test_first_version_is_one_commit_with_the_spec_and_the_trust_report(make_project, bare_remote) -> None:
    project = make_project()
    result = export_project(project, str(bare_remote))
    assert result.pushed and result.version == 1
    assert git(bare_remote, "rev-parse", "codebegen") == result.commit
    assert first_parent_log(bare_remote) == ["codebegen: library version 1 (verified)"]
    body = git(bare_remote, "log", "-1", "--format=%B", "codebegen")
    assert "Trust report: verification PASSED" in body and "Codebegen-Version: 1" in body
    files = remote_files(bare_remote)
    assert {"codebegen.json", "trust_report.json", "TRUST_REPORT.md", "app/main.py", ".gitignore"} <= files
    assert git(bare_remote, "rev-parse", "refs/codebegen/codebegen") == result.pristine
    workflow = git(bare_remote, "show", "codebegen:.github/workflows/ci.yml")
    assert "push:" in workflow and "run: pytest" in workflow  # the project's own tests run on every push


def test_secrets_databases_venvs_caches_and_the_users_git_stay_behind(make_project, bare_remote) -> None:
    project = make_project()
    for path in (".env", "app.db", ".venv/bin/python", "app/__pycache__/main.cpython-311.pyc", ".pytest_cache/x",
                 ".codebegen/pristine/app/main.py", "data.sqlite3"):  # fmt: skip
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text("not for the remote\n")
    git(project, "init", "-q", "-b", "mine")
    git(
        project,
        "-c",
        "user.name=u",
        "-c",
        "user.email=u@x",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "the user's own repo",
    )
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (project / ".git").rglob("*") if p.is_file()}

    export_project(project, str(bare_remote))

    files = remote_files(bare_remote)
    assert not {f for f in files if f.split("/")[0] in {".env", "app.db", ".venv", ".pytest_cache", ".codebegen",
                                                         "data.sqlite3", ".git"} or "__pycache__" in f}  # fmt: skip
    assert ".env.example" in files  # the example settings are the project's, only .env is a secret
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (project / ".git").rglob("*") if p.is_file()}
    assert after == before, "the project's own .git was touched"
    assert git(project, "branch", "--show-current") == "mine"


@pytest.mark.parametrize("case", ["failed", "missing", "no-checks"])
def test_only_a_verified_project_is_exported(case, make_project, bare_remote) -> None:
    report = passing_report("library")
    if case == "failed":
        report.checks.append(Check("pytest on sqlite", "fail", detail="1 failed"))
    if case == "no-checks":
        report.checks = []
    project = make_project(report=report)
    if case == "missing":
        (project / "trust_report.json").unlink()
    with pytest.raises(ExportError, match="trust_report.json|did not pass verification"):
        export_project(project, str(bare_remote))
    assert git(bare_remote, "for-each-ref") == "", "something reached the remote"


def test_two_later_versions_are_linear_commits_keeping_hand_edits(make_project, bare_remote, user_clone) -> None:
    git(bare_remote, "config", "receive.denyNonFastForwards", "true")  # a forced update would be refused
    v1 = export_project(make_project(), str(bare_remote))
    clone = user_clone(bare_remote)
    hand_edit(clone, "app/api/routes/book.py", "\n# reviewed by hand: keep the list endpoint paged\n", "note on books")
    hand_edit(clone, "NOTES.md", "The user's own notes.\n", "notes")
    user_tip = git(bare_remote, "rev-parse", "codebegen")

    v2 = export_project(make_project(spec_with(entities=[MEMBER])), str(bare_remote))
    assert v2.pushed and v2.version == 2 and v2.merged_edits
    assert git(bare_remote, "rev-parse", "codebegen^") == user_tip, "the new version is a child of the user's tip"
    assert "+ entity Member (name)" in git(bare_remote, "log", "-1", "--format=%B", "codebegen")
    show = lambda path: git(bare_remote, "show", f"codebegen:{path}")  # noqa: E731
    assert "reviewed by hand" in show("app/api/routes/book.py")
    assert show("NOTES.md") == "The user's own notes."
    assert "app/api/routes/member.py" in remote_files(bare_remote)

    git(clone, "pull", "-q", "--ff-only")
    hand_edit(clone, "Dockerfile", "# hand edit: pinned base image reviewed\n", "dockerfile note")
    v3 = export_project(make_project(spec_with(entities=[LOAN])), str(bare_remote))  # Member dropped, Loan added
    assert v3.version == 3 and v3.spec_changes == ["+ entity Loan (due_date)", "- entity Member"]
    files = remote_files(bare_remote)
    assert "app/api/routes/loan.py" in files and "app/api/routes/member.py" not in files
    assert "reviewed by hand" in show("app/api/routes/book.py") and "pinned base image" in show("Dockerfile")
    assert "NOTES.md" in files

    assert first_parent_log(bare_remote) == [
        "codebegen: library version 3 (verified)", "dockerfile note", "codebegen: library version 2 (verified)",
        "notes", "note on books", "codebegen: library version 1 (verified)",
    ]  # fmt: skip
    assert_linear(bare_remote)
    for older in (v1.commit, user_tip, v2.commit):
        git(bare_remote, "merge-base", "--is-ancestor", older, "codebegen")  # never rewritten
    assert git(bare_remote, "rev-list", "--count", "refs/codebegen/codebegen") == "3"


def test_a_conflicting_remote_change_is_reported_and_nothing_is_pushed_or_lost(
    make_project, bare_remote, user_clone
) -> None:
    export_project(make_project(), str(bare_remote))
    clone = user_clone(bare_remote)
    router = clone / "app" / "api" / "main.py"  # the new version adds its Member router on the same line
    hand_edit(clone, "app/api/main.py", router.read_text().replace("import book\n", "import book  # Our own line\n"),
              "our own router line", append=False)  # fmt: skip
    refs_before = git(bare_remote, "for-each-ref")
    project = make_project(spec_with(entities=[MEMBER]))
    files_before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))

    with pytest.raises(ExportConflict) as caught:
        export_project(project, str(bare_remote))

    assert caught.value.files == ["app/api/main.py"]
    assert "app/api/main.py" in str(caught.value) and "nothing was pushed" in str(caught.value)
    assert git(bare_remote, "for-each-ref") == refs_before, "a ref moved on the remote"
    assert "# Our own line" in git(bare_remote, "show", "codebegen:app/api/main.py")
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == files_before


def test_the_same_version_again_pushes_nothing(make_project, bare_remote) -> None:
    project = make_project()
    first = export_project(project, str(bare_remote))
    again = export_project(project, str(bare_remote))
    assert not again.pushed and again.commit == first.commit
    assert git(bare_remote, "rev-list", "--count", "codebegen") == "1"


def test_a_new_branch_starts_from_the_remotes_default_branch(make_project, bare_remote, tmp_path) -> None:
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    (seed / "LICENSE").write_text("MIT\n")
    (seed / "README.md").write_text("# the user's readme\n")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "start")
    git(seed, "push", "-q", str(bare_remote), "main")

    export_project(make_project(), str(bare_remote))

    assert git(bare_remote, "rev-parse", "codebegen^") == git(bare_remote, "rev-parse", "main")
    assert git(bare_remote, "show", "codebegen:LICENSE") == "MIT"
    assert "the user's readme" not in git(bare_remote, "show", "codebegen:README.md")


def test_a_refused_push_changes_nothing_on_the_remote(make_project, bare_remote) -> None:
    hook = bare_remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'policy: no pushes today' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(ExportError, match="refused the push"):
        export_project(make_project(), str(bare_remote))
    assert git(bare_remote, "for-each-ref") == "", "the atomic push left a ref behind"


def test_an_unreachable_remote_and_a_bad_branch_name_are_errors(make_project, tmp_path) -> None:
    project = make_project()
    with pytest.raises(ExportError, match="git ls-remote failed"):
        export_project(project, str(tmp_path / "no-such-remote.git"))
    with pytest.raises(ExportError, match="not a valid branch name"):
        export_project(project, str(tmp_path), branch="bad..name")


def codebegen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codebegen.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_cli_pushes_and_answers_bad_input_with_one_line(make_project, bare_remote, tmp_path) -> None:
    project = make_project()
    done = codebegen("export", str(project), "--git", str(bare_remote), "--branch", "generated")
    assert done.returncode == 0, done.stderr
    assert f"pushed version 1 of library to generated of {bare_remote}" in done.stdout
    assert git(bare_remote, "rev-parse", "generated") in done.stdout

    for args, needle in [
        ((str(project),), "nowhere to export to"),
        ((str(tmp_path), "--git", str(bare_remote)), "not a codebegen project"),
        ((str(project), "--git", str(tmp_path / "missing.git")), "git ls-remote failed"),
    ]:
        proc = codebegen("export", *args)
        assert proc.returncode == 1
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("codebegen: error:")]
        assert len(errors) == 1 and needle in errors[0], proc.stderr


def test_after_the_branch_was_merged_and_deleted_the_next_version_keeps_the_edits_on_main(
    make_project, bare_remote, user_clone
) -> None:
    export_project(make_project(), str(bare_remote))
    git(bare_remote, "branch", "main", "codebegen")  # the pull request merged (fast-forward) ...
    git(bare_remote, "branch", "-D", "codebegen")  # ... and its branch deleted, as GitHub can do
    clone = user_clone(bare_remote, "main")
    hand_edit(clone, "app/api/routes/book.py", "\n# edited on main after the merge\n", "edit on main")

    v2 = export_project(make_project(spec_with(entities=[MEMBER])), str(bare_remote))

    assert v2.version == 2
    assert git(bare_remote, "rev-parse", "codebegen^") == git(bare_remote, "rev-parse", "main")
    assert "edited on main after the merge" in git(bare_remote, "show", "codebegen:app/api/routes/book.py")
    assert "app/api/routes/member.py" in remote_files(bare_remote)


def test_a_branch_codebegen_never_exported_to_gets_the_project_laid_over_it(
    make_project, bare_remote, tmp_path
) -> None:
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", "codebegen", str(seed)], check=True)
    (seed / "OWN.txt").write_text("mine\n")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "a branch of my own")
    git(seed, "push", "-q", str(bare_remote), "codebegen")

    result = export_project(make_project(), str(bare_remote))

    assert result.version == 1 and any("no earlier export" in n for n in result.notes)
    assert git(bare_remote, "log", "--format=%s", "codebegen").splitlines()[1] == "a branch of my own"
    assert {"OWN.txt", "codebegen.json"} <= remote_files(bare_remote)


def test_a_deleted_branch_is_made_again_even_for_the_same_version(make_project, bare_remote) -> None:
    project = make_project()
    export_project(project, str(bare_remote))
    git(bare_remote, "branch", "-D", "codebegen")
    again = export_project(project, str(bare_remote))
    assert again.pushed and git(bare_remote, "rev-parse", "codebegen") == again.commit
