"""Every name codebegen derives from a spec name, in one place.

A spec name (``FuelPurchase``, ``unit_price``) becomes a module name, a table name, a URL path,
a class name or a JSON key only through the functions here. They accept only what
``engine.spec`` already validated (ASCII identifiers), and ``safe_path_part`` guards the file
system: no derived name can contain a separator, ``..`` or a leading dot, so nothing from a
prompt can escape the output directory. String literals written into generated code go
through ``py_literal`` (Python's own ``repr``), never through raw interpolation.
"""

from __future__ import annotations

import keyword
import re

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Words whose plural is not the regular one; enough for the domains people describe.
_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "tooth": "teeth",
    "foot": "feet",
    "datum": "data",
    "criterion": "criteria",
    "analysis": "analyses",
    "status": "statuses",
    "series": "series",
    "species": "species",
    "equipment": "equipment",
    "information": "information",
    "news": "news",
}


def snake(name: str) -> str:
    """``FuelPurchase`` -> ``fuel_purchase``; ``unit_price`` stays."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def pascal(name: str) -> str:
    """``fuel_purchase`` -> ``FuelPurchase``; ``FuelPurchase`` stays."""
    return "".join(part[:1].upper() + part[1:] for part in snake(name).split("_") if part)


def plural(word: str) -> str:
    """English plural of the last word of a snake_case name: ``order_item`` -> ``order_items``."""
    head, _, last = word.rpartition("_")
    if last in _IRREGULAR:
        out = _IRREGULAR[last]
    elif re.search(r"[^aeiou]y$", last):
        out = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        out = last + "es"
    else:
        out = last + "s"
    return f"{head}_{out}" if head else out


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


def table_name(entity: str) -> str:
    """Plural snake case: ``FuelPurchase`` -> ``fuel_purchases``."""
    return plural(snake(entity))


def url_path(entity: str) -> str:
    """Plural kebab case: ``FuelPurchase`` -> ``fuel-purchases`` (CONTRACT §3)."""
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
