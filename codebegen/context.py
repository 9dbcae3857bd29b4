"""The render context: a ProjectSpec seen the way templates need it.

Owns the stack-neutral facts every template uses: derived names (class, module, table, URL),
entities in dependency order, outgoing references and many-to-many links, and sample values
(valid and invalid, as Python literals) for generated tests and docs. Type mappings to
SQLAlchemy, Beanie or SQL column types are the templates' business (Jinja macros), so a new
template needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codebegen import names
from codebegen.spec import EntitySpec, FieldSpec, ProjectSpec, RelationshipSpec

# A valid and an invalid JSON value per field type, for generated tests and examples.
_SAMPLES: dict[str, tuple[Any, Any]] = {
    "str": ("sample", 12345),
    "text": ("A longer sample text.", ["not", "text"]),
    "int": (7, "not-a-number"),
    "float": (1.5, "not-a-number"),
    "decimal": ("12.50", "not-a-number"),
    "bool": (True, "not-a-bool"),
    "date": ("2024-05-17", "not-a-date"),
    "datetime": ("2024-05-17T10:30:00Z", "not-a-datetime"),
    "email": ("someone@example.com", "not-an-email"),
    "url": ("https://example.com/page", "not a url"),
    "uuid": ("8c5f8d3e-2f0c-4b7a-9a57-0d4c2f5f6b1e", "not-a-uuid"),
    "enum": (None, "__not_one_of_the_values__"),
    "json": ({"key": "value"}, None),
}


@dataclass(frozen=True)
class RuleCode:
    """A business rule the generator role wrote: its text, its function body, what it computes."""

    description: str
    body: str  # indented four spaces, ready to paste under a def line
    computed: tuple[str, ...] = ()  # fields of the row the body assigns


@dataclass(frozen=True)
class FieldView:
    name: str  # the spec's name: JSON key and column name ("class")
    attr: str  # the Python attribute ("class_"); equal to name unless that would collide
    type: str
    required: bool
    unique: bool
    description: str
    values: tuple[str, ...]
    enum_class: str  # "BookStatus" for enum fields, else ""
    enum_members: tuple[tuple[str, str], ...]  # (identifier, value)
    sample: Any  # a valid JSON value
    invalid: Any  # an invalid JSON value, or None when every JSON value is valid
    min: float | None = None  # bounds the spec states (numbers)
    max: float | None = None
    max_length: int | None = None  # str/text: the spec's, else 255 for str, TEXT_MAX_LENGTH for text
    pattern: str | None = None

    @property
    def bounds(self) -> dict[str, Any]:
        """pydantic Field keyword arguments for the spec's bounds: {"ge": 1}, {"max_length": 80}."""
        out: dict[str, Any] = {}
        cast = int if self.type == "int" else float
        if self.min is not None:
            out["ge"] = cast(self.min)
        if self.max is not None:
            out["le"] = cast(self.max)
        if self.type in ("str", "text") and self.max_length is not None:
            out["max_length"] = self.max_length
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out

    @property
    def checks(self) -> list[tuple[str, str]]:
        """Database CHECK constraints as (name suffix, SQL): enum values and numeric bounds.
        The column is always double-quoted (valid on SQLite and PostgreSQL)."""
        col = '"' + self.name + '"'
        out: list[tuple[str, str]] = []
        if self.type == "enum" and self.values:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
            out.append((f"{self.name}_enum", f"{col} IN ({listed})"))
        cast = int if self.type == "int" else float
        if self.min is not None:
            out.append((f"{self.name}_min", f"{col} >= {cast(self.min)!r}"))
        if self.max is not None:
            out.append((f"{self.name}_max", f"{col} <= {cast(self.max)!r}"))
        return out

    @property
    def quoted(self) -> bool:
        """Whether the column name must always be quoted in SQL: a key word of SQL or of SQLite
        that a dialect might not quote by itself (SQLAlchemy's SQLite dialect leaves "returning")."""
        return self.name in names.SQL_KEYWORDS

    @property
    def aliased(self) -> bool:
        """Whether the attribute differs from the JSON key / column (a pydantic alias is needed)."""
        return self.attr != self.name

    @property
    def sample_literal(self) -> str:
        return _json_py_literal(self.sample)

    @property
    def invalid_literal(self) -> str:
        return _json_py_literal(self.invalid)


@dataclass(frozen=True)
class RefView:
    """A many_to_one / one_to_one reference held by the source entity."""

    key: str  # "author_id"
    role: str  # "author"
    target: str  # the target's class name, "Author" (a key of the context's ``entity``)
    required: bool
    one_to_one: bool
    cascade: bool = False  # deleting the target deletes these rows (else 409 while they exist)


@dataclass(frozen=True)
class LinkView:
    """A many_to_many link held by the source entity (``tag_ids``)."""

    key: str  # "tag_ids"
    role: str  # "tag"
    attr: str  # "tags": the ORM/document attribute holding the related rows
    target: str
    table: str  # association table, "post_tag_links"
    source_column: str
    target_column: str


@dataclass
class EntityView:
    name: str  # the Python class, "FuelPurchase" ("Query_" where the spec name would collide)
    spec_name: str  # the spec's name, "FuelPurchase" / "Query": schema names, messages, docs
    module: str  # "fuel_purchase" ("table_" where the spec name would collide)
    table: str  # "fuel_purchases"
    plural: str  # "fuel_purchases" (variable names)
    url: str  # "fuel-purchases"
    title: str  # "Fuel purchase"
    title_plural: str  # "Fuel purchases"
    owned: bool
    description: str
    fields: list[FieldView]
    writable_by: str = "admin"  # with auth: who writes a shared entity ("admin" or "any_user")
    owner_key: str = "owner_id"  # the ownership column; "created_by_id" where a reference is owner_id
    refs: list[RefView] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    referenced_by: list[str] = field(default_factory=list)  # entity names that point here
    # (source class name, the source's RefView) for each many_to_one/one_to_one pointing here
    incoming: list[tuple[str, RefView]] = field(default_factory=list)

    @property
    def enum_fields(self) -> list[FieldView]:
        return [f for f in self.fields if f.type == "enum"]

    @property
    def field_types(self) -> set[str]:
        return {f.type for f in self.fields}

    @property
    def unique_fields(self) -> list[FieldView]:
        return [f for f in self.fields if f.unique]


def _json_py_literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{names.py_literal(k)}: {_json_py_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_py_literal(v) for v in value) + "]"
    return names.py_literal(value)


def _field_view(
    entity: EntitySpec,
    f: FieldSpec,
    index: int = 0,
    unsafe: frozenset[str] = frozenset(),
    classes: frozenset[str] = frozenset(),
) -> FieldView:
    sample, invalid = _SAMPLES[f.type]
    # Samples differ by field position, so a rule like "end_date after start_date" holds for
    # the valid sample row (later fields get later dates, larger numbers).
    if f.type == "date":
        sample = f"2024-05-{10 + index % 18:02d}"
    elif f.type == "datetime":
        sample = f"2024-05-17T{8 + index % 12:02d}:30:00Z"
    elif f.type == "int":
        sample = 7 + index
    values = tuple(f.values or ())
    if f.type == "enum":
        sample = values[0]
    if f.type == "str":
        sample = f"sample {f.name.replace('_', ' ')}"[: f.max_length or 255]
    if f.type in ("int", "float", "decimal") and (f.min is not None or f.max is not None):
        number = float(sample)
        if f.min is not None and number < f.min:
            number = f.min
        if f.max is not None and number > f.max:
            number = f.max
        sample = int(number) if f.type == "int" else (f"{number:.2f}" if f.type == "decimal" else number)
    return FieldView(
        name=f.name,
        attr=names.attribute_name(f.name, unsafe),
        type=f.type,
        required=f.required,
        unique=f.unique,
        description=f.description,
        values=values,
        enum_class=_enum_class(entity, f, classes) if f.type == "enum" else "",
        enum_members=tuple((names.enum_member(v), v) for v in values),
        sample=sample,
        invalid=invalid,
        min=f.min,
        max=f.max,
        max_length=f.max_length,
        pattern=f.pattern,
    )


def _enum_class(entity: EntitySpec, f: FieldSpec, unsafe: frozenset[str]) -> str:
    return names.class_name(entity.name + names.pascal(f.name), unsafe)


def _title(snake: str) -> str:
    words = snake.replace("_", " ")
    return words[:1].upper() + words[1:]


def _entity_view(e: EntitySpec, cls: str, unsafe: frozenset[str], unsafe_attributes: frozenset[str]) -> EntityView:
    module = names.module_name(e.name, unsafe)
    classes = unsafe
    spoken = names.snake(e.name)
    return EntityView(
        name=cls,
        spec_name=e.name,
        module=module,
        table=names.table_name(e.name),
        plural=names.plural(module),
        url=names.url_path(e.name),
        title=_title(spoken),
        title_plural=_title(names.plural(spoken)),
        owned=e.owned,
        description=e.description,
        writable_by=e.writable_by,
        fields=[_field_view(e, f, i, unsafe_attributes, classes) for i, f in enumerate(e.fields)],
    )


def class_names(spec: ProjectSpec, unsafe: frozenset[str] = frozenset()) -> dict[str, str]:
    """Spec entity name -> Python class name, never meeting an import, a builtin, another
    entity's schema classes (``QueryCreate``) or enum classes (``BookStatus``)."""
    derived = {e.name + suffix for e in spec.entities for suffix in ("Create", "Update", "Public", "Filter")}
    derived |= {e.name + names.pascal(f.name) for e in spec.entities for f in e.fields if f.type == "enum"}
    return {e.name: names.class_name(e.name, unsafe | derived) for e in spec.entities}


def _link_view(r: RelationshipSpec, cls: dict[str, str], unsafe_attributes: frozenset[str]) -> LinkView:
    source = names.snake(r.source)
    target_col = f"{r.role}_id"
    source_col = f"{source}_id"
    if source_col == target_col:  # a self-referencing link: Person <-> Person
        source_col = f"source_{source}_id"
    return LinkView(
        key=r.key,
        role=r.role,
        attr=names.attribute_name(names.plural(r.role), unsafe_attributes),
        target=cls[r.target],
        table=f"{source}_{r.role}_links",
        source_column=source_col,
        target_column=target_col,
    )


def dependency_order(spec: ProjectSpec) -> list[str]:
    """Entity names so that every referenced table comes before the tables referencing it."""
    deps = {e.name: set() for e in spec.entities}
    for r in spec.relationships:
        if r.kind != "many_to_many" and r.source != r.target and r.source in deps and r.target in deps:
            deps[r.source].add(r.target)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(deps):
        ready = [n for n in deps if n not in placed and deps[n] <= placed]
        if not ready:  # spec validation refuses cycles; keep the rest in spec order anyway
            ready = [n for n in deps if n not in placed]
        for n in ready:
            order.append(n)
            placed.add(n)
    return order


def build_context(
    spec: ProjectSpec, unsafe: frozenset[str] = frozenset(), unsafe_attributes: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Everything a template may use. Keys are documented in codebegen/templates/README.md.

    ``unsafe`` are the names the templates bind (``codebegen.templates.code_names``): an entity
    class or module meeting one gets a code-side suffix; ``unsafe_attributes`` likewise for
    field attributes. Outside names (URL, JSON key, table, column) stay the spec's.
    """
    original = spec
    login = spec.entity("User") if spec.auth else None  # extends the built-in login user
    if login is not None:
        spec = spec.model_copy(update={"entities": [e for e in spec.entities if e is not login]})
    cls = class_names(spec, unsafe)
    # enum classes ("BookStatus") never meet a schema class ("BookUpdate" for a field "update")
    taken = (
        unsafe
        | set(cls.values())
        | {e.name + x for e in spec.entities for x in ("Create", "Update", "Public", "Filter")}
    )
    views = {e.name: _entity_view(e, cls[e.name], frozenset(taken), unsafe_attributes) for e in spec.entities}
    user = None
    if spec.auth:  # the login user: a view other entities' references can point at
        user = _entity_view(login or EntitySpec(name="User"), "User", frozenset(taken), unsafe_attributes)
        user.module, user.table, user.url, user.plural = "user", "users", "users", "users"
        cls["User"] = "User"
    for r in spec.relationships:
        src = views[r.source]
        if r.kind == "many_to_many":
            src.links.append(_link_view(r, cls, unsafe_attributes))
        else:
            ref = RefView(key=r.key, role=r.role, target=cls[r.target], required=r.required,
                          one_to_one=r.kind == "one_to_one", cascade=r.cascade)  # fmt: skip
            src.refs.append(ref)
            if (incoming := views.get(r.target) or user) is not None:
                incoming.incoming.append((cls[r.source], ref))
        target = views.get(r.target) or user
        if target is not None and cls[r.source] not in target.referenced_by:
            target.referenced_by.append(cls[r.source])
    for v in views.values():  # an Owner entity's reference takes owner_id; ownership moves aside
        if v.owned and any(k.key == "owner_id" for k in [*v.refs, *v.links]):
            v.owner_key = "created_by_id"
    ordered = [views[n] for n in dependency_order(spec)]
    lookup = {v.name: v for v in ordered} | ({"User": user} if user is not None else {})
    return {
        "spec": original,
        "spec_json": original.model_dump_json(indent=2),
        "project": {
            "name": spec.name,
            "title": _title(spec.name),
            "description": spec.description,
            "auth": spec.auth,
            "has_owned": any(e.owned for e in spec.entities),
            "has_shared": spec.auth and any(not e.owned for e in spec.entities),
            # with auth: the login user (its extra fields come from a spec entity named User)
            "user": user,
        },
        "entities": ordered,
        "entity": lookup,
        "field_types": sorted({f.type for v in ordered for f in v.fields}),
    }
