"""Versions of a project in the history database, and the comparison of two versions."""

from __future__ import annotations

import json
from pathlib import Path

from codebegen.studio.history import close_history, open_history
from codebegen.studio.pages.versions import compare_versions

SPEC = {"name": "notes", "auth": False, "entities": [{"name": "Note", "fields": [{"name": "title", "type": "str"}]}]}


def test_iterations_are_versions_of_one_project_per_user(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    history = open_history(db)
    first = history.start("u", prompt="notes", template="fastapi_sqlalchemy", profile="fake")
    other = history.start("u", prompt="another project", template="fastapi_sqlalchemy", profile="fake")
    second = history.start("u", prompt="add a due date to notes", template="fastapi_sqlalchemy", profile="fake")
    assert history.add_version("u", second, of=first, diff=["+ field Note.due_date added: date, required"]) == 2
    third = history.start("u", prompt="rename title to headline", template="fastapi_sqlalchemy", profile="fake")
    assert history.add_version("u", third, of=second) == 3  # of any version: the same project
    history.record_diff("u", third, ["~ field Note.title renamed to headline"])
    versions = history.versions("u", first)
    assert [(v.run_id, v.version) for v in versions] == [(first, 1), (second, 2), (third, 3)]
    assert versions[2].diff == ["~ field Note.title renamed to headline"]
    assert history.project_of("u", third) == (first, 3) and history.project_of("u", other) == (other, 1)
    assert history.versions("someone else", first) == [] and history.project_of("someone else", first) is None
    history.delete("u", second)
    assert [v.version for v in history.versions("u", first)] == [1, 3]
    close_history(db)
    assert [v.version for v in open_history(db).versions("u", first)] == [1, 3]  # kept across restarts
    close_history(db)


def test_comparing_two_versions_shows_the_spec_diff_and_the_file_diff() -> None:
    new = json.loads(json.dumps(SPEC))
    new["entities"][0]["fields"].append({"name": "due_date", "type": "date"})
    old_files = {"app/models/note.py": b"title = 1\n", "README.md": b"same\n", ".codebegen/base/x": b"a"}
    new_files = {"app/models/note.py": b"title = 1\ndue_date = 2\n", "README.md": b"same\n",
                 "alembic/versions/0002_x.py": b"rev\n", ".codebegen/base/x": b"b"}  # fmt: skip
    spec_md, files = compare_versions(SPEC, new, old_files, new_files)
    assert "+ field Note.due_date added: date, required" in spec_md
    assert "- `alembic/versions/0002_x.py` (new)" in spec_md and "- `app/models/note.py` (+1 −0)" in spec_md
    assert "README.md" not in spec_md and ".codebegen" not in spec_md + files
    assert "+due_date = 2" in files and "--- /dev/null" in files
