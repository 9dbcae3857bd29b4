"""Field types and base classes shared by every schema: strict input, pages, null refusal."""

from decimal import Decimal
from typing import Annotated, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
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
    return str(_http_url.validate_python(value))


# Strict where JSON has the type: "7" is not an int and "yes" is not a bool.
NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=255)]
StrictInt32 = Annotated[int, Field(strict=True, ge=-(2**31), le=2**31 - 1)]
StrictFiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
# A document id: 24 hexadecimal digits (a MongoDB ObjectId), always a string in JSON.
ObjectIdStr = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-fA-F]{24}$")]
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


class PublicModel(BaseModel):
    # Read from rows by attribute (class_), written out under the JSON name ("class").
    model_config = ConfigDict(from_attributes=True, populate_by_name=True, protected_namespaces=())


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows and the total count of rows the caller may see."""

    data: list[T]
    count: int


