"""The prompt-coverage check: does the spec carry everything the prompt asks for?

Owns comparing a ``Reading`` of the prompt (``codebegen.parsing.reading``) with a spec (a
``ProjectSpec`` or its dict form): every thing the prompt describes, each of its attributes,
each stated link, each "unique" / "required" / "optional" in words, each ownership ("private
to them", "their own tickets") and the login wish becomes an ``Item`` that is either covered or
"not in the spec", with the prompt's own words. The parse stage emits the result as a
``Coverage`` event, the trust report lists it, the studio's Schema tab marks what is missing.

It also completes a spec from the reading (``complete``, the parse stage's second pass over
what a model left out) and measures its own agreement with a gold set (``agreement``). It
calls no model. It reads a change request ("add a priority (low, high) to tasks") as well as
a prompt: ``check`` on the request's reading tells which of its items a new spec carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from codebegen import names
from codebegen.parsing.cleanup import _entity_name, _field_name, singular, to_entity
from codebegen.parsing.links import read_links
from codebegen.parsing.reading import Reading, read_prompt

KINDS = ("thing", "attribute", "link", "unique", "required", "owned", "login")


@dataclass(frozen=True)
class Item:
    """One thing the prompt asks for and whether the spec has it."""

    kind: str  # one of KINDS
    entity: str  # the entity it belongs to ("" for login)
    name: str  # the attribute / link target / "" for a thing
    words: str  # the prompt's words
    covered: bool
    detail: str = ""  # where the spec has it, or what is missing

    def line(self) -> str:
        what = {
            "thing": f"entity {self.entity}",
            "attribute": f"{self.entity}.{self.name}",
            "link": f"link {self.entity} -> {self.name}",
            "unique": f"{self.entity}.{self.name} unique",
            "required": f"{self.entity}.{self.name} {'required' if 'optional' not in self.detail else 'optional'}",
            "owned": f"{self.entity} private to its user",
            "login": "login",
        }[self.kind]
        said = f' ("{_short(self.words)}")' if self.words else ""
        return f"covered: {what}" if self.covered else f"not in the spec: {what}{said}"


@dataclass
class Coverage:
    """All items of one prompt against one spec."""

    items: list[Item] = field(default_factory=list)

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.covered]

    @property
    def complete(self) -> bool:
        return not self.missing

    def headline(self) -> str:
        n, miss = len(self.items), len(self.missing)
        if not n:
            return "prompt coverage: nothing read from the prompt to compare"
        if not miss:
            return f"prompt coverage: all {n} items the prompt asks for are in the spec"
        return f"prompt coverage: {miss} of {n} items the prompt asks for are NOT in the spec"

    def lines(self) -> list[str]:
        return [i.line() for i in self.items]

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "headline": self.headline(),
            "items": [
                {
                    "kind": i.kind,
                    "entity": i.entity,
                    "name": i.name,
                    "words": i.words,
                    "covered": i.covered,
                    "detail": i.detail,
                }
                for i in self.items
            ],
        }

    def missing_for(self, entity: str) -> list[Item]:
        return [i for i in self.missing if i.entity == entity]


def _short(words: str, limit: int = 80) -> str:
    words = re.sub(r"\s+", " ", words).strip()
    return words if len(words) <= limit else words[: limit - 1] + "…"


# --- name matching (the same leniency as the reference scorer) --------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _ent_key(name: str) -> str:
    key = _norm(singular(names.snake(name)).replace("_", ""))
    return key[: -len("record")] if key.endswith("record") and len(key) > 6 else key  # clean-up's "TableRecord"


def same_entity(a: str, b: str) -> bool:
    ka, kb = _ent_key(a), _ent_key(b)
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 4 and long_.endswith(short)


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", names.snake(name)) if t} - {"is", "has", "the", "of", "a", "at", "on"}


def same_field(a: str, b: str) -> bool:
    if _norm(a) == _norm(b):
        return True
    ta, tb = _tokens(a), _tokens(b)
    return bool(ta and tb and (ta <= tb or tb <= ta))


def _spec_dict(spec: Any) -> dict[str, Any]:
    if hasattr(spec, "model_dump"):
        return spec.model_dump(mode="json")
    return spec or {}


def _find_entity(
    spec: dict[str, Any], name: str, aliases: dict[str, tuple[str, ...]] | None = None
) -> dict[str, Any] | None:
    """The spec's entity for ``name``: the same name, a close one, or one of its ``aliases``."""
    ents = spec.get("entities") or []
    for candidate in (name, *((aliases or {}).get(name, ()))):
        found = next((e for e in ents if e.get("name") == candidate), None) or next(
            (e for e in ents if same_entity(str(e.get("name", "")), candidate)), None
        )
        if found is not None:
            return found
    return None


def _find_field(entity: dict[str, Any], name: str, others: set[str] = frozenset()) -> dict[str, Any] | None:
    """The field ``name`` of ``entity``, or one close to it that is not itself one of ``others``
    (the thing's other attributes: "owner name" is not the dog's "name")."""
    fields = entity.get("fields") or []
    return next((f for f in fields if f.get("name") == name), None) or next(
        (f for f in fields if f.get("name") not in others and same_field(str(f.get("name", "")), name)), None
    )


def _has_link(
    spec: dict[str, Any], source: str, target: str, kind: str, aliases: dict[str, tuple[str, ...]] | None = None
) -> bool:
    a, b = _find_entity(spec, source, aliases), _find_entity(spec, target, aliases)
    if a is None or b is None:
        return False
    an, bn = a["name"], b["name"]
    for r in spec.get("relationships") or []:
        s, t, k = r.get("source"), r.get("target"), r.get("kind")
        if k == "one_to_many":
            s, t, k = t, s, "many_to_one"
        if kind == "many_to_many" and k == "many_to_many" and {s, t} == {an, bn}:
            return True
        if kind != "many_to_many" and k != "many_to_many" and (s, t) == (an, bn):
            return True
    return False


# --- the check ----------------------------------------------------------------------------------


def check(prompt_or_reading: str | Reading, spec: Any) -> Coverage:
    """Every item the prompt asks for, covered or not by ``spec`` (a ProjectSpec or its dict)."""
    reading = read_prompt(prompt_or_reading) if isinstance(prompt_or_reading, str) else prompt_or_reading
    data = _spec_dict(spec)
    items: list[Item] = []
    aliases = _aliases(reading)
    for thing in reading.things:
        entity = _find_entity(data, thing.name, aliases)
        items.append(
            Item("thing", thing.name, "", thing.words, entity is not None, f"as {entity['name']}" if entity else "")
        )
        others = {a.name for a in thing.attributes}
        for a in thing.attributes:
            f = _find_field(entity, a.name, others) if entity else None
            items.append(Item("attribute", thing.name, a.name, a.words, f is not None, f"as {f['name']}" if f else ""))
            if a.unique:
                ok = bool(f and f.get("unique"))
                items.append(Item("unique", thing.name, a.name, a.words, ok))
            if a.required is not None:
                ok = bool(f) and bool(f.get("required", True)) == a.required
                items.append(
                    Item("required", thing.name, a.name, a.words, ok, "required" if a.required else "optional")
                )
        if thing.owned:
            ok = bool(entity and entity.get("owned"))
            items.append(Item("owned", thing.name, "", thing.owned, ok))
    for link in reading.links:
        ok = _has_link(data, link.source, link.target, link.kind, aliases)
        items.append(Item("link", link.source, link.target, link.words, ok, link.kind))
    if reading.login:
        items.append(Item("login", "", "", reading.login, bool(data.get("auth"))))
    return Coverage(items)


# --- the second pass: what the reading has and the spec lacks -----------------------------------


def complete(spec_data: dict[str, Any], reading: Reading) -> list[str]:
    """Add to ``spec_data`` (the clean-up's dict, changed in place) what the reading has and it lacks.

    Adds each described thing the spec lacks (with its attributes), each missing attribute, enum
    values and unique / required flags said in words, ownership, and the stated links; returns one
    warning line per addition, quoting the prompt.
    """
    warnings: list[str] = []
    entities = spec_data.setdefault("entities", [])
    taken = {e["name"] for e in entities}
    aliases = _aliases(reading)
    for thing in reading.things:
        entity = _find_entity(spec_data, thing.name, aliases)
        misread = to_entity(thing.words)
        if entity is None and misread != thing.name:  # the inflector's "Specy" for "species"
            entity = next((e for e in entities if e["name"] == misread), None)
            if entity is not None:
                _rename(spec_data, misread, thing.name)
                taken.add(thing.name)
                warnings.append(f"entity {misread!r} renamed to {thing.name!r} (the prompt says {thing.words!r})")
        if entity is None:
            checked = _entity_name(thing.name, [])
            name = checked if checked.endswith("Record") and not thing.name.endswith("Record") else thing.name
            if not name or name in taken:
                continue
            entity = {"name": name, "owned": False, "description": "", "fields": []}
            entities.append(entity)
            taken.add(name)
            warnings.append(f"entity {thing.name!r} added: the prompt describes it ({_short(thing.words)!r})")
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
            f = _find_field(entity, a.name, others)
            if f is None:
                fname = _field_name(a.name, [], "")
                if not fname or any(x["name"] == fname for x in fields):
                    continue
                f = {"name": fname, "type": a.type, "required": a.required is not False}
                if a.values:
                    f["values"] = list(a.values)
                if a.unique:
                    f["unique"] = True
                fields.append(f)
                warnings.append(
                    f"entity {entity['name']!r}: field {a.name!r} added from the prompt ({_short(a.words)!r})"
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
                    f"entity {entity['name']!r}, field {f['name']!r}: type {a.type} (the prompt says {_short(a.words)!r})"
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
            warnings.append(f"entity {entity['name']!r}: owned by its user ({_short(thing.owned)!r})")
    if any(e.get("owned") for e in entities) and not spec_data.get("auth"):
        spec_data["auth"] = True
        warnings.append("auth turned on: some entities belong to users")
    rels = spec_data.setdefault("relationships", [])
    for link in reading.links:
        a, b = _find_entity(spec_data, link.source, aliases), _find_entity(spec_data, link.target, aliases)
        if a is None or b is None or _has_link(spec_data, link.source, link.target, link.kind, aliases):
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
        warnings.append(f"relationship {an} -> {bn} ({link.kind}) added: the prompt says {_short(link.words)!r}")
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
    aliases = _aliases(reading)
    model = {
        "entities": list(spec_data.get("entities") or []),
        "relationships": list(spec_data.get("relationships") or []),
    }
    elsewhere = {a.name for t in reading.things for a in t.attributes}
    renamed: dict[str, str] = {}  # the model's entity name -> the final one
    final: dict[str, str] = {}  # the reading's thing name -> the final one
    out: list[dict[str, Any]] = []
    for thing in reading.things:
        mine = _find_entity(model, thing.name, aliases)
        misread = to_entity(thing.words)
        if mine is None and misread != thing.name:  # the inflector's "Specy" for "species"
            mine = next((e for e in model["entities"] if e["name"] == misread), None)
        checked = _entity_name(thing.name, [])
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
                        f"entity {mine['name']!r} named {name!r}, as the prompt says ({_short(thing.words)!r})"
                    )
        else:
            warnings.append(f"entity {name!r} added: the prompt describes it ({_short(thing.words)!r})")
        if thing.attributes:
            fields: list[dict[str, Any]] = []
            for a in thing.attributes:
                fname = _field_name(a.name, [], "")
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


def _aliases(reading: Reading) -> dict[str, tuple[str, ...]]:
    """Each thing's other names, none of which is another described thing ("order items" is no Order)."""
    things = {t.name for t in reading.things}
    return {t.name: tuple(a for a in t.aliases if a not in things) for t in reading.things}


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


# --- agreement with a gold set --------------------------------------------------------------------


def _gold_entity(gold_entities: dict[str, Any], name: str, aliases: tuple[str, ...] = ()) -> str | None:
    """The gold entity an item's entity is: the same key first, then a close one ("DoctorHospital"
    is the gold's DoctorHospital, not its Hospital), then one of the thing's other names (the
    check's own leniency: "harvest logs" may be a gold ``Harvest``)."""
    for candidate in (name, *aliases):
        found = next((g for g in gold_entities if _ent_key(g) == _ent_key(candidate)), None) or next(
            (g for g in gold_entities if same_entity(g, candidate)), None
        )
        if found is not None:
            return found
    return None


def agreement(
    gold: list[dict[str, Any]], specs: dict[str, dict[str, Any] | None], details: list[str] | None = None
) -> dict[str, Any]:
    """How well the check flags what the gold has and the spec lacks (entities, fields, links; and
    login, counted apart).

    ``gap``: gold items (entity, field of a matched entity, relationship) the spec lacks;
    ``flagged``: those the check lists as not in the spec; ``false_alarms``: the check's
    "not in the spec" items that the spec does have per the gold (or that the gold lacks). Whether
    a spec's field is the gold's is the reference scorer's matching (``codebegen.evaluation``: the same
    name, one name's words inside the other's, or close spelling: ``max_score`` is ``maximum_score``).
    ``details`` (a list) gets one line per unflagged gap and per false alarm, named by case.
    """
    gap = flagged = alarms = n_missing = auth_gap = auth_flagged = 0
    for row in gold:
        spec = specs.get(row["id"]) or {"entities": [], "relationships": [], "auth": False}
        gaps, false = _case_agreement(row, spec)
        gap += len(gaps)
        flagged += sum(ok for _, ok in gaps)
        n_missing += sum(i.kind in ("thing", "attribute", "link") for i in check(row["prompt"], spec).missing)
        alarms += len(false)
        if row.get("auth") and not spec.get("auth"):
            auth_gap += 1
            auth_flagged += any(i.kind == "login" for i in check(row["prompt"], spec).missing)
        if details is not None:
            details += [f"{row['id']}: not flagged: {what}" for what, ok in gaps if not ok]
            details += [f"{row['id']}: false alarm: {i.line()}" for i in false]
    return {
        "coverage_gap": gap,
        "coverage_flagged": flagged,
        "coverage_flag_rate": round(flagged / gap, 3) if gap else 1.0,
        "coverage_flags": n_missing,
        "coverage_false_alarms": alarms,
        "coverage_false_alarm_rate": round(alarms / n_missing, 3) if n_missing else 0.0,
        "coverage_login_gap": auth_gap,
        "coverage_login_flagged": auth_flagged,
    }


def _case_agreement(row: dict[str, Any], spec: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[Item]]:
    """One gold case: each gap (what the gold has and the spec lacks) with whether the check flags
    it, and the check's false alarms."""
    from codebegen.evaluation import _same_field as scorer_same_field

    reading = read_prompt(row["prompt"])
    miss = check(reading, spec).missing
    aliases = _aliases(reading)

    def same(item_entity: str, gname: str) -> bool:
        return _gold_entity({gname: None}, item_entity, aliases.get(item_entity, ())) is not None

    gaps: list[tuple[str, bool]] = []
    for gname, gfields in row["entities"].items():
        if gname.lower() in ("user", "account"):
            continue
        entity = _find_entity(spec, gname)
        if entity is None:
            gaps.append((f"entity {gname}", any(i.kind == "thing" and same(i.entity, gname) for i in miss)))
            continue
        for fname in gfields:
            if _norm(fname) in ("id", "createdat", "updatedat", "ownerid", "userid"):
                continue  # every table has them; the scorer ignores them too
            if not any(scorer_same_field(str(f.get("name", "")), fname) for f in entity.get("fields") or []):
                ok = any(
                    i.kind == "attribute" and same(i.entity, gname) and scorer_same_field(i.name, fname) for i in miss
                )
                gaps.append((f"{gname}.{fname}", ok))
    for s, t, k in row.get("relationships", []):
        if not _has_link(spec, s, t, k):
            ok = any(
                i.kind == "link"
                and (
                    same(i.entity, s)
                    and same(i.name, t)
                    or k == "many_to_many"
                    and same(i.entity, t)
                    and same(i.name, s)
                )
                for i in miss
            )
            gaps.append((f"link {s} -> {t} ({k})", ok))
    false: list[Item] = []
    for i in miss:
        if i.kind not in ("thing", "attribute", "link"):
            continue
        gname = _gold_entity(row["entities"], i.entity, aliases.get(i.entity, ()))
        if gname is None:
            false.append(i)
        elif i.kind == "attribute" and not any(scorer_same_field(i.name, f) for f in row["entities"][gname]):
            false.append(i)
        elif i.kind == "link" and not any(
            same(i.entity, s) and same(i.name, t) or same(i.entity, t) and same(i.name, s)
            for s, t, _ in row.get("relationships", [])
        ):
            false.append(i)
    return gaps, false


__all__ = ["Coverage", "Item", "agreement", "check", "complete", "reconcile", "same_entity", "same_field"]
