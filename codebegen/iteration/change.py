"""A change in words, read against the project's current spec, into a new spec (and its renames).

Owns the deterministic reader of the common forms, clause by clause (clauses are separated
by ``;``, ``.`` or a new line, or "and then"):

    add a priority (low, normal, high) to tasks      an enum field
    add a due date to tasks / add an optional note to tasks   a field, its type read from its name
    add a label entity with a name and a color        a new entity
    tasks can have many labels                        many_to_many (the target made if new)
    each task belongs to a project                    many_to_one
    rename notes to description / rename the notes of tasks to description
    remove the fax field / remove fax from contacts / remove the label entity
    comments are private to their author              owned (auth turned on)

and the model fallback: clauses it cannot read go to the parser role with the current spec
written out as context, and only what the model adds (entities, fields, relationships) is
taken; what the spec already says is never re-rolled by a model. Reuses the prompt readers'
word helpers (``codebegen.parsing.cleanup``) rather than a second copy of the inflection rules.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from codebegen import names
from codebegen.errors import PromptError, SpecError
from codebegen.events import Event, SpecArtifact, Warning
from codebegen.parsing.cleanup import TYPE_SYNONYMS, singular, to_entity, to_snake
from codebegen.spec import FIELD_TYPES, ProjectSpec, parse_spec


@dataclass
class ReadChange:
    spec: ProjectSpec
    renames: dict[str, str] = field(default_factory=dict)  # "Entity.old" -> new
    read: list[str] = field(default_factory=list)  # clauses understood deterministically
    unread: list[str] = field(default_factory=list)


_ART = r"(?:(?:a|an|the|new|optional|required|unique)\s+)*"
# a field name's words -> its type, checked in order (last word first)
_TYPE_WORDS: list[tuple[str, str]] = [
    (r"\b(date|birthday|deadline|day)$", "date"),
    (r"(_at|\btime|timestamp|datetime)$", "datetime"),
    (r"\bemail$", "email"),
    (r"\b(url|website|link|homepage)$", "url"),
    (r"\b(price|amount|cost|total|balance|salary|fee)$", "decimal"),
    (r"\b(count|quantity|number|age|year|rank|position|stock|points|score|rating|minutes|hours)$", "int"),
    (r"\b(weight|height|latitude|longitude|percentage|ratio)$", "float"),
    (r"^(is|has|can)_|\b(active|done|completed|published|archived|enabled|flag)$", "bool"),
    (r"\b(description|notes|note|body|content|bio|summary|comment|text)$", "text"),
    (r"\b(uuid|guid)$", "uuid"),
    (r"\b(metadata|settings|data|tags_json|extra)$", "json"),
]


def _type_of(name: str, said: str) -> str:
    said = said.strip().lower()
    if said in FIELD_TYPES:
        return said
    if said in TYPE_SYNONYMS:
        return TYPE_SYNONYMS[said]
    for pattern, kind in _TYPE_WORDS:
        if re.search(pattern, name.replace("_", " ") if "_" not in pattern else name):
            return kind
    return "str"


def _clauses(text: str) -> list[str]:
    parts = re.split(r"[;\n]+|\.(?:\s+|$)|,?\s+and then\s+|,?\s+then\s+", text.strip())
    out: list[str] = []
    for p in parts:
        p = p.strip(" ,.")
        if not p:
            continue
        # "add X to tasks and add Y to notes": split on "and" followed by a verb the reader knows
        out += [
            q.strip(" ,")
            for q in re.split(r",?\s+and\s+(?=(?:add|also|rename|remove|delete|drop)\b)", p)
            if q.strip(" ,")
        ]
    return out


class _Reader:
    def __init__(self, spec: ProjectSpec) -> None:
        self.data: dict[str, Any] = spec.model_dump(exclude_defaults=False)
        self.renames: dict[str, str] = {}

    # -- lookups ---------------------------------------------------------------------------
    def entities(self) -> list[dict[str, Any]]:
        return self.data["entities"]

    def entity(self, words: str) -> dict[str, Any] | None:
        w = re.sub(rf"^{_ART}", "", words.strip().lower()).strip()
        w = re.sub(r"\s+(entity|table|resource|records?|rows?)$", "", w)
        snake = to_snake(w)
        for e in self.entities():
            s = names.snake(e["name"])
            if snake in (s, names.snake(names.plural(e["name"])), to_snake(singular(w))) and (
                snake == s or snake == names.snake(names.plural(e["name"])) or to_snake(singular(w)) == s
            ):
                return e
        return None

    def new_entity(self, words: str) -> dict[str, Any]:
        name = to_entity(re.sub(rf"^{_ART}", "", words.strip().lower()))
        if not name:
            raise PromptError(f"cannot read an entity name from {words!r}")
        e = {"name": name, "owned": False, "fields": [{"name": "name", "type": "str", "required": True,
                                                       "unique": False, "values": None, "description": ""}],
             "description": ""}  # fmt: skip
        self.entities().append(e)
        return e

    def field_of(self, fname: str, entity_words: str | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
        candidates = [self.entity(entity_words)] if entity_words else self.entities()
        hits = [(e, f) for e in candidates if e for f in e["fields"] if f["name"] == fname]
        if len(hits) > 1:
            raise PromptError(
                f"{fname!r} is a field of {', '.join(e['name'] for e, _ in hits)}",
                hint=f"say which, e.g. 'remove {fname} from {names.plural(names.snake(hits[0][0]['name']))}'",
            )
        return hits[0] if hits else None

    # -- the forms -------------------------------------------------------------------------
    def read(self, clause: str) -> bool:
        c = re.sub(r"^(?:please\s+|also\s+|and\s+)+", "", clause.strip(), flags=re.I)
        low = c.lower()
        for method in (
            self._private,
            self._many,
            self._belongs,
            self._rename,
            self._remove,
            self._add_entity,
            self._add_field,
        ):
            if method(low):
                return True
        return False

    def _add_field(self, c: str) -> bool:
        m = re.match(rf"^(?:add|give)\s+{_ART}(?P<opt>)(?P<name>[a-z][a-z0-9 _-]*?)"
                     r"(?:\s+field)?(?:\s*\((?P<values>[^)]*)\))?(?:\s+(?:field\s+)?(?:of type|as an?|as)\s+(?P<type>[a-z_]+))?"
                     r"(?:\s+field)?\s+(?:to|on|for)\s+(?:the\s+|each\s+|every\s+)?(?P<entity>[a-z][a-z0-9 _-]*)$", c)  # fmt: skip
        if not m:
            return False
        entity = self.entity(m["entity"])
        if entity is None:
            raise PromptError(f"no entity {m['entity']!r} to add {m['name']!r} to",
                              hint="known: " + ", ".join(e["name"] for e in self.entities()))  # fmt: skip
        optional = bool(re.search(r"\b(optional)\b", c.split(m["name"])[0]))
        fname = to_snake(m["name"])
        if entity_field := next((f for f in entity["fields"] if f["name"] == fname), None):
            raise PromptError(f"{entity['name']} already has a field {entity_field['name']!r}")
        values = [v.strip() for v in re.split(r",|\bor\b|/", m["values"] or "") if v.strip()]
        kind = "enum" if values else _type_of(fname, m["type"] or "")
        required = not optional
        entity["fields"].append({"name": fname, "type": kind, "required": required, "unique": False,
                                 "values": values or None, "description": ""})  # fmt: skip
        return True

    def _add_entity(self, c: str) -> bool:
        m = re.match(rf"^(?:add|create)\s+{_ART}(?P<name>[a-z][a-z0-9 ]*?)\s+(?:entity|table|resource)"
                     r"(?:\s+with\s+(?P<fields>.+))?$", c)  # fmt: skip
        if not m:
            return False
        if self.entity(m["name"]):
            raise PromptError(f"there is already an entity {m['name']!r}")
        e = self.new_entity(m["name"])
        if m["fields"]:
            e["fields"] = []
            for words in re.split(r",\s*(?:and\s+)?|\s+and\s+", m["fields"]):
                words = re.sub(rf"^{_ART}", "", words.strip())
                if words:
                    fname = to_snake(words)
                    e["fields"].append({"name": fname, "type": _type_of(fname, ""), "required": True,
                                        "unique": False, "values": None, "description": ""})  # fmt: skip
        return True

    def _many(self, c: str) -> bool:
        m = re.match(r"^(?:each\s+|every\s+|an?\s+)?(?P<src>[a-z][a-z0-9 ]*?)\s+(?:can\s+)?(?:have|has|carry|carries|get)\s+"
                     r"(?:many|several|multiple|one or more|any number of)\s+(?P<dst>[a-z][a-z0-9 ]*?)$", c)  # fmt: skip
        if not m:
            return False
        src = self.entity(m["src"])
        if src is None:
            return False
        dst = self.entity(m["dst"]) or self.new_entity(singular(m["dst"]))
        self._relate(src["name"], dst["name"], "many_to_many")
        return True

    def _belongs(self, c: str) -> bool:
        m = re.match(
            r"^(?:each\s+|every\s+|an?\s+)?(?P<src>[a-z][a-z0-9 ]*?)\s+(?:belongs?|belong)\s+to\s+(?:an?\s+|one\s+|the\s+)?(?P<dst>[a-z][a-z0-9 ]*?)$",
            c,
        )
        if not m:
            return False
        src = self.entity(m["src"])
        if src is None:
            return False
        dst = self.entity(m["dst"]) or self.new_entity(m["dst"])
        self._relate(src["name"], dst["name"], "many_to_one")
        return True

    def _relate(self, source: str, target: str, kind: str) -> None:
        rels = self.data["relationships"]
        if any(r["source"] == source and r["target"] == target and r["kind"] == kind for r in rels):
            raise PromptError(f"{source} -> {target} ({kind}) is already in the spec")
        rels.append({"source": source, "target": target, "kind": kind, "required": False, "name": None})

    def _rename(self, c: str) -> bool:
        m = re.match(r"^rename\s+(?:the\s+)?(?P<old>[a-z][a-z0-9 _]*?)(?:\s+field)?(?:\s+(?:of|on|in)\s+(?:the\s+)?(?P<entity>[a-z][a-z0-9 ]*?))?"
                     r"\s+(?:to|as|into)\s+(?P<new>[a-z][a-z0-9 _]*)$", c)  # fmt: skip
        if not m:
            return False
        old, new = to_snake(m["old"]), to_snake(m["new"])
        hit = self.field_of(old, m["entity"])
        if hit is None:
            raise PromptError(f"there is no field {old!r} to rename",
                              hint="renaming entities is not supported yet; rename a field")  # fmt: skip
        entity, f = hit
        if any(x["name"] == new for x in entity["fields"]):
            raise PromptError(f"{entity['name']} already has a field {new!r}")
        f["name"] = new
        self.renames[f"{entity['name']}.{old}"] = new
        return True

    def _remove(self, c: str) -> bool:
        m = re.match(r"^(?:remove|delete|drop)\s+(?:the\s+)?(?P<what>[a-z][a-z0-9 _]*?)(?:\s+(?P<kind>field|column|entity|table))?"
                     r"(?:\s+(?:from|of|on)\s+(?:the\s+)?(?P<entity>[a-z][a-z0-9 ]*?))?$", c)  # fmt: skip
        if not m:
            return False
        if m["kind"] in ("entity", "table"):
            e = self.entity(m["what"])
            if e is None:
                raise PromptError(f"there is no entity {m['what']!r} to remove")
            self.data["entities"].remove(e)
            self.data["relationships"] = [
                r for r in self.data["relationships"] if e["name"] not in (r["source"], r["target"])
            ]
            self.data["rules"] = [r for r in self.data.get("rules", []) if r["entity"] != e["name"]]
            return True
        hit = self.field_of(to_snake(m["what"]), m["entity"])
        if hit is None:
            raise PromptError(f"there is no field {to_snake(m['what'])!r} to remove")
        entity, f = hit
        entity["fields"].remove(f)
        return True

    def _private(self, c: str) -> bool:
        m = re.match(r"^(?:the\s+)?(?P<entity>[a-z][a-z0-9 ]*?)\s+(?:are|is)\s+(?:private|owned|personal)"
                     r"(?:\s+(?:to|by)\s+(?:their|its|the)\s+(?:author|owner|creator|user)s?)?$", c)  # fmt: skip
        if not m:
            return False
        e = self.entity(m["entity"])
        if e is None:
            return False
        e["owned"] = True
        self.data["auth"] = True
        return True


def read_change(spec: ProjectSpec, change: str) -> ReadChange:
    """Read ``change`` deterministically; clauses it cannot read are listed in ``unread``."""
    if not change or not change.strip():
        raise PromptError("the change is empty", hint='say what to change, e.g. "add a due date to tasks"')
    reader = _Reader(spec)
    read, unread = [], []
    for clause in _clauses(change):
        (read if reader.read(clause) else unread).append(clause)
    new = parse_spec(reader.data) if read else spec
    return ReadChange(new, reader.renames, read, unread)


def describe(spec: ProjectSpec) -> str:
    """The spec in plain sentences: the parser's context for a change in words."""
    parts = [f"{spec.description or spec.name}."]
    if spec.auth:
        parts.append("Users log in.")
    for e in spec.entities:
        fields = ", ".join(f"{f.name.replace('_', ' ')} ({f.type})" for f in e.fields)
        parts.append(
            f"{names.plural(e.name)} have {fields or 'no fields'}{' and are private to their owner' if e.owned else ''}."
        )
    for r in spec.relationships:
        parts.append(f"Each {r.source} {'has many' if r.kind == 'many_to_many' else 'belongs to a'} {r.target}.")
    return " ".join(parts)


class LazyParser:
    """The parser role of a profile, loaded only when a clause needs it (most changes need no model)."""

    def __init__(self, load: Any) -> None:
        self._load = load

    def get(self) -> Any:
        return self._load()


def change_stage(spec: ProjectSpec, change: str, parser: Any | None) -> Generator[Event, None, ReadChange]:
    """Read a change: deterministically first, then the parser role (if given) for what is left."""
    result = read_change(spec, change)
    if result.unread and isinstance(parser, LazyParser):
        parser = parser.get()
    if result.unread and parser is None:
        raise PromptError(
            f"cannot read {result.unread[0]!r} without a model",
            hint='use a form like "add a due date to tasks", "tasks can have many labels", '
            '"rename notes to description", "remove the fax field", or drop --no-models',
        )
    if result.unread:
        from codebegen.stages.parse import parse_stage

        prompt = f"{describe(result.spec)} Also: {'; '.join(result.unread)}."
        parsed = None
        for event in parse_stage(prompt, parser):
            if isinstance(event, SpecArtifact):
                parsed = event.spec
            else:
                yield event
        if parsed is not None:
            added = _additions(result.spec, parsed)
            if added is result.spec:
                yield Warning("parse", f"the model found nothing to add in {'; '.join(result.unread)!r}")
            result.spec = added
    yield SpecArtifact("parse", result.spec)
    return result


def _additions(current: ProjectSpec, parsed: ProjectSpec) -> ProjectSpec:
    """``current`` plus the entities, fields and relationships ``parsed`` has and it lacks."""
    data = current.model_dump()
    changed = False
    known = {e["name"]: e for e in data["entities"]}
    for e in parsed.entities:
        if e.name not in known:
            data["entities"].append(e.model_dump())
            known[e.name] = data["entities"][-1]
            changed = True
            continue
        have = {f["name"] for f in known[e.name]["fields"]}
        for f in e.fields:
            if f.name not in have:
                known[e.name]["fields"].append(f.model_dump())
                changed = True
    for r in parsed.relationships:
        if (
            r.source in known
            and r.target in known
            and not any(x["source"] == r.source and x["target"] == r.target for x in data["relationships"])
        ):
            data["relationships"].append(r.model_dump())
            changed = True
    if not changed:
        return current
    try:
        return parse_spec(data)
    except SpecError:
        return current


__all__ = ["LazyParser", "ReadChange", "change_stage", "describe", "read_change"]
