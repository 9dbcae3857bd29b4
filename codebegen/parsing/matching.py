"""Name matching: whether two spellings name the same entity or the same field.

Owns the leniency with which names are compared — a spec's names with the prompt's (the
prompt-coverage check, ``codebegen.parsing.coverage``, and spec repair,
``codebegen.parsing.repair``) and with a gold set's (``codebegen.evaluation``) — and finding an
entity, a field or a link of a spec (its dict form) by such a name. It reads no prompt and
changes no spec.

Two rule sets share one skeleton (an entity matches on equal keys, or when the longer key ends
with a shorter one of at least four letters; a field matches on equal letters, or when one
name's words are all among the other's) and differ in how names become keys and words:

- the check's (``entity_key``, ``same_entity``, ``field_words``, ``same_field``): names are split
  with ``codebegen.names.snake`` and singularised by the project's inflector, clean-up's
  ``Record`` suffix ("TableRecord") is ignored, and "at" / "on" are no words of a field name;
- the reference scorer's (``scorer_entity_key``, ``scorer_same_entity``, ``field_score``): the
  rules of ``bench/score_specs.py``, which ``codebegen eval`` agrees with, where a close
  spelling counts too ("max_score" is "maximum_score") and a field match is a score.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from codebegen import names


def norm(name: str) -> str:
    """Lower-case letters and digits only: ``Due_Date`` and ``dueDate`` are both ``duedate``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _keys_match(ka: str, kb: str) -> bool:
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 4 and long_.endswith(short)


def _words_within(ta: set[str], tb: set[str]) -> bool:
    return bool(ta and tb and (ta <= tb or tb <= ta))


# --- the check's rules ------------------------------------------------------------------------------

_CHECK_FILLERS = frozenset({"is", "has", "the", "of", "a", "at", "on"})


def entity_key(name: str) -> str:
    """The key two entity names share when they name the same thing (``OrderItems`` -> ``orderitem``)."""
    key = norm(names.singular(names.snake(name)))
    return key[: -len("record")] if key.endswith("record") and len(key) > 6 else key  # clean-up's "TableRecord"


def same_entity(a: str, b: str) -> bool:
    return _keys_match(entity_key(a), entity_key(b))


def field_words(name: str) -> set[str]:
    """A field name's words without fillers ("is_paid" -> {"paid"}; "starts_at" -> {"starts"})."""
    return {t for t in re.split(r"[^a-z0-9]+", names.snake(name)) if t} - _CHECK_FILLERS


def same_field(a: str, b: str) -> bool:
    return norm(a) == norm(b) or _words_within(field_words(a), field_words(b))


# --- the reference scorer's rules (bench/score_specs.py) ------------------------------------------

_SCORER_FILLERS = frozenset({"is", "has", "the", "of", "a"})


def scorer_entity_key(name: str) -> str:
    return names.singular(norm(name))


def scorer_same_entity(a: str, b: str) -> bool:
    return _keys_match(scorer_entity_key(a), scorer_entity_key(b))


def scorer_field_words(name: str) -> set[str]:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return {t for t in re.split(r"[^a-z0-9]+", snake) if t} - _SCORER_FILLERS


def field_score(a: str, b: str) -> float:
    """1.0 for the same name, 0.9 when one's words are within the other's, else the spelling's
    similarity when it is at least 0.8, else 0.0."""
    if norm(a) == norm(b):
        return 1.0
    if _words_within(scorer_field_words(a), scorer_field_words(b)):
        return 0.9
    r = difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()
    return r if r >= 0.8 else 0.0


# --- a spec's entity, field or link by name (the check's rules) -----------------------------------


def find_entity(
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


def find_field(entity: dict[str, Any], name: str, others: set[str] = frozenset()) -> dict[str, Any] | None:
    """The field ``name`` of ``entity``, or one close to it that is not itself one of ``others``
    (the thing's other attributes: "owner name" is not the dog's "name")."""
    fields = entity.get("fields") or []
    return next((f for f in fields if f.get("name") == name), None) or next(
        (f for f in fields if f.get("name") not in others and same_field(str(f.get("name", "")), name)), None
    )


def has_link(
    spec: dict[str, Any], source: str, target: str, kind: str, aliases: dict[str, tuple[str, ...]] | None = None
) -> bool:
    """Whether the spec relates the entities for ``source`` and ``target`` as ``kind`` says (a
    ``one_to_many`` read the other way round; ``many_to_many`` either way)."""
    a, b = find_entity(spec, source, aliases), find_entity(spec, target, aliases)
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


__all__ = [
    "entity_key",
    "field_score",
    "field_words",
    "find_entity",
    "find_field",
    "has_link",
    "norm",
    "same_entity",
    "same_field",
    "scorer_entity_key",
    "scorer_field_words",
    "scorer_same_entity",
]
