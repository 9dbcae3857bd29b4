"""Row look-ups shared by the routes: 404 for a missing row, 422 for a reference to one, list queries,
409 for a delete that required rows still block, and database constraint failures as answers."""

from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.base import Base
from app.schemas.base import FilterModel

M = TypeVar("M", bound=Base)


def _visible(model: type[Base], owner_id: int | None) -> Any:
    stmt = select(model)
    if owner_id is not None:
        stmt = stmt.where(getattr(model, model.OWNER_KEY) == owner_id)  # type: ignore[attr-defined]
    return stmt


def get_or_404(session: Session, model: type[M], row_id: int, owner_id: int | None = None) -> M:
    """The row, or 404 when it does not exist or belongs to another user."""
    row = session.scalars(_visible(model, owner_id).where(model.id == row_id)).first()  # type: ignore[attr-defined]
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__name__} {row_id} not found")
    return row


_OPERATORS = {
    "eq": lambda column, value: column == value,
    "gte": lambda column, value: column >= value,
    "gt": lambda column, value: column > value,
    "lte": lambda column, value: column <= value,
    "lt": lambda column, value: column < value,
    "in": lambda column, value: column.in_(value),
}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_page(
    session: Session, model: type[Base], query: FilterModel, owner_id: int | None = None
) -> tuple[Sequence[Any], int]:
    """The filtered, sorted page and the count of every row that matches (before skip/limit)."""
    stmt = _visible(model, owner_id)
    for name in sorted(query.model_fields_set & query.filters.keys()):
        value = getattr(query, name)
        if value is None:
            continue
        attr, op = query.filters[name]
        stmt = stmt.where(_OPERATORS[op](getattr(model, attr), value))
    q = getattr(query, "q", None)
    if q:
        matches: list[ColumnElement[bool]] = [getattr(model, a).ilike(_like(q), escape="\\") for a in query.searchable]
        stmt = stmt.where(or_(*matches))
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    key = getattr(query, "order_by", "id")
    column = getattr(model, query.orderable.get(key.lstrip("-"), "id"))
    order = column.desc() if key.startswith("-") else column.asc()
    rows = session.scalars(stmt.order_by(order, model.id).offset(query.skip).limit(query.limit)).all()  # type: ignore[attr-defined]
    return rows, count


def refuse_if_referenced(session: Session, row: Any, blockers: list[tuple[type[Base], str]]) -> None:
    """409 naming the required rows that still point at ``row`` (model, reference key) pairs."""
    found = []
    for model, key in blockers:
        n = session.scalar(select(func.count()).select_from(model).where(getattr(model, key) == row.id)) or 0
        if n:
            found.append(f"{n} {model.__name__} row(s) by {key}")
    if found:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{type(row).__name__} {row.id} is still referenced: {'; '.join(found)}; delete or re-point them first",
        )


def integrity_answer(exc: IntegrityError) -> tuple[int, Any]:
    """The status and detail for a constraint the database refused, naming what failed."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    code = getattr(orig, "sqlstate", None) or ""
    name = getattr(diag, "constraint_name", None) or ""
    text = str(orig)
    if code == "23505" or "UNIQUE constraint failed" in text:
        column = name.split("_", 2)[-1] if name else text.rsplit(".", 1)[-1].strip()
        if name and getattr(diag, "table_name", None):
            column = name.removeprefix(f"uq_{diag.table_name}_")
        return 409, f"a row with this {column} already exists ({column} must be unique)"
    if code == "23503" or "FOREIGN KEY constraint failed" in text:
        where = name or "a reference"
        return 422, [{"type": "reference_not_found", "loc": ["body"], "msg": f"{where}: the referenced row does not exist, or rows still point at this one"}]
    if code == "23514" or "CHECK constraint failed" in text:
        where = name or text.rsplit(":", 1)[-1].strip()
        return 422, [{"type": "check_failed", "loc": ["body"], "msg": f"the value breaks the constraint {where}"}]
    return 409, "conflicts with the database's constraints"


def reference_error(key: str, message: str) -> HTTPException:
    return HTTPException(
        422,
        [{"type": "reference_not_found", "loc": ["body", key], "msg": message, "input": None}],
    )


def check_reference(session: Session, key: str, model: type[Base], row_id: int | None, owner_id: int | None = None) -> None:
    """422 naming the key when ``row_id`` points at no row the caller may see."""
    if row_id is None:
        return
    found = session.scalars(_visible(model, owner_id).where(model.id == row_id)).first()  # type: ignore[attr-defined]
    if found is None:
        raise reference_error(key, f"{model.__name__} {row_id} does not exist")


def fetch_many(session: Session, key: str, model: type[M], ids: list[int], owner_id: int | None = None) -> list[M]:
    """The rows with these ids (for many-to-many lists), or 422 naming the missing ones."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = session.scalars(_visible(model, owner_id).where(model.id.in_(wanted))).all()  # type: ignore[attr-defined]
    missing = sorted(set(wanted) - {row.id for row in rows})  # type: ignore[attr-defined]
    if missing:
        raise reference_error(key, f"{model.__name__} ids do not exist: {missing}")
    by_id = {row.id: row for row in rows}  # type: ignore[attr-defined]
    return [by_id[i] for i in wanted]
