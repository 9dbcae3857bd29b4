"""The entity names a prompt grounds, and the decoding schema that allows only those.

Owns reading candidate entity names out of a prompt (each run of one to three content words,
its last word made singular, in PascalCase: "order items" -> ``OrderItem``, "check-ins" ->
``CheckIn``) and narrowing the parse stage's JSON schema so that an entity's name, and a
relationship's ends, can only be one of them. A 135M model left free writes names the prompt
never used ("Takedown" for talks, "Border" for batches); held to the prompt's own nouns it
picks the right one far more often, and it can no longer invent a table nobody asked for. It
does not call models and does not decide which candidates are entities (the model does).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from codebegen.parsing.cleanup import singular, to_entity

MAX_WORDS = 3  # "feature request", "order line item"; longer runs are phrases, not names
MAX_CANDIDATES = 1500  # a 4000-character prompt yields about this many; the grammar stays fast
ALWAYS = ("User",)  # the login entity a model may name even when the prompt does not

# Words that never start or end an entity's name (a name may not contain one at all).
STOP_WORDS = frozenset(
    """a an the and or but nor of to in on at by for with without from into onto per via as is are was were be been
    being am has have had having do does did can could should would will shall may might must not no yes it its
    this that these those their there them they we our us you your i me my he she his her who whom whose which what
    when where why how each every any all some many several one two three few more most much other another such
    only own same so than too very just also both either neither else then once here s t want wants need needs
    please hi hello hey thanks thank cheers ok okay etc e g ie eg""".split()
)


def _clauses(prompt: str) -> list[list[str]]:
    """The prompt's runs of words between punctuation, lower-cased ("check-ins" is two words)."""
    out = []
    for clause in re.split(r"[.,;:!?()\[\]{}\n\"/|<>=*•]+", prompt):
        words = [w for w in re.split(r"[^A-Za-z0-9]+", clause.lower()) if w]
        if words:
            out.append(words)
    return out


def entity_candidates(prompt: str) -> list[str]:
    """PascalCase names made of the prompt's own content words, in the order they appear."""
    seen: dict[str, None] = {name: None for name in ALWAYS}
    for words in _clauses(prompt):
        for i in range(len(words)):
            for n in range(1, MAX_WORDS + 1):
                run = words[i : i + n]
                if len(run) < n or any(w in STOP_WORDS or w.isdigit() for w in run):
                    break
                names = [to_entity(" ".join(run))]
                if len(run[-1]) == 3 and run[-1].endswith("s"):  # "check-ins": too short for to_entity's rule
                    names.append(to_entity(" ".join([*run[:-1], run[-1][:-1]])))
                for name in names:
                    if name and name[0].isalpha() and len(name) <= 40:
                        seen.setdefault(name, None)
                if len(seen) >= MAX_CANDIDATES:
                    return list(seen)
    return list(seen)


# A plural noun phrase that a list of fields follows: "books (title, isbn)", "Medicines: name, form",
# "teams have a name", "categories with a name". Each is something the prompt describes.
_NP = r"((?:[a-z0-9]+[ -]){0,2}[a-z0-9]+)"
_LEAD = r"(?:^|[.;:!?\n]\s*)(?:[-*•]\s*|\d+[.)]\s*)?"  # a sentence, line or bullet starts
# (pattern, whether a singular head counts): a singular head in parentheses is usually an enum
# field ("a priority (low, high)"); after "each" or at the start of a "name: fields" line (not
# the first, which is a title: "Online bookstore: books ...") it is the entity itself ("Each
# donor has a name", "- Job: title, copies")
_DESCRIBED = (
    (re.compile(_NP + r"\s*\(([^()]*,[^()]*)\)"), False),
    (re.compile(r"(?:" + _LEAD + r"|\band\s+)" + _NP + r"\s*:\s*[a-z]"), False),
    (re.compile(r"(?:[;\n]\s*|[-*•]\s+)" + _NP + r"\s*:\s*[a-z]"), True),  # not the title line
    (re.compile(_LEAD + _NP + r"\s+(?:have|should have|must have|need|store|carry|contain|record|belong to)\s"), False),
    (
        re.compile(_LEAD + r"(?:each|every|an?)\s+" + _NP + r"\s+(?:has|stores|holds|keeps|records|needs|carries)\s"),
        True,
    ),
    (re.compile(_NP + r"\s+with\s+(?:a|an|the)?\s*[a-z]+\s*(?:,|and)"), False),
    (re.compile(r"\b(?:track|store|manage|keep|record)\s+" + _NP + r"\s+with\s"), False),
    (re.compile(r"\bfor\s+" + _NP + r"\s+(?:we|you|i)\s+(?:need|want|store|keep|track|have)\s"), False),
)


def described_entities(prompt: str) -> list[list[str]]:
    """The plural things the prompt gives fields to, in the order it names them.

    Each is a list of the names it may have: its head noun and, where the head has a word
    before it, the two together and that word alone ("harvest logs" -> ``["HarvestLog", "Log",
    "Harvest"]``). Singular heads
    ("a priority (low, high)", "status (open, done)") are field values, not entities, and are
    left out; so are heads made only of function words.
    """
    text = prompt.lower()
    found: dict[str, tuple[int, list[str]]] = {}
    for pattern, singular_counts in _DESCRIBED:
        for m in pattern.finditer(text):
            words = re.split(r"[ -]+", m.group(1))
            while words and words[0] in STOP_WORDS:
                words = words[1:]
            if not words or words[-1] in STOP_WORDS or (singular(words[-1]) == words[-1] and not singular_counts):
                continue
            head = to_entity(words[-1])
            names = [head]
            if len(words) > 1:  # "harvest logs": HarvestLog, Log or Harvest (the model knows which)
                names = [to_entity(" ".join(words[-2:])), head, to_entity(words[-2])]
            if head not in found or m.start(1) < found[head][0]:
                found[head] = (m.start(1), names)
    return [names for _, names in sorted(found.values())]


def grounded_schema(schema: dict[str, Any], candidates: list[str], described: list[list[str]] = ()) -> dict[str, Any]:
    """The parse stage's decoding schema with entity and relationship names from ``candidates``.

    The things the prompt describes (``described``, see ``described_entities``) come first,
    in order, each named by one of its names; a small model otherwise merges two of them into
    one or writes the same entity twice.
    """
    if not candidates:
        return schema
    out = copy.deepcopy(schema)
    entities = out["properties"]["entities"]
    names = {"type": "string", "enum": list(candidates)}
    entities["items"]["properties"]["name"] = names
    rel = out["properties"]["relationships"]["items"]["properties"]
    rel["source"] = dict(names)
    rel["target"] = dict(names)
    described = list(described)[: entities.get("maxItems", 8)]
    if described:
        prefix = []
        for options in described:
            item = copy.deepcopy(entities["items"])
            item["properties"]["name"] = {"type": "string", "enum": list(options)}
            prefix.append(item)
        entities["prefixItems"] = prefix
        entities["minItems"] = max(entities.get("minItems", 1), len(prefix))
    return out
