"""Every name codebegen derives from a spec name, in one place.

A spec name (``FuelPurchase``, ``unit_price``) becomes a module name, a table name, a URL path,
a class name or a JSON key only through the functions here. They accept only what
``codebegen.spec`` already validated (ASCII identifiers), and ``safe_path_part`` guards the file
system: no derived name can contain a separator, ``..`` or a leading dot, so nothing from a
prompt can escape the output directory. String literals written into generated code go
through ``py_literal`` (Python's own ``repr``), never through raw interpolation.
"""

from __future__ import annotations

import functools
import keyword
import re

import inflect

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``FuelPurchase`` -> ``fuel_purchase``; ``unit_price`` stays."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def pascal(name: str) -> str:
    """``fuel_purchase`` -> ``FuelPurchase``; ``FuelPurchase`` stays."""
    return "".join(part[:1].upper() + part[1:] for part in snake(name).split("_") if part)


@functools.lru_cache(maxsize=1)
def _inflector() -> inflect.engine:
    return inflect.engine()


# Singular words ending like a plural that the inflector would cut ("status" -> "statu").
_SINGULAR_ENDINGS = ("ss", "us", "is")


@functools.lru_cache(maxsize=4096)
def _plural_word(word: str) -> str:
    return _inflector().plural_noun(word) if word else word


@functools.lru_cache(maxsize=4096)
def _singular_word(word: str) -> str:
    if not word or word.endswith(_SINGULAR_ENDINGS):
        return word
    single = _inflector().singular_noun(word)
    return single if single and len(single) >= 3 else word


def plural(word: str) -> str:
    """English plural of the last word of a snake_case name: ``order_item`` -> ``order_items``.

    The one plural codebegen uses (tables, URLs, variables, the parse stage's mentions), from
    ``inflect``: ``species`` stays ``species``, ``shelf`` -> ``shelves``, ``person`` -> ``people``.
    """
    head, _, last = word.rpartition("_")
    out = _plural_word(last)
    return f"{head}_{out}" if head else out


def singular(word: str) -> str:
    """English singular of the last word of a snake_case name: ``order_items`` -> ``order_item``.

    A word that is already singular stays (``species``, ``status``, ``analysis``, ``news``).
    """
    head, _, last = word.rpartition("_")
    out = _singular_word(last)
    return f"{head}_{out}" if head else out


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


def table_name(entity: str) -> str:
    """Plural snake case: ``FuelPurchase`` -> ``fuel_purchases``."""
    return plural(snake(entity))


def url_path(entity: str) -> str:
    """Plural kebab case: ``FuelPurchase`` -> ``fuel-purchases`` (a resource's URL, docs/generated-project.md)."""
    return table_name(entity).replace("_", "-")


def enum_member(value: str) -> str:
    """A Python identifier for an enum value: ``in progress`` -> ``in_progress``."""
    ident = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").lower() or "value"
    if ident[0].isdigit():
        ident = f"v_{ident}"
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    return ident


def is_identifier(name: str) -> bool:
    return bool(_IDENT.match(name))


def safe_path_part(part: str) -> str:
    """Refuse a rendered path segment that could leave the output directory."""
    if not part or part in {".", ".."} or part.startswith(".") and part not in _DOTFILES:
        raise ValueError(f"unsafe path segment {part!r}")
    if "/" in part or "\\" in part or "\x00" in part:
        raise ValueError(f"unsafe path segment {part!r}")
    return part


# Dotfiles a template may ship on purpose (their names come from the template, not a prompt).
_DOTFILES = {".env.example", ".gitignore", ".dockerignore", ".github", ".python-version"}


def py_literal(value: object) -> str:
    """A Python literal for a str/int/float/bool/None/list value; safe to paste into code."""
    if isinstance(value, str | int | float | bool) or value is None:
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    raise TypeError(f"no literal for {type(value).__name__}")


def doc_text(value: str) -> str:
    """Free text made safe inside a triple-quoted docstring or a # comment: one line, no escapes."""
    text = " ".join(str(value).split())
    return text.replace("\\", "/").replace('"""', "'''")


# SQL key words: SQLite's full list (sqlite.org/lang_keywords.html) and PostgreSQL's reserved
# ones. Generated SQL quotes these column names explicitly, whatever a dialect would do.
SQL_KEYWORDS = frozenset(
    """abort action add after all alter always analyse analyze and any array as asc asymmetric attach
    authorization autoincrement before begin between binary both by cascade case cast check collate
    collation column commit concurrently conflict constraint create cross current current_catalog
    current_date current_role current_schema current_time current_timestamp current_user database
    default deferrable deferred delete desc detach distinct do drop each else end escape except
    exclude exclusive exists explain fail false fetch filter first following for foreign freeze from
    full generated glob grant group groups having if ignore ilike immediate in index indexed initially
    inner insert instead intersect into is isnull join key last lateral leading left like limit
    localtime localtimestamp match materialized natural no not nothing notnull null nulls of offset on
    only or order others outer over overlaps partition placing plan pragma preceding primary query
    raise range recursive references regexp reindex release rename replace restrict returning right
    rollback row rows savepoint select session_user set similar some symmetric system_user table
    tablesample temp temporary then ties to trailing transaction trigger true unbounded union unique
    update user using vacuum values variadic verbose view virtual when where window with without""".split()
)


# --- Code-side names -------------------------------------------------------------------------
# A user's names stay on the outside (URL, JSON key, table and column name); the Python side
# gets a trailing "_" whenever a name could collide with anything the generated code uses:
# keywords, builtins, the standard library, what the templates import or define, the files
# they ship, the attributes of the base classes. Spec names never end in "_" (snake_case and
# PascalCase), so a suffixed name can never meet another spec name.

# Attributes the generated classes inherit: SQLAlchemy's declarative base and Beanie's Document
# (which has no runtime here to read them from); pydantic's BaseModel is read below.
_BASE_ATTRIBUTES = frozenset(
    # SQLAlchemy's declarative base
    """metadata registry awaitable_attrs self cls
    id revision_id settings Settings add_child aggregate all avg bulk_writer count create current_date
    delete delete_all distinct fetch_all_links fetch_link fill_back_refs find find_all find_many
    find_one get get_bson_encoders get_changes get_collection_name get_link_fields get_model_type
    get_previous_changes get_previous_saved_state get_pymongo_collection get_saved_state
    get_settings has_changed inc insert insert_many insert_one inspect_collection is_changed
    lazy_parse link_from_id max min parse_store replace replace_many rollback save save_changes set
    set_collection set_collection_name set_database state_management_replace_objects
    state_management_save_previous sum sync to_ref update update_all use_state_management
    validate_self register""".split()  # Beanie's Document (2.x), read from its dir()
    # the class variables of the templates' schema bases (FilterModel, UpdateModel)
    + "filters searchable orderable not_nullable".split()
)


def _pydantic_attributes() -> frozenset[str]:
    from pydantic import BaseModel

    return frozenset(n for n in dir(BaseModel) if not n.startswith("__"))


@functools.lru_cache(maxsize=1)
def python_reserved() -> frozenset[str]:
    """Keywords, soft keywords and builtins: never a safe identifier of generated code."""
    import builtins

    return frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


@functools.lru_cache(maxsize=1)
def stdlib_modules() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


def attribute_name(field: str, unsafe: frozenset[str] = frozenset()) -> str:
    """The Python attribute of a snake_case field/key: ``class`` -> ``class_``, ``title`` stays."""
    if field in python_reserved() or field in unsafe or field in _BASE_ATTRIBUTES or field in _pydantic_attributes():
        return field + "_"
    return field


def module_name(entity: str, unsafe: frozenset[str] = frozenset()) -> str:
    """The Python module of an entity: ``Table`` -> ``table_`` (a template file), ``Book`` -> ``book``."""
    module = snake(entity)
    if module in python_reserved() or module in stdlib_modules() or module in unsafe:
        return module + "_"
    return module


def class_name(entity: str, unsafe: frozenset[str] = frozenset()) -> str:
    """The Python class of an entity: ``Query`` -> ``Query_`` (FastAPI's), ``Book`` stays."""
    if entity in python_reserved() or entity in unsafe:
        return entity + "_"
    return entity


# The names ruff's hard-coded-password rule (S105) reads as credentials, by its own pattern: an
# enum member such as ``day_pass`` or ``token`` is a value of the user's spec, and the templates
# say so on its line instead of letting the gate refuse a valid project.
_SECRET_LIKE = re.compile(r"(^|_)(pas+wo?r?d|pass(phrase)?|pwd|token|secrete?)($|_)", re.IGNORECASE)


def looks_like_a_secret(name: str) -> bool:
    """True when a secret scanner would take an assignment to ``name`` for a hard-coded password."""
    return bool(_SECRET_LIKE.search(name))
