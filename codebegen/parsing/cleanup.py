"""Deterministic repair of a spec-shaped object that a model (or a person) wrote loosely.

Owns the step between "JSON that parses" and ``codebegen.spec.parse_spec``: names normalised
(PascalCase singular entities, snake_case fields), type synonyms mapped (``string`` -> ``str``),
implicit columns dropped, ``<entity>_id`` fields turned into relationships, duplicates and
echo entities merged or dropped, relationships to unknown entities (and self-references the
prompt never asks for) dropped, the relationships the prompt states in words
(``codebegen.parsing.links``) added, ``auth``/``owned`` made consistent with each other and with the
prompt ("users log in" turns ``auth`` on, "no login needed" off — a small model often gets
this wrong). Every change
that loses or invents information is reported as a warning line, never done silently. It does
not call models and does not validate (``parse_spec`` does, afterwards).
"""

from __future__ import annotations

import re
from typing import Any

from codebegen import names
from codebegen.parsing.bounds import stated_bounds
from codebegen.parsing.links import Link, read_links
from codebegen.spec import FIELD_TYPES, IMPLICIT_FIELDS

TYPE_SYNONYMS = {
    "string": "str", "varchar": "str", "char": "str", "name": "str", "phone": "str", "slug": "str",
    "integer": "int", "bigint": "int", "smallint": "int", "number": "float", "double": "float",
    "real": "float", "numeric": "decimal", "money": "decimal", "currency": "decimal", "price": "decimal",
    "boolean": "bool", "flag": "bool", "timestamp": "datetime", "time": "datetime", "date_time": "datetime",
    "email_address": "email", "uri": "url", "link": "url", "guid": "uuid", "choice": "enum",
    "select": "enum", "object": "json", "dict": "json", "list": "json", "array": "json", "longtext": "text",
}  # fmt: skip
KIND_SYNONYMS = {
    "belongs_to": "many_to_one", "manytoone": "many_to_one", "many-to-one": "many_to_one", "n:1": "many_to_one",
    "has_many": "one_to_many", "onetomany": "one_to_many", "one-to-many": "one_to_many", "1:n": "one_to_many",
    "has_one": "one_to_one", "onetoone": "one_to_one", "one-to-one": "one_to_one", "1:1": "one_to_one",
    "manytomany": "many_to_many", "many-to-many": "many_to_many", "n:m": "many_to_many", "has_and_belongs_to_many": "many_to_many",
}  # fmt: skip
LOGIN_ENTITIES = {"user", "account", "login"}
# Words by which a prompt relates a row to another row of its own table (a parent category, a
# reply to a comment, a manager who is an employee). A small model writes ``Post -> Post``
# without them; with none of them in the prompt such a relationship is dropped.
SELF_CUES = re.compile(
    r"\b(parent|parents|child|children|sub[- ]?\w+|nested|hierarch\w*|tree|repl(y|ies)|reports? to|"
    r"follow(s|ers?|ing)?|friends?|related|itself|themselves|each other|one another)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(text))
    return [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]


def to_snake(text: str) -> str:
    out = "_".join(w.lower() for w in _words(text))
    if out and out[0].isdigit():
        out = "n_" + out
    return out


def singular(word: str) -> str:
    """The one English singular (``codebegen.names.singular``): "species" stays "species"."""
    return names.singular(word)


def to_entity(text: str) -> str:
    words = _words(text)
    if not words:
        return ""
    words[-1] = singular(words[-1].lower())
    name = "".join(w[:1].upper() + w[1:].lower() if not w.isupper() else w.capitalize() for w in words)
    return name if name[:1].isalpha() else "E" + name


def entity_name(raw: str, warnings: list[str]) -> str:
    """A PascalCase singular entity name (or ""). Reserved words and names the templates use are
    kept: generated code gives them a code-side name (``codebegen.names``); only a one-letter name,
    which says nothing, is lengthened."""
    name = to_entity(raw)[:40]
    if not name:
        return ""
    if len(name) < 2:
        warnings.append(f"entity {name!r} renamed to {name + 'Record'!r} (a one-letter name)")
        name += "Record"
    return name


def field_name(raw: str, warnings: list[str], where: str) -> str | None:
    name = to_snake(raw)
    if not name:
        warnings.append(f"{where}: dropped a field without a usable name ({raw!r})")
        return None
    return name[:48]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # {"Book": {...}} or {"title": "str"}
        return [{"name": k, **(v if isinstance(v, dict) else {"type": v})} for k, v in value.items()]
    return []


# words that only a backend with user accounts needs ("register" and "token" are left out:
# a cash register, a token of appreciation)
LOGIN_CUES = re.compile(
    r"\b(log(?:s|ged)? ?ins?|sign(?:s|ed)? ?(?:in|up)|authenticat\w*|jwt|passwords?|oauth2?)\b", re.IGNORECASE
)
# words that say the API has no login ("No login needed.", "a public API without authentication",
# "no auth for now", "anyone can read and write, no accounts")
NO_LOGIN_CUES = re.compile(
    r"\b(?:no|without|not|never|don't|do not|doesn't|does not)\s+(?:\w+\s+){0,2}?(?:log ?ins?|logging in|sign[- ]?(?:ins?|ups?)|"
    r"auth\w*|accounts?|users? accounts?|passwords?)\b|\bpublic api\b|\banyone can\b",
    re.IGNORECASE,
)


def login_asked(prompt: str) -> tuple[str | None, str | None]:
    """The prompt's words asking for login and saying there is none (either may be None).

    A login cue inside a "no login" phrase is no request ("No login needed." asks for none).
    """
    negatives = list(NO_LOGIN_CUES.finditer(prompt))
    asked = next(
        (m for m in LOGIN_CUES.finditer(prompt) if not any(n.start() <= m.start() < n.end() for n in negatives)),
        None,
    )
    return (asked.group(0) if asked else None), (negatives[0].group(0) if negatives else None)


def clean_spec(raw: Any, prompt: str = "") -> tuple[dict[str, Any], list[str]]:
    """Return a spec-shaped dict ready for ``parse_spec`` and the warnings about what changed.

    ``prompt`` (optional) is the text the spec came from: when it asks for logging in and the
    spec has no ``auth``, auth is turned on (with a warning naming the words), and when it says
    there is no login ("No login needed.") auth and ownership are turned off; and a relationship
    of an entity to itself is dropped unless the prompt has words for one (``SELF_CUES``); the
    relationships the prompt states in words (``codebegen.parsing.links``) are added, and win over the
    model's where the two disagree about the same pair.
    """
    warnings: list[str] = []
    if not isinstance(raw, dict):
        return {"name": "app", "entities": []}, ["the model did not return a JSON object"]
    auth = bool(raw.get("auth", False))
    entities: dict[str, dict[str, Any]] = {}
    relationships: list[dict[str, Any]] = []
    owned_by_user: set[str] = set()

    for item in _as_list(raw.get("entities")):
        if not isinstance(item, dict):
            continue
        name = entity_name(item.get("name", ""), warnings)
        if not name:
            warnings.append(f"dropped an entity without a usable name ({item.get('name')!r})")
            continue
        entity = entities.setdefault(name, {"name": name, "owned": False, "fields": {}, "description": ""})
        if item.get("name") and to_entity(item["name"]) != item["name"] and names.snake(name) not in LOGIN_ENTITIES:
            if item["name"] != name:
                warnings.append(f"entity {item['name']!r} renamed to {name!r}")
        entity["owned"] = entity["owned"] or bool(item.get("owned", False))
        if isinstance(item.get("description"), str):
            entity["description"] = item["description"][:500]
        for f in _as_list(item.get("fields")):
            if not isinstance(f, dict):
                continue
            fname = field_name(f.get("name", ""), warnings, f"entity {name!r}")
            if fname is None:
                continue
            if fname in IMPLICIT_FIELDS or fname in ("user_id", "created_by"):
                if fname in ("owner_id", "user_id", "created_by"):
                    owned_by_user.add(name)
                continue
            ftype = str(f.get("type", "str")).strip().lower()
            ftype = TYPE_SYNONYMS.get(ftype, ftype)
            if ftype not in FIELD_TYPES:
                warnings.append(f"entity {name!r}, field {fname!r}: unknown type {f.get('type')!r} read as str")
                ftype = "str"
            field: dict[str, Any] = {"name": fname, "type": ftype, "required": bool(f.get("required", True))}
            if f.get("unique") and ftype not in ("json", "text", "bool", "enum"):
                field["unique"] = True
            if ftype == "enum":
                values = [str(v).strip() for v in f.get("values") or [] if str(v).strip()]
                values = list({names.enum_member(v[:64]): v[:64] for v in reversed(values)}.values())[::-1]
                if not values:
                    warnings.append(f"entity {name!r}, field {fname!r}: enum without values read as str")
                    field["type"] = "str"
                else:
                    field["values"] = values
            if isinstance(f.get("description"), str):
                field["description"] = f["description"][:500]
            for bound in ("min", "max", "max_length", "pattern"):  # kept when well-typed; parse_spec judges them
                if isinstance(f.get(bound), int | float | str) and not isinstance(f.get(bound), bool):
                    field[bound] = f[bound]
            if fname in entity["fields"]:
                warnings.append(f"entity {name!r}: merged duplicate field {fname!r}")
            entity["fields"][fname] = field

    _drop_echoes(entities, warnings)
    for e in entities.values():  # "capacity is at least 1", "price cannot be negative" (codebegen.parsing.bounds)
        warnings += [
            f"entity {e['name']!r}, {line}" for line in stated_bounds(prompt or "", list(e["fields"].values()))
        ]
    known = {names.snake(n): n for n in entities}
    # "<entity>_id" fields are references in disguise
    for name, entity in entities.items():
        for fname in list(entity["fields"]):
            m = re.fullmatch(r"(.+)_ids?", fname)
            if m and m.group(1) in known:
                kind = "many_to_many" if fname.endswith("_ids") else "many_to_one"
                relationships.append({"source": name, "target": known[m.group(1)], "kind": kind})
                del entity["fields"][fname]
                warnings.append(f"entity {name!r}: field {fname!r} turned into a {kind} relationship")

    for r in raw.get("relationships") or []:
        if isinstance(r, list | tuple) and len(r) >= 3:
            r = {"source": r[0], "target": r[1], "kind": r[2]}
        if not isinstance(r, dict):
            continue
        source, target = entity_name(r.get("source", ""), []), entity_name(r.get("target", ""), [])
        kind = str(r.get("kind", "many_to_one")).strip().lower().replace(" ", "_")
        kind = KIND_SYNONYMS.get(kind, kind)
        if kind not in ("many_to_one", "one_to_many", "one_to_one", "many_to_many"):
            warnings.append(f"relationship {source} -> {target}: unknown kind {r.get('kind')!r} read as many_to_one")
            kind = "many_to_one"
        if kind == "one_to_many":
            source, target, kind = target, source, "many_to_one"
        if names.snake(target) in LOGIN_ENTITIES and target not in entities and source in entities:
            owned_by_user.add(source)  # a reference to the implicit login entity means ownership
            continue
        if source not in entities or target not in entities:
            missing = source if source not in entities else target
            warnings.append(f"dropped relationship {source} -> {target}: no entity {missing!r}")
            continue
        if source == target and prompt and not SELF_CUES.search(prompt):
            warnings.append(
                f"dropped relationship {source} -> {target}: the prompt never relates a {source} to another"
            )
            continue
        rel = {"source": source, "target": target, "kind": kind, "required": bool(r.get("required", False))}
        if source == target and kind != "many_to_many":
            rel["required"] = False
        relationships.append(rel)

    if prompt:
        relationships = _with_stated_links(relationships, read_links(prompt, list(entities)), warnings)
    relationships = _dedupe_relationships(relationships, warnings)
    relationships = _break_cycles(relationships, warnings)

    for name in owned_by_user & set(entities):
        entities[name]["owned"] = True
    asked, refused = login_asked(prompt or "")
    if asked and not auth:
        auth = True
        warnings.append(f"auth turned on: the prompt asks for it ({asked!r})")
    elif refused and not asked and auth:
        auth = False
        for entity in entities.values():
            entity["owned"] = False
        warnings.append(f"auth turned off: the prompt says there is no login ({refused!r})")
    if any(e["owned"] for e in entities.values()) and not auth:
        auth = True
        warnings.append("auth turned on: some entities belong to users")
    if auth:  # the login entity is implicit: references to it become ownership
        for login in [n for n in entities if names.snake(n) in LOGIN_ENTITIES]:
            del entities[login]
            warnings.append(f"dropped entity {login!r}: the login entity is implicit when auth is on")
            for r in [r for r in relationships if login in (r["source"], r["target"])]:
                relationships.remove(r)
                if r["target"] == login and r["source"] in entities:
                    entities[r["source"]]["owned"] = True

    project = to_snake(raw.get("name") or "") or (names.snake(next(iter(entities))) + "_api" if entities else "app")
    if not re.match(r"^[a-z]", project):
        project = "app"
    spec = {
        "name": project[:48],
        "description": str(raw.get("description") or "")[:2000],
        "auth": auth,
        "entities": [
            {
                "name": e["name"],
                "owned": e["owned"],
                "description": e["description"],
                "fields": list(e["fields"].values()),
            }
            for e in entities.values()
        ],
        "relationships": relationships,
    }
    return spec, warnings


def _drop_echoes(entities: dict[str, dict[str, Any]], warnings: list[str]) -> None:
    """Drop an entity that only repeats another's fields under the name of one of them.

    A small model asked about "orders with a quantity and a total" sometimes writes the Order
    twice, the second time as ``Quantity``; a table named after a column of another table and
    holding nothing but that table's columns is that echo, not something the prompt asked for.
    """
    for name in list(entities):
        fields = set(entities[name]["fields"])
        for other, entity in entities.items():
            if other != name and fields and fields <= set(entity["fields"]) and names.snake(name) in entity["fields"]:
                del entities[name]
                warnings.append(f"dropped entity {name!r}: it repeats fields of {other!r}, where {name!r} is a field")
                break


def _with_stated_links(rels: list[dict[str, Any]], said: list[Link], warnings: list[str]) -> list[dict[str, Any]]:
    """The model's relationships with what the prompt states in words put first (it wins a conflict)."""
    out = []
    for link in said:
        rel = {"source": link.source, "target": link.target, "kind": link.kind, "required": False}
        pair = {link.source, link.target}
        before = [r for r in rels if {r["source"], r["target"]} == pair]
        same = next((r for r in before if _same_relationship(r, rel)), None)
        if same is None:
            what = f"{link.source} -> {link.target} ({link.kind})"
            if before:
                old = ", ".join(f"{r['source']} -> {r['target']} ({r['kind']})" for r in before)
                warnings.append(f"relationship {old} read as {what}: the prompt says {link.words!r}")
            else:
                warnings.append(f"added relationship {what}: the prompt says {link.words!r}")
        out.append(same or rel)
        rels = [r for r in rels if r not in before]
    return out + rels


def _same_relationship(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["kind"] != b["kind"]:
        return False
    if a["kind"] in ("many_to_many", "one_to_one"):
        return {a["source"], a["target"]} == {b["source"], b["target"]}
    return (a["source"], a["target"]) == (b["source"], b["target"])


def _dedupe_relationships(rels: list[dict[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for r in rels:
        if r["kind"] == "many_to_many":
            key = ("m2m", *sorted((r["source"], r["target"])))
        else:
            key = (r["source"], r["target"])
        if key in out:
            warnings.append(f"merged duplicate relationship {r['source']} -> {r['target']}")
            continue
        out[key] = r
    return list(out.values())


def _break_cycles(rels: list[dict[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    for r in rels:
        if r["kind"] != "many_to_many" and r["source"] != r["target"] and _reaches(kept, r["target"], r["source"]):
            warnings.append(f"dropped relationship {r['source']} -> {r['target']}: it would close a cycle")
            continue
        kept.append(r)
    return kept


def _reaches(rels: list[dict[str, Any]], start: str, goal: str) -> bool:
    edges: dict[str, set[str]] = {}
    for r in rels:
        if r["kind"] != "many_to_many" and r["source"] != r["target"]:
            edges.setdefault(r["source"], set()).add(r["target"])
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False
