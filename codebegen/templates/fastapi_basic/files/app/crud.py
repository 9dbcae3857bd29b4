"""Parameterised queries over the table descriptions: 404 for a missing row, 422 for a reference to one,
list queries (filters, search, sort), 409 for a delete that required rows still block, and database
constraint failures as answers.

Every statement is built from names in ``app.db.tables`` (rendered from the spec) and takes its
values as ``?`` parameters; a list query's filter, search and sort names come from the schema's
``FilterModel`` class (also rendered from the spec) and must be columns of the table. Rows come
back as dicts the Public schemas validate.
"""

import sqlite3
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel

from app.db.table import Column, Link, Table, from_db, q, sql, to_db, utcnow
from app.schemas.base import FilterModel


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


_OPERATORS = {"eq": "=", "gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def _bound(column: Column, value: Any) -> Any:
    """A filter value as the column's SQL expression compares it (decimals as numbers)."""
    return float(value) if column.kind == "decimal" else to_db(column.kind, value)


def _filters(table: Table, query: FilterModel) -> tuple[str, list[Any]]:
    """`` AND ...`` conditions (and their ``?`` values) for the query's filters and ``q``."""
    clauses: list[str] = []
    params: list[Any] = []
    for name in sorted(query.model_fields_set & query.filters.keys()):
        value = getattr(query, name)
        if value is None:
            continue
        column_name, op = query.filters[name]
        column = table.column(column_name)  # the whitelist: a name outside the table is refused
        if op == "in":
            clauses.append(f"{column.expression()} IN ({', '.join(['?'] * len(value))})")
            params += [_bound(column, item) for item in value]
        else:
            clauses.append(f"{column.expression()} {_OPERATORS[op]} ?")
            params.append(_bound(column, value))
    text = getattr(query, "q", None)
    if text and query.searchable:
        # casefold() (registered on every connection): case-insensitive for every script, not only ASCII
        matches = [f"instr(casefold({q(table.column(name).name)}), ?) > 0" for name in query.searchable]
        clauses.append(f"({' OR '.join(matches)})")
        params += [text.casefold()] * len(matches)
    return "".join(f" AND {clause}" for clause in clauses), params


def list_page(
    conn: sqlite3.Connection, table: Table, query: FilterModel, owner_id: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The filtered, sorted page and the count of every row that matches (before skip/limit)."""
    extra, params = _where(table, owner_id)
    conditions, values = _filters(table, query)
    extra, params = extra + conditions, params + values
    (count,) = conn.execute(sql("SELECT COUNT(*) FROM {} WHERE 1 = 1", table.name) + extra, params).fetchone()
    key = getattr(query, "order_by", "id")
    column = table.column(query.orderable.get(key.lstrip("-"), "id"))
    direction = "DESC" if key.startswith("-") else "ASC"
    order = f" ORDER BY {column.expression()} {direction}, {q('id')} ASC LIMIT ? OFFSET ?"  # ties by id
    found = conn.execute(
        sql("SELECT * FROM {} WHERE 1 = 1", table.name) + extra + order, [*params, query.limit, query.skip]
    ).fetchall()
    return _with_links(conn, table, [_decode(table, row) for row in found]), count


def refuse_if_referenced(conn: sqlite3.Connection, table: Table, row_id: int, blockers: list[tuple[Table, str]]) -> None:
    """409 naming the required rows that still point at the row: (table, reference column) pairs."""
    found = []
    for source, key in blockers:
        column = source.column(key)
        (n,) = conn.execute(sql("SELECT COUNT(*) FROM {} WHERE {} = ?", source.name, column.name), [row_id]).fetchone()
        if n:
            found.append(f"{n} {source.entity} row(s) by {key}")
    if found:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{table.entity} {row_id} is still referenced: {'; '.join(found)}; delete or re-point them first",
        )


def integrity_answer(exc: sqlite3.IntegrityError) -> tuple[int, Any]:
    """The status and detail for a constraint SQLite refused, naming what failed."""
    text = str(exc)
    if "UNIQUE constraint failed" in text:
        column = text.rsplit(":", 1)[-1].strip().split(",")[0].rsplit(".", 1)[-1]
        return 409, f"a row with this {column} already exists ({column} must be unique)"
    if "FOREIGN KEY constraint failed" in text:
        return 422, [{"type": "reference_not_found", "loc": ["body"], "msg": "a reference: the referenced row does not exist, or rows still point at this one"}]
    if "CHECK constraint failed" in text:
        where = text.rsplit(":", 1)[-1].strip()
        return 422, [{"type": "check_failed", "loc": ["body"], "msg": f"the value breaks the constraint {where}"}]
    if "NOT NULL constraint failed" in text:
        column = text.rsplit(".", 1)[-1].strip()
        return 422, [{"type": "missing", "loc": ["body", column], "msg": f"{column} may not be null"}]
    return 409, "conflicts with the database's constraints"


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
