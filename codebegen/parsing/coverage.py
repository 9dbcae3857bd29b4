"""The prompt-coverage check: does the spec carry everything the prompt asks for?

Owns comparing a ``Reading`` of the prompt (``codebegen.parsing.reading``) with a spec (a
``ProjectSpec`` or its dict form): every thing the prompt describes, each of its attributes,
each stated link, each "unique" / "required" / "optional" in words, each ownership ("private
to them", "their own tickets") and the login wish becomes an ``Item`` that is either covered or
"not in the spec", with the prompt's own words. The parse stage emits the result as a
``Coverage`` event, the trust report lists it, the studio's Schema tab marks what is missing.

It only checks: completing a spec from the reading is spec repair's (``codebegen.parsing.repair``),
whether two names match is ``codebegen.parsing.matching``'s, and measuring the check against a
gold set is ``codebegen.evaluation``'s (``agreement``). It calls no model. It reads a change
request ("add a priority (low, high) to tasks") as well as a prompt: ``check`` on the
request's reading tells which of its items a new spec carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codebegen.parsing.matching import find_entity, find_field, has_link
from codebegen.parsing.reading import Reading, quote, read_prompt

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
        said = f' ("{quote(self.words)}")' if self.words else ""
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


def _spec_dict(spec: Any) -> dict[str, Any]:
    if hasattr(spec, "model_dump"):
        return spec.model_dump(mode="json")
    return spec or {}


# --- the check ----------------------------------------------------------------------------------


def check(prompt_or_reading: str | Reading, spec: Any) -> Coverage:
    """Every item the prompt asks for, covered or not by ``spec`` (a ProjectSpec or its dict)."""
    reading = read_prompt(prompt_or_reading) if isinstance(prompt_or_reading, str) else prompt_or_reading
    data = _spec_dict(spec)
    items: list[Item] = []
    aliases = reading.other_names()
    for thing in reading.things:
        entity = find_entity(data, thing.name, aliases)
        items.append(
            Item("thing", thing.name, "", thing.words, entity is not None, f"as {entity['name']}" if entity else "")
        )
        others = {a.name for a in thing.attributes}
        for a in thing.attributes:
            f = find_field(entity, a.name, others) if entity else None
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
        ok = has_link(data, link.source, link.target, link.kind, aliases)
        items.append(Item("link", link.source, link.target, link.words, ok, link.kind))
    if reading.login:
        items.append(Item("login", "", "", reading.login, bool(data.get("auth"))))
    return Coverage(items)


__all__ = ["KINDS", "Coverage", "Item", "check"]
