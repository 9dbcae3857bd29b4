"""The Schema tab's two faces of a ProjectSpec: editable tables and an ER diagram.

Owns the round trip spec -> rows (one row per field; an entity without fields keeps one row
with an empty field) -> spec, and the Mermaid ``erDiagram`` text. Reading rows back is
forgiving about how a table cell arrives (``"true"``, ``True``, ``"a, b"``) and strict about
the result: ``codebegen.spec.parse_spec`` validates it and its ``SpecError`` names each problem.
Business rules are not in the tables; they are carried over for the entities that remain.
"""

from __future__ import annotations

import html
from typing import Any

from codebegen.spec import ProjectSpec, parse_spec

ENTITY_HEADERS = ["entity", "owned", "field", "type", "required", "unique", "values"]
ENTITY_TYPES = ["str", "bool", "str", "str", "bool", "bool", "str"]
RELATION_HEADERS = ["source", "target", "kind", "required", "name"]
RELATION_TYPES = ["str", "str", "str", "bool", "str"]


def entity_rows(spec: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for entity in spec.get("entities", []):
        fields = entity.get("fields") or [None]
        for f in fields:
            if f is None:
                rows.append([entity["name"], bool(entity.get("owned")), "", "", False, False, ""])
            else:
                rows.append([
                    entity["name"], bool(entity.get("owned")), f["name"], f["type"], bool(f.get("required", True)),
                    bool(f.get("unique", False)), ", ".join(f.get("values") or []),
                ])  # fmt: skip
    return rows


def relation_rows(spec: dict[str, Any]) -> list[list[Any]]:
    return [
        [r["source"], r["target"], r["kind"], bool(r.get("required", False)), r.get("name") or ""]
        for r in spec.get("relationships", [])
    ]


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _flag(cell: Any) -> bool:
    if isinstance(cell, str):
        return cell.strip().lower() in ("true", "yes", "1", "x", "✓")
    return bool(cell)


def _blank(row: list[Any]) -> bool:
    return not any(_text(c) for c in row if not isinstance(c, bool))


def spec_from_tables(
    *, name: str, description: str, auth: bool, entities: list[list[Any]], relations: list[list[Any]],
    rules: list[dict[str, Any]] | None = None,
) -> ProjectSpec:  # fmt: skip
    """The edited tables as a validated ProjectSpec, or ``SpecError`` naming each problem."""
    by_name: dict[str, dict[str, Any]] = {}
    for row in entities:
        row = list(row) + [""] * (len(ENTITY_HEADERS) - len(row))
        if _blank(row):
            continue
        ent_name = _text(row[0])
        entity = by_name.setdefault(ent_name, {"name": ent_name, "owned": _flag(row[1]), "fields": []})
        entity["owned"] = entity["owned"] or _flag(row[1])
        if not _text(row[2]):
            continue
        field: dict[str, Any] = {
            "name": _text(row[2]), "type": _text(row[3]), "required": _flag(row[4]), "unique": _flag(row[5]),
        }  # fmt: skip
        values = [v.strip() for v in _text(row[6]).split(",") if v.strip()]
        if values or field["type"] == "enum":
            field["values"] = values
        entity["fields"].append(field)
    relationships = []
    for row in relations:
        row = list(row) + [""] * (len(RELATION_HEADERS) - len(row))
        if _blank(row):
            continue
        rel: dict[str, Any] = {
            "source": _text(row[0]), "target": _text(row[1]), "kind": _text(row[2]), "required": _flag(row[3]),
        }  # fmt: skip
        if _text(row[4]):
            rel["name"] = _text(row[4])
        relationships.append(rel)
    kept_rules = [r for r in rules or [] if r.get("entity") in by_name]
    return parse_spec({
        "name": _text(name), "description": _text(description), "auth": bool(auth),
        "entities": list(by_name.values()), "relationships": relationships, "rules": kept_rules,
    })  # fmt: skip


def coverage_markdown(coverage: dict[str, Any] | None) -> str:
    """The prompt-coverage check for the Schema tab: what the prompt asks for and the spec lacks first,
    each marked ⚠ with the prompt's words (HTML-escaped), then a count of what is covered."""
    if not coverage:
        return ""
    items = coverage.get("items", [])
    missing = [i for i in items if not i.get("covered")]
    out = [f"**{html.escape(coverage.get('headline', 'prompt coverage'))}**"]
    if missing:
        out.append('<ul class="coverage-missing">')
        for i in missing:
            out.append(
                f'<li class="not-covered" data-kind="{html.escape(i["kind"])}" data-entity="{html.escape(i["entity"])}">'
                f"⚠ not in the spec: {html.escape(_item_label(i))}"
                + (f" — <em>“{html.escape(i['words'][:120])}”</em>" if i.get("words") else "")
                + "</li>"
            )
        out.append("</ul>")
    covered = [i for i in items if i.get("covered")]
    if covered:
        out.append(f'<p class="covered">✓ covered: {len(covered)} of {len(items)} items</p>')
    return "\n".join(out)


def _item_label(i: dict[str, Any]) -> str:
    return {
        "thing": f"entity {i['entity']}", "attribute": f"{i['entity']}.{i['name']}",
        "link": f"link {i['entity']} → {i['name']}", "unique": f"{i['entity']}.{i['name']} unique",
        "required": f"{i['entity']}.{i['name']} {i.get('detail') or 'required'}",
        "owned": f"{i['entity']} private to its user", "login": "login",
    }.get(i["kind"], i["kind"])  # fmt: skip


_ENDS = {  # Mermaid crow's-foot ends: (source end, target end, optional target end)
    "many_to_one": ("}o", "||", "o|"),
    "one_to_one": ("|o", "||", "o|"),
    "many_to_many": ("}o", "o{", "o{"),
}


def mermaid(spec: dict[str, Any]) -> str:
    """A Mermaid ``erDiagram`` of the spec, fenced for gr.Markdown (which draws it)."""
    lines = ["```mermaid", "erDiagram"]
    if spec.get("auth"):
        lines += ["    User {", "        int id PK", "        email email", "    }"]
    for entity in spec.get("entities", []):
        lines.append(f"    {entity['name']} {{")
        lines.append("        int id PK")
        for f in entity.get("fields", []):
            marks = " UK" if f.get("unique") else ""
            lines.append(f"        {f['type']} {f['name']}{marks}")
        lines.append("    }")
        if entity.get("owned") and spec.get("auth"):
            lines.append(f'    User ||--o{{ {entity["name"]} : "owns"')
    for r in spec.get("relationships", []):
        source_end, target_end, optional_end = _ENDS.get(r["kind"], _ENDS["many_to_one"])
        end = target_end if r.get("required") else optional_end
        key = (r.get("name") or "") or r["target"][0].lower() + r["target"][1:]
        label = key if r["kind"] != "many_to_many" else f"{key} (many)"
        lines.append(f'    {r["source"]} {source_end}--{end} {r["target"]} : "{label}"')
    lines.append("```")
    return "\n".join(lines)
