"""Per-visitor limits: prompt size and runs per hour, counted from the history's ledger of starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from codebegen.errors import EngineError, PromptError
from codebegen.studio import limits
from codebegen.studio.history import MIGRATIONS, close_history, open_history
from codebegen.studio.settings import StudioSettings


@pytest.fixture
def history(tmp_path: Path):
    db = tmp_path / "h.duckdb"
    yield open_history(db)
    close_history(db)


def start(history, user: str) -> str:
    return history.start(user, prompt="p", template="t", profile="fake")


def test_no_limit_by_default(history) -> None:
    settings = StudioSettings(data_dir=history.path.parent)
    assert settings.runs_per_hour == 0
    for _ in range(5):
        start(history, "local")
    limits.check(history, settings, "local", "a notes API")  # nothing raised


def test_runs_per_hour_per_user_with_a_readable_error(history) -> None:
    settings = StudioSettings(data_dir=history.path.parent, runs_per_hour=2)
    first = start(history, "hf:alice")
    start(history, "hf:alice")
    with pytest.raises(EngineError) as refused:
        limits.check(history, settings, "hf:alice", "a notes API")
    assert "started 2 runs in the last hour" in refused.value.message
    assert "allows 2 an hour" in refused.value.message
    assert "try again in about 60 minutes" in refused.value.hint
    limits.check(history, settings, "hf:bob", "a notes API")  # another visitor is not affected
    assert history.delete("hf:alice", first)  # deleting a run does not give the run back
    with pytest.raises(EngineError):
        limits.check(history, settings, "hf:alice")
    later = history.starts_since("hf:alice", history.list("hf:alice")[0].created_at)[0] + timedelta(minutes=61)
    limits.check(history, settings, "hf:alice", now=later)  # an hour later both left the window


def test_the_count_survives_a_restart_and_covers_runs_from_before_the_ledger(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "h.duckdb"
    monkeypatch.setattr("codebegen.studio.history.MIGRATIONS", MIGRATIONS[:2])  # a database from before 0003
    open_history(db)
    close_history(db)
    with duckdb.connect(str(db)) as con:  # a run the studio of that time wrote
        con.execute(
            "INSERT INTO runs (id, user_id, created_at, template, profile, status) VALUES (?, ?, ?, 't', 'fake', 'passed')",
            ["old", "hf:alice", datetime.now(UTC).replace(tzinfo=None)],
        )
    monkeypatch.setattr("codebegen.studio.history.MIGRATIONS", MIGRATIONS)
    history = open_history(db)  # the "restart": migrated, the old run backfilled into the ledger
    start(history, "hf:alice")
    close_history(db)
    history = open_history(db)
    with pytest.raises(EngineError, match="started 2 runs"):
        limits.check(history, StudioSettings(data_dir=tmp_path, runs_per_hour=2), "hf:alice")
    close_history(db)


def test_a_prompt_over_the_limit_is_refused_not_cut(history) -> None:
    settings = StudioSettings(data_dir=history.path.parent, max_prompt_chars=100)
    limits.check(history, settings, "local", "x" * 100)
    with pytest.raises(PromptError, match="101 characters long; this studio takes at most 100"):
        limits.check(history, settings, "local", "x" * 101)


def test_admission_holds_the_check_and_the_start_together(history) -> None:
    settings = StudioSettings(data_dir=history.path.parent, runs_per_hour=1)
    with limits.admission(history, settings, "hf:alice", "p"):
        start(history, "hf:alice")
    with pytest.raises(EngineError), limits.admission(history, settings, "hf:alice", "p"):
        start(history, "hf:alice")
    assert len(history.list("hf:alice")) == 1
