"""Iteration: a change in words or a new spec -> diff, three-way merge, migration; nothing the user owns lost.

The fast tests here run no gate (the merge, the reader, the refusals happen before it); the
slow one at the end is the issue's done-when: two iterations of a hand-edited project with rows
in SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import events as ev
from engine.errors import PromptError
from engine.generate import generate_project
from engine.iteration.change import read_change
from engine.iteration.diff import diff_specs
from engine.iteration.iterate import iterate
from engine.iteration.merge import merge_projects
from engine.spec import parse_spec

SPEC = {
    "name": "todo",
    "description": "Tasks and comments",
    "auth": False,
    "entities": [
        {"name": "Task", "fields": [{"name": "title", "type": "str"},
                                    {"name": "notes", "type": "text", "required": False},
                                    {"name": "fax", "type": "str", "required": False}]},
        {"name": "Comment", "fields": [{"name": "body", "type": "text"}]},
    ],
    "relationships": [{"source": "Comment", "target": "Task", "kind": "many_to_one"}],
}  # fmt: skip


def spec(**changes: object):
    return parse_spec(SPEC | changes)


# -- reading a change in words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("add a priority (low, normal, high) to tasks", ["+ field Task.priority added: enum(low, normal, high), required"]),
        ("add a due date to tasks", ["+ field Task.due_date added: date, required"]),
        ("add an optional estimate minutes to tasks", ["+ field Task.estimate_minutes added: int, optional"]),
        ("tasks can have many labels", ["+ entity Label", "+ relationship Task -> Label (many_to_many)"]),
        ("rename notes to description", ["~ field Task.notes renamed to description"]),
        ("remove the fax field", ["- field Task.fax removed: its values are dropped"]),
        ("comments are private to their author", ["~ auth on (was off)", "~ entity Comment owned by its creator"]),
        ("add a priority (low, high) to tasks; rename notes to description",
         ["~ field Task.notes renamed to description", "+ field Task.priority added: enum(low, high), required"]),
    ],
)  # fmt: skip
def test_common_change_forms_are_read_without_a_model(change: str, expected: list[str]) -> None:
    old = spec()
    read = read_change(old, change)
    assert not read.unread
    assert diff_specs(old, read.spec, read.renames).lines() == expected


def test_what_cannot_be_read_is_said_not_guessed() -> None:
    assert read_change(spec(), "make it faster").unread == ["make it faster"]
    with pytest.raises(PromptError, match="no field 'fax_number'"):
        read_change(spec(), "remove the fax number field")
    with pytest.raises(PromptError, match="no entity 'invoices'"):
        read_change(spec(), "add a due date to invoices")


def test_a_rename_is_explicit_never_a_drop_and_an_add() -> None:
    old = spec()
    new_data = json.loads(json.dumps(SPEC))
    new_data["entities"][0]["fields"][1]["name"] = "description"
    new = parse_spec(new_data)
    inferred = diff_specs(old, new)
    assert inferred.renames() == {"Task": {"notes": "description"}} and "inferred" in inferred.text()
    given = diff_specs(old, new, {"Task.notes": "description"})
    assert given.renames() == {"Task": {"notes": "description"}} and "inferred" not in given.text()
    new_data["entities"][0]["fields"][1]["type"] = "str"  # a different type: a drop and an add, said so
    plain = diff_specs(old, parse_spec(new_data))
    assert plain.renames() == {} and "- field Task.notes removed: its values are dropped" in plain.lines()


# -- the three-way merge ------------------------------------------------------------------------


def test_merge_keeps_every_kind_of_user_change() -> None:
    base = {"a.py": b"x = 1\ny = 2\n\n\nz = 3\n", "b.py": b"b\n", "gone.py": b"g\n", "del.py": b"d\n",
            "alembic/versions/0001_initial.py": b"old\n"}
    ours = {"a.py": b"x = 1\ny = 2\n\n\nz = 3\nmine = 4\n", "b.py": b"b\n", "gone.py": b"g\n",
            "mine.py": b"my own\n", "alembic/versions/0001_initial.py": b"old\n"}
    theirs = {"a.py": b"x = 10\ny = 2\n\n\nz = 3\n", "b.py": b"b2\n", "new.py": b"n\n", "del.py": b"d\n",
              "alembic/versions/0001_initial.py": b"re-rendered\n"}  # fmt: skip
    result = merge_projects(base, ours, theirs)
    assert result.files == {"a.py": b"x = 10\ny = 2\n\n\nz = 3\nmine = 4\n", "b.py": b"b2\n", "new.py": b"n\n",
                            "gone.py": None}  # fmt: skip
    assert "mine.py" not in result.files and "del.py" not in result.files  # user file, user deletion stay
    assert not result.conflicts  # and 0001 is never rewritten


def test_a_conflict_is_reported_with_its_hunks_not_resolved() -> None:
    result = merge_projects({"a.py": b"x = 1\n"}, {"a.py": b"x = 2\n"}, {"a.py": b"x = 3\n"})
    assert [c.path for c in result.conflicts] == ["a.py"]
    assert "<<<<<<< a.py (yours)" in result.conflicts[0].hunks and "x = 2" in result.conflicts[0].hunks
    result = merge_projects({"a.py": b"x\n"}, {}, {"a.py": b"y\n"})
    assert result.conflicts[0].kind == "deleted by you, changed by the new version"


# -- the project directory: never lose what the user owns ---------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    out = tmp_path / "todo"
    generate_project(spec(), out, run_gate=False)
    return out


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def codebegen(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL, **kwargs)  # fmt: skip


def test_generate_force_keeps_what_codebegen_did_not_write(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / ".env").write_text("SECRET_KEY=mine\n")
    (project / "app.db").write_bytes(b"SQLite format 3\0rows")
    (project / "app" / "mine.py").write_text("MINE = 1\n")
    project.chmod(0o751)
    generate_project(spec(description="again"), project, run_gate=False, force=True)
    assert (project / ".git" / "HEAD").is_file() and (project / ".env").read_text() == "SECRET_KEY=mine\n"
    assert (project / "app.db").read_bytes().endswith(b"rows") and (project / "app" / "mine.py").is_file()
    assert json.loads((project / "codebegen.json").read_text())["description"] == "again"
    assert project.stat().st_mode & 0o777 == 0o751


def test_iterate_asks_and_refuses_without_a_terminal(project: Path) -> None:
    before = files(project)
    proc = codebegen("iterate", str(project), "add a due date to tasks", "--no-models")
    assert proc.returncode != 0 and "+ field Task.due_date added" in proc.stderr
    assert "codebegen: error: not applied: no terminal" in proc.stderr and "--yes" in proc.stderr
    assert files(project) == before


def test_iterate_refuses_a_directory_that_is_no_project(tmp_path: Path) -> None:
    proc = codebegen("iterate", str(tmp_path), "add a due date to tasks", "--no-models", "--yes")
    assert proc.returncode != 0 and "codebegen: error:" in proc.stderr and "not a codebegen project" in proc.stderr
    proc = codebegen("iterate", str(tmp_path))
    assert proc.returncode != 0 and "give a CHANGE in words or --spec" in proc.stderr


def _edit_the_fax_line(project: Path) -> None:
    model = project / "app" / "models" / "task.py"
    text = model.read_text()
    assert "    fax: " in text
    model.write_text(text.replace("nullable=True)\n", "nullable=True)  # mine\n", 2))


def test_a_conflicting_edit_stops_the_iteration_and_changes_nothing(project: Path) -> None:
    _edit_the_fax_line(project)
    before = files(project)
    events = list(iterate(project, "remove the fax field", no_models=True))
    done = events[-1]
    assert isinstance(done, ev.Done) and not done.ok
    conflicts = [e for e in events if isinstance(e, ev.Finding) and e.source == "merge"]
    assert [c.file for c in conflicts] == ["app/models/task.py"] and "# mine" in conflicts[0].hint
    assert "nothing was written" in done.summary
    assert files(project) == before


def test_conflict_markers_when_asked_and_the_spec_stays_old(project: Path) -> None:
    _edit_the_fax_line(project)
    old_spec = (project / "codebegen.json").read_text()
    done = list(iterate(project, "remove the fax field", no_models=True, conflicts="markers"))[-1]
    assert not done.ok and "app/models/task.py" in done.summary
    assert "<<<<<<< app/models/task.py (yours)" in (project / "app" / "models" / "task.py").read_text()
    assert (project / "codebegen.json").read_text() == old_spec
