"""The public dev set (bench/dev_specs.jsonl, vendored in the repository) as ProjectSpecs, for tests and benchmarks.

Gold entries list entities, field types, relationships and auth. To make them full specs this
invents what the gold leaves out, the same way every time: enum values from the field name,
uniqueness for identifier-like fields, optional free text, required many_to_one references.
It is a yardstick for generation, never training data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codebegen import names
from codebegen.spec import IMPLICIT_FIELDS, ProjectSpec, parse_spec

REPO = Path(__file__).resolve().parents[2]


BENCH = REPO / "bench"
DEV_SET = BENCH / "dev_specs.jsonl"

_ENUM_VALUES = {
    "status": ["pending", "active", "done"],
    "priority": ["low", "medium", "high"],
    "level": ["beginner", "intermediate", "advanced"],
    "exposure": ["full sun", "partial shade", "shade"],
    "form": ["tablet", "capsule", "syrup"],
}
_UNIQUE = {"isbn", "sku", "serial_number", "lot_number"}
_OPTIONAL_TYPES = {"text"}


def load_gold(path: Path = DEV_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def gold_to_spec(gold: dict[str, Any], *, owned: tuple[str, ...] = ()) -> ProjectSpec:
    """A valid ProjectSpec from a gold entry; ``owned`` names entities to mark owned (needs auth)."""
    entities = []
    for name, fields in gold["entities"].items():
        spec_fields = []
        for fname, ftype in fields.items():
            if fname in IMPLICIT_FIELDS:
                continue
            field: dict[str, Any] = {"name": fname, "type": ftype}
            if ftype == "enum":
                field["values"] = _ENUM_VALUES.get(fname, ["option_a", "option_b"])
            field["required"] = ftype not in _OPTIONAL_TYPES
            field["unique"] = fname in _UNIQUE
            spec_fields.append(field)
        entities.append({"name": name, "owned": name in owned, "fields": spec_fields})
    relationships = [
        {"source": s, "target": t, "kind": k, "required": k == "many_to_one"} for s, t, k in gold["relationships"]
    ]
    project = names.snake(gold["id"].split("-", 1)[1].replace("-", "_"))
    return parse_spec(
        {
            "name": project,
            "description": gold["prompt"][:200],
            "auth": bool(gold["auth"]),
            "entities": entities,
            "relationships": relationships,
        }
    )


def dev_specs() -> dict[str, ProjectSpec]:
    return {g["id"]: gold_to_spec(g) for g in load_gold()}
