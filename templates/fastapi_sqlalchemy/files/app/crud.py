"""Row look-ups shared by the routes: 404 for a missing row, 422 for a reference to one."""

from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.base import Base

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


def list_page(session: Session, model: type[Base], skip: int, limit: int, owner_id: int | None = None) -> tuple[Sequence[Any], int]:
    stmt = _visible(model, owner_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(model.id).offset(skip).limit(limit)).all()  # type: ignore[attr-defined]
    return rows, count


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
