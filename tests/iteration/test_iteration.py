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

from codebegen import events as ev
from codebegen.errors import PromptError
from codebegen.generate import generate_project
from codebegen.iteration.change import read_change
from codebegen.iteration.diff import diff_specs
from codebegen.iteration.iterate import iterate
from codebegen.iteration.merge import merge_projects
from codebegen.spec import parse_spec

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


def test_in_words_a_removal_and_an_addition_are_never_read_as_a_rename(project: Path) -> None:
    from codebegen.iteration.iterate import plan

    lines = plan(project, "remove the fax field; add a phone to tasks").diff.lines()
    assert lines == ["+ field Task.phone added: str, required", "- field Task.fax removed: its values are dropped"]


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
    base = {
        "a.py": b"x = 1\ny = 2\n\n\nz = 3\n",
        "b.py": b"b\n",
        "gone.py": b"g\n",
        "del.py": b"d\n",
        "alembic/versions/0001_initial.py": b"old\n",
    }
    ours = {
        "a.py": b"x = 1\ny = 2\n\n\nz = 3\nmine = 4\n",
        "b.py": b"b\n",
        "gone.py": b"g\n",
        "mine.py": b"my own\n",
        "alembic/versions/0001_initial.py": b"old\n",
    }
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
    return subprocess.run([sys.executable, "-m", "codebegen.cli", *args], capture_output=True, text=True,
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


# -- done when: two iterations of a hand-edited project with rows in SQLite and PostgreSQL -----

ENDPOINT = '''

@router.get("/custom/count")
def count_tasks(session: SessionDep) -> dict[str, int]:
    """Hand-written: how many tasks there are."""
    return {"tasks": session.query(Task).count()}
'''
TEST = """

def test_custom_count(client: TestClient, headers: dict[str, str]) -> None:
    factories.create_task(client, headers)
    assert client.get(f"{URL}custom/count", headers=headers).json()["tasks"] == 1
"""
FILL = """
import os, sqlalchemy as sa
with sa.create_engine(os.environ["DATABASE_URL"]).begin() as c:
    for i, notes in ((1, "first notes"), (2, None), (3, "third notes")):
        c.execute(sa.text("INSERT INTO tasks (id, created_at, updated_at, title, notes, fax) "
                          "VALUES (:i, '2024-01-01 10:00:00', '2024-01-01 10:00:00', :t, :n, '555')"),
                  {"i": i, "t": f"task {i}", "n": notes})
        c.execute(sa.text("INSERT INTO comments (id, created_at, updated_at, body, task_id) "
                          "VALUES (:i, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 'c', :i)"), {"i": i})
"""
READ = """
import json, os, sqlalchemy as sa
with sa.create_engine(os.environ["DATABASE_URL"]).connect() as c:
    tasks = [dict(r) for r in c.execute(sa.text("SELECT * FROM tasks ORDER BY id")).mappings()]
    comments = [dict(r) for r in c.execute(sa.text("SELECT id, task_id FROM comments ORDER BY id")).mappings()]
print(json.dumps({"tasks": tasks, "comments": comments}, default=str))
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_two_iterations_keep_every_hand_edit_and_every_row(
    tmp_path: Path, runtime_cache: Path, postgres_url: str
) -> None:
    from codebegen.gate.runtime import ensure_runtime
    from codebegen.gate.scratch_database import scratch_database

    out = tmp_path / "todo"
    generate_project(spec(), out, cache_dir=runtime_cache, postgres_url=postgres_url)
    route, test, readme = out / "app/api/routes/task.py", out / "tests/test_task.py", out / "README.md"
    route.write_text(route.read_text() + ENDPOINT)
    test.write_text(test.read_text().replace("    assert isinstance(created[\"id\"], int)\n",
                                             "    assert isinstance(created[\"id\"], int)\n    assert created[\"id\"] > 0  # mine\n")
                    + TEST)  # fmt: skip
    readme.write_text(readme.read_text() + "\n## Our deployment\n\nHand-written notes.\n")
    (out / "app/extra.py").write_text('"""A module of our own."""\n\nGREETING = "hi"\n')
    python = str(ensure_runtime(out / "requirements.txt", cache_dir=runtime_cache).python)

    def run(code: str, url: str, *args: str) -> str:
        argv = [python, *(args or ("-c", code))]
        env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "ENVIRONMENT": "test"}
        proc = subprocess.run(argv, cwd=out, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    with scratch_database(postgres_url, scheme="postgresql+psycopg", purpose="userdata") as pg:
        databases = [f"sqlite:///{tmp_path}/app.db", pg]
        for url in databases:
            run("", url, "-m", "alembic", "upgrade", "head")
            run(FILL, url)

        def iteration(change: str) -> ev.Done:
            events = list(
                iterate(out, change, no_models=True, cache_dir=runtime_cache.parent, postgres_url=postgres_url)
            )
            done = events[-1]
            assert isinstance(done, ev.Done) and done.ok, [e for e in events if isinstance(e, ev.Failure | ev.Finding)]
            checks = {c.name: c for c in done.report.checks}
            for name in ("data migration", "data migration on postgresql", "pytest on postgresql"):
                assert checks[name].status == "pass", (name, checks[name].detail)
            for url in databases:  # the user's own databases, upgraded as the user would
                run("", url, "-m", "alembic", "upgrade", "head")
            return done

        iteration("add a priority (low, normal, high) to tasks; tasks can have many labels")
        assert sorted(p.name for p in (out / "alembic/versions").glob("*.py")) == [
            "0001_initial.py",
            "0002_entity_label.py",
        ]
        iteration("rename notes to description")
        for url in databases:
            rows = json.loads(run(READ, url))
            assert [(t["id"], t["title"], t["description"], t["priority"], t["fax"]) for t in rows["tasks"]] == [
                (1, "task 1", "first notes", "low", "555"), (2, "task 2", None, "low", "555"),
                (3, "task 3", "third notes", "low", "555"),
            ]  # fmt: skip
            assert "notes" not in rows["tasks"][0]
            assert [(c["id"], c["task_id"]) for c in rows["comments"]] == [(1, 1), (2, 2), (3, 3)]

    versions = sorted(p.name for p in (out / "alembic/versions").glob("*.py"))
    assert versions[0] == "0001_initial.py" and len(versions) == 3 and versions[2].startswith("0003_")
    assert ENDPOINT.strip() in route.read_text() and "Label" in route.read_text()  # ours and theirs, merged
    assert "# mine" in test.read_text() and "def test_custom_count" in test.read_text()
    assert "description" in test.read_text() or "description" in (out / "tests/factories.py").read_text()
    assert "Hand-written notes." in readme.read_text() and (out / "app/extra.py").is_file()
    assert json.loads((out / "trust_report.json").read_text())["passed"] is True

    # a conflicting edit is reported, not overwritten
    _edit_the_fax_line(out)
    before = files(out)
    done = list(iterate(out, "remove the fax field", no_models=True, cache_dir=runtime_cache.parent))[-1]
    assert not done.ok and "app/models/task.py" in done.summary
    assert files(out) == before


LOSSY = '''"""A rename written as a drop and an add: the values are lost."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
codebegen_renames = {"tasks": {"notes": "description"}}


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("notes")
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_column("description")
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
'''


@pytest.mark.slow
def test_the_data_check_fails_a_migration_that_loses_values(project: Path, runtime_cache: Path) -> None:
    from codebegen.gate.verify import verify

    (project / "alembic/versions/0002_lossy.py").write_text(LOSSY)
    check = verify(project, cache_dir=runtime_cache, select=["migrations"]).check("data migration")
    assert check.status == "fail" and "tasks.description row 1: None" in check.detail, check.detail


# -- fastapi_mongo: what a change means for stored documents, on the mongomock stand-in ---------


def test_document_migration_on_the_mongomock_stand_in(tmp_path: Path) -> None:
    import importlib.util

    mongomock = pytest.importorskip("mongomock")
    from codebegen.iteration.migration import document_changes, write_document_migration

    old = spec()
    read = read_change(
        old, "add a priority (low, normal, high) to tasks; rename notes to description; remove the fax field"
    )
    diff = diff_specs(old, read.spec, read.renames)
    said = document_changes(old, read.spec, diff)
    assert "Task.priority: stored documents get 'low' (a required new field)" in said
    assert any("removed from stored documents" in line and "lost" in line for line in said)
    rel = write_document_migration(tmp_path, old, read.spec, diff)
    assert rel == "migrations/0002_field_task_notes_to_description.py"
    module_spec = importlib.util.spec_from_file_location("doc_migration", tmp_path / rel)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    db = mongomock.MongoClient()["app"]
    db.tasks.insert_many(
        [{"_id": 1, "title": "a", "notes": "n1", "fax": "5"}, {"_id": 2, "title": "b", "priority": "high"}]
    )
    module.forward(db)
    assert list(db.tasks.find().sort("_id")) == [
        {"_id": 1, "title": "a", "description": "n1", "priority": "low"},
        {"_id": 2, "title": "b", "priority": "high"},
    ]
    module.backward(db)
    assert list(db.tasks.find().sort("_id")) == [{"_id": 1, "title": "a", "notes": "n1"}, {"_id": 2, "title": "b"}]


@pytest.mark.slow
def test_iterate_a_mongo_project_writes_its_document_migration(tmp_path: Path, runtime_cache: Path) -> None:
    out = tmp_path / "todo"
    generate_project(spec(), out, template="fastapi_mongo", run_gate=False)
    events = list(iterate(out, "add a due date to tasks; remove the fax field", no_models=True,
                          cache_dir=runtime_cache.parent))  # fmt: skip
    done = events[-1]
    assert done.ok, [e for e in events if isinstance(e, ev.Failure | ev.Finding)]
    said = next(e.text for e in events if isinstance(e, ev.DocumentArtifact) and e.name == "stored documents")
    assert "Task.due_date: stored documents get '1970-01-01'" in said
    assert (out / "migrations" / "0002_field_task_due_date_added_date_required.py").is_file()
    assert not (out / "alembic").exists()


def test_what_the_reader_leaves_goes_to_the_parser_and_only_additions_are_taken() -> None:
    from codebegen.iteration.change import change_stage
    from codebegen.models.fake import FakeBackend

    rerolled = json.loads(json.dumps(SPEC))
    rerolled["entities"][0]["fields"][0]["type"] = "int"  # the model re-rolls a field the spec has ...
    rerolled["entities"][0]["fields"].append({"name": "colour", "type": "str", "required": False})  # ... and adds one
    rerolled["relationships"] = []  # ... and loses a link
    parser = FakeBackend([json.dumps(rerolled)])
    gen = change_stage(spec(), "tasks should also carry their colour, please", parser)
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            read = stop.value
            break
    assert read.unread == ["tasks should also carry their colour, please"] and parser.calls
    task = read.spec.entity("Task")
    assert task.field("colour") is not None and task.field("title").type == "str"
    assert len(read.spec.relationships) == 1
    assert "Tasks have title (str)" in parser.calls[0]["messages"][-1]["content"]


def test_iterate_argument_errors_are_one_line(project: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    new.write_text(json.dumps(SPEC))
    for args, needle in (
        (["add a due date to tasks", "--rename", "Task.notes=description"], "--rename goes with --spec"),
        (["--spec", str(new), "--rename", "notes=description"], "expected ENTITY.OLD=NEW"),
        (["--spec", str(new), "--yes"], "the change does not change the spec"),
        (["--spec", str(new), "--rename", "Task.nope=x", "--yes"], "no such field"),
    ):
        proc = codebegen("iterate", str(project), *args, "--no-models")
        errors = [line for line in proc.stderr.splitlines() if line.startswith("codebegen: error:")]
        assert proc.returncode != 0 and len(errors) == 1 and needle in errors[0], proc.stderr
