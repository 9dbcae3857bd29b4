"""The parse stage: a plain-English prompt becomes a validated ProjectSpec.

Owns the prompt's admission (empty, too long, nothing to build), the parser role's call under
a JSON-schema constraint, reading JSON out of the reply, the deterministic clean-up
(``codebegen.parsing.cleanup``) with a warning event per change, the business rules the prompt states,
and the final validation. It never guesses past what the prompt says: a prompt that yields no
entity is refused with a message that says what to write.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Generator
from typing import Any

from codebegen import names
from codebegen.errors import ModelError, PromptError, SpecError
from codebegen.events import Coverage, Event, SpecArtifact, StageFinished, StageStarted, Warning
from codebegen.parsing import admission, coverage, repair
from codebegen.parsing.cleanup import clean_spec
from codebegen.parsing.grounding import described_entities, entity_candidates, grounded_schema
from codebegen.parsing.reading import read_prompt
from codebegen.prompts import messages
from codebegen.spec import FIELD_TYPES, ProjectSpec, parse_spec
from codebegen.stages.asking import ask

MAX_PROMPT_CHARS = 4000
MIN_PROMPT_WORDS = 3
# A dev-set spec is 150-450 tokens; a nine-entity prompt needs about 1500. The cap grows with the
# prompt (16 spec tokens a prompt word, never under 900: a spec field is ~30 tokens, and a prompt
# spends two or three words on one) so that no ordinary prompt hits it; the grammar ends the
# decode at the spec's closing brace, so a higher cap costs nothing; a runaway model still stops.
MAX_SPEC_TOKENS = 900
MAX_SPEC_TOKENS_CEILING = 4000

# What the parser model is constrained to: the ProjectSpec's core, every key required, in the
# order the prompt's example shows (small models follow a fixed shape far better).
DECODING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,40}$"},
        "description": {"type": "string", "maxLength": 200},
        "auth": {"type": "boolean"},
        "entities": {
            "type": "array",
            "minItems": 1,
            "maxItems": 16,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]{0,40}$"},
                    "owned": {"type": "boolean"},
                    "fields": {
                        "type": "array",
                        "maxItems": 12,
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,40}$"},
                                "type": {"enum": list(FIELD_TYPES)},
                                "required": {"type": "boolean"},
                                "unique": {"type": "boolean"},
                                "values": {
                                    "anyOf": [
                                        {"type": "null"},
                                        {"type": "array", "maxItems": 6, "items": {"type": "string", "maxLength": 30}},
                                    ]
                                },
                            },
                            "required": ["name", "type", "required", "unique", "values"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["name", "owned", "fields"],
                "additionalProperties": False,
            },
        },
        "relationships": {
            "type": "array",
            "maxItems": 24,
            "items": {
                "type": "object",
                "properties": {
                    "source": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]{0,40}$"},
                    "target": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]{0,40}$"},
                    "kind": {"enum": ["many_to_one", "one_to_one", "many_to_many"]},
                },
                "required": ["source", "target", "kind"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name", "description", "auth", "entities", "relationships"],
    "additionalProperties": False,
}

_RULE_CUES = re.compile(
    r"\b(must|cannot|can't|can not|should|only if|at least|at most|no more than|not more than|greater than|"
    r"less than|more than|before|after|between|computed|calculated|sum of|automatically|never|unless|"
    r"may not|must not|cannot exceed|exceed)\b",
    re.IGNORECASE,
)
_AUTH_CUES = re.compile(r"\b(log ?in|sign ?in|sign ?up|register|authenticat\w*|password|jwt|token)\b", re.IGNORECASE)


def check_prompt(prompt: str) -> str:
    """The prompt, stripped; or PromptError saying what to write instead."""
    text = (prompt or "").strip()
    if not text:
        raise PromptError("the prompt is empty", hint="describe the backend: what it stores, their fields, who logs in")
    admission.check_language(text)
    if len(text) > MAX_PROMPT_CHARS:
        raise PromptError(
            f"the prompt is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS}",
            hint="shorten it to the entities, their fields and the rules that matter",
        )
    if len(text.split()) < MIN_PROMPT_WORDS:
        raise PromptError(
            f"the prompt {text!r} is too short to describe a backend",
            hint="e.g. 'A library API: books with a title and an isbn, loans of a book with a due date'",
        )
    admission.check_backend_prompt(text)
    return text


def spec_token_budget(prompt: str) -> int:
    """The decode's token cap for ``prompt``: room for every entity an ordinary prompt lists."""
    return min(MAX_SPEC_TOKENS_CEILING, max(MAX_SPEC_TOKENS, 16 * len(prompt.split())))


def extract_json(text: str) -> Any:
    """The first JSON object in a model's reply (tolerates prose or code fences around it)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    start = text.find("{")
    while start != -1:
        depth, in_string, escaped = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_string:
                escaped = ch == "\\" and not escaped
                if ch == '"' and not escaped:
                    in_string = False
                continue
            if ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        return json.loads(text[start : i + 1])
                    except json.JSONDecodeError:
                        break
        start = text.find("{", start + 1)
    return None


def _count_said(text: str, words: set[str]) -> int:
    """How many of ``words`` occur in ``text`` as whole words."""
    return sum(bool(re.search(rf"\b{re.escape(w)}\b", text)) for w in words)


def extract_rules(
    prompt: str, entity_names: list[str], fields: dict[str, list[str]] | None = None
) -> list[dict[str, str]]:
    """Sentences of the prompt that state a rule about an entity (not about logging in).

    A sentence belongs to the entity it names; one that names none ("The quantity must be at
    least 1.") belongs to the entity whose fields it names most, when exactly one does.
    """
    rules = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", prompt):
        sentence = sentence.strip(" -*•\t")
        if len(sentence) < 8 or not _RULE_CUES.search(sentence) or _AUTH_CUES.search(sentence):
            continue
        lowered = sentence.lower()
        said = functools.partial(_count_said, lowered)
        owner = next(
            (
                n
                for n in entity_names
                if said({names.snake(n).replace("_", " "), names.table_name(n).replace("_", " ")})
            ),
            None,
        )
        if owner is None and fields:
            counts = {n: said({f.replace("_", " ") for f in fields.get(n, [])}) for n in entity_names}
            best = max(counts.values(), default=0)
            if best and list(counts.values()).count(best) == 1:
                owner = max(counts, key=lambda n: counts[n])
        if owner is not None:
            rules.append({"entity": owner, "description": sentence[:500]})
    return rules


_TITLE_WORDS = re.compile(
    r"^\s*(?:an?\s+|the\s+|my\s+|our\s+)?([A-Za-z][\w -]{1,40}?)\s*(?::|\bapi\b|\bbackend\b|\bapp\b|\bservice\b|\bsystem\b|[.,;!\n])",
    re.I,
)


def _name_from_prompt(spec_data: dict[str, Any], prompt: str, reading: Any) -> None:
    """The project's name and description from the prompt's own words, never the model's invention.

    The name: the words before the prompt's first colon / "API" / full stop when they are few
    and the prompt says them ("Online bookstore: ..." -> ``online_bookstore``), else the first
    described thing (``book_api``); the description: the prompt's first sentence.
    """
    from codebegen.parsing.cleanup import to_snake

    m = _TITLE_WORDS.match(prompt)
    words = m.group(1).strip() if m else ""
    lowered = words.lower()
    if (
        words
        and len(words.split()) <= 4
        and not re.search(r"\b(?:i|we|you|want|need|please|hi|hello|hey|could|can)\b", lowered)
    ):
        name = to_snake(words)
    else:
        first = (
            reading.things[0].name
            if reading.things
            else (spec_data["entities"][0]["name"] if spec_data["entities"] else "app")
        )
        name = names.snake(first) + "_api"
    name = re.sub(r"_(?:api|backend|app|service)$", "", name) or name
    if not re.match(r"^[a-z][a-z0-9_]*$", name) or len(name) > 40 or name in ("a", "an", "the"):
        name = spec_data.get("name") or "app"
    spec_data["name"] = name
    first_sentence = re.split(r"(?<=[.!?])\s+|\n", prompt.strip())[0].strip()
    spec_data["description"] = first_sentence[:200]


def _dedupe_and_break_cycles(spec_data: dict[str, Any]) -> list[str]:
    from codebegen.parsing.cleanup import _break_cycles, _dedupe_relationships

    warnings: list[str] = []
    spec_data["relationships"] = _break_cycles(_dedupe_relationships(spec_data["relationships"], warnings), warnings)
    return warnings


def parse_stage(prompt: str, backend: Any) -> Generator[Event, None, ProjectSpec]:
    """Yield the stage's events; return the ProjectSpec. Raises PromptError, ModelError, SpecError."""
    text = check_prompt(prompt)
    yield StageStarted("parse", detail=f"{len(text)} characters")
    reading = read_prompt(text)
    schema = grounded_schema(DECODING_SCHEMA, entity_candidates(text), described_entities(text))
    answer = yield from ask(
        backend, "parse", messages("parse", prompt=text), schema=schema, max_tokens=spec_token_budget(text)
    )
    raw = extract_json(answer.text)
    if not isinstance(raw, dict):
        if not reading.things:
            snippet = answer.text.strip()[:120] or "(nothing)"
            raise ModelError(
                f"the parser model did not return a JSON object: {snippet!r}",
                hint="try again, rephrase the prompt, or pick another --profile",
            )
        yield Warning("parse", "the parser model returned no JSON object; the spec is read from the prompt's words")
        raw = {"name": "", "entities": [], "relationships": [], "auth": False}
    spec_data, warnings = clean_spec(raw, text)
    for w in warnings:
        yield Warning("parse", w)
    model_only = copy.deepcopy(spec_data)
    for w in repair.reconcile(spec_data, reading, text):  # the prompt's words first, the model fills in
        yield Warning("parse", w)
    for w in _dedupe_and_break_cycles(spec_data):
        yield Warning("parse", w)
    _name_from_prompt(spec_data, text, reading)
    entities = spec_data["entities"]
    if not entities or (not spec_data["relationships"] and not any(e["fields"] for e in entities)):
        raise PromptError(
            "found nothing to build in the prompt (no entities with fields)",
            hint="name what the API stores and what each thing has, e.g. 'tasks with a title and a due date'",
        )
    spec_data["rules"] = extract_rules(
        text, [e["name"] for e in entities], {e["name"]: [f["name"] for f in e["fields"]] for e in entities}
    )
    try:
        spec = parse_spec(spec_data)
    except SpecError as exc:
        try:  # what the second pass added broke a rule: keep the model's spec (the check shows the gap)
            model_only["rules"] = spec_data["rules"]
            spec = parse_spec(model_only)
            yield Warning("parse", "what the prompt's words added made the spec invalid; kept the model's spec")
        except SpecError:
            raise SpecError(
                exc.problems, hint="the model's spec is invalid even after clean-up; rephrase the prompt"
            ) from None
    yield SpecArtifact("parse", spec)
    yield StageFinished("parse", answer.seconds, answer.tokens_in, answer.tokens_out, answer.model, answer.adapter)
    yield Coverage("parse", coverage.check(reading, spec))  # what the prompt asks for, and whether the spec has it
    return spec
