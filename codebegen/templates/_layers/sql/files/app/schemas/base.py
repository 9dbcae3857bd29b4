"""Field types and base classes shared by every schema: strict input, pages, null refusal, list queries."""

import re
from datetime import UTC
from datetime import date as Date
from datetime import datetime as DateTime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)

_http_url = TypeAdapter(HttpUrl)


def _check_http_url(value: str) -> str:
    url = str(_http_url.validate_python(value))
    if len(url) > 2048:  # normalising (percent-encoding) can lengthen it past the column
        raise ValueError("the URL is longer than 2048 characters once normalised")
    return url


def _to_utc(value: DateTime) -> DateTime:
    # Stored as UTC: an offset that carries the moment past year 1..9999 is out of range, not a 500.
    try:
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise ValueError("datetime is out of range once converted to UTC") from None


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_string(value: Any) -> Any:
    # JSON has no date type: a date is an ISO 8601 string, never a number (0 is not 1970-01-01).
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):  # bool is an int too
        raise ValueError("a date or datetime is an ISO 8601 string, e.g. 2024-05-17 or 2024-05-17T10:30:00Z")
    return value


INT32_MAX = 2**31 - 1  # PostgreSQL's integer; ids, paging and int fields stay within it
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL character
TEXT_MAX_LENGTH = 10_000  # the default longest text value; a field's max_length in the spec overrides it

# Strict where JSON has the type: "7" is not an int, "yes" is not a bool, 0 is not a date.
NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]
TextStr = Annotated[str, StringConstraints(max_length=TEXT_MAX_LENGTH, pattern=NO_NUL)]
StrictInt32 = Annotated[int, Field(strict=True, ge=-(2**31), le=INT32_MAX)]
StrictFiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
StrictDate = Annotated[Date, BeforeValidator(_iso_string)]
StrictDateTime = Annotated[DateTime, BeforeValidator(_iso_string), AfterValidator(_to_utc)]
RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]
# Query-string forms (a query string has no types: "7" is how an int arrives).
SearchStr = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]
QueryInt = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
QueryFloat = Annotated[float, Field(allow_inf_nan=False)]
QueryDate = Annotated[Date, BeforeValidator(_iso_string)]
QueryDateTime = Annotated[DateTime, BeforeValidator(_iso_string), AfterValidator(_to_utc)]
HttpUrlStr = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_check_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": 2048}),
]


class InputModel(BaseModel):
    """A request body: unknown keys (and so the server-managed ones) are refused with 422."""

    # Keys are the JSON names (aliases where a field's Python attribute differs: "class" -> class_).
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class UpdateModel(InputModel):
    """A PATCH body: every key optional, but a column that may not be NULL cannot be set to null."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set & self.not_nullable if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"may not be null: {', '.join(nulls)}")
        return self


class Problem(BaseModel):
    """An error answer: a message, or (422) a list of {loc, msg, type}."""

    detail: Any


class FilterModel(BaseModel):
    """The query string of a list: filters, q, order_by, skip, limit. Unknown keys: 422 naming the valid ones.

    ``filters`` maps each filter parameter (its attribute) to (model attribute, operator);
    ``searchable`` are the model attributes ``q`` looks in (case-insensitive substring).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=False, protected_namespaces=())

    filters: ClassVar[dict[str, tuple[str, str]]] = {}
    searchable: ClassVar[tuple[str, ...]] = ()
    orderable: ClassVar[dict[str, str]] = {}

    skip: int = Field(0, ge=0, le=INT32_MAX, description="rows to skip (after filtering and sorting)")
    limit: int = Field(100, ge=1, le=1000, description="most rows to return")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = {f.alias or name for name, f in cls.model_fields.items()}
            unknown = sorted(k for k in data if k not in valid)
            if unknown:
                raise ValueError(f"unknown query parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
        return data


ERRORS: dict[int, str] = {
    400: "The request body is not valid JSON",
    401: "Not signed in, or the token is invalid or expired",
    403: "Signed in, but not allowed to do this",
    404: "No such row (or it belongs to another user)",
    409: "Conflicts with existing rows: a unique value is taken, or rows still point at this one",
    422: "The input is not valid; detail names each problem",
    503: "Not ready: the database does not answer",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes (every code a route can answer is declared)."""
    return {code: {"model": Problem, "description": ERRORS[code]} for code in codes}


class PublicModel(BaseModel):
    # Read from rows by attribute (class_), written out under the JSON name ("class").
    model_config = ConfigDict(from_attributes=True, populate_by_name=True, protected_namespaces=())


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows and the total count of rows the caller may see."""

    data: list[T]
    count: int


