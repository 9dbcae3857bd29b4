"""Any name a user writes works: collision-proof generated code, by construction.

The names come from generated lists, not a hand-picked few: Python's keywords and builtins,
standard-library modules, every name each template's rendered code imports (read from the
rendered files, so a new import in a template is covered automatically), each template's own
module and file names, and a sample of SQL reserved words. Each is used as an entity and as a
field in a handful of large specs, so the gate runs a few times per template, not hundreds.
The user's names stay outside (URL, JSON key, table / collection name); only code names change.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import os
import re
import sys
from pathlib import Path

import pytest

from codebegen import names
from codebegen.context import build_context
from codebegen.errors import SpecError
from codebegen.gate.verify import verify
from codebegen.spec import IMPLICIT_FIELDS, SQL_RESERVED, ProjectSpec, load_spec, parse_spec
from codebegen.templates import code_names, list_templates, load_template, render, render_project
from tests.helpers import ALL_FEATURES

_PASCAL = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# The standard library is large; the modules a backend's domain words meet most often.
_STDLIB_SAMPLE = sorted(
    {"email", "calendar", "select", "queue", "types", "token", "code", "site", "array", "string", "time",
     "random", "secrets", "json", "decimal", "datetime", "enum", "uuid", "logging", "signal", "test",
     "math", "statistics", "locale", "html", "http", "mailbox", "wave", "binascii", "abc", "io", "os"}
    & set(sys.stdlib_module_names)
)  # fmt: skip
# PostgreSQL's reserved words, and SQLite key words a dialect may leave unquoted.
_SQL_SAMPLE = sorted(
    SQL_RESERVED
    | {
        "returning",
        "pragma",
        "glob",
        "regexp",
        "abort",
        "key",
        "row",
        "rows",
        "view",
        "action",
        "trigger",
        "values",
        "replace",
        "match",
        "offset",
        "conflict",
    }
)


def rendered_identifiers(template: str, out: Path) -> tuple[set[str], set[str]]:
    """(names the rendered code imports or defines at module level, its module / file names).

    The baseline is the all-features spec; the names its own entities gave (``Book``,
    ``list_books``, the fields) are left out, so only the template's names remain.
    """
    spec = load_spec(ALL_FEATURES)
    render(spec, load_template(template), out)
    own = {names.snake(e.name) for e in spec.entities} | {names.plural(names.snake(e.name)) for e in spec.entities}
    own |= {"friend", "friends", "mentor"} | {f.name for e in spec.entities for f in e.fields}

    def template_name(word: str) -> bool:
        parts = set(names.snake(word).split("_"))
        return not (parts & own) and not word.startswith("test")

    bound: set[str] = set()
    modules: set[str] = set()
    for path in out.rglob("*"):
        stem = path.name.split(".")[0]
        if stem:
            modules |= {stem, stem.removeprefix("test_")}
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                bound.add(node.target.id)
            elif isinstance(node, ast.Assign):
                bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            # the attributes of the shared base classes (UpdateModel.not_nullable, ...)
            if isinstance(node, ast.ClassDef) and path.name == "base.py":
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        bound.add(item.target.id)
                    elif isinstance(item, ast.Assign):
                        bound |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return {w for w in bound if template_name(w)}, {m for m in modules if template_name(m)}


def _entity_name(word: str) -> str | None:
    if _PASCAL.match(word):
        return word
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", word).strip("_")
    name = names.pascal(cleaned) if cleaned and cleaned[0].isalpha() else ""
    return name if _PASCAL.match(name) else None


def _field_name(word: str) -> str | None:
    cleaned = re.sub(r"_+", "_", names.snake(re.sub(r"[^A-Za-z0-9]+", "_", word)).strip("_"))
    return cleaned if _SNAKE.match(cleaned) and cleaned not in IMPLICIT_FIELDS else None


ISSUE_NAMES = {"class", "from", "match", "list", "ValueError", "Query", "Response", "Page", "Base", "Date", "table",
               "config", "health", "main", "crud", "select", "order", "user", "email", "status"}  # fmt: skip


def every_name(template: str, out: Path) -> list[str]:
    """Every word of the lists, for fields (cheap: a few tests each)."""
    bound, modules = rendered_identifiers(template, out)
    base_attributes = {"metadata", "registry"} | {
        n for n in dir(__import__("pydantic").BaseModel) if not n.startswith("_")
    }
    words = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | bound | modules | base_attributes
    # the words the issue names always belong, even where the baseline spec uses one itself
    # (the all-features fixture has a field 'status', which the filter above leaves out)
    return sorted(words | set(_STDLIB_SAMPLE) | set(_SQL_SAMPLE) | ISSUE_NAMES)


_BUILTIN_CLASSES = {n for n in dir(builtins) if n[:1].isupper()}


def entity_words(words: list[str]) -> list[str]:
    """The words as entities, each costing a module and its tests: the exception classes of
    builtins are one kind of name (a sample stands for them), the generated test functions and
    private names are none a user writes."""
    sample = {"Exception", "ValueError", "Warning", "KeyError", "None", "True", "False", "Ellipsis"}
    return [w for w in words if not w.startswith(("test", "_")) and (w not in _BUILTIN_CLASSES or w in sample)]


_TYPES = ["str", "int", "bool", "date", "enum", "text", "float", "email", "decimal", "datetime", "json", "uuid", "url"]


# Each entity costs a module and ~15 generated tests, so the suite takes every 16th entity word
# (and the ones the issue names), every word as a field; CODEBEGEN_NAMES_FULL=1 runs all entity
# words, in 4 specs per template (about 4 minutes of gate each on the 2-vCPU VM).
CHUNKS = 4
ALWAYS = ["Query", "Response", "Page", "Date", "Table", "Base", "Config", "Health", "Main", "Crud", "Class", "From",
          "Select", "Order", "Status", "Settings", "Session", "Field", "Mapped", "Document", "Link"]  # fmt: skip


def names_spec(words: list[str], *, auth: bool, chunk: int = 0, chunks: int = 16) -> dict:
    """One spec: a share of the words as entities (``chunk`` of every ``chunks``, plus ALWAYS)
    and, in the first, every word as a field of a few carrier entities."""
    entities: dict[str, dict] = {}
    seen_snake: set[str] = set()
    seen_tables: set[str] = set()
    share = entity_words(words)[chunk::chunks]
    for word in [*ALWAYS, *(w for w in share if w not in ALWAYS)]:
        name = _entity_name(word)
        if name is None or len(name) > 40:
            continue
        snake, table = names.snake(name), names.table_name(name)
        # Only "User" has a meaning of its own with auth (the login user); it is tested there.
        if snake in seen_snake or table in seen_tables or (auth and table == "users"):
            continue
        seen_snake.add(snake)
        seen_tables.add(table)
        entities[name] = {"name": name, "fields": []}
    fields = sorted({f for w in words if (f := _field_name(w))}) if chunk == 0 else []
    carriers = [f"Carrier{i}" for i in range(1, 7)]
    for c in carriers:
        entities[c] = {"name": c, "owned": auth and c == "Carrier1", "fields": []}
    for i, field in enumerate(fields):
        kind = _TYPES[i % len(_TYPES)]
        spec_field = {"name": field, "type": kind, "required": i % 7 == 0}
        if kind == "enum":
            spec_field["values"] = ["class", "from", "in progress"]
        entities[carriers[i % len(carriers)]]["fields"].append(spec_field)
    reserved_targets = [n for n in ("Query", "Table", "Class", "Select", "Page", "Response") if n in entities]
    relationships = [{"source": "Carrier1", "target": t, "kind": "many_to_one"} for t in reserved_targets[:3]]
    if not relationships:  # the other chunks: a reference to and from a reserved-named entity
        some = sorted(entities)[:2]
        relationships = [{"source": "Carrier1", "target": some[0], "kind": "many_to_one"},
                         {"source": some[1], "target": "Carrier2", "kind": "many_to_one", "name": "class"}]  # fmt: skip
    relationships += [{"source": "Carrier2", "target": t, "kind": "many_to_many"} for t in reserved_targets[3:]]
    relationships += [{"source": "Carrier3", "target": "Carrier2", "kind": "many_to_one", "name": "from"}]
    relationships += [{"source": "Carrier4", "target": "Carrier4", "kind": "many_to_many", "name": "class"}]
    return {"name": "every_name", "auth": auth, "entities": list(entities.values()), "relationships": relationships}


def test_the_lists_hold_what_the_issue_names(tmp_path: Path) -> None:
    words = every_name("fastapi_sqlalchemy", tmp_path)
    for word in ("class", "from", "match", "list", "ValueError", "Query", "Response", "Page", "Base", "Date",
                 "table", "config", "health", "main", "crud", "select", "order", "user", "email"):  # fmt: skip
        assert word in words, word
    spec = parse_spec(names_spec(words, auth=True))
    entity_names = {e.name for e in spec.entities}
    assert {"Query", "Response", "Page", "Date", "Table", "Base", "Config", "Health", "Class", "From"} <= entity_names
    field_names = {f.name for e in spec.entities for f in e.fields}
    assert {"class", "from", "import", "metadata", "query", "model_config", "not_nullable", "status"} <= field_names


def test_names_are_refused_only_when_they_are_no_identifier_naming_a_fix() -> None:
    bad = {"name": "x", "entities": [{"name": "Book", "fields": [{"name": "Unit Price", "type": "str"}]},
                                     {"name": "order item", "fields": []}]}  # fmt: skip
    with pytest.raises(SpecError) as info:
        parse_spec(bad)
    text = "\n".join(info.value.problems)
    assert "write it as 'unit_price'" in text and "write it as 'OrderItem'" in text
    ok = {"name": "class", "entities": [{"name": "Table", "fields": [{"name": "class", "type": "str"},
                                                                      {"name": "from", "type": "int"}]}]}  # fmt: skip
    assert parse_spec(ok).entities[0].fields[0].name == "class"


def test_code_names_keep_the_users_names_outside() -> None:
    spec = parse_spec(
        {
            "name": "school",
            "auth": True,
            "entities": [
                {"name": "Query", "fields": [{"name": "class", "type": "str"}, {"name": "title", "type": "str"}]},
                {"name": "Table", "fields": [{"name": "metadata", "type": "json"}]},
                {"name": "QueryCreate", "fields": []},
                {"name": "Book", "fields": []},
            ],
        }  # fmt: skip
    )
    ctx = build_context(spec, **code_names())
    view = ctx["entity"]
    assert view["Query_"].url == "queries" and view["Query_"].spec_name == "Query"
    assert view["Table_"].module == "table_" and view["Table_"].table == "tables" and view["Table_"].url == "tables"
    assert view["QueryCreate_"].spec_name == "QueryCreate"  # would meet Query's schema class
    assert view["Book"].module == "book" and view["Book"].name == "Book"
    klass, title = view["Query_"].fields
    assert (klass.name, klass.attr, klass.aliased) == ("class", "class_", True)
    assert (title.name, title.attr, title.aliased) == ("title", "title", False)
    assert view["Table_"].fields[0].attr == "metadata_"


def test_one_inflector_each_way() -> None:
    for single, many in [("species", "species"), ("status", "statuses"), ("person", "people"), ("shelf", "shelves"),
                         ("category", "categories"), ("analysis", "analyses"), ("order_item", "order_items"),
                         ("news", "news"), ("box", "boxes")]:  # fmt: skip
        assert names.plural(single) == many
        assert names.singular(many) == single
        assert names.singular(single) == single
    from codebegen.parsing.cleanup import to_entity
    from codebegen.parsing.matching import scorer_entity_key as _ent_key

    assert to_entity("species") == "Species" and to_entity("order items") == "OrderItem"
    assert _ent_key("Species") == _ent_key("species") == "species"


def _gate_cases() -> list[tuple[str, int, int]]:
    full = os.environ.get("CODEBEGEN_NAMES_FULL") == "1"
    return [(t, c, CHUNKS if full else 16) for t in list_templates() for c in (range(CHUNKS) if full else [0])]


@pytest.mark.slow
@pytest.mark.parametrize(("template", "chunk", "chunks"), _gate_cases())
def test_every_name_generates_a_project_that_passes_the_gate(
    template: str, chunk: int, chunks: int, tmp_path: Path, runtime_cache: Path, request: pytest.FixtureRequest
) -> None:
    words = every_name(template, tmp_path / "baseline")
    spec: ProjectSpec = parse_spec(names_spec(words, auth=True, chunk=chunk, chunks=chunks))
    postgres_url = request.getfixturevalue("postgres_url") if load_template(template).manifest.verify.postgres else None
    out = tmp_path / "project"
    render_project(spec, template, out)
    # the gate as generate runs it, with room for a project of ~100 resources and ~500 fields
    report = verify(out, cache_dir=runtime_cache, postgres_url=postgres_url, step_timeout=900)
    assert report.passed, report.summary()
    if postgres_url:
        assert {c.name: c.status for c in report.checks}["pytest on postgresql"] == "pass"
    # The user's names stay outside: the URL, the JSON keys, the table; the code gets safe ones.
    carried = json.loads((out / "codebegen.json").read_text())
    assert {e["name"] for e in carried["entities"]} >= {"Query", "Table", "Class"}
    assert (out / "app" / "api" / "routes" / "table_.py").is_file()
    routes = (out / "app" / "api" / "main.py").read_text()
    assert '"/tables"' in routes and '"/classes"' in routes and '"/queries"' in routes
