"""The entity-relationship diagram of a ProjectSpec, as Mermaid ``erDiagram`` text.

Owns only the drawing: entities with their fields and types, the implicit ``id`` and owner,
and one edge per relationship with Mermaid's crow's-foot cardinalities. Rendering the text
to a picture is the viewer's job (the studio's Markdown, JupyterLab, GitHub).
"""

from __future__ import annotations

import re

from codebegen.spec import ProjectSpec

_EDGE = {
    # source }o--|| target: many source rows point at one target row
    "many_to_one": ("}o", "||"),
    "one_to_one": ("|o", "||"),
    "many_to_many": ("}o", "o{"),
}


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_ ]", "", text)[:40] or "refers to"


def _owner_key(spec: ProjectSpec, entity: str) -> str:
    """The ownership column: owner_id, or created_by_id where a reference (to Owner) takes owner_id."""
    taken = any(r.source == entity and r.key == "owner_id" for r in spec.relationships)
    return "created_by_id" if taken else "owner_id"


def er_diagram(spec: ProjectSpec) -> str:
    lines = ["erDiagram"]
    login = spec.entity("User") if spec.auth else None  # the spec's User extends the login user
    if spec.auth:
        own = [f"        {f.type} {f.name}" for f in (login.fields if login else [])]
        lines += ["    User {", "        int id PK", "        string email", *own, "    }"]
    for e in spec.entities:
        if e is login:
            continue
        lines.append(f"    {e.name} {{")
        lines.append("        int id PK")
        for f in e.fields:
            note = ' "unique"' if f.unique else ""
            lines.append(f"        {f.type} {f.name}{note}")
        for r in spec.relationships:
            if r.source == e.name and r.kind != "many_to_many":
                lines.append(f"        int {r.key} FK")
        if e.owned:
            lines.append(f"        int {_owner_key(spec, e.name)} FK")
        lines.append("    }")
    for r in spec.relationships:
        left, right = _EDGE[r.kind]
        lines.append(f'    {r.source} {left}--{right} {r.target} : "{_label(r.key)}"')
    for e in spec.entities:
        if e.owned:
            lines.append(f'    {e.name} }}o--|| User : "{_owner_key(spec, e.name)}"')
    return "\n".join(lines) + "\n"
