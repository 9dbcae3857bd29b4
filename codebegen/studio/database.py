"""The studio's database connection: a DuckDB file by default, PostgreSQL when a URL is given.

Owns the one difference between the two: how a connection is opened and shared, and the
dialect of the SQL the studio writes (``?`` placeholders and ``BLOB`` columns, as DuckDB
spells them; translated to ``%s`` and ``BYTEA`` for PostgreSQL). ``tx()`` is one short
transaction on a cursor of its own: DuckDB's one connection per process hands each caller
its own cursor; PostgreSQL gets one connection per thread (so several studio processes
behind a load balancer can share a server). A transaction that returned is committed: on
DuckDB its write-ahead log is on disk, on PostgreSQL the server has it, so a process killed
right after loses nothing. On DuckDB the transactions of the process take turns (its
optimistic concurrency would fail two that touch one row at once). It knows no table: ``codebegen.studio.history`` and ``codebegen.studio.store`` bring
their own forward-only migrations and apply them with ``migrate``.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

_PLACEHOLDER = re.compile(r"\?")
_NO_LOCK = contextlib.nullcontext()


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp every table of the studio stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def postgres_dsn(url: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+psycopg://``) as the libpq one psycopg connects with."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


class Cursor:
    """A cursor that speaks the studio's SQL on either database (``execute`` returns itself)."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self._raw, self._postgres = raw, postgres

    def _sql(self, sql: str) -> str:
        if not self._postgres:
            return sql
        return re.sub(r"\bBLOB\b", "BYTEA", _PLACEHOLDER.sub("%s", sql))

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        if params is None:
            self._raw.execute(self._sql(sql))
        else:
            self._raw.execute(self._sql(sql), list(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._raw.executemany(self._sql(sql), [list(r) for r in rows])

    def fetchone(self) -> Any:
        return self._raw.fetchone()

    def fetchall(self) -> list[Any]:
        return self._raw.fetchall()


class Database:
    """One process's connection to the studio database: ``Database(path)`` or ``Database(url=...)``."""

    def __init__(self, path: Path | None = None, *, url: str | None = None) -> None:
        if (path is None) == (url is None):
            raise ValueError("give the studio database a DuckDB path or a PostgreSQL URL, not both or neither")
        self.path, self.url = path, url
        self.postgres = url is not None
        self._lock = threading.Lock()
        self._turns = threading.RLock()  # DuckDB: one transaction at a time (see ``tx``)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._closed = False
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._duck = duckdb.connect(str(path))
        else:
            self._connect()  # fail now, with the server's message, rather than on the first query

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else re.sub(r"//[^@/]*@", "//***@", self.url or "")

    def _connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        import psycopg

        conn = psycopg.connect(postgres_dsn(self.url or ""), autocommit=True)
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def tx(self) -> Iterator[Cursor]:
        """One transaction: committed when the block returns, rolled back when it raises."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the studio database {self.where} is closed")
            raw = self._duck.cursor() if not self.postgres else None
        if raw is None:
            raw = self._connect().cursor()
        cur = Cursor(raw, self.postgres)
        # DuckDB's transactions are optimistic: two that update one row at once fail ("Conflict on
        # update"). Within its one process they are short, so they simply take turns; PostgreSQL
        # waits on row locks by itself.
        with self._turns if not self.postgres else _NO_LOCK:
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                raw.close()

    def migrate(self, migrations: Sequence[tuple[str, str]]) -> list[str]:
        """Apply the named migrations this database has not seen, in order; return their names."""
        with self.tx() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
            done = {name for (name,) in cur.execute("SELECT name FROM migrations").fetchall()}
        applied = []
        for name, sql in migrations:
            if name in done:
                continue
            with self.tx() as cur:
                if self.postgres:  # one migrator at a time when several processes start together
                    cur.execute("SELECT pg_advisory_xact_lock(7314)")
                    if cur.execute("SELECT count(*) FROM migrations WHERE name = ?", [name]).fetchone()[0]:
                        continue
                for statement in (s for s in sql.split(";") if s.strip()):
                    cur.execute(statement)
                cur.execute("INSERT INTO migrations VALUES (?, ?)", [name, utc_now()])
            applied.append(name)
        return applied

    def applied_migrations(self) -> list[str]:
        with self.tx() as cur:
            return [n for (n,) in cur.execute("SELECT name FROM migrations ORDER BY name").fetchall()]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if not self.postgres:
                self._duck.close()
            for conn in self._connections:
                conn.close()
            self._connections.clear()
