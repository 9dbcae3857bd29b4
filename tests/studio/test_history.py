"""The history database: named forward-only migrations, per-user rows, interrupted runs, files."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from codebegen.studio.history import MIGRATIONS, History, close_history, open_history


def test_migrations_are_applied_once_and_recorded_by_name(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    history = open_history(db)
    assert history.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert history.migrate() == []  # nothing left to apply
    close_history(db)
    assert open_history(db).migrate() == []
    close_history(db)


def test_a_new_migration_is_applied_to_an_existing_database(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "h.duckdb"
    open_history(db).start("u", prompt="p", template="t", profile="fake")
    close_history(db)
    monkeypatch.setattr(
        "codebegen.studio.history.MIGRATIONS", (*MIGRATIONS, ("9999_note", "ALTER TABLE runs ADD COLUMN note VARCHAR"))
    )
    history = open_history(db)
    assert history.applied_migrations()[-1] == "9999_note"
    assert len(history.list("u")) == 1  # the row written before the migration is still there
    close_history(db)


def test_users_see_only_their_own_runs(tmp_path: Path) -> None:
    history = History(tmp_path / "h.duckdb")
    mine = history.start("alice", prompt="mine", template="t", profile="fake")
    history.finish("alice", mine, status="passed", files={"a.py": b"x = 1\n"})
    theirs = history.start("bob", prompt="theirs", template="t", profile="fake")
    assert [r.id for r in history.list("alice")] == [mine]
    assert history.get("alice", theirs) is None
    assert history.files("bob", mine) == {}
    assert history.delete("bob", mine) is False
    assert history.files("alice", mine) == {"a.py": b"x = 1\n"}
    history.close()


def test_running_rows_become_interrupted_on_the_next_start_and_keep_what_was_recorded(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    history = History(db)
    done = history.start("u", prompt="finished", template="t", profile="fake")
    history.finish("u", done, status="passed", timings={"total": 2.0})
    cut = history.start("u", prompt="cut short", template="t", profile="fake")
    history.record_spec("u", cut, {"name": "notes", "entities": []})
    history.close()  # the process dies here

    again = History(db)
    assert again.interrupted_on_open == 1
    rows = {r.id: r for r in again.list("u")}
    assert rows[cut].status == "interrupted" and rows[cut].spec == {"name": "notes", "entities": []}
    assert rows[done].status == "passed" and rows[done].seconds == 2.0
    again.close()


def test_delete_removes_the_run_and_its_files(tmp_path: Path) -> None:
    history = History(tmp_path / "h.duckdb")
    run = history.start("u", prompt="p", template="t", profile="fake")
    history.finish("u", run, status="passed", files={"a": b"1", "b/c": b"2"})
    assert history.delete("u", run) is True
    assert history.get("u", run) is None and history.files("u", run) == {}
    history.close()
    with duckdb.connect(str(tmp_path / "h.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM run_files").fetchone() == (0,)


def test_threads_write_through_the_one_connection(tmp_path: Path) -> None:
    history = History(tmp_path / "h.duckdb")

    def one_run(i: int) -> None:
        run = history.start("u", prompt=str(i), template="t", profile="fake")
        history.record_spec("u", run, {"name": f"p{i}"})
        history.finish("u", run, status="passed", files={"f.py": str(i).encode()})

    threads = [threading.Thread(target=one_run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = history.list("u")
    assert len(rows) == 8 and {r.status for r in rows} == {"passed"}
    history.close()
