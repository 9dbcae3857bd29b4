"""Spec repair: a spec completed, or rebuilt, from what the prompt's reading says.

Owns the parse stage's second pass over a model's spec (the clean-up's dict, changed in
place): ``reconcile`` puts the prompt's own words first — each thing the prompt describes
becomes an entity under its own name with the attributes the prompt gives it, entities the
prompt neither describes nor links are dropped, the links it states come first — and
``complete`` only adds what the reading has and the spec lacks (things, attributes, enum values,
unique / required flags, ownership, links). Each change is one warning line quoting the prompt.
It calls no model; whether the result covers the prompt is the check's
(``codebegen.parsing.coverage``), and names are matched by ``codebegen.parsing.matching``.
"""

from __future__ import annotations

import re
from typing import Any

from codebegen import names
from codebegen.parsing.cleanup import entity_name, field_name, to_entity
from codebegen.parsing.links import read_links
from codebegen.parsing.matching import find_entity, find_field, has_link, same_field
from codebegen.parsing.reading import Reading, quote


def complete(spec_data: dict[str, Any], reading: Reading) -> list[str]:
    """Add to ``spec_data`` (the clean-up's dict, changed in place) what the reading has and it lacks.

    Adds each described thing the spec lacks (with its attributes), each missing attribute, enum
    values and unique / required flags said in words, ownership, and the stated links; returns one
    warning line per addition, quoting the prompt.
    """
    warnings: list[str] = []
    entities = spec_data.setdefault("entities", [])
    taken = {e["name"] for e in entities}
    aliases = reading.other_names()
    for thing in reading.things:
        entity = find_entity(spec_data, thing.name, aliases)
        misread = to_entity(thing.words)
        if entity is None and misread != thing.name:  # the inflector's "Specy" for "species"
            entity = next((e for e in entities if e["name"] == misread), None)
            if entity is not None:
                _rename(spec_data, misread, thing.name)
                taken.add(thing.name)
                warnings.append(f"entity {misread!r} renamed to {thing.name!r} (the prompt says {thing.words!r})")
        if entity is None:
            checked = entity_name(thing.name, [])
            name = checked if checked.endswith("Record") and not thing.name.endswith("Record") else thing.name
            if not name or name in taken:
                continue
            entity = {"name": name, "owned": False, "description": "", "fields": []}
            entities.append(entity)
            taken.add(name)
            warnings.append(f"entity {thing.name!r} added: the prompt describes it ({quote(thing.words)!r})")
        fields = entity.setdefault("fields", [])
        others = {a.name for a in thing.attributes}
        elsewhere = {a.name: t.name for t in reading.things if t is not thing for a in t.attributes}
        for f in list(fields):  # an attribute of another described thing put here by the model
            if thing.attributes and f["name"] in elsewhere and not any(same_field(f["name"], o) for o in others):
                fields.remove(f)
                warnings.append(
                    f"entity {entity['name']!r}: field {f['name']!r} dropped: the prompt gives it to {elsewhere[f['name']]}"
                )
        for a in thing.attributes:
            f = find_field(entity, a.name, others)
            if f is None:
                fname = field_name(a.name, [], "")
                if not fname or any(x["name"] == fname for x in fields):
                    continue
                f = {"name": fname, "type": a.type, "required": a.required is not False}
                if a.values:
                    f["values"] = list(a.values)
                if a.unique:
                    f["unique"] = True
                fields.append(f)
                warnings.append(
                    f"entity {entity['name']!r}: field {a.name!r} added from the prompt ({quote(a.words)!r})"
                )
                continue
            if a.values and (f.get("type") != "enum" or not f.get("values")):
                f["type"], f["values"] = "enum", list(a.values)
                f.pop("unique", None)
                warnings.append(
                    f"entity {entity['name']!r}, field {f['name']!r}: enum of {', '.join(a.values)} (the prompt's words)"
                )
            elif f.get("type") == "str" and a.type not in ("str", "enum"):
                f["type"] = a.type
                warnings.append(
                    f"entity {entity['name']!r}, field {f['name']!r}: type {a.type} (the prompt says {quote(a.words)!r})"
                )
            elif f.get("type") == "enum" and not a.values:
                f["type"] = a.type
                f.pop("values", None)
            if a.unique and not f.get("unique") and f.get("type") not in ("json", "text", "bool", "enum"):
                f["unique"] = True
                warnings.append(f"entity {entity['name']!r}, field {f['name']!r}: unique (the prompt's words)")
            if a.required is not None and f.get("required", True) != a.required:
                f["required"] = a.required
        if thing.owned and not entity.get("owned"):
            entity["owned"] = True
            warnings.append(f"entity {entity['name']!r}: owned by its user ({quote(thing.owned)!r})")
    if any(e.get("owned") for e in entities) and not spec_data.get("auth"):
        spec_data["auth"] = True
        warnings.append("auth turned on: some entities belong to users")
    rels = spec_data.setdefault("relationships", [])
    for link in reading.links:
        a, b = find_entity(spec_data, link.source, aliases), find_entity(spec_data, link.target, aliases)
        if a is None or b is None or has_link(spec_data, link.source, link.target, link.kind, aliases):
            continue
        an, bn = a["name"], b["name"]
        # the same pair the other way round (or with another kind) is the model's guess; the words win
        for r in [r for r in rels if {r.get("source"), r.get("target")} == {an, bn} and an != bn]:
            rels.remove(r)
        role = None
        if an == bn and link.kind != "many_to_many":
            role = "parent" if not re.search(r"manager", link.words) else "manager"
        rel = {"source": an, "target": bn, "kind": link.kind, "required": False}
        if role:
            rel["name"] = role
        elif an == bn:
            rel["name"] = "related_" + names.snake(bn)
        rels.append(rel)
        warnings.append(f"relationship {an} -> {bn} ({link.kind}) added: the prompt says {quote(link.words)!r}")
    return warnings


def reconcile(spec_data: dict[str, Any], reading: Reading, prompt: str) -> list[str]:
    """The parse stage's spec with the prompt's own words first (``spec_data`` changed in place).

    Each thing the prompt describes becomes an entity under its own name, with the attributes
    the prompt gives it (types, enum values, unique / optional as said); the model's entity for
    it contributes its fields only when the prompt names none. An entity of the model's that the
    prompt neither describes nor links to a described one is dropped (a 135M parser invents
    ``TableRecord`` from "tables:"); the links the prompt states come first, the model's fill in
    pairs the prompt says nothing about; login is on when the prompt asks for it or makes rows
    private. With nothing read from the prompt the model's spec stays, completed (``complete``).
    Returns one warning line per change.
    """
    if not reading.things:
        return complete(spec_data, reading)
    warnings: list[str] = []
    aliases = reading.other_names()
    model = {
        "entities": list(spec_data.get("entities") or []),
        "relationships": list(spec_data.get("relationships") or []),
    }
    elsewhere = {a.name for t in reading.things for a in t.attributes}
    renamed: dict[str, str] = {}  # the model's entity name -> the final one
    final: dict[str, str] = {}  # the reading's thing name -> the final one
    out: list[dict[str, Any]] = []
    for thing in reading.things:
        mine = find_entity(model, thing.name, aliases)
        misread = to_entity(thing.words)
        if mine is None and misread != thing.name:  # the inflector's "Specy" for "species"
            mine = next((e for e in model["entities"] if e["name"] == misread), None)
        checked = entity_name(thing.name, [])
        name = checked if checked.endswith("Record") and not thing.name.endswith("Record") else thing.name
        if any(e["name"] == name for e in out):
            continue
        if mine is not None and mine["name"] in thing.aliases and mine["name"] not in {e["name"] for e in out}:
            name = mine["name"]  # "harvest logs": Harvest, HarvestLog or Log are the prompt's own; the model picked
        final[thing.name] = name
        if mine is not None:
            if mine["name"] in renamed:
                mine = None
            else:
                renamed[mine["name"]] = name
                if mine["name"] != name:
                    warnings.append(
                        f"entity {mine['name']!r} named {name!r}, as the prompt says ({quote(thing.words)!r})"
                    )
        else:
            warnings.append(f"entity {name!r} added: the prompt describes it ({quote(thing.words)!r})")
        if thing.attributes:
            fields: list[dict[str, Any]] = []
            for a in thing.attributes:
                fname = field_name(a.name, [], "")
                if not fname or any(f["name"] == fname for f in fields):
                    continue
                f: dict[str, Any] = {"name": fname, "type": a.type, "required": a.required is not False}
                if a.values:
                    f["values"] = list(a.values)
                if a.unique:
                    f["unique"] = True
                fields.append(f)
            if mine is not None:
                dropped = []
                for f in mine.get("fields", []):
                    if any(same_field(f["name"], x["name"]) for x in fields):
                        continue
                    if _said(prompt, f["name"]) and f["name"] not in elsewhere:
                        fields.append(f)  # the prompt names it elsewhere ("the order total is computed as ...")
                    else:
                        dropped.append(f["name"])
                if dropped:
                    warnings.append(
                        f"entity {name!r}: dropped field(s) {', '.join(dropped)} the prompt does not give it"
                    )
        else:
            fields = list(mine.get("fields", [])) if mine is not None else []
        out.append({
            "name": name, "owned": bool(thing.owned) or bool(mine and mine.get("owned")),
            "description": (mine or {}).get("description", ""), "fields": fields,
        })  # fmt: skip
    extra_entities = [e for e in model["entities"] if e["name"] not in renamed]
    linked = {n for lk in read_links(prompt, [e["name"] for e in out + extra_entities]) for n in (lk.source, lk.target)}
    attribute_names = {a.name for t in reading.things for a in t.attributes}
    for e in extra_entities:
        if (
            e["name"] in linked
            and not any(x["name"] == e["name"] for x in out)
            and names.snake(e["name"]) not in attribute_names
        ):
            out.append(e)
        else:
            warnings.append(
                f"dropped entity {e['name']!r}: the prompt neither describes it nor links it to what it describes"
            )
    kept = {e["name"] for e in out}
    rels: list[dict[str, Any]] = []
    pairs: set[frozenset[str]] = set()

    def add(source: str, target: str, kind: str, words: str, rel: dict[str, Any] | None = None) -> None:
        if source not in kept or target not in kept or frozenset((source, target)) in pairs:
            return
        pairs.add(frozenset((source, target)))
        new = dict(rel or {}, source=source, target=target, kind=kind)
        new.setdefault("required", False)
        if source == target and not new.get("name"):
            new["name"] = (
                ("manager" if "manager" in words else "parent")
                if kind != "many_to_many"
                else "related_" + names.snake(target)
            )
        rels.append(new)

    for lk in reading.links:
        add(final.get(lk.source, lk.source), final.get(lk.target, lk.target), lk.kind, lk.words)
    for lk in read_links(prompt, sorted(kept)):
        add(lk.source, lk.target, lk.kind, lk.words)
    stated = [(r["source"], r["target"]) for r in rels if r["source"] != r["target"]]
    for r in model["relationships"]:
        source, target = renamed.get(r["source"], r["source"]), renamed.get(r["target"], r["target"])
        if source != target and not _through(stated, source, target):
            add(source, target, r["kind"], "", {k: v for k, v in r.items() if k in ("required", "name")})
    spec_data["entities"], spec_data["relationships"] = out, rels
    auth = bool(reading.login) or any(e["owned"] for e in out)
    if reading.no_login and not reading.login:
        auth = False
        for e in out:
            e["owned"] = False
    if auth != bool(spec_data.get("auth")):
        said = reading.login or reading.no_login or "nothing about login"
        warnings.append(f"auth turned {'on' if auth else 'off'}: the prompt says {said!r}")
    spec_data["auth"] = auth
    if not auth:
        for e in out:
            e["owned"] = False
    return warnings


def _said(prompt: str, field_name: str) -> bool:
    """Whether the prompt says a field's words ("unit_price": "unit price", "unit-price")."""
    words = [w for w in field_name.split("_") if w not in ("is", "has")]
    return bool(words) and bool(
        re.search(r"\b" + r"[\s_-]+".join(map(re.escape, words)) + r"\b", prompt, re.IGNORECASE)
    )


def _through(edges: list[tuple[str, str]], a: str, b: str) -> bool:
    """Whether the stated links already join ``a`` and ``b`` through a third entity (a walk links a
    walker and a dog; a stock level a product and a warehouse; a talk's speaker and its room)."""
    near: dict[str, set[str]] = {}
    for s, t in edges:
        near.setdefault(s, set()).add(t)
        near.setdefault(t, set()).add(s)
    return bool((near.get(a, set()) & near.get(b, set())) - {a, b}) or _reaches_directed(edges, a, b)


def _reaches_directed(edges: list[tuple[str, str]], a: str, b: str) -> bool:
    todo, seen = [a], set()
    while todo:
        node = todo.pop()
        for s, t in edges:
            if s == node and t not in seen:
                if t == b and node != a:
                    return True
                seen.add(t)
                todo.append(t)
    return False


def _rename(spec_data: dict[str, Any], old: str, new: str) -> None:
    for e in spec_data.get("entities", []):
        if e["name"] == old:
            e["name"] = new
    for r in spec_data.get("relationships", []):
        for end in ("source", "target"):
            if r.get(end) == old:
                r[end] = new
    for rule in spec_data.get("rules", []) or []:
        if rule.get("entity") == old:
            rule["entity"] = new


__all__ = ["complete", "reconcile"]
