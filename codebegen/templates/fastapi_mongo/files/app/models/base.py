"""What every document shares (timestamps, UTC datetimes at MongoDB's precision), and references."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from beanie import Document
from pydantic import AfterValidator, ConfigDict, Field


def _utc_millis(value: datetime) -> datetime:
    # MongoDB keeps milliseconds and no zone: store aware UTC at that precision, so what the API
    # answers on a write is exactly what a later read returns.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    aware = aware.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000, tzinfo=UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_utc_millis)]


def utcnow() -> datetime:
    return _utc_millis(datetime.now(UTC))


class TimestampedDocument(Document):
    """id (an ObjectId), created_at and updated_at: server-managed, never accepted from a client."""

    # Assignments are validated too, so a value set in a route or a rule is stored normalised.
    # Stored under the JSON names (aliases, "class" for the attribute class_), built by attribute.
    model_config = ConfigDict(validate_assignment=True, populate_by_name=True, protected_namespaces=())

    created_at: UTCDateTime = Field(default_factory=utcnow)
    updated_at: UTCDateTime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class Reference:
    """``source.key`` holds ids of ``target`` documents; what deleting a target does to it."""

    source: type[TimestampedDocument]
    key: str
    target: type[TimestampedDocument]
    on_delete: Literal["cascade", "restrict", "unset", "pull"]
