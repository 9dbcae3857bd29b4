"""How a table is described, and how Python values travel to and from SQLite columns.

Table and column names come only from these descriptions, which codebegen rendered from a
validated spec; a request never supplies a name, and ``q`` refuses anything that is not a plain
identifier. Values always travel as ``?`` parameters, never inside the SQL text.

SQLite storage: decimals as exact text ("12.50"), dates and datetimes as ISO 8601 text
(datetimes in UTC), UUIDs as text, booleans as 0/1, JSON as its text.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def q(name: str) -> str:
    """A quoted SQL identifier. Only names from the table descriptions ever get here."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def sql(statement: str, *identifiers: str | tuple[str, ...], marks: int = 0, sets: tuple[str, ...] = ()) -> str:
    """The one place identifiers enter a statement (the audited helper).

    ``statement`` is a constant written in this package, never request data. Each ``{}`` becomes
    a quoted identifier through ``q`` (a tuple: a comma-separated list of them), ``{marks}``
    that many ``?`` and ``{sets}`` the ``"column" = ?`` list of an UPDATE. Values never go
    through here: they travel as ``?`` parameters.
    """
    parts = [", ".join(q(name) for name in i) if isinstance(i, tuple) else q(i) for i in identifiers]
    return statement.format(
        *parts, marks=", ".join(["?"] * marks), sets=", ".join(f"{q(name)} = ?" for name in sets)
    )


_SQL_TYPES = {"int": "INTEGER", "bool": "INTEGER", "ref": "INTEGER", "float": "REAL"}  # everything else: TEXT
_ON_DELETE = {"CASCADE", "RESTRICT", "SET NULL"}
_CHECK_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # the spec's field type ("str", "decimal", ...) or "ref" for a reference id
    required: bool = True
    unique: bool = False
    references: str | None = None  # the referenced table, for "ref" columns
    on_delete: str = "CASCADE"  # RESTRICT: a required reference blocks deleting its target
    # (name, SQL) CHECK constraints rendered from the spec: enum values, bounds, lengths
    checks: tuple[tuple[str, str], ...] = ()

    def ddl(self, table: str) -> str:
        sql = f"{q(self.name)} {_SQL_TYPES.get(self.kind, 'TEXT')}"
        sql += " NOT NULL" if self.required else ""
        sql += " UNIQUE" if self.unique else ""
        if self.references is not None:
            if self.on_delete not in _ON_DELETE:
                raise ValueError(f"unknown ON DELETE action {self.on_delete!r}")
            sql += f" REFERENCES {q(self.references)}({q('id')}) ON DELETE {self.on_delete}"
        for name, check in self.checks:
            if not _CHECK_NAME.match(name):
                raise ValueError(f"not a constraint name: {name!r}")
            sql += f" CONSTRAINT {q(f'ck_{table}_{name}')} CHECK ({check})"
        return sql

    def expression(self) -> str:
        """The column as SQL compares and sorts it: decimals (stored as exact text) by their number."""
        return f"CAST({q(self.name)} AS REAL)" if self.kind == "decimal" else q(self.name)


@dataclass(frozen=True)
class Link:
    """A many-to-many link table: rows of the owning table point at rows of ``target_table``."""

    key: str  # the JSON key, "tag_ids"
    table: str
    source_column: str
    target_column: str
    target_table: str


@dataclass(frozen=True)
class Table:
    entity: str  # "Book", for messages
    name: str
    columns: tuple[Column, ...]
    links: tuple[Link, ...] = ()
    owned: bool = False
    owner_key: str = "owner_id"  # the ownership column ("created_by_id" where a reference is owner_id)

    def __post_init__(self) -> None:
        for name in (self.name, *(c.name for c in self.columns)):
            q(name)
        for link in self.links:
            for name in (link.table, link.source_column, link.target_column, link.target_table):
                q(name)

    def ddl(self) -> list[str]:
        """CREATE statements for the table, its indexes and its link tables (idempotent)."""
        columns = [f"{q('id')} INTEGER PRIMARY KEY", f"{q('created_at')} TEXT NOT NULL", f"{q('updated_at')} TEXT NOT NULL"]
        indexed = [c.name for c in self.columns if c.references is not None]
        if self.owned:
            columns.append(Column(self.owner_key, "ref", references="users").ddl(self.name))
            indexed.append(self.owner_key)
        columns += [c.ddl(self.name) for c in self.columns]
        statements = [f"CREATE TABLE IF NOT EXISTS {q(self.name)} ({', '.join(columns)})"]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {q(f'ix_{self.name}_{name}')} ON {q(self.name)} ({q(name)})" for name in indexed
        ]
        for link in self.links:
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {q(link.table)} ("
                f"{q(link.source_column)} INTEGER NOT NULL REFERENCES {q(self.name)}({q('id')}) ON DELETE CASCADE, "
                f"{q(link.target_column)} INTEGER NOT NULL REFERENCES {q(link.target_table)}({q('id')}) ON DELETE CASCADE, "
                f"PRIMARY KEY ({q(link.source_column)}, {q(link.target_column)}))"
            )
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {q(f'ix_{link.table}_{link.target_column}')} "
                f"ON {q(link.table)} ({q(link.target_column)})"
            )
        return statements

    def column(self, name: str) -> Column:
        """The column named ``name`` (server-managed ones included); a name outside the table is an error."""
        managed = {"id": "int", "created_at": "datetime", "updated_at": "datetime"}
        if self.owned:
            managed[self.owner_key] = "ref"
        if name in managed:
            return Column(name, managed[name])
        for column in self.columns:
            if column.name == name:
                return column
        raise ValueError(f"{self.name} has no column {name!r}")

    @property
    def writable(self) -> tuple[str, ...]:
        """Columns a request may set (not id, timestamps or owner)."""
        return tuple(c.name for c in self.columns)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(kind: str, value: Any) -> Any:
    """A Python value as SQLite stores it."""
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date | UUID):
        return str(value)
    return value


def from_db(kind: str, value: Any) -> Any:
    """A stored value as the schemas expect it (they parse ISO text, decimals and UUIDs)."""
    if value is None:
        return None
    if kind == "json":
        return json.loads(value)
    if kind == "bool":
        return bool(value)
    return value
