"""The relationships a prompt states in plain words, between entities the spec already has.

Owns reading sentences such as "comments belong to a post", "an order has order items",
"talks given by one speaker", "batches of a medicine", "appointments between a patient and a
dentist" and "posts can have many tags and tags can be on many posts" into ``(source, target,
kind)`` triples, each with the words it was read from. It only relates entities the parser
already named (it never adds a table), and it reads ordinary English: a determiner-led
preposition after one entity and before another ("for a", "of the", "per", "given by one"),
a verb of having between two ("customers place orders"), and the explicit words for
many-to-many and one-to-one. The clean-up (``codebegen.parsing.cleanup``) merges what it reads with
the model's own relationships; a 135M parser loses track of relationships, which come last
in its JSON, far more often than of entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codebegen import names

_DET = r"(?:(?:a|an|the|one|exactly one|a single|single|each|its|their|some|any|that|this)\s+)?"
_MANY = r"(?:many|several|multiple|one or more|a list of|lots of|a number of|any number of)"
# "X <words> Y": X belongs to one Y (the preposition or verb phrase right before Y)
_TO_ONE = (
    r"(?:belongs?\s+to|belonging\s+to|(?:is|are)\s+(?:linked|attached|assigned|tied|connected)\s+to|linked\s+to|"
    r"attached\s+to|assigned\s+to|references?|refers?\s+to|points?\s+(?:at|to)|part\s+of|(?:is|are)\s+for|for|of|"
    r"per|on|in|inside|within|under|into|about|from|(?:given|written|made|owned|placed|created|taught|hosted|run|"
    r"held|issued|sent|booked|submitted|published|posted|uploaded|managed|led|filed|raised|reported)\s+by|"
    r"(?:has|have|with)\s+(?:one|a single|exactly one)|(?:each|every)\s+(?:has|have)\s+(?:one|a)|->|=>|→)"
)
# "X <verb> Y": each Y belongs to one X ("customers place orders", "a team has many tasks")
_HAS_MANY = (
    r"(?:has|have|own|owns|place|places|make|makes|write|writes|rent|rents|create|creates|manage|manages|upload|"
    r"uploads|submit|submits|book|books|give|gives|hold|holds|contain|contains|include|includes|run|runs|host|"
    r"hosts|organi[sz]e|organi[sz]es|teach|teaches|publish|publishes|send|sends|receive|receives|keep|keeps|"
    r"log|logs|record|records|post|posts|lead|leads|file|files|raise|raises|track|tracks|borrow|borrows)"
)
_M2M_WORDS = re.compile(r"many[\s-]*to[\s-]*many|\bn\s*:\s*m\b|<->|vice versa|the other way round|the other way around")
_O2O_WORDS = re.compile(r"one[\s-]*to[\s-]*one|\b1\s*:\s*1\b")


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    kind: str  # many_to_one | one_to_one | many_to_many
    words: str  # the sentence it was read from


def _mention_pattern(name: str) -> str:
    """``FeatureRequest`` -> feature[ -]?request or its plural; ``Shelf`` also matches "shelves"."""
    *head, last = names.snake(name).split("_")
    forms = {last, names.plural(last)}  # shelf -> shelves, knife -> knives, person -> people
    last_re = "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"
    return r"\b" + r"[\s_-]*".join([*(re.escape(w) for w in head), last_re]) + r"\b"


def _sentences(prompt: str) -> list[str]:
    # field lists in parentheses are not relations; "(many to many)" is
    text = re.sub(
        r"\(([^()]*)\)",
        lambda m: m.group(0) if _M2M_WORDS.search(m.group(1).lower()) or _O2O_WORDS.search(m.group(1).lower()) else " ",
        prompt,
    )
    out = []
    for part in re.split(r"[.;!?\n]+|\s[-*•]\s", text):
        part = re.sub(r"\s+", " ", part).strip(" -*•:").lower()
        if part:
            out.append(part)
    return out


def read_links(prompt: str, entities: list[str]) -> list[Link]:
    """The relationships the prompt states between ``entities`` (PascalCase names), first mention first."""
    patterns = {name: re.compile(_mention_pattern(name)) for name in entities if name}
    found: list[Link] = []
    for sentence in _sentences(prompt):
        mentions = _mentions(sentence, patterns)
        if len(mentions) < 2:
            continue
        marked, order = _mark(sentence, mentions)
        for link in _read_sentence(marked, order, sentence):
            if link.source != link.target:
                found.append(link)
    return _first_per_pair(found)


def _mentions(sentence: str, patterns: dict[str, re.Pattern[str]]) -> list[tuple[int, int, str]]:
    spans = []
    for name, pattern in patterns.items():
        spans += [(m.start(), m.end(), name) for m in pattern.finditer(sentence)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, int, str]] = []
    for span in spans:  # longest first at each place, no overlaps ("order items" over "order")
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def _mark(sentence: str, mentions: list[tuple[int, int, str]]) -> tuple[str, list[str]]:
    """The sentence with each mention replaced by ``@i@`` and the entity of each i."""
    parts, last, order = [], 0, []
    for start, end, name in mentions:
        parts += [sentence[last:start], f"@{len(order)}@"]
        order.append(name)
        last = end
    parts.append(sentence[last:])
    return "".join(parts), order


_X = r"@(\d+)@"
_GAP = r"[^@]*?"  # words between two mentions, never another mention


def _read_sentence(marked: str, order: list[str], sentence: str) -> list[Link]:
    links: list[Link] = []

    def add(a: str, b: str, kind: str) -> None:
        links.append(Link(order[int(a)], order[int(b)], kind, sentence))

    distinct = set(order)
    if len(distinct) == 2 and (_M2M_WORDS.search(marked) or _both_ways_many(marked, order)):
        first = order[0]
        second = next(n for n in order if n != first)
        return [Link(first, second, "many_to_many", sentence)]
    if len(distinct) == 2 and _O2O_WORDS.search(marked):
        first = order[0]
        second = next(n for n in order if n != first)
        return [Link(first, second, "one_to_one", sentence)]
    # "X ... between a Y and a Z", "X connect a Y and a Z", "X link a Y to a Z"
    for m in re.finditer(
        rf"{_X}{_GAP}\b(?:between|connects?|connecting|links?|linking|joins?|joining|pairs?|matches|match)\s+{_DET}"
        rf"{_X}\s*(?:and|with|to|&)\s+{_DET}{_X}",
        marked,
    ):
        add(m.group(1), m.group(2), "many_to_one")
        add(m.group(1), m.group(3), "many_to_one")
    pieces = re.split(_X, marked)  # text, mention, text, mention, ..., text
    gaps = pieces[2:-1:2]  # the words between mention i and mention i + 1
    for i, gap in enumerate(gaps):
        a, b = str(i), str(i + 1)
        if re.search(
            rf"\b(?:belongs?\s+to|(?:be|is|are)\s+(?:in|on|part\s+of|tagged\s+with|assigned\s+to)|appears?\s+in)\s+{_MANY}\s*$",
            gap,
        ):
            add(a, b, "many_to_many")  # "a product can be in several categories"
        elif re.search(rf"(?<![a-z0-9]){_TO_ONE}\s+{_DET}$", gap) and not re.search(rf"\b{_MANY}\s*$", gap):
            add(a, b, "many_to_one")  # "comments ... belong to a post", "batches of a medicine"
        elif re.fullmatch(
            rf"\s*(?:(?:who|that|which)\s+)?(?:(?:each|also|can|may|will|usually|often|typically)\s+)*"
            rf"{_HAS_MANY}\s+(?:{_MANY}\s+|(?:their|its|own|the)\s+)*",
            gap,
        ):
            add(b, a, "many_to_one")  # "customers place orders", "a team has many tasks"
    return links


def _both_ways_many(marked: str, order: list[str]) -> bool:
    """'X can have many Y and Y can be on many X' (each side has many of the other)."""
    return len({order[int(i)] for i in re.findall(rf"\b{_MANY}\s+{_X}", marked)}) >= 2


def _first_per_pair(links: list[Link]) -> list[Link]:
    out: dict[frozenset[str], Link] = {}
    for link in links:
        out.setdefault(frozenset((link.source, link.target)), link)
    return list(out.values())
