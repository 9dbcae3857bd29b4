"""Parameterised queries over the table descriptions: 404 for a missing row, 422 for a reference to one.

Every statement is built from names in ``app.db.tables`` (rendered from the spec) and takes its
values as ``?`` parameters. Rows come back as dicts the Public schemas validate.
"""

import sqlite3
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel

from app.db.table import Link, Table, from_db, q, sql, to_db, utcnow


def _where(table: Table, owner_id: int | None) -> tuple[str, list[Any]]:
    return (f" AND {q(table.owner_key)} = ?", [owner_id]) if owner_id is not None else ("", [])


def _decode(table: Table, row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"], "created_at": row["created_at"], "updated_at": row["updated_at"]}
    if table.owned:
        out[table.owner_key] = row[table.owner_key]
    for column in table.columns:
        out[column.name] = from_db(column.kind, row[column.name])
    return out


def _with_links(conn: sqlite3.Connection, table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for link in table.links:
        for row in rows:
            cursor = conn.execute(
                sql("SELECT {} FROM {} WHERE {} = ? ORDER BY rowid", link.target_column, link.table, link.source_column),
                [row["id"]],
            )
            row[link.key] = [target_id for (target_id,) in cursor]
    return rows


def get_row(conn: sqlite3.Connection, table: Table, row_id: int, owner_id: int | None = None) -> dict[str, Any] | None:
    """The row (with its link ids), or None when it does not exist or belongs to another user."""
    extra, params = _where(table, owner_id)
    found = conn.execute(sql("SELECT * FROM {} WHERE {} = ?", table.name, "id") + extra, [row_id, *params]).fetchone()
    return _with_links(conn, table, [_decode(table, found)])[0] if found is not None else None


def find_by(conn: sqlite3.Connection, table: Table, column: str, value: Any) -> dict[str, Any] | None:
    """The first row whose ``column`` (a name from the table description) equals ``value``."""
    if column not in table.writable:
        raise ValueError(f"{table.name} has no column {column!r}")
    found = conn.execute(sql("SELECT * FROM {} WHERE {} = ?", table.name, column), [value]).fetchone()
    return _with_links(conn, table, [_decode(table, found)])[0] if found is not None else None


def get_or_404(conn: sqlite3.Connection, table: Table, row_id: int, owner_id: int | None = None) -> dict[str, Any]:
    row = get_row(conn, table, row_id, owner_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{table.entity} {row_id} not found")
    return row


def list_page(
    conn: sqlite3.Connection, table: Table, skip: int, limit: int, owner_id: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    extra, params = _where(table, owner_id)
    (count,) = conn.execute(sql("SELECT COUNT(*) FROM {} WHERE 1 = 1", table.name) + extra, params).fetchone()
    found = conn.execute(
        sql("SELECT * FROM {} WHERE 1 = 1", table.name) + extra + sql(" ORDER BY {} LIMIT ? OFFSET ?", "id"),
        [*params, limit, skip],
    ).fetchall()
    return _with_links(conn, table, [_decode(table, row) for row in found]), count


def insert(conn: sqlite3.Connection, table: Table, values: dict[str, Any], owner_id: int | None = None) -> int:
    """Insert a row from ``values`` (writable columns only) and return its id."""
    now = to_db("datetime", utcnow())
    data: dict[str, Any] = {"created_at": now, "updated_at": now}
    if table.owned:
        data[table.owner_key] = owner_id
    data |= {c.name: to_db(c.kind, values.get(c.name)) for c in table.columns}
    statement = sql("INSERT INTO {} ({}) VALUES ({marks})", table.name, tuple(data), marks=len(data))
    cursor = conn.execute(statement, list(data.values()))
    if cursor.lastrowid is None:
        raise RuntimeError(f"INSERT into {table.name} returned no id")
    return cursor.lastrowid


def update(conn: sqlite3.Connection, table: Table, row_id: int, changes: dict[str, Any]) -> None:
    """Set the given writable columns (and updated_at) of one row."""
    kinds = {c.name: c.kind for c in table.columns}
    data = {name: to_db(kinds[name], value) for name, value in changes.items() if name in kinds}
    data["updated_at"] = to_db("datetime", utcnow())
    statement = sql("UPDATE {} SET {sets} WHERE {} = ?", table.name, "id", sets=tuple(data))
    conn.execute(statement, [*data.values(), row_id])


def delete(conn: sqlite3.Connection, table: Table, row_id: int) -> None:
    conn.execute(sql("DELETE FROM {} WHERE {} = ?", table.name, "id"), [row_id])


def json_keys(model: type[BaseModel]) -> set[str]:
    """The JSON keys of a schema (aliases where a Python attribute differs: "class" for class_)."""
    return {field.alias or name for name, field in model.model_fields.items()}


def reference_error(key: str, message: str) -> HTTPException:
    return HTTPException(
        422,
        [{"type": "reference_not_found", "loc": ["body", key], "msg": message, "input": None}],
    )


def check_reference(
    conn: sqlite3.Connection, key: str, table: Table, row_id: int | None, owner_id: int | None = None
) -> None:
    """422 naming the key when ``row_id`` points at no row the caller may see."""
    if row_id is not None and not existing_ids(conn, table, [row_id], owner_id):
        raise reference_error(key, f"{table.entity} {row_id} does not exist")


def existing_ids(conn: sqlite3.Connection, table: Table, ids: Iterable[int], owner_id: int | None = None) -> set[int]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set()
    extra, params = _where(table, owner_id)
    statement = sql("SELECT {} FROM {} WHERE {} IN ({marks})", "id", table.name, "id", marks=len(wanted)) + extra
    cursor = conn.execute(statement, [*wanted, *params])
    return {row_id for (row_id,) in cursor}


def check_ids(
    conn: sqlite3.Connection, key: str, table: Table, ids: list[int], owner_id: int | None = None
) -> list[int]:
    """The ids without duplicates (for many-to-many lists), or 422 naming the missing ones."""
    wanted = list(dict.fromkeys(ids))
    missing = sorted(set(wanted) - existing_ids(conn, table, wanted, owner_id))
    if missing:
        raise reference_error(key, f"{table.entity} ids do not exist: {missing}")
    return wanted


def set_links(conn: sqlite3.Connection, link: Link, row_id: int, target_ids: list[int]) -> None:
    """Replace the row's links with ``target_ids`` (kept in the given order)."""
    conn.execute(sql("DELETE FROM {} WHERE {} = ?", link.table, link.source_column), [row_id])
    conn.executemany(
        sql("INSERT INTO {} ({}, {}) VALUES (?, ?)", link.table, link.source_column, link.target_column),
        [(row_id, target_id) for target_id in target_ids],
    )
