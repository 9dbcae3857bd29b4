"""The ProjectSpec: codebegen's intermediate representation (docs/spec.md).

Owns the pydantic models, their JSON schema and every rule a spec must obey before a template
sees it. ``load_spec`` / ``parse_spec`` turn outside input into a ``ProjectSpec`` or raise
``SpecError`` whose ``problems`` name each violation precisely, with a fix ("entity 'Book',
field 'Unit Price': ... write it as 'unit_price'"). Any identifier is a valid name, reserved
words included: templates keep it outside and give the code a safe name (``codebegen.names``). It does not clean up sloppy model output; the parse stage
does that before calling in here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from codebegen import names
from codebegen.errors import SpecError

FieldType = Literal[
    "str", "text", "int", "float", "decimal", "bool", "date", "datetime",
    "email", "url", "uuid", "enum", "json",
]  # fmt: skip
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
RelationshipKind = Literal["many_to_one", "one_to_one", "many_to_many", "one_to_many"]

IMPLICIT_FIELDS = frozenset({"id", "created_at", "updated_at", "owner_id"})
# What the login user (auth: true) has built in; a spec entity named User adds fields to it.
USER_BUILTIN_FIELDS = frozenset({"email", "password", "hashed_password", "is_active", "is_superuser"})
MAX_NAME = 48  # leaves room for suffixes under PostgreSQL's 63-byte identifier limit

# PostgreSQL's reserved key words (SQL:2016 reserved ones it enforces), plus a few SQLite adds.
# Not refused: generated code quotes them. The name tests use them as entity and field names.
SQL_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural not notnull null offset on only or order outer
    overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using
    variadic verbose when where window with autoincrement index transaction vacuum""".split()
)
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_PASCAL = re.compile(r"^[A-Z][a-zA-Z0-9]*$")

_Strict = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


def _suggest_snake(name: str) -> str:
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    out = "_".join(w.lower() for w in words) or "name"
    return out if out[0].isalpha() else "n_" + out


def _suggest_pascal(name: str) -> str:
    return names.pascal(_suggest_snake(name)) if not name[:1].isdigit() else "N" + names.pascal(_suggest_snake(name))


def _check_snake(kind: str, name: str) -> list[str]:
    """Only what is not a snake_case identifier at all is refused; reserved words are fine
    (generated code gives them a code-side name, ``codebegen.names``)."""
    if not _SNAKE.match(name):
        return [f"{kind} {name!r} is not a snake_case identifier (lower-case letters, digits, _); "
                f"write it as {_suggest_snake(name)[:MAX_NAME]!r}"]  # fmt: skip
    if len(name) > MAX_NAME:
        return [f"{kind} {name!r} is longer than {MAX_NAME} characters; shorten it to {name[:MAX_NAME].rstrip('_')!r}"]
    return []


class FieldSpec(BaseModel):
    """One column / JSON key of an entity."""

    model_config = _Strict

    name: str = Field(description="snake_case field name, e.g. 'unit_price'")
    type: FieldType = Field(description="one of: " + ", ".join(FIELD_TYPES))
    required: bool = Field(True, description="whether a value must be given on create")
    unique: bool = Field(False, description="whether two rows may not share a value")
    values: list[str] | None = Field(None, description="the allowed values of an enum field")
    description: str = Field("", max_length=500, description="what the field holds")
    min: float | None = Field(None, description="smallest allowed value of an int, float or decimal field")
    max: float | None = Field(None, description="largest allowed value of an int, float or decimal field")
    max_length: int | None = Field(None, ge=1, description="most characters a str or text field may hold")
    pattern: str | None = Field(None, max_length=200, description="a regular expression a str field must match")


NUMERIC_TYPES = frozenset({"int", "float", "decimal"})
STR_MAX = 255  # a str column is VARCHAR(255)
TEXT_MAX = 1_000_000


def _bound_problems(where: str, f: FieldSpec) -> list[str]:
    """min/max on numbers, max_length/pattern on strings, each consistent."""
    p: list[str] = []
    if (f.min is not None or f.max is not None) and f.type not in NUMERIC_TYPES:
        p.append(f"{where}: min/max only apply to int, float and decimal fields (type is {f.type!r}); remove them")
    if f.min is not None and f.max is not None and f.min > f.max:
        p.append(f"{where}: min {f.min:g} is larger than max {f.max:g}; swap them")
    if f.type == "int":
        for key, bound in (("min", f.min), ("max", f.max)):
            if bound is not None and (bound != int(bound) or abs(bound) > 2**31 - 1):
                p.append(f"{where}: {key} {bound:g} is not a 32-bit integer; use a whole number within ±2147483647")
    if f.max_length is not None:
        if f.type not in ("str", "text"):
            p.append(f"{where}: max_length only applies to str and text fields (type is {f.type!r}); remove it")
        elif f.max_length > (STR_MAX if f.type == "str" else TEXT_MAX):
            limit = STR_MAX if f.type == "str" else TEXT_MAX
            p.append(f"{where}: max_length {f.max_length} is above the {f.type} limit {limit}; "
                     f"{'make it a text field' if f.type == 'str' else 'lower it'}")  # fmt: skip
    if f.pattern is not None:
        if f.type not in ("str", "text"):
            p.append(f"{where}: pattern only applies to str and text fields (type is {f.type!r}); remove it")
        try:
            re.compile(f.pattern)
        except re.error as exc:
            p.append(f"{where}: pattern {f.pattern!r} is not a regular expression ({exc}); fix or remove it")
    return p


class EntitySpec(BaseModel):
    """A resource: a table and its CRUD endpoints. id/created_at/updated_at are implicit."""

    model_config = _Strict

    name: str = Field(description="PascalCase singular entity name, e.g. 'FuelPurchase'")
    owned: bool = Field(False, description="rows belong to the user who created them (needs auth)")
    writable_by: Literal["admin", "any_user"] = Field(
        "admin",
        description="with auth, who may create, change and delete rows of a shared (not owned) entity: "
        "'admin' (the default) or 'any_user' (any signed-in user); reads are open to every signed-in user",
    )
    fields: list[FieldSpec] = Field(default_factory=list, description="the entity's own fields")
    description: str = Field("", max_length=500, description="what the entity is")

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


class RelationshipSpec(BaseModel):
    """A link between two entities. ``many_to_one``: each source row points at one target row."""

    model_config = _Strict

    source: str = Field(description="entity that holds the reference")
    target: str = Field(description="entity that is referenced")
    kind: RelationshipKind = Field(description="many_to_one, one_to_one or many_to_many")
    required: bool = Field(False, description="whether a source row must reference a target")
    cascade: bool = Field(
        False,
        description="deleting a target row deletes the source rows pointing at it; otherwise (the "
        "default) the delete is refused with 409 while required rows still point at it",
    )
    name: str | None = Field(
        None,
        description="optional snake_case role name for the reference; default the target's "
        "snake_case name (the key becomes '<name>_id' or '<name>_ids')",
    )

    @model_validator(mode="after")
    def _turn_one_to_many_around(self) -> RelationshipSpec:
        # one_to_many is accepted on input and stored as many_to_one (docs/spec.md).
        if self.kind == "one_to_many":
            self.source, self.target, self.kind = self.target, self.source, "many_to_one"
        return self

    @property
    def role(self) -> str:
        return self.name or names.snake(self.target)

    @property
    def key(self) -> str:
        """The JSON key and column this relationship adds to the source."""
        return f"{self.role}_ids" if self.kind == "many_to_many" else f"{self.role}_id"


class RuleSpec(BaseModel):
    """A business rule the prompt states that CRUD cannot express (written by the generator role)."""

    model_config = _Strict

    entity: str = Field(description="the entity whose rows the rule checks or computes")
    description: str = Field(min_length=3, max_length=500, description="the rule in plain words")


class ProjectSpec(BaseModel):
    """A whole backend: entities, relationships, auth. The input of every template."""

    model_config = _Strict

    name: str = Field(description="snake_case project name, e.g. 'library'")
    description: str = Field("", max_length=2000, description="one-line summary of the backend")
    auth: bool = Field(
        False,
        description="JWT login; adds the implicit User entity (an entity named User extends it with its fields)",
    )
    entities: Annotated[list[EntitySpec], Field(min_length=1)] = Field(description="the resources, at least one")
    relationships: list[RelationshipSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list, description="business rules beyond CRUD")

    def entity(self, name: str) -> EntitySpec | None:
        return next((e for e in self.entities if e.name == name), None)

    @model_validator(mode="after")
    def _check(self) -> ProjectSpec:
        problems = spec_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self


def spec_problems(spec: ProjectSpec) -> list[str]:
    """Every rule that spans more than one field, as readable lines (empty when valid)."""
    p: list[str] = []
    p += _check_snake("project name", spec.name)
    seen_entities: dict[str, str] = {}
    seen_tables: dict[str, str] = {"users": "User"} if spec.auth else {}
    for e in spec.entities:
        where = f"entity {e.name!r}"
        if not _PASCAL.match(e.name):
            p.append(f"{where}: name is not PascalCase; write it as {_suggest_pascal(e.name)[:MAX_NAME]!r}")
            continue
        if len(e.name) > MAX_NAME:
            p.append(f"{where}: name is longer than {MAX_NAME} characters; shorten it")
        # Any identifier works: the templates keep the name outside (URL, table) and give the
        # code a safe module and class name (codebegen.names.module_name / class_name).
        snake_name = names.snake(e.name)
        if snake_name in seen_entities:
            p.append(f"{where}: duplicate of entity {seen_entities[snake_name]!r}")
        table = names.table_name(e.name)
        if table in seen_tables and seen_tables[table] != e.name and not (spec.auth and e.name == "User"):
            p.append(f"{where}: its table and URL {table!r} are also {seen_tables[table]!r}'s; rename one of them")
        seen_tables.setdefault(table, e.name)
        seen_entities[snake_name] = e.name
        if spec.auth and e.name == "User":  # the login user, extended by these fields
            if e.owned:
                p.append(f"{where}: the login user cannot be owned; set owned to false")
            for f in e.fields:
                if f.name in USER_BUILTIN_FIELDS:
                    p.append(f"{where}, field {f.name!r}: the login user has it built in; remove it")
            if any(r.source == "User" for r in spec.relationships):
                p.append(f"{where}: the login user holds no references; point the relationship from the "
                         "other entity to User instead")  # fmt: skip
        elif spec.auth and table == "users":
            p.append(f"{where}: its table 'users' is the login user's; name the entity 'User' to extend it")
        if e.owned and not spec.auth:
            p.append(f"{where}: owned is true but auth is false; turn auth on or owned off")
        seen_fields: set[str] = set()
        for f in e.fields:
            fwhere = f"{where}, field {f.name!r}"
            bad = _check_snake("name", f.name)
            if bad:
                p += [f"{fwhere}: {b}" for b in bad]
            elif f.name in IMPLICIT_FIELDS:
                p.append(f"{fwhere}: {f.name!r} is added to every entity; do not list it")
            if f.name in seen_fields:
                p.append(f"{fwhere}: duplicate field")
            seen_fields.add(f.name)
            if f.type == "enum":
                p += _enum_problems(fwhere, f.values)
            elif f.values is not None:
                p.append(f"{fwhere}: values are only allowed on enum fields (type is {f.type!r})")
            p += _bound_problems(fwhere, f)
            if f.unique and f.type in ("json", "text", "bool"):
                p.append(f"{fwhere}: a {f.type} field cannot be unique")
    p += _relationship_problems(spec, seen_entities)
    for rule in spec.rules:
        if rule.entity not in seen_entities.values():
            p.append(f"rule {rule.description[:40]!r}: unknown entity {rule.entity!r}")
    return p


def _enum_problems(where: str, values: list[str] | None) -> list[str]:
    if not values:
        return [f"{where}: an enum field needs a non-empty 'values' list"]
    p = []
    members: dict[str, str] = {}
    for v in values:
        if not v or len(v) > 64 or not v.isprintable():
            p.append(f"{where}: enum value {v!r} must be 1-64 printable characters")
            continue
        m = names.enum_member(v)
        if m in members:
            p.append(f"{where}: enum values {members[m]!r} and {v!r} are duplicates")
        members[m] = v
    return p


def _relationship_problems(spec: ProjectSpec, known: dict[str, str]) -> list[str]:
    p: list[str] = []
    entity_names = set(known.values())
    keys: dict[tuple[str, str], str] = {}
    links: set[frozenset[str] | tuple[str, str]] = set()
    for r in spec.relationships:
        where = f"relationship {r.source} -> {r.target} ({r.kind})"
        missing = [n for n in (r.source, r.target) if n not in entity_names]
        if missing:
            p.append(f"{where}: unknown entity {missing[0]!r}; known: {', '.join(sorted(entity_names))}")
            continue
        if r.name is not None:
            p += [f"{where}: {b}" for b in _check_snake("name", r.name)]
        key = (r.source, r.key)
        if key in keys:
            p.append(f"{where}: duplicate of {keys[key]} (both add {r.key!r}); give one a 'name'")
        keys[key] = where
        source = spec.entity(r.source)
        if source and source.field(r.key):
            p.append(f"{where}: adds {r.key!r}, which is already a field of {r.source}")
        if r.kind == "many_to_many":
            pair = frozenset((r.source, r.target, r.role))
            if pair in links:
                p.append(f"{where}: the same many_to_many link is declared twice")
            links.add(pair)
        if r.source == r.target and r.required and r.kind != "many_to_many":
            p.append(f"{where}: a required reference to the same entity can never be satisfied "
                     "by the first row; make it optional")  # fmt: skip
    p += _cycle_problems(spec)
    return p


def _cycle_problems(spec: ProjectSpec) -> list[str]:
    """Foreign keys between different tables must not form a cycle (tables are created in order)."""
    edges: dict[str, set[str]] = {e.name: set() for e in spec.entities}
    for r in spec.relationships:
        if r.kind != "many_to_many" and r.source != r.target and r.source in edges:
            edges[r.source].add(r.target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in edges:
        if n not in state and (cycle := visit(n)):
            return [f"relationships form a cycle {' -> '.join(cycle)}; turn one of them into "
                    "many_to_many or drop it"]  # fmt: skip
    return []


def parse_spec(data: Any) -> ProjectSpec:
    """Validate a decoded JSON object into a ProjectSpec, or raise SpecError naming each problem."""
    if not isinstance(data, dict):
        raise SpecError([f"a spec must be a JSON object, not {type(data).__name__}"])
    try:
        return ProjectSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_readable(exc, data)) from None


def load_spec(path: str | Path) -> ProjectSpec:
    """Read and validate a ProjectSpec JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError([f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    return parse_spec(data)


def spec_json_schema() -> dict[str, Any]:
    """The JSON schema of a ProjectSpec (used for constrained decoding and docs)."""
    return ProjectSpec.model_json_schema()


def _readable(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for err in exc.errors():
        loc = err["loc"]
        if err["type"] == "value_error" and not loc:
            out += str(err["ctx"]["error"]).split("\n")
            continue
        out.append(f"{_where(loc, data)}: {_message(err)}")
    return out


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """('entities', 0, 'fields', 2, 'type') -> "entity 'Book', field 'genre', key 'type'"."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in ("entities", "fields", "relationships") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            try:
                node = node[key][idx]
                label = node.get("name") if isinstance(node, dict) else None
            except (KeyError, IndexError, TypeError):
                label = None
            kind = {"entities": "entity", "fields": "field", "relationships": "relationship"}[key]
            if key == "relationships" and isinstance(node, dict):
                label = f"{node.get('source')} -> {node.get('target')}"
            parts.append(f"{kind} {label!r}" if label else f"{kind} #{idx + 1}")
            i += 2
        else:
            parts.append(f"key {key!r}")
            i += 1
    return ", ".join(parts) or "spec"


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"{err.get('input')!r} is not allowed; expected {err['ctx']['expected']}"
    return err["msg"]
