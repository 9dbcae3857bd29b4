"""The run history: every run of every user (or organization), in the studio database.

Owns the runs' tables: forward-only named migrations recorded in ``migrations``, short
transactions (one per call, through ``codebegen.studio.database``: a DuckDB file by default, one
connection per process via ``open_history``; PostgreSQL when ``codebegen.studio.store`` opens it on a
server), and the rows themselves: a run with its prompt,
template, profile, status, timings, spec, trust report, findings, and the project's files,
so a past run can be opened and downloaded again after the run directory is gone. Beside
them, a ledger of when each user started a run (``run_starts``), which deleting a run leaves
alone: per-user rate limits count it (``starts_since``), so they survive deletes and restarts.
Runs made by iterating a project are its versions (``project_versions``: the project is its
first run; each version keeps its spec, diff, trust report and files as a run).

Every read and write names the user: one user never sees another's rows. A run is written
``running`` when it starts, its spec as soon as it is known, and everything else when it ends;
a process that dies mid-run leaves ``running`` rows, which the next ``open_history`` marks
``interrupted`` (nothing already recorded is dropped). It does not know about Gradio or the
engine's event types: callers pass plain data.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codebegen.studio.database import Cursor, Database
from codebegen.studio.database import utc_now as _utc_now

STATUSES = ("running", "passed", "failed", "cancelled", "interrupted")

# Forward-only: a new migration is appended, an applied one is never edited.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_runs",
        """
        CREATE TABLE runs (
            id VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            prompt VARCHAR NOT NULL DEFAULT '',
            template VARCHAR NOT NULL,
            profile VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            parent_id VARCHAR,
            project_name VARCHAR,
            summary VARCHAR NOT NULL DEFAULT '',
            error VARCHAR NOT NULL DEFAULT '',
            timings VARCHAR NOT NULL DEFAULT '{}',
            spec VARCHAR,
            report VARCHAR,
            findings VARCHAR NOT NULL DEFAULT '[]'
        );
        CREATE TABLE run_files (
            run_id VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            content BLOB NOT NULL,
            PRIMARY KEY (run_id, path)
        );
        """,
    ),
    ("0002_runs_by_user", "CREATE INDEX runs_by_user ON runs (user_id, created_at);"),
    (
        "0003_run_starts",
        """
        CREATE TABLE run_starts (user_id VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL);
        CREATE INDEX run_starts_by_user ON run_starts (user_id, started_at);
        INSERT INTO run_starts SELECT user_id, created_at FROM runs;
        """,
    ),
    (
        "0004_git_exports",
        """
        CREATE TABLE git_exports (
            run_id VARCHAR NOT NULL,
            user_id VARCHAR NOT NULL,
            exported_at TIMESTAMP NOT NULL,
            remote VARCHAR NOT NULL,
            branch VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            commit_sha VARCHAR NOT NULL,
            repo VARCHAR,
            pr_number INTEGER,
            pr_url VARCHAR
        );
        CREATE TABLE pull_requests (
            repo VARCHAR NOT NULL,
            number INTEGER NOT NULL,
            run_id VARCHAR,
            version INTEGER,
            state VARCHAR NOT NULL,
            url VARCHAR NOT NULL DEFAULT '',
            head_sha VARCHAR,
            closed_at TIMESTAMP,
            updated_at TIMESTAMP NOT NULL,
            PRIMARY KEY (repo, number)
        );
        """,
    ),
    (
        "0005_project_versions",
        # A run made by iterating (or restoring) another joins that run's project as its next
        # version; a run without a row here is version 1 of its own project.
        """
        CREATE TABLE project_versions (
            run_id VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            project_id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            diff VARCHAR NOT NULL DEFAULT '[]'
        );
        CREATE INDEX project_versions_by_project ON project_versions (user_id, project_id, version);
        """,
    ),
    (
        # who started a run (the signed-in person, when the run belongs to an organization) and
        # with which API key: the per-user and per-key limits count this one ledger
        "0006_run_starts_actor_key",
        """
        DROP INDEX run_starts_by_user;
        ALTER TABLE run_starts ADD COLUMN key_id VARCHAR;
        CREATE INDEX run_starts_by_user ON run_starts (user_id, started_at);
        CREATE INDEX run_starts_by_key ON run_starts (key_id, started_at);
        """,
    ),
    (
        # whose run it was (the owner: a user or an organization): billing's quotas count this
        "0007_run_starts_owner",
        """
        DROP INDEX run_starts_by_user;
        DROP INDEX run_starts_by_key;
        ALTER TABLE run_starts ADD COLUMN owner VARCHAR;
        UPDATE run_starts SET owner = user_id;
        """,
    ),
    (
        # DuckDB builds no index in the transaction that updated the table
        "0008_run_starts_indexes",
        """
        CREATE INDEX run_starts_by_user ON run_starts (user_id, started_at);
        CREATE INDEX run_starts_by_key ON run_starts (key_id, started_at);
        CREATE INDEX run_starts_by_owner ON run_starts (owner, started_at);
        """,
    ),
)
PR_STATES = ("open", "closed", "merged")


@dataclass(frozen=True)
class RunRow:
    """A run as the History page lists it (and as ``get`` returns it, with its data)."""

    id: str
    user_id: str
    created_at: datetime
    finished_at: datetime | None
    prompt: str
    template: str
    profile: str
    status: str
    parent_id: str | None
    project_name: str | None
    summary: str
    error: str
    timings: dict[str, float] = field(default_factory=dict)
    spec: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        return self.timings.get("total")


@dataclass(frozen=True)
class VersionRow:
    """One version of a project: the run that made it and what it changed."""

    run_id: str
    version: int
    project_id: str
    diff: list[str]
    status: str
    created_at: datetime
    prompt: str


_COLUMNS = (
    "id, user_id, created_at, finished_at, prompt, template, profile, status, parent_id, project_name, "
    "summary, error, timings, spec, report, findings"
)


def _row(values: tuple[Any, ...]) -> RunRow:
    *head, timings, spec, report, findings = values
    return RunRow(
        *head,
        timings=json.loads(timings or "{}"),
        spec=json.loads(spec) if spec else None,
        report=json.loads(report) if report else None,
        findings=json.loads(findings or "[]"),
    )


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp every table of this database stores."""
    return _utc_now()


class History:
    """The history database of one process. Use ``open_history(path)``, not this constructor."""

    def __init__(self, path: Path | None = None, *, database: Database | None = None) -> None:
        self.db = database if database is not None else Database(Path(path))  # type: ignore[arg-type]
        self.path = self.db.path
        self.migrate()
        self.interrupted_on_open = self._mark_interrupted()

    @contextmanager
    def _tx(self) -> Iterator[Cursor]:
        with self.db.tx() as cur:
            yield cur

    def migrate(self) -> list[str]:
        """Apply the migrations this database has not seen, in order; return their names."""
        return self.db.migrate(MIGRATIONS)

    def applied_migrations(self) -> list[str]:
        return self.db.applied_migrations()

    def _mark_interrupted(self) -> int:
        if self.db.postgres:  # other studio processes share the server: their running rows are alive
            return 0
        with self._tx() as cur:
            (count,) = cur.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
            cur.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, "
                "error = 'the studio stopped while this run was going' WHERE status = 'running'",
                [utc_now()],
            )
        return count

    # --- writes -------------------------------------------------------------------------------

    def start(
        self,
        user: str,
        *,
        prompt: str,
        template: str,
        profile: str,
        parent_id: str | None = None,
        actor: str | None = None,
        key_id: str | None = None,
    ) -> str:
        """Record a run of ``user`` (its owner); the ledger counts it for ``actor`` (default: the owner) and ``key_id``."""
        run_id, now = uuid.uuid4().hex[:12], utc_now()
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO runs (id, user_id, created_at, prompt, template, profile, status, parent_id) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
                [run_id, user, now, prompt, template, profile, parent_id],
            )
            cur.execute(
                "INSERT INTO run_starts (user_id, started_at, key_id, owner) VALUES (?, ?, ?, ?)",
                [actor or user, now, key_id, user],
            )
        return run_id

    def record_spec(self, user: str, run_id: str, spec: Mapping[str, Any]) -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE runs SET spec = ?, project_name = ? WHERE id = ? AND user_id = ?",
                [json.dumps(spec), spec.get("name"), run_id, user],
            )

    def finish(
        self,
        user: str,
        run_id: str,
        *,
        status: str,
        summary: str = "",
        error: str = "",
        timings: Mapping[str, float] | None = None,
        report: Mapping[str, Any] | None = None,
        findings: list[Mapping[str, Any]] | None = None,
        files: Mapping[str, bytes] | None = None,
    ) -> None:
        """End a run: its outcome and, for a verified run, the project's files, in one transaction."""
        if status not in STATUSES[1:]:
            raise ValueError(f"unknown final status {status!r}; expected one of {', '.join(STATUSES[1:])}")
        with self._tx() as cur:
            cur.execute(
                "UPDATE runs SET status = ?, finished_at = ?, summary = ?, error = ?, timings = ?, report = ?, "
                "findings = ? WHERE id = ? AND user_id = ? AND status = 'running'",
                [status, utc_now(), summary, error, json.dumps(dict(timings or {})),
                 json.dumps(report) if report is not None else None, json.dumps(list(findings or [])),
                 run_id, user],
            )  # fmt: skip
            if files:
                cur.executemany(
                    "INSERT INTO run_files VALUES (?, ?, ?)", [[run_id, p, data] for p, data in sorted(files.items())]
                )

    def delete(self, user: str, run_id: str) -> bool:
        with self._tx() as cur:
            (owned,) = cur.execute("SELECT count(*) FROM runs WHERE id = ? AND user_id = ?", [run_id, user]).fetchone()
            if owned:
                cur.execute("DELETE FROM run_files WHERE run_id = ?", [run_id])
                cur.execute("DELETE FROM git_exports WHERE run_id = ?", [run_id])
                cur.execute("DELETE FROM runs WHERE id = ? AND user_id = ?", [run_id, user])
        return bool(owned)

    def record_export(
        self,
        user: str,
        run_id: str,
        *,
        remote: str,
        branch: str,
        version: int,
        commit: str,
        repo: str | None = None,
        pr_number: int | None = None,
        pr_url: str | None = None,
    ) -> None:
        """One push of a run's project; with a pull request, that PR is recorded ``open`` for the run."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO git_exports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, user, utc_now(), remote, branch, version, commit, repo, pr_number, pr_url],
            )
        if repo and pr_number is not None:
            self.record_pull_request(repo, pr_number, state="open", run_id=run_id, version=version, url=pr_url or "")

    def record_pull_request(
        self,
        repo: str,
        number: int,
        *,
        state: str,
        run_id: str | None = None,
        version: int | None = None,
        url: str = "",
        head_sha: str | None = None,
        closed_at: datetime | None = None,
    ) -> None:
        """Insert or update the pull request ``repo#number``; a missing run id keeps the known one."""
        if state not in PR_STATES:
            raise ValueError(f"unknown pull request state {state!r}; expected one of {', '.join(PR_STATES)}")
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO pull_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, number) DO UPDATE SET "
                "run_id = COALESCE(excluded.run_id, pull_requests.run_id), "
                "version = COALESCE(excluded.version, pull_requests.version), state = excluded.state, "
                "url = CASE WHEN excluded.url = '' THEN pull_requests.url ELSE excluded.url END, "
                "head_sha = COALESCE(excluded.head_sha, pull_requests.head_sha), closed_at = excluded.closed_at, "
                "updated_at = excluded.updated_at",
                [repo, number, run_id, version, state, url, head_sha, closed_at, utc_now()],
            )

    # --- reads --------------------------------------------------------------------------------

    def exports(self, user: str, run_id: str) -> list[dict[str, Any]]:
        """The pushes of one of ``user``'s runs, newest first, each with its pull request's state."""
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT e.exported_at, e.remote, e.branch, e.version, e.commit_sha, e.repo, e.pr_number, e.pr_url, "
                "p.state FROM git_exports e LEFT JOIN pull_requests p ON p.repo = e.repo AND p.number = e.pr_number "
                "WHERE e.run_id = ? AND e.user_id = ? ORDER BY e.exported_at DESC",
                [run_id, user],
            ).fetchall()
        keys = ("exported_at", "remote", "branch", "version", "commit", "repo", "pr_number", "pr_url", "pr_state")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def pull_request(self, repo: str, number: int) -> dict[str, Any] | None:
        with self._tx() as cur:
            row = cur.execute(
                "SELECT repo, number, run_id, version, state, url, head_sha, closed_at, updated_at FROM pull_requests "
                "WHERE repo = ? AND number = ?",
                [repo, number],
            ).fetchone()
        keys = ("repo", "number", "run_id", "version", "state", "url", "head_sha", "closed_at", "updated_at")
        return dict(zip(keys, row, strict=True)) if row else None

    def list(self, user: str, limit: int = 50) -> list[RunRow]:
        with self._tx() as cur:
            rows = cur.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE user_id = ? ORDER BY created_at DESC LIMIT ?", [user, limit]
            ).fetchall()
        return [_row(r) for r in rows]

    def starts_since(self, user: str, since: datetime) -> list[datetime]:
        """When ``user`` started runs at or after ``since`` (naive UTC), oldest first; deleted runs count."""
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT started_at FROM run_starts WHERE user_id = ? AND started_at >= ? ORDER BY started_at",
                [user, since],
            ).fetchall()
        return [started for (started,) in rows]

    def owner_starts_since(self, owner: str, since: datetime) -> list[datetime]:
        """When runs owned by ``owner`` (a user or ``org:<slug>``) were started at or after ``since``, oldest first."""
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT started_at FROM run_starts WHERE owner = ? AND started_at >= ? ORDER BY started_at",
                [owner, since],
            ).fetchall()
        return [started for (started,) in rows]

    def running(self, owner: str) -> int:
        """How many runs of ``owner`` are recorded as running (queued or going) now."""
        with self._tx() as cur:
            return int(
                cur.execute("SELECT count(*) FROM runs WHERE user_id = ? AND status = 'running'", [owner]).fetchone()[0]
            )

    def key_starts_since(self, key_id: str, since: datetime) -> list[datetime]:
        """When runs were started with API key ``key_id`` at or after ``since``, oldest first."""
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT started_at FROM run_starts WHERE key_id = ? AND started_at >= ? ORDER BY started_at",
                [key_id, since],
            ).fetchall()
        return [started for (started,) in rows]

    def get(self, user: str, run_id: str) -> RunRow | None:
        with self._tx() as cur:
            row = cur.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ? AND user_id = ?", [run_id, user]).fetchone()
        return _row(row) if row else None

    def files(self, user: str, run_id: str) -> dict[str, bytes]:
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT f.path, f.content FROM run_files f JOIN runs r ON r.id = f.run_id "
                "WHERE r.id = ? AND r.user_id = ? ORDER BY f.path",
                [run_id, user],
            ).fetchall()
        return {path: bytes(content) for path, content in rows}

    # --- versions of a project ----------------------------------------------------------------

    def project_of(self, user: str, run_id: str) -> tuple[str, int] | None:
        """(project id, version) of a run: its project is the first run's id."""
        with self._tx() as cur:
            row = cur.execute(
                "SELECT COALESCE(v.project_id, r.id), COALESCE(v.version, 1) FROM runs r "
                "LEFT JOIN project_versions v ON v.run_id = r.id WHERE r.id = ? AND r.user_id = ?",
                [run_id, user],
            ).fetchone()
        return (row[0], int(row[1])) if row else None

    def add_version(self, user: str, run_id: str, *, of: str, diff: list[str] | None = None) -> int:
        """Make ``run_id`` the next version of the project run ``of`` belongs to; returns its number."""
        project = self.project_of(user, of)
        if project is None:
            raise KeyError(of)
        with self._tx() as cur:
            (highest,) = cur.execute(
                "SELECT max(version) FROM project_versions WHERE user_id = ? AND project_id = ?", [user, project[0]]
            ).fetchone()
            version = max(int(highest or 1), 1) + 1
            cur.execute(
                "INSERT INTO project_versions VALUES (?, ?, ?, ?, ?)",
                [run_id, user, project[0], version, json.dumps(list(diff or []))],
            )
        return version

    def record_diff(self, user: str, run_id: str, diff: list[str]) -> None:
        with self._tx() as cur:
            cur.execute(
                "UPDATE project_versions SET diff = ? WHERE run_id = ? AND user_id = ?",
                [json.dumps(diff), run_id, user],
            )

    def versions(self, user: str, project_id: str) -> list[VersionRow]:
        """Every version of a project, oldest first (deleted runs are gone from it)."""
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT r.id, COALESCE(v.version, 1), COALESCE(v.project_id, r.id), COALESCE(v.diff, '[]'), r.status, "
                "r.created_at, r.prompt FROM runs r LEFT JOIN project_versions v ON v.run_id = r.id "
                "WHERE r.user_id = ? AND COALESCE(v.project_id, r.id) = ? ORDER BY 2, r.created_at",
                [user, project_id],
            ).fetchall()
        return [VersionRow(i, int(n), p, json.loads(d), st, at, pr) for i, n, p, d, st, at, pr in rows]

    def close(self) -> None:
        self.db.close()


_open: dict[Path, History] = {}
_open_lock = threading.Lock()


def open_history(path: Path) -> History:
    """The process's one History for ``path`` (opened, migrated and swept on first use)."""
    key = Path(path).absolute()
    with _open_lock:
        if key not in _open:
            _open[key] = History(key)
        return _open[key]


def close_history(path: Path) -> None:
    """Close the connection (a test's "process end"; DuckDB allows one writer process per file)."""
    with _open_lock:
        history = _open.pop(Path(path).absolute(), None)
    if history is not None:
        history.close()
