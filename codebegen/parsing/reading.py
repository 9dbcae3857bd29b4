"""What a prompt says, read deterministically: the things it describes, their attributes, links.

Owns reading ordinary English descriptions of data into a ``Reading``: every thing the prompt
describes with attributes ("books (title, isbn)", "Book: title, isbn", "teams have a name",
"vehicles with a registration and a mileage in km", "a band's name and genre", "walks link a
walker and a dog with a start time"), each attribute with a type read from its words (a date,
a price, a count, a flag, "in minutes", "(yes/no)", "as JSON"), its enum values ("a status
(open, closed)", "a fuel type which is petrol, diesel or electric", "easy/medium/hard"),
uniqueness and required-ness in words ("(unique)", "that must be unique", "an optional expiry
date"), the links the prompt states (``codebegen.parsing.links`` plus self-references such as
"reports to a manager, who is another employee" and references in an attribute list:
"rentals: car, customer, start date"), ownership ("private to them", "their own tickets") and
the login wish. Every item keeps the prompt's own words, so that the prompt-coverage check
(``codebegen.parsing.coverage``) can quote them and the parse stage can add what a model missed.

It reads one prompt or one change request ("add a priority (low, high) to tasks") alike; it
calls no model and never decides what a spec must look like beyond what the words say.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from codebegen import names
from codebegen.parsing.cleanup import login_asked, singular, to_entity, to_snake
from codebegen.parsing.links import Link, read_links

_STOP = frozenset(
    """a an the and or of to in on at by for with from is are be has have had their its his her our your my
    each every one some any many several this that these those which who whom what it they them we you i me
    just also only own other another more most all both new""".split()
)
_DETS = re.compile(
    r"^(?:(?:a|an|the|their|its|his|her|our|your|my|one|some|any|each|every|also|just|optionally|plus|then|"
    r"either|both)\s+)+"
)
# things that are never a described entity, whatever the sentence shape
_NOT_THINGS = frozenset(
    """api app application backend service system platform site website tool thing things data database
    project something stuff everything anything way people users user list lists kind kinds type types
    field fields entity entities record records detail details info information""".split()
)
# nouns whose plural is the singular; the inflector would make "Specy" or "Specie" of them
# heads that only say "one row of": the word before them may name the thing alone
GENERIC_HEADS = frozenset({"item", "items", "log", "logs", "entry", "entries", "record", "records", "line", "lines"})
MASS_NOUNS = frozenset({"feedback", "inventory", "stock", "luggage", "furniture", "merchandise", "media", "staff"})
INVARIANT_PLURALS = MASS_NOUNS | frozenset(
    {"species", "series", "news", "sheep", "fish", "deer", "aircraft", "equipment", "software"}
)
UNIT_WORDS = {
    "kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km", "km": "km",
    "kilograms": "kg", "kilogram": "kg", "kilos": "kg", "kg": "kg", "grams": "grams", "g": "grams",
    "metres": "metres", "meters": "meters", "miles": "miles", "minutes": "minutes", "mins": "minutes",
    "seconds": "seconds", "secs": "seconds", "hours": "hours", "days": "days", "weeks": "weeks",
    "months": "months", "years": "years", "celsius": "celsius", "fahrenheit": "fahrenheit",
    "percent": "percent", "cents": "cents", "euros": "eur", "dollars": "usd", "litres": "litres",
    "liters": "liters", "pounds": "pounds", "lbs": "lbs", "cm": "cm", "mm": "mm", "ml": "ml",
}  # fmt: skip
_ENTITY_VERBS = (
    r"(?:have|has|should have|must have|need|needs|store|stores|carry|carries|contain|contains|record|records|"
    r"hold|holds|keep|keeps|include|includes|get|gets|come with|comes with|consist of|consists of|"
    r"(?:are|is) (?:stored|kept|recorded|saved|listed|tracked|described|defined) (?:with|by))"
)


@dataclass(frozen=True)
class Attribute:
    """One attribute of a described thing, with the words it was read from."""

    name: str  # snake_case
    type: str  # one of codebegen.spec.FIELD_TYPES
    words: str
    values: tuple[str, ...] = ()
    unique: bool = False
    required: bool | None = None  # None: the prompt says nothing; False: "optional"


@dataclass
class Thing:
    """Something the prompt describes with attributes (or as the join of two others)."""

    name: str  # PascalCase singular
    words: str
    attributes: list[Attribute] = field(default_factory=list)
    owned: str | None = None  # the words that make its rows private to their user

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names a spec may give it: the head of a two-word name, and the modifier when the
        head only says "one row of" ("harvest logs" -> ``Log``, ``Harvest``; "attendee feedback" ->
        ``Feedback``)."""
        words = [w for w in re.split(r"[\s-]+", self.words.lower()) if w]
        if len(words) < 2 or "-" in self.words:
            return ()
        names_ = [to_entity(words[-1])]
        if words[-1] in GENERIC_HEADS:  # "harvest logs" may be a Harvest; "attendee feedback" is no Attendee
            names_.append(to_entity(words[-2]))
        return tuple(n for n in names_ if n != self.name)

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass
class Reading:
    """Everything ``read_prompt`` found, each item with the prompt's words."""

    things: list[Thing] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    login: str | None = None  # the words asking for login
    no_login: str | None = None  # the words saying there is none

    def thing(self, name: str) -> Thing | None:
        return next((t for t in self.things if t.name == name), None)

    def other_names(self) -> dict[str, tuple[str, ...]]:
        """Each thing's other names, none of which is another described thing ("order items" is no Order)."""
        things = {t.name for t in self.things}
        return {t.name: tuple(a for a in t.aliases if a not in things) for t in self.things}


def quote(words: str, limit: int = 80) -> str:
    """The prompt's words on one line, cut to ``limit`` characters, for a message that quotes them."""
    words = re.sub(r"\s+", " ", words).strip()
    return words if len(words) <= limit else words[: limit - 1] + "…"


# --- types from words -------------------------------------------------------------------------

_ID_NUMBERS = (
    r"phone|telephone|mobile|license|licence|account|card|serial|room|seat|registration|tracking|order|"
    r"invoice|flight|passport|id|reference|part|model|isbn|vat|tax|house|street|policy|badge|employee|member"
)


def type_from_words(name: str, words: str = "") -> str:
    """The field type that an attribute's name and words say ("due date" -> date, "price" -> decimal)."""
    n = name.lower()
    w = f"{words.lower()} {n.replace('_', ' ')}"
    toks = set(n.split("_"))
    if re.search(r"\bjson\b|\bobject\b|\bpayload\b|\bmetadata\b|\bsettings\b|\blist of\b|\bdictionary\b", w):
        return "json"
    if re.search(r"\byes\s*/\s*no\b|\btrue\s*/\s*false\b|\bflag\b|\bwhether\b|\bboolean\b|\bbool\b", w) or re.match(
        r"^(is|has|can|allow|allows)_", n
    ):
        return "bool"
    if toks & {"email", "emails"} or "e_mail" in n:
        return "email"
    if toks & {"url", "website", "homepage", "link", "uri"} and "number" not in toks:
        return "url"
    if toks & {"uuid", "guid"}:
        return "uuid"
    if re.search(rf"\b(?:{_ID_NUMBERS}|lot|batch|ticket|case|bank|tax)\s+(?:number|no|code)\b", w) or toks & {
        "code",
        "isbn",
        "sku",
        "plate",
        "zip",
    }:
        return "str"
    if (
        toks & {"datetime", "timestamp"}
        or re.search(r"\b(?:time|at|when|moment)$", n)
        or n.endswith("_at")
        or ("time" in toks and not toks & {"minutes", "hours", "seconds", "cooking", "preparation", "baking", "prep"})
    ):
        return "datetime"
    if toks & {"date", "birthday", "dob", "deadline", "on"} or n.endswith("_on") or "date of" in w:
        return "date"
    if toks & {"price", "cost", "fee", "fees", "amount", "salary", "budget", "balance", "rate", "total", "tax",
               "wage", "revenue", "income", "payment", "charge", "deposit", "fine", "value"}:  # fmt: skip
        return "decimal"
    if re.search(r"_per_(?:week|day|month|year|hour|night|session)$", n) and not toks & {
        "price",
        "cost",
        "fee",
        "rate",
    }:
        return "int"
    if toks & {"mileage", "odometer"}:
        return "int"
    if toks & {"weight", "kg", "km", "distance", "latitude", "longitude", "lat", "lng", "lon", "temperature",
               "percentage", "percent", "height", "width", "length_cm", "grams", "metres", "meters", "calories",
               "celsius", "fahrenheit", "ratio", "average", "gpa", "litres", "liters", "miles", "volume", "area",
               "protein", "carbs", "fat", "fats", "humidity", "pressure", "speed", "hpa"}:  # fmt: skip
        return "float"
    if toks & {"count", "number", "quantity", "qty", "capacity", "reps", "seats", "servings", "minutes", "seconds",
               "hours", "days", "weeks", "age", "year", "rating", "score", "position", "floor", "bedrooms",
               "bathrooms", "credits", "credit", "stock", "views", "likes", "votes", "level", "rank", "priority_level",
               "sets", "laps", "pages", "copies", "participants", "guests", "attendees", "points", "order_index",
               "size_in", "duration", "length", "max", "min", "limit", "steps"}:  # fmt: skip
        return "int"
    if toks & {"description", "notes", "note", "bio", "body", "text", "content", "instructions", "abstract",
               "comment", "comments", "diagnosis", "summary", "message", "biography", "review", "details",
               "remarks", "feedback", "essay", "story", "transcript", "answer", "explanation"}:  # fmt: skip
        return "text"
    return "str"


# --- attribute lists --------------------------------------------------------------------------


def _split_list(text: str) -> list[str]:
    """Split "a, b (x, y), c and d" on commas / and / + / & outside parentheses."""
    parts, depth, cur = [], 0, ""
    tokens = re.split(r"(\(|\)|,|;|\s+and\s+|\s+\+\s+|\s+&\s+|\s+as well as\s+|\s+plus\s+)", text)
    for tok in tokens:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth = max(0, depth - 1)
        if (
            depth == 0
            and tok is not None
            and (tok in (",", ";") or re.fullmatch(r"\s+(?:and|\+|&|as well as|plus)\s+", tok))
        ):
            parts.append(cur)
            cur = ""
        else:
            cur += tok or ""
    parts.append(cur)
    return [p.strip() for p in parts if p and p.strip()]


_V = r"(?!(?:a|an|the|unique|required|optional|its|their)\b)[a-z0-9]"
_VALUE_LIST = rf"({_V}[\w' -]*?(?:\s*,\s*{_V}[\w' -]*?)*,?\s+(?:or|and)\s+{_V}[\w'-]*(?:\s+[a-z0-9][\w'-]*)?)"


def _protect_enums(text: str) -> str:
    """Turn "X which is a, b or c" / "X: a, b or c" / "X a/b/c" into "X {a|b|c}" so a list split keeps them."""

    def values(raw: str) -> str:
        vals = [
            v.strip(" '\"") for v in re.split(r"\s*,\s*|\s+or\s+|\s+and\s+|\s*/\s*|\s*\|\s*", raw) if v.strip(" '\"")
        ]
        return "{" + "|".join(vals) + "}"

    text = re.sub(
        r"\s+(?:which|that|who)\s+(?:is|are|can be|may be|must be)\s+(?:either\s+|one of\s+)?" + _VALUE_LIST,
        lambda m: " " + values(m.group(1)),
        text,
    )
    text = re.sub(
        r"\b([a-z]+)\s*:\s*" + _VALUE_LIST + r"\s*(?=[),;.]|$)", lambda m: m.group(1) + " " + values(m.group(2)), text
    )
    text = re.sub(r"\(\s*([\w' -]+(?:\s*/\s*[\w' -]+)+)\s*\)", lambda m: values(m.group(1)), text)
    text = re.sub(r"(?<![/\w])([a-z][\w-]*(?:\s*/\s*[a-z][\w-]*)+)(?![/\w])", lambda m: values(m.group(1)), text)
    text = re.sub(
        r"\b([a-z]+)\s*:\s*([a-z][\w-]*(?:\s*\|\s*[a-z][\w-]*)+)", lambda m: m.group(1) + " " + values(m.group(2)), text
    )
    text = re.sub(r"\(\s*([^()]*,[^()]*)\)", lambda m: values(m.group(1)), text)
    return text


def _attribute(chunk: str) -> Attribute | None:
    """One attribute from a list item: "a due date", "sku (unique)", "a mood {happy|sad}"."""
    words = chunk.strip(" .:-*•")
    text = words.lower()
    text = _DETS.sub("", text)
    unique = bool(re.search(r"^unique\b|\(unique\)|\b(?:be|is|are)\s+unique\b|\bno two\b|\bunique\s*$", text))
    required: bool | None = None
    if re.search(
        r"^optional\b|\(optional\)|\b(?:is|are|be)\s+optional\b|\bmay be (?:empty|blank|left out)\b|\bif any\b|\bnullable\b",
        text,
    ):
        required = False
    elif re.search(
        r"^(?:required|mandatory)\b|\((?:required|mandatory)\)|\b(?:is|are|be)\s+(?:required|mandatory|given)\b|\bnot (?:be )?empty\b",
        text,
    ):
        required = True
    values: tuple[str, ...] = ()
    m = re.search(r"\{([^{}]*)\}", text)
    if m:
        values = tuple(v.strip() for v in m.group(1).split("|") if v.strip())
        text = text[: m.start()] + text[m.end() :]
    paren = " ".join(re.findall(r"\(([^()]*)\)", text))
    text = re.sub(r"\([^()]*\)", " ", text)
    # relative clauses and modifiers after the name
    text = re.split(
        r"\s+(?:that|which|who|whose|it|when|where|if|must|should|can|cannot|may|is|are|was|were|to be|so|"
        r"because|unless|always|never)\b",
        text,
    )[0]
    text = re.sub(r"^(?:unique|optional|optionally|required|mandatory)\b|\b(?:a|an|the)\b", " ", text)
    text = _DETS.sub("", text.strip())
    text = re.sub(r"^(?:number|no\.?)\s+of\s+", "number of ", text)
    unit = ""
    mu = re.search(r"\s+(?:in|as|per)\s+(?:the\s+)?([a-z0-9%]+(?:\s+[a-z]+)?)$", text)
    if mu:
        raw_unit = mu.group(1)
        head = raw_unit.split()[0]
        if head in UNIT_WORDS or head in ("square", "cubic", "json", "usd", "eur", "text"):
            unit = UNIT_WORDS.get(head, head) if head not in ("square", "cubic") else raw_unit
            text = text[: mu.start()]
            if head in ("json", "text"):
                unit, paren = "", paren + " " + head
    text = re.sub(r"\s+(?:flag|boolean|bool|checkbox|object|field)$", "", text.strip())
    text = re.sub(r"\bmaximum\b", "max", re.sub(r"\bminimum\b", "min", text))
    text = re.sub(r"\s+(?:from|between)\s+\d.*$", "", text)
    text = re.sub(r"\b(?:yes|no)\s*$", "", text).strip() if re.search(r"\byes\s*/?\s*no\b", words.lower()) else text
    name = to_snake(text + (" " + unit if unit else ""))
    if not name or len(name) > 48 or len(name.split("_")) > 5 or name in ("and", "or", "etc"):
        return None
    hint = f"{words.lower()} {paren}"
    if {v.lower() for v in values} in ({"yes", "no"}, {"true", "false"}):
        values, hint = (), hint + " yes/no"
    ftype = "enum" if len(values) >= 2 else type_from_words(name, hint)
    if values and ftype != "enum":
        values = ()
    if re.search(r"\byes\s*/?\s*no\b|\btrue\s*/?\s*false\b", hint):
        ftype, values = "bool", ()
    elif re.search(r"\bjson\b", paren):
        ftype = "json"
    elif ftype != "enum" and (said := re.fullmatch(rf"\s*({_TYPE_RE})\s*", paren)):
        ftype = _TYPE_WORDS[said.group(1)]
    if ftype in ("json", "text", "bool", "enum"):
        unique = False
    return Attribute(name, ftype, words.strip(), values, unique, required)


_PRONOUN_WAS = r"(?:it|they|he|she|this|that)\s+(?:was\s+|were\s+|is\s+|are\s+|got\s+|gets\s+|has\s+been\s+)?"


def _moment(chunk: str) -> Attribute | None:
    """An attribute said as a moment: "the date it was written" -> ``written_on`` (a date), "when it
    happened" / "the time it was sent" -> ``happened_at`` / ``sent_at`` (a datetime)."""
    text = _DETS.sub("", chunk.strip(" .:-*•").lower())
    m = re.fullmatch(
        r"(date|day|time|moment)\s+(?:when\s+|that\s+|on which\s+|at which\s+)?" + _PRONOUN_WAS + r"([a-z]+)", text
    )
    m = m or re.fullmatch(r"(when)\s+" + _PRONOUN_WAS + r"([a-z]+)", text)
    if not m or m.group(2) in _STOP or len(m.group(2)) < 3 or re.search(r"(?<!s)s$|ing$", m.group(2)):
        return None  # "the time it takes" is a duration, not a moment
    day = m.group(1) in ("date", "day")
    return Attribute(f"{m.group(2)}_{'on' if day else 'at'}", "date" if day else "datetime", chunk.strip())


# --- described things -------------------------------------------------------------------------

_NP = r"((?:[a-z][a-z0-9'-]*\s+){0,4}?[a-z][a-z0-9'-]*)"
_START = r"(?:^|(?<=[.;!?\n])\s*|(?<=:)\s+|(?<=\n)[-*•]?\s*|(?<=\band)\s+|(?<=,)\s+(?:and\s+)?)"


def _sentences(text: str) -> list[str]:
    text = re.sub(r"[ \t]+", " ", text)
    out = []
    for line in re.split(r"\n+", text):
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line)
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Za-z])|(?<=[a-z0-9)])\.\s*$", line) if s.strip()]
    return out


def _head(np: str) -> tuple[str, str] | None:
    """(EntityName, words) for a noun phrase, or None when it is no thing ("the system")."""
    np = re.sub(r"'s$", "", np.strip().lower()).split("'s ")[-1]  # "a band's gigs" -> gigs
    parts = re.split(r"\s+(?:of|for|on|in|at|from|between|per|into|onto|to|by|about|under|inside)\s+", " " + np + " ")
    np = parts[0] if parts[0].strip() else parts[-1]  # "payments of a reservation"; "(upload photos) into albums"
    words = [w for w in re.split(r"\s+", np) if w]
    stops = [i for i, w in enumerate(words) if w in _STOP or w.isdigit() or (w in _VERBS and i < len(words) - 1)]
    if stops:
        words = words[stops[-1] + 1 :]
    if not words or words[-1] in _NOT_THINGS:
        return None
    if len(words) >= 3 and _is_plural(words[-3]) and words[-3].endswith("s") and not _is_plural(words[-2]):
        words = words[-1:]  # "agents answer tickets": a plural subject, its verb, the thing
    words = words[-2:]
    parts = [w for w in re.split(r"-", " ".join(words)) if w]
    if len(parts) > 1 and len(parts[-1]) == 3 and parts[-1].endswith("s"):  # "check-ins"
        parts[-1] = parts[-1][:-1]
    if parts[-1] in INVARIANT_PLURALS:  # "species" is one species (not a "Specy")
        name = to_entity(" ".join(parts[:-1])) + parts[-1].capitalize() if len(parts) > 1 else parts[-1].capitalize()
    else:
        name = to_entity(" ".join(parts))
    if not name or not name[0].isalpha():
        return None
    return name, " ".join(words)


_VERBS = frozenset(
    """upload uploads place places rent rents book books own owns make makes create creates write writes record
    records keep keeps track tracks manage manages store stores add adds log logs contain contains need needs
    want wants see sees leave leaves open opens sign do does get gets run runs host hosts hold holds give gives
    send sends receive receives post posts file files raise raises borrow borrows list lists use uses like likes
    follow follows join joins enter enters submit submits""".split()
)


def _is_plural(word: str) -> bool:
    return singular(word) != word or word in INVARIANT_PLURALS or word in ("people", "staff", "data")


@dataclass
class _Found:
    name: str
    words: str
    items: str  # the attribute list's text
    at: int
    np: str = ""  # the noun phrase as matched ("attendee feedback on a talk")


_CUT = (
    r"(?=$|;|\.\s|\.$|,\s*(?:and\s+)?(?:each|every|it|they|which|who|that|are|is|belongs?|can|must|should|one|where)\b"
    r"|\s+and\s+(?:each|every|it|they|is|are|belongs?|can|must)\b"
    r"|,\s*(?:and\s+)?[a-z]+(?:\s+[a-z]+)?\s+(?:have|has|with|can|cannot|must|should|will|may)\b"
    r"|\s+and\s+[a-z]+(?:\s+[a-z]+)?\s+(?:have|has)\b|,\s*(?:and\s+)?(?:contains?|includes?)\b)"
)
_BELONG = r"(?:(?:belongs?|belonging)\s+to\s+(?:an?|the|one)\s+[a-z]+(?:\s+[a-z]+)?\s+and\s+)?"
_PATTERNS = (
    # "walks link a walker and a dog with a start time", "appointments between a patient and a dentist with ..."
    (
        re.compile(
            _NP + r"\s+(?:that\s+|which\s+)?(?:are\s+|is\s+)?(?:between|links?|linking|connects?|connecting|joins?|"
            r"joining|pairs?|pairing)\s+(?:an?\s+|the\s+|one\s+)?[a-z]+(?:\s+[a-z]+)?\s+(?:and|with|to|&)\s+"
            r"(?:an?\s+|the\s+|one\s+)?[a-z]+(?:\s+[a-z]+)?\s+(?:w/|with)\s+(.+?)" + _CUT
        ),
        "join",
    ),
    # "books (title, isbn)", "boards(name)"
    (re.compile(_NP + r"\s*\(([^()]+(?:\([^()]*\)[^()]*)*)\)"), "paren"),
    # "Book: title, isbn" at the start of a sentence / line / after "and"
    (re.compile(r"(?:^|(?<=;\s))" + _NP + r"\s*:\s+(.+?)(?=$|;|\.\s|\.$)"), "colon"),
    # "teams have a name", "each plot has a number", "owners are stored with their name"
    (
        re.compile(
            _NP
            + r"\s+(?:also\s+|each\s+|all\s+|always\s+|can\s+|will\s+|should\s+|must\s+|just\s+)*"
            + _BELONG
            + _ENTITY_VERBS
            + r"\s+(.+?)"
            + _CUT
        ),
        "verb",
    ),
    # a change request: "add a priority (low, high) to tasks", "give members a phone number"
    (
        re.compile(
            r"\b(?:add|adds|adding)\s+(?P<items>.+?)\s+(?:to|on)\s+(?:the\s+|each\s+|every\s+|all\s+)?(?P<np>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)(?=$|[.;,!?])"
        ),
        "change",
    ),
    # "for hosts we need name, a bio and email"
    (
        re.compile(
            r"\bfor\s+" + _NP + r"\s*,?\s+(?:we|you|i|they)\s+(?:need|want|store|keep|track|have|record)\s+(.+?)" + _CUT
        ),
        "verb",
    ),
    # "(agents reply to tickets with) messages that have a body and a sent time"
    (
        re.compile(
            r"([a-z][a-z0-9'-]*(?:\s+[a-z][a-z0-9'-]*)?)\s+(?:that|which)\s+(?:also\s+)?"
            r"(?:have|store|record|carry|contain|hold|include|keep)\s+(.+?)" + _CUT
        ),
        "relative",
    ),
    # "(is made up of) order lines, each with a quantity of one product"
    (
        re.compile(r"([a-z][a-z0-9'-]*(?:\s+[a-z][a-z0-9'-]*)?)\s*,\s*each\s+(?:w/|with|having)\s+(.+?)" + _CUT),
        "each",
    ),
    # "an order is placed at one table, has a time and a status": the subject's second verb phrase
    (
        re.compile(
            r"^(?:(?:an?|the|each|every)\s+)?([a-z][a-z0-9'-]*(?:\s+[a-z][a-z0-9'-]*)?)\s+(?:is|are|gets?|belongs?)\s+"
            r"[^,;:.()]*,\s*(?:and\s+)?(?:has|have)\s+(.+?)" + _CUT
        ),
        "second",
    ),
    # "vehicles with a registration, ...", "a cookbook with many recipes"
    (re.compile(_NP + r"\s+(?:w/|with)\s+(.+?)" + _CUT), "with"),
    # "a band's name and genre"
    (
        re.compile(
            r"(?:an?|the|each|every)\s+([a-z][a-z0-9-]*(?:\s+[a-z][a-z0-9-]*)?)'s\s+(.+?)"
            r"(?=$|;|:|\.\s|\.$|,\s*(?:and\s+)?(?:an?|the|each|every)\s+[a-z]+(?:\s+[a-z]+)?'s\b)"
        ),
        "poss",
    ),
)
_SENTENCE_START = re.compile(r"(?:^|[.;!?\n])\s*(?:(?:an?|the|each|every|our|my)\s+)?$")


def _described(sentence: str, offset: int) -> list[_Found]:
    low = sentence.lower()
    out: list[_Found] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(low):
            np, items = (m.group("np"), m.group("items")) if kind == "change" else (m.group(1), m.group(2))
            istart = m.start("items") if kind == "change" else m.start(2)
            if any(a <= istart < b for a, b in taken) and kind != "with":
                continue  # inside a list another pattern already read
            head = _head(np)
            if head is None:
                continue
            name, words = head
            last = words.split()[-1]
            tail_word = last.split("-")[-1]
            plural = _is_plural(tail_word) or ("-" in last and len(tail_word) == 3 and tail_word.endswith("s"))
            if tail_word in INVARIANT_PLURALS and re.search(
                r"(?:^|\s)(?:an?|one)\s+" + re.escape(words) + r"$", " " + np
            ):
                plural = False  # "a species (dog, cat)" is one species
            det = re.search(r"(?:^|\s)(?:each|every|an?|the)\s+(?:[a-z-]+\s+)?" + re.escape(words) + r"$", " " + np)
            if kind == "change":
                det = True
            at_start = bool(_SENTENCE_START.search(low[: m.start(1)]))
            if kind == "paren":
                inner = items.strip()
                if re.fullmatch(rf"(?:an?\s+)?(?:{_TYPE_RE}|unique|required|optional|yes\s*/\s*no)", inner):
                    continue
                if not plural and not (at_start and np.strip() == words):
                    continue  # "a priority (low, high)" is an enum field, not a thing
                if (
                    re.fullmatch(
                        r"(?:unique|required|optional|json|yes\s*/\s*no|[\w -]+(?:\s*/\s*[\w -]+)+|[\w ]+)", inner
                    )
                    and "," not in inner
                    and not plural
                ):
                    continue
            if kind == "colon":
                # "Online bookstore: books (title, ...)" and "habit tracker: habits have ..." are titles
                if re.search(r"\b(?:can|will|would|is|are|was|were|we|i|you|it|they)\b|'s\s", items):
                    continue  # "Print shop: Anyone can read and write" is a sentence, not a list
                if re.search(r"[a-z]{2,}s\s*\([^()]*,", items) or re.search(
                    r"\b" + _ENTITY_VERBS + r"\b|\bwith\b|\bw/", items
                ):
                    continue
                if not re.search(r",|\band\b|\+", items) and not plural:
                    continue
            if kind == "poss" and not offset and m.start() < 3 and low[m.end() :].lstrip().startswith(":"):
                continue  # "A gym's schedule: ..." opens the prompt as its title
            if kind == "verb" and re.match(r"to\s+[a-z]+", items):
                continue  # "a charity needs to manage volunteers": an infinitive, not a list
            if kind in ("relative", "each") and not plural:
                continue
            if kind == "second":
                det = True
            if kind in ("verb", "with") and not (plural or det):
                continue
            if kind == "with" and not plural and not _SENTENCE_START.search(low[: m.start(1)]):
                continue  # "between a patient and a dentist with ..." (the join pattern's)
            if kind == "with" and re.match(r"(?:login|log in|authentication|auth|jwt|users?\b|many|several)", items):
                if not re.match(r"(?:many|several)", items):
                    continue
            if kind == "change":
                taken.append((m.start("items"), m.end("items")))
                out.append(_Found(name, words, items, offset + m.start("np")))
                continue
            taken.append((m.start(2), m.end(2)))
            out.append(_Found(name, words, items, offset + m.start(1), np))
    return out


def _self_links(prompt: str, things: list[str]) -> list[Link]:
    out = []
    for sentence in _sentences(prompt):
        low = sentence.lower()
        for name in things:
            pat = re.compile(_mention(name))
            spans = list(pat.finditer(low))
            other = re.search(
                r"\b(?:other|another|fellow|parent|child|sub|reply to|replies to|reports? to|managers?\b|follows?|"
                r"friends? with|related)\b",
                low,
            )
            if not other or not spans:
                continue
            if len(spans) >= 2 and re.search(r"\b(?:other|another|fellow|parent)\s+" + _mention(name)[2:], low):
                many = bool(re.search(r"\b(?:follow\w*|friends?|many|several|other\s+\w+s\b)", low))
                out.append(Link(name, name, "many_to_many" if many else "many_to_one", sentence))
            elif (
                m := re.search(r"\b(?:reports?\s+to|managed\s+by)\s+(?:a|an|the|their|one)?\s*manager\b", low)
            ) and spans:
                clause = re.split(r"[;,]", low[: m.start()])[-1]
                firsts = sorted((x.start(), n) for n in things if (x := re.search(_mention(n), clause)))
                if firsts and firsts[0][1] == name:  # the clause's subject reports to a manager
                    out.append(Link(name, name, "many_to_one", sentence))
    seen, uniq = set(), []
    for link in out:
        if link.source not in seen:
            seen.add(link.source)
            uniq.append(link)
    return uniq


def _mention(name: str) -> str:
    *head, last = names.snake(name).split("_")
    forms = {last, names.plural(last), last + "s"}
    if last.endswith("y"):
        forms.add(last[:-1] + "ies")
    last_re = "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"
    return r"\b" + r"[\s_-]*".join([*(re.escape(w) for w in head), last_re]) + r"\b"


_JOIN = re.compile(
    r"\bfor each\s+([a-z]+)\s+(?:at|on|in|of|for)\s+(?:a|an|the)\s+([a-z]+)\s*,?\s*(?:we\s+|i\s+|you\s+)?"
    r"(?:keep|store|record|track|save|need|want|have)\s+(.+?)(?=$|[.;])"
    r"|\bwith\s+(.+?)\s+for each\s+([a-z]+)\s+(?:at|on|in|of)\s+(?:a|an|the)\s+([a-z]+)"
)


# common misspellings of the words the reading keys on ("exercises hav a name")
_TYPO_FIX = {"hav": "have", "hve": "have", "ahve": "have", "haev": "have", "hvae": "have", "hase": "has", "hsa": "has",
             "ahs": "has", "wiht": "with", "wtih": "with", "wth": "with"}  # fmt: skip
_TYPOS = re.compile(r"\b(?:" + "|".join(_TYPO_FIX) + r")\b", re.IGNORECASE)


def read_prompt(prompt: str) -> Reading:
    """Everything the prompt states about its data, each item with the words it came from."""
    text = _TYPOS.sub(lambda m: _TYPO_FIX[m.group(0).lower()], prompt or "")
    reading = Reading()
    reading.login, reading.no_login = login_asked(
        re.sub(r"(?i)\bsign(?:s|ed)?[ -]?up\s+(?=for\b|to\b)", "enrol ", text)
    )
    found: list[_Found] = []
    pos = 0
    for sentence in _sentences(text):
        at = text.find(sentence, pos)
        pos = max(pos, at)
        found += _described(_clauses_as_modifiers(sentence), max(at, 0))
    found.sort(key=lambda f: f.at)
    # 1. the things (merging singular/plural mentions of one), in order of first description
    things: dict[str, Thing] = {}
    for f in found:
        things.setdefault(f.name, Thing(f.name, f.words))
    names_ = list(things)
    mention = {n: re.compile(_mention(n)) for n in names_}
    pending_links: list[Link] = []
    # 2. their attributes (an item naming another thing is a reference, not an attribute)
    for f in found:
        thing = things[f.name]
        # "attendee feedback on a talk (rating, comment)": the phrase itself links to the talk
        on = re.search(
            r"\s(?:of|for|on|per|in|about|to)\s+(?:an?|the|one|each)?\s*([a-z][\w-]*(?:\s[a-z][\w-]*)?)$", f.np
        )
        if on:
            target = next((n for n in names_ if n != f.name and mention[n].fullmatch(on.group(1))), None)
            if target:
                pending_links.append(Link(f.name, target, "many_to_one", f.np))
        # "an order has order items with a quantity ...": the list stops at the nested thing's "with"
        nested = next(
            (
                m
                for n in names_
                if n != f.name
                and (
                    m := re.search(mention[n].pattern + r"(?=\s+(?:w/|with|(?:that|which)\s+(?:have|has))\s)", f.items)
                )
            ),
            None,
        )
        items = _split_list(_protect_enums(f.items[: nested.end()] if nested else f.items))
        for item in items:
            if (moment := _moment(item)) is not None:
                if thing.attribute(moment.name) is None:
                    thing.attributes.append(moment)
                continue
            low = item.lower()
            bare = re.sub(r"\{[^}]*\}", "", low)
            tail = re.search(
                r"^(.+?)\s+(?:for|of|per|on|in|to|from|by|at|about)\s+(?:an?|the|one|each|every|its|their)?\s*([a-z][\w -]*)$",
                bare,
            )
            if tail and not tail.group(1).startswith(("number", "no")):
                target = next((n for n in names_ if n != f.name and mention[n].fullmatch(tail.group(2).strip())), None)
                if target:  # "an optional note for a habit": an attribute and a link
                    pending_links.append(Link(f.name, target, "many_to_one", f.items))
                    item = item[: len(tail.group(1))] if "{" not in item else item
                    low = bare = item.lower()
            other = next((n for n in names_ if mention[n].search(bare)), None)
            if other and other != f.name:
                said = mention[other].search(bare).group(0)
                many = bool(re.search(r"\b(?:many|several|multiple|list of|one or more|lots of)\b", low))
                if many or (said != names.snake(other).replace("_", " ") and _is_plural(said.split()[-1])):
                    pending_links.append(Link(other, f.name, "many_to_one", f.items))
                else:
                    pending_links.append(Link(f.name, other, "many_to_one", f.items))
                continue
            if re.search(r"\b(?:many|several|multiple|one or more)\b", low):
                continue  # "many recipes" of something that is described nowhere
            if re.match(r"^(?:which|who|that|where|when|so|because|if|each|every|they|it)\b", low):
                continue
            attr = _attribute(item)
            if attr is None or attr.name in ("id", "created_at", "updated_at", names.snake(f.name)):
                continue
            if thing.attribute(attr.name) is None:
                thing.attributes.append(attr)
    # 3. join things: "for each doctor at a hospital we keep the start date and the weekly hours"
    for m in _JOIN.finditer(text.lower()):
        a, b, items = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(6), m.group(4))
        ea, eb = to_entity(a), to_entity(b)
        if ea in things and eb in things:
            name = eb + ea if re.search(r"\bfor each\s+" + re.escape(a) + r"\s+in\b", m.group(0)) else ea + eb
            join = things.setdefault(name, Thing(name, m.group(0)))
            for item in _split_list(_protect_enums(items)):
                attr = _attribute(item)
                if attr and join.attribute(attr.name) is None:
                    join.attributes.append(attr)
            pending_links += [Link(name, ea, "many_to_one", m.group(0)), Link(name, eb, "many_to_one", m.group(0))]
    for thing in things.values():  # the prompt's words as written (the reading works in lower case)
        thing.words = _as_written(text, thing.words)
        thing.attributes = [
            Attribute(a.name, a.type, _as_written(text, a.words), a.values, a.unique, a.required)
            for a in thing.attributes
        ]
    # a thing only named (no attributes) whose name is a typo of a described one is that one ("sesion")
    described = [t for t in things.values() if t.attributes]
    for t in [t for t in things.values() if not t.attributes]:
        last = names.snake(t.name).split("_")[-1]
        close = next(
            (
                d
                for d in described
                if difflib.SequenceMatcher(None, last, names.snake(d.name).split("_")[-1]).ratio() >= 0.85
            ),
            None,
        )
        if close is not None:
            pending_links = [
                Link(
                    close.name if lk.source == t.name else lk.source,
                    close.name if lk.target == t.name else lk.target,
                    lk.kind,
                    lk.words,
                )
                for lk in pending_links
            ]
            del things[t.name]
    reading.things = [t for t in things.values() if t.attributes or _linked(t.name, pending_links)]
    kept = [t.name for t in reading.things]
    counts: dict[str, int] = {}
    for t in reading.things:
        for a in t.aliases[:1]:  # the head alone: "an item" for equipment items
            counts[a] = counts.get(a, 0) + 1
    alias_of = {
        t.aliases[0]: t.name
        for t in reading.things
        if t.aliases and counts[t.aliases[0]] == 1 and t.aliases[0] not in kept
    }
    links = _links_by_sentence(text, kept, alias_of)
    joins = {
        t.name
        for t in reading.things
        if any(lk.source == t.name for lk in pending_links) and t.name not in found_names(found)
    }
    if joins:  # the join's two ends are linked through it, not to each other
        ends = {frozenset(lk.target for lk in pending_links if lk.source == j) for j in joins}
        links = [lk for lk in links if frozenset((lk.source, lk.target)) not in ends]
    have = {frozenset((lk.source, lk.target)) for lk in links}
    for link in pending_links + _self_links(text, kept):
        if link.source in kept and link.target in kept and frozenset((link.source, link.target)) not in have:
            have.add(frozenset((link.source, link.target)))
            links.append(link)
    reading.links = links
    _mark_constraints(text, reading)
    _mark_ownership(text, reading)
    return reading


_M2M_VERBS = (
    r"(?:sign(?:s)?\s+up\s+for|join(?:s)?|attend(?:s)?|enrol(?:l)?(?:s)?\s+in|take(?:s)?|like(?:s)?|save(?:s)?|"
    r"bookmark(?:s)?|favou?rite(?:s)?|follow(?:s)?|speak(?:s)?|play(?:s)?\s+in|work(?:s)?\s+on|belong(?:s)?\s+to|"
    r"(?:is|are)\s+(?:in|on|part\s+of))"
)
_AT_ONE = r"(?:work(?:s)?|live(?:s)?|(?:is|are)\s+based|(?:is|are)\s+employed|study|studies)\s+(?:at|for|in)"


_PASSIVE = re.compile(r"\s+(?:is|are)\s+(?:\w+\s+)?(?:\w+(?:ed|en|wn|de|ld|ht))\b(.*)$")
_PREP_ONE = r"(?:by|at|in|on|for|to|from|with|of)\s+(?:an?|one|the|exactly one|a single)\s+"


def _links_by_sentence(text: str, kept: list[str], alias_of: dict[str, str] | None = None) -> list[Link]:
    """``read_links`` clause by clause (so a later "many-to-many" wins over an earlier "for"),
    after the phrasings it does not know: "members who sign up for many sessions", "contacts who
    work at a company", "members and their loans", "gardeners rent one plot each", "a gig is
    played by a band at a venue", "an order is made up of order lines"."""
    out: dict[frozenset[str], Link] = {}
    pats = {n: _mention(n) for n in kept}
    alias_of = alias_of or {}
    clauses = [c.strip() for sentence in _sentences(text) for c in re.split(r";", sentence) if c.strip()]
    clauses = [part for clause in clauses for part in _pronoun_clause(clause, pats)]
    for sentence in clauses:
        low = sentence.lower()
        found: list[Link] = []
        said = [n for n in kept if re.search(pats[n], low)]  # only pairs the clause names
        chain: set[str] = set()  # "a submission is for one assignment by one student": both are the subject's
        for a in said:
            subject = re.match(r"^(?:(?:a|an|the|each|every)\s+)?" + pats[a], low)
            passive = _PASSIVE.match(low[subject.end() :]) if subject else None
            copula = (
                re.match(r"\s+(?:is|are)\s+((?:for|of|to|by|at|in|on|from|with)\s.*)$", low[subject.end() :])
                if subject
                else None
            )
            for b in said:
                if a == b:
                    continue
                pa, pb = pats[a], pats[b]
                if copula and re.search(r"(?:^|\s)" + _PREP_ONE + pb, copula.group(1).split(",")[0]):
                    found.append(Link(a, b, "many_to_one", sentence))  # "a loan is of one book to one member"
                    chain.add(b)
                elif re.search(
                    pb + r"\s+(?:can\s+|may\s+|will\s+|could\s+)?(?:be|is|are|get|gets)\s+" + _past_of(a) + r"\b", low
                ):
                    found.append(Link(a, b, "many_to_one", sentence))  # "photos can be liked": a Like of a photo
                elif (
                    w := re.search(pa + r"\s+(?:w/|with)\s+(?:many\s+|several\s+|their\s+|its\s+)?(" + pb + r")", low)
                ) and (_is_plural(w.group(1).split()[-1])):
                    found.append(Link(b, a, "many_to_one", sentence))  # "tickets with messages"
                elif re.search(
                    pa + r"\s+(?:who\s+|that\s+|which\s+)?(?:can\s+|may\s+)?" + _M2M_VERBS
                    + r"\s+(?:many|several|multiple|any number of)\s+" + pb,
                    low,
                ):  # fmt: skip
                    found.append(Link(a, b, "many_to_many", sentence))
                elif re.search(
                    pa + r"\s+(?:\([^()]*\)\s*)?(?:who\s+|that\s+|which\s+)" + _AT_ONE + r"\s+(?:an?|the|one)\s+" + pb,
                    low,
                ):
                    found.append(Link(a, b, "many_to_one", sentence))
                elif re.search(pa + r"\s+and\s+(?:their|its)\s+" + pb, low):
                    found.append(Link(b, a, "many_to_one", sentence))
                elif re.search(
                    pa
                    + r"\s+(?:\([^()]*\)\s*)?(?:who\s+|that\s+)?(?:each\s+)?[a-z]+\s+(?:one|a single|exactly one)\s+"
                    + pb,
                    low,
                ):
                    found.append(Link(a, b, "many_to_one", sentence))  # "gardeners rent one plot each"
                elif passive and re.search(r"(?:^|\s)" + _PREP_ONE + pb, passive.group(1)):
                    found.append(Link(a, b, "many_to_one", sentence))  # "a gig is played by a band at a venue"
                    chain.add(b)
                elif subject and re.search(
                    r"\b(?:is|are)\s+made\s+up\s+of\s+(?:many\s+|several\s+)?" + pb, low[subject.end() :]
                ):
                    found.append(Link(b, a, "many_to_one", sentence))
        found += [
            Link(alias_of.get(lk.source, lk.source), alias_of.get(lk.target, lk.target), lk.kind, lk.words)
            for lk in read_links(sentence, kept + list(alias_of))
        ]
        for lk in found:
            if lk.source == lk.target or {lk.source, lk.target} <= chain:
                continue
            if _said_through(low, pats, lk, [n for n in kept if n not in (lk.source, lk.target)]):
                continue  # "members book rooms" with a Booking: the link is the booking's
            pair = frozenset((lk.source, lk.target))
            if pair not in out or (lk.kind == "many_to_many" and out[pair].kind != "many_to_many"):
                out[pair] = lk
    return list(out.values())


def _pronoun_clause(clause: str, pats: dict[str, str]) -> list[str]:
    """ "a booking has a start time, it is made by one member for one room": the clause up to the
    "it", and the "it" clause with its subject said ("booking is made by one member for one room"),
    the thing that opens the clause (after a colon, if any) being what "it" / "they" stand for."""
    m = re.search(r",\s*(?:and\s+)?(?:it|they)\s+((?:is|are)\s+.*)$", clause, re.IGNORECASE)
    if not m:
        return [clause]
    opening = clause[: m.start()].lower().split(":")[-1].strip()
    for pat in pats.values():
        said = re.match(r"(?:(?:a|an|the|each|every)\s+)?(" + pat + r")", opening)
        if said:
            return [clause[: m.start()], f"{said.group(1)} {m.group(1)}"]
    return [clause]


def _verb_stems(name: str) -> set[str]:
    """The verbs a thing's name may be the noun of: Booking "book", Rental "rent", Like "like"."""
    last = names.snake(name).split("_")[-1]
    stems = {last}
    for suffix, back in (("ing", ""), ("al", ""), ("ment", ""), ("ation", "e"), ("ation", "")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            stems.add(last[: -len(suffix)] + back)
    return stems


def _past_of(name: str) -> str:
    """A regex of the past participles of the verbs ``name`` is the noun of ("liked", "booked")."""
    forms = set()
    for st in _verb_stems(name):
        forms |= {st + "ed", st + "d" if st.endswith("e") else st + "ed", st + st[-1] + "ed"}
        if st.endswith("y"):
            forms.add(st[:-1] + "ied")
    return "(?:" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + ")"


def _said_through(low: str, pats: dict[str, str], link: Link, others: list[str]) -> bool:
    """Whether the clause states ``link`` with a verb that another thing is the noun of ("members
    book rooms", "customers order products" beside a Booking, an Order): the link is that thing's."""
    for a, b in ((link.source, link.target), (link.target, link.source)):
        m = re.search(pats[a] + r"\s+(?:can\s+|may\s+|will\s+)?([a-z]+)\s+(?:an?\s+|the\s+|many\s+)?" + pats[b], low)
        if m:
            verb = m.group(1)
            verb = verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb
            if any(verb in _verb_stems(c) for c in others):
                return True
    return False


def _as_written(text: str, words: str) -> str:
    """``words`` as the prompt writes them (case, and an enum's values as said: "(low, high)")."""
    head = words.split("{")[0].strip() if "{" in words else words
    if not head:
        return words
    m = re.search(r"\s+".join(re.escape(w) for w in head.split()), text, re.IGNORECASE)
    if not m:
        return words
    if "{" not in words:
        return m.group(0)
    rest = re.match(
        r"\s*(?:\([^()]*\)|(?:which|that)\s+is\s+[^,;.]*(?:,[^,;.]*)*?\s+or\s+\w+|:\s*[^;.)]*|\S+)", text[m.end() :]
    )
    return m.group(0) + (rest.group(0) if rest else "")


def found_names(found: list[_Found]) -> set[str]:
    return {f.name for f in found}


def _linked(name: str, links: list[Link]) -> bool:
    return any(name in (lk.source, lk.target) for lk in links)


_TYPE_WORDS = {
    "integer": "int", "int": "int", "number": "float", "float": "float", "decimal": "decimal", "text": "text",
    "string": "str", "str": "str", "timestamp": "datetime", "datetime": "datetime", "date": "date",
    "boolean": "bool", "bool": "bool", "url": "url", "email": "email", "uuid": "uuid", "json": "json",
    "money": "decimal", "time": "datetime",
}  # fmt: skip
_TYPE_RE = "|".join(sorted(_TYPE_WORDS, key=len, reverse=True))


def _clauses_as_modifiers(sentence: str) -> str:
    """The sentence with modifiers said as clauses written as the parenthesised kind: ", which must be
    unique," -> " (unique)", "X: integer" -> "X (integer)", "a boolean X" -> "X (boolean)"."""

    def paren(m: re.Match[str]) -> str:
        return f" ({m.group(1)})" + ("," if m.group(0).endswith(",") else "")

    s = re.sub(
        r",?\s+(?:which|that)\s+(?:must|should|has to|have to)\s+be\s+(unique|given|set)\b,?",
        paren,
        sentence,
        flags=re.I,
    )
    s = re.sub(r",?\s+(?:which|that)\s+(?:is|are)\s+(optional|required|unique)\b,?", paren, s, flags=re.I)
    s = re.sub(
        rf"\b([a-z][a-z ]*?)\s*:\s*(?:an?\s+)?({_TYPE_RE})\b(?=\s*(?:[,;.&)]|\band\b|$))", r"\1 (\2)", s, flags=re.I
    )
    s = re.sub(rf"\(\s*an?\s+({_TYPE_RE})\s*\)", r"(\1)", s, flags=re.I)
    s = re.sub(r"\b(?:an?\s+)?boolean\s+([a-z]+)\b", r"\1 (boolean)", s, flags=re.I)
    s = re.sub(
        r"\bwhether\s+(?:it|they|the \w+)\s+(?:is|are|was|has|have)\s+(?:an?\s+)?([a-z]+)",
        r"\1 (yes/no)",
        s,
        flags=re.I,
    )
    return s


def _mark_constraints(text: str, reading: Reading) -> None:
    """Sentence-level "emails must be unique", "the title is required", "X is optional"."""
    low = text.lower()
    for m in re.finditer(
        r"\b([a-z]+(?:\s+[a-z]+)?)\s+(?:must|should|has to|have to|needs? to)\s+be\s+(unique|required|given|set)\b", low
    ):
        _set_flag(reading, m.group(1), "unique" if m.group(2) == "unique" else "required", m.group(0))
    for m in re.finditer(r"\b([a-z]+(?:\s+[a-z]+)?)\s+(?:is|are)\s+(unique|required|optional|mandatory)\b", low):
        _set_flag(reading, m.group(1), {"mandatory": "required"}.get(m.group(2), m.group(2)), m.group(0))


def _set_flag(reading: Reading, words: str, flag: str, said: str) -> None:
    words = _DETS.sub("", words.strip())
    candidates = {to_snake(words), to_snake(words.split()[-1]), to_snake(singular(words.split()[-1]))}
    for thing in reading.things:
        for i, a in enumerate(thing.attributes):
            if a.name in candidates:
                if flag == "unique" and a.type not in ("json", "text", "bool", "enum"):
                    thing.attributes[i] = Attribute(a.name, a.type, a.words, a.values, True, a.required)
                elif flag in ("required", "optional"):
                    thing.attributes[i] = Attribute(a.name, a.type, a.words, a.values, a.unique, flag == "required")


_OWN_CUE = re.compile(
    r"\b(?:private|personal|their own|his own|her own|my own|your own|only (?:their|his|her|my|your)|"
    r"visible only to|only visible to|only (?:the )?(?:user|owner|person|member|rep|customer) who created)\b"
)


def _mark_ownership(text: str, reading: Reading) -> None:
    """ "their own tickets", "entries are private to them": the named thing, else the sentence's subject."""
    mentions = {t.name: re.compile(_mention(t.name)) for t in reading.things}
    for sentence in _sentences(text):
        low = sentence.lower()
        cue = _OWN_CUE.search(low)
        if not cue:
            continue
        after = low[cue.end() :]
        named = [n for n, p in mentions.items() if p.match(after.lstrip() if after.startswith(" ") else after)]
        named = named or [n for n, p in mentions.items() if p.search(after[:40]) and "own" in cue.group(0)]
        if not named:  # "X are private": X, else the sentence's first thing ("links have ... and are private")
            before = low[: cue.start()]
            subject = re.search(r"([a-z]+)\s+(?:are|is)\s+(?:\w+\s+)?$", before)
            named = [n for n, p in mentions.items() if subject and p.fullmatch(subject.group(1))]
            firsts = sorted((m.start(), n) for n, p in mentions.items() if (m := p.search(before)))
            named = named or ([firsts[0][1]] if firsts else [])
        for name in named:
            thing = reading.thing(name)
            if thing is not None and thing.owned is None:
                thing.owned = sentence


__all__ = ["Attribute", "Reading", "Thing", "quote", "read_prompt", "type_from_words"]
