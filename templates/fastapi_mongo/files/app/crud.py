"""Document look-ups shared by the routes: 404 for a missing document, 422 for a reference to one.

Ids travel as 24-hex-digit strings; a string that is not an ObjectId names no document (404).
Ownership is a filter on ``owner_id``: another user's document is as absent as a missing one.
"""

from typing import Any, TypeVar

from beanie import PydanticObjectId
from bson.errors import InvalidId
from fastapi import HTTPException, status

from app.models import REFERENCES
from app.models.base import TimestampedDocument

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


async def list_page(
    model: type[D], skip: int, limit: int, owner_id: PydanticObjectId | None = None
) -> tuple[list[D], int]:
    query = _visible(model, owner_id)
    count = await model.find(query).count()
    rows = await model.find(query).sort("_id").skip(skip).limit(limit).to_list()
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


async def delete_with_references(model: type[TimestampedDocument], ids: list[PydanticObjectId]) -> None:
    """Delete documents and do what ON DELETE would: cascade, clear or pull the references to them."""
    if not ids:
        return
    for ref in REFERENCES:
        if ref.target is not model:
            continue
        pointing = {ref.key: {"$in": ids}}
        if ref.on_delete == "cascade":
            children = [doc.id for doc in await ref.source.find(pointing).to_list() if doc.id is not None]
            await delete_with_references(ref.source, children)
        elif ref.on_delete == "unset":
            await ref.source.find(pointing).update({"$unset": {ref.key: ""}})
        else:
            await ref.source.find(pointing).update({"$pull": {ref.key: {"$in": ids}}})
    await model.find({"_id": {"$in": ids}}).delete()
