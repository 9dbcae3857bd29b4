"""Document look-ups shared by the routes: 404 for a missing document, 422 for a reference to one,
list queries, and deletes that do what a relational ON DELETE would (409 while required documents
still point at one, unless the spec says cascade).

Ids travel as 24-hex-digit strings (the path refuses anything else with 422).
Ownership is a filter on ``owner_id``: another user's document is as absent as a missing one.
A list query is built from the schema's own keys only: what a user sends is always a value
(typed by pydantic, never a dict), so no user input can become a query operator.
"""

import re
from typing import Any, TypeVar

from beanie import PydanticObjectId
from bson.errors import InvalidId
from fastapi import HTTPException, status
from pymongo import ASCENDING, DESCENDING

from app.models import REFERENCES
from app.models.base import TimestampedDocument
from app.schemas.base import FilterModel

D = TypeVar("D", bound=TimestampedDocument)


def object_id(value: str) -> PydanticObjectId | None:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError):
        return None


def _visible(model: type[TimestampedDocument], owner_id: PydanticObjectId | None, **query: Any) -> dict[str, Any]:
    key = getattr(model, "OWNER_KEY", "owner_id")  # "created_by_id" where a reference takes owner_id
    return query | {key: owner_id} if owner_id is not None else query


async def get_or_404(model: type[D], row_id: str, owner_id: PydanticObjectId | None = None) -> D:
    """The document, or 404 when it does not exist or belongs to another user."""
    oid = object_id(row_id)
    found = await model.find_one(_visible(model, owner_id, _id=oid)) if oid is not None else None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__name__} {row_id} not found")
    return found


_OPERATORS = {"eq": "$eq", "oid": "$eq", "gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt", "in": "$in"}


def list_query(query: FilterModel) -> dict[str, Any]:
    """The MongoDB filter for a list's query string: keys and operators from the schema, values from the user."""
    conditions: list[dict[str, Any]] = []
    for name in sorted(query.model_fields_set & query.filters.keys()):
        value = getattr(query, name)
        if value is None:
            continue
        key, op = query.filters[name]
        if op == "oid":
            value = PydanticObjectId(value)
        conditions.append({key: {_OPERATORS[op]: value}})
    q = getattr(query, "q", None)
    if q:
        # re.escape: the text is matched literally, never as a regular expression.
        pattern = re.escape(q)
        conditions.append({"$or": [{key: {"$regex": pattern, "$options": "i"}} for key in query.searchable]})
    return {"$and": conditions} if conditions else {}


async def list_page(
    model: type[D], query: FilterModel, owner_id: PydanticObjectId | None = None
) -> tuple[list[D], int]:
    """The filtered, sorted page and the count of every document that matches (before skip/limit)."""
    where = _visible(model, owner_id) | list_query(query)
    count = await model.find(where).count()
    key = getattr(query, "order_by", "id")
    field = query.orderable.get(key.lstrip("-"), "_id")
    direction = DESCENDING if key.startswith("-") else ASCENDING
    order = [(field, direction)] + ([("_id", ASCENDING)] if field != "_id" else [])
    rows = await model.find(where).sort(order).skip(query.skip).limit(query.limit).to_list()
    return rows, count


def reference_error(key: str, message: str) -> HTTPException:
    return HTTPException(
        422,
        [{"type": "reference_not_found", "loc": ["body", key], "msg": message, "input": None}],
    )


async def check_reference(
    key: str, model: type[TimestampedDocument], row_id: str | None, owner_id: PydanticObjectId | None = None
) -> PydanticObjectId | None:
    """The id as an ObjectId, or 422 naming the key when it points at no document the caller may see."""
    if row_id is None:
        return None
    ids = await check_ids(key, model, [row_id], owner_id)
    return ids[0]


async def check_ids(
    key: str, model: type[TimestampedDocument], ids: list[str], owner_id: PydanticObjectId | None = None
) -> list[PydanticObjectId]:
    """The ids (without duplicates) as ObjectIds, or 422 naming the ones that do not exist."""
    wanted = [PydanticObjectId(i) for i in dict.fromkeys(ids)]
    if not wanted:
        return []
    found = {doc.id for doc in await model.find(_visible(model, owner_id, _id={"$in": wanted})).to_list()}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise reference_error(key, f"{model.__name__} ids do not exist: {missing}")
    return wanted


async def _cascade(model: type[TimestampedDocument], ids: list[PydanticObjectId], plan: dict[type, set]) -> None:
    """Every document a delete of ``ids`` takes with it (cascading references), into ``plan``."""
    new = [i for i in ids if i not in plan.setdefault(model, set())]
    if not new:
        return
    plan[model].update(new)
    for ref in REFERENCES:
        if ref.target is model and ref.on_delete == "cascade":
            children = [doc.id for doc in await ref.source.find({ref.key: {"$in": new}}).to_list() if doc.id is not None]
            await _cascade(ref.source, children, plan)


async def delete_with_references(model: type[TimestampedDocument], ids: list[PydanticObjectId]) -> None:
    """Delete documents and do what ON DELETE would: refuse (409) while required documents point at
    them, else cascade, clear or pull the references to them. Nothing is changed when refused."""
    if not ids:
        return
    plan: dict[type, set] = {}
    await _cascade(model, ids, plan)
    blocked = []
    for ref in REFERENCES:
        if ref.on_delete != "restrict" or ref.target not in plan:
            continue
        pointing = {ref.key: {"$in": list(plan[ref.target])}}
        going = list(plan.get(ref.source, ()))
        if going:
            pointing["_id"] = {"$nin": going}
        n = await ref.source.find(pointing).count()
        if n:
            blocked.append(f"{n} {ref.source.__name__} document(s) by {ref.key}")
    if blocked:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{model.__name__} {', '.join(str(i) for i in ids)} is still referenced: {'; '.join(blocked)}; delete or re-point them first",
        )
    for target, gone in plan.items():
        for ref in REFERENCES:
            if ref.target is not target or ref.on_delete in ("cascade", "restrict"):
                continue
            pointing = {ref.key: {"$in": list(gone)}}
            if ref.on_delete == "unset":
                await ref.source.find(pointing).update({"$unset": {ref.key: ""}})
            else:
                await ref.source.find(pointing).update({"$pull": {ref.key: {"$in": list(gone)}}})
    for target, gone in plan.items():
        await target.find({"_id": {"$in": list(gone)}}).delete()
