"""What changed between two versions of a ProjectSpec, with renames explicit.

Owns ``SpecDiff``: entities, fields, relationships and auth added, removed, renamed or
retyped, shown to the user before anything is written, and read by the migration (a renamed
field is a column rename, never a drop plus an add that loses the column's values). A rename
is either given (``renames={"Task.notes": "description"}``) or inferred where an entity loses
exactly one field and gains exactly one field of the same type; an inferred rename is marked
as such in the diff the user confirms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from codebegen.errors import SpecError
from codebegen.spec import FieldSpec, ProjectSpec, RelationshipSpec


@dataclass(frozen=True)
class FieldChange:
    entity: str
    field: str
    what: str  # added, removed, renamed, changed
    detail: str = ""
    old_name: str | None = None  # for renamed
    inferred: bool = False


@dataclass
class SpecDiff:
    entities_added: list[str] = field(default_factory=list)
    entities_removed: list[str] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    relationships_added: list[str] = field(default_factory=list)
    relationships_removed: list[str] = field(default_factory=list)
    relationships_changed: list[str] = field(default_factory=list)
    auth: tuple[bool, bool] | None = None
    owned: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.lines()

    def renames(self) -> dict[str, dict[str, str]]:
        """entity -> {old field: new field}."""
        out: dict[str, dict[str, str]] = {}
        for c in self.fields:
            if c.what == "renamed" and c.old_name:
                out.setdefault(c.entity, {})[c.old_name] = c.field
        return out

    def lines(self) -> list[str]:
        out = [f"+ entity {n}" for n in self.entities_added]
        out += [f"- entity {n} (its table and rows are dropped)" for n in self.entities_removed]
        for c in self.fields:
            sign = {"added": "+", "removed": "-", "renamed": "~", "changed": "~"}[c.what]
            if c.what == "renamed":
                how = (
                    " (inferred: same type, one removed and one added; pass renames to say otherwise)"
                    if c.inferred
                    else ""
                )
                out.append(f"~ field {c.entity}.{c.old_name} renamed to {c.field}{how}")
            else:
                out.append(f"{sign} field {c.entity}.{c.field} {c.what}{f': {c.detail}' if c.detail else ''}")
        out += [f"+ relationship {r}" for r in self.relationships_added]
        out += [f"- relationship {r}" for r in self.relationships_removed]
        out += [f"~ relationship {r}" for r in self.relationships_changed]
        if self.auth is not None:
            out.append(f"~ auth {'on' if self.auth[1] else 'off'} (was {'on' if self.auth[0] else 'off'})")
        out += [f"~ {line}" for line in self.owned + self.other]
        return out

    def text(self) -> str:
        return "\n".join(self.lines()) or "no change"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"lines": self.lines()}


def _field_desc(f: FieldSpec) -> str:
    bits = [f.type + (f"({', '.join(f.values)})" if f.values else "")]
    bits.append("required" if f.required else "optional")
    if f.unique:
        bits.append("unique")
    return ", ".join(bits)


def _rel_desc(r: RelationshipSpec) -> str:
    return f"{r.source} -> {r.target} ({r.kind}{', as ' + r.name if r.name else ''})"


def diff_specs(
    old: ProjectSpec, new: ProjectSpec, renames: dict[str, str] | None = None, *, infer: bool = True
) -> SpecDiff:
    """The difference old -> new. ``renames`` maps ``"Entity.old_field"`` to the new field name.

    ``infer=False`` (a change in words, whose renames are all said) never guesses a rename.
    """
    given: dict[str, dict[str, str]] = {}
    for key, to in (renames or {}).items():
        entity, _, old_field = key.partition(".")
        given.setdefault(entity, {})[old_field] = to
    d = SpecDiff()
    old_names = [e.name for e in old.entities]
    new_names = [e.name for e in new.entities]
    d.entities_added = [n for n in new_names if n not in old_names]
    d.entities_removed = [n for n in old_names if n not in new_names]
    if old.auth != new.auth:
        d.auth = (old.auth, new.auth)
    if old.name != new.name:
        d.other.append(f"project name {new.name} (was {old.name})")
    for e_new in new.entities:
        e_old = old.entity(e_new.name)
        if e_old is None:
            continue
        if e_old.owned != e_new.owned:
            d.owned.append(f"entity {e_new.name} {'owned by its creator' if e_new.owned else 'no longer owned'}")
        d.fields += _field_changes(e_old.name, e_old.fields, e_new.fields, given.get(e_new.name, {}), infer)
    for entity, mapping in given.items():
        for old_field, to in mapping.items():
            e_old, e_new = old.entity(entity), new.entity(entity)
            if not e_old or not e_old.field(old_field) or not e_new or not e_new.field(to):
                raise SpecError([f"rename {entity}.{old_field} -> {to}: no such field in the old and new specs"])
    old_rels = {_rel_desc(r): r for r in old.relationships}
    new_rels = {_rel_desc(r): r for r in new.relationships}
    d.relationships_added = [k for k in new_rels if k not in old_rels]
    d.relationships_removed = [k for k in old_rels if k not in new_rels]
    for k, r in new_rels.items():
        if k in old_rels and old_rels[k].required != r.required:
            d.relationships_changed.append(f"{k} {'required' if r.required else 'optional'}")
    if [r.model_dump() for r in old.rules] != [r.model_dump() for r in new.rules]:
        d.other.append("business rules changed")
    return d


def _field_changes(
    entity: str, old: list[FieldSpec], new: list[FieldSpec], given: dict[str, str], infer: bool
) -> list[FieldChange]:
    old_by = {f.name: f for f in old}
    new_by = {f.name: f for f in new}
    renamed = {o: n for o, n in given.items() if o in old_by and n in new_by and o not in new_by}
    removed = [n for n in old_by if n not in new_by and n not in renamed]
    added = [n for n in new_by if n not in old_by and n not in renamed.values()]
    inferred: set[str] = set()
    if (
        infer
        and not given
        and len(removed) == 1
        and len(added) == 1
        and old_by[removed[0]].type == new_by[added[0]].type
    ):
        renamed[removed[0]] = added[0]
        inferred.add(removed[0])
        removed, added = [], []
    out: list[FieldChange] = []
    for o, n in renamed.items():
        out.append(FieldChange(entity, n, "renamed", old_name=o, inferred=o in inferred))
        if _field_desc(old_by[o]) != _field_desc(new_by[n]):
            out.append(FieldChange(entity, n, "changed", f"{_field_desc(new_by[n])} (was {_field_desc(old_by[o])})"))
    out += [FieldChange(entity, n, "added", _field_desc(new_by[n])) for n in added]
    out += [FieldChange(entity, n, "removed", "its values are dropped") for n in removed]
    for n, f in new_by.items():
        if n in old_by and _field_desc(old_by[n]) != _field_desc(f):
            out.append(FieldChange(entity, n, "changed", f"{_field_desc(f)} (was {_field_desc(old_by[n])})"))
    return out


__all__ = ["FieldChange", "SpecDiff", "diff_specs"]
