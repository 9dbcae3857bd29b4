"""Whether a prompt describes a backend at all: the parse stage's door for what is not one.

Owns refusing, with one clear message saying what to write instead, a prompt that is no request
for a backend: only emoji or symbols, a bare greeting or chatter, a request for a poem, a story,
a song or a joke (with nothing described to store), and a prompt not written in English (only
English is supported yet). It reads words only; it calls no model.
"""

from __future__ import annotations

import re

from codebegen.errors import PromptError

WHAT_TO_WRITE = (
    "describe the backend in English: the things it stores and what each has, e.g. "
    "'A library API: books with a title and an isbn, members with a name, loans of a book with a due date'"
)
_ENGLISH = frozenset(
    """the a an and or of to in on with for from by is are be has have each every that this it they we i you
    my our their what which who can should must will want need api app backend store track keep list""".split()
)
# frequent function words of other languages written in Latin script (none of them an English word)
_FOREIGN = frozenset(
    """der die das und ist sind ein eine einen mit für von zu den dem des nicht ich wir sie es auch oder wie
    haben hat soll sollen jeder jede jedes werden kann können bitte eine einem le la les et est sont un une des
    du avec pour dans qui que ne pas nous vous je ils elles chaque el los las y es son una con por para del
    que cada tiene tienen quiero necesito il gli di che è sono per con una ogni vorrei o os um uma com para
    não cada tem têm het een en van met voor zijn heeft hebben ik wij elke och att är med för och ett jag""".split()
)
_GREETING = frozenset(
    """hi hello hey hiya howdy yo there good morning afternoon evening how are you doing today thanks thank
    cheers ok okay please bye goodbye what's up sup whats is it going nice to meet and i am fine well great
    greetings dear friend""".split()
)
_CREATIVE = re.compile(
    r"\b(?:write|compose|tell|give|make|create|sing|draft)\s+(?:me\s+|us\s+)?(?:a|an|some|one|another)?\s*"
    r"(?:short\s+|funny\s+|little\s+|nice\s+|long\s+)?(?:poem|poems|haiku|sonnet|limerick|song|lyrics|story|"
    r"stories|joke|jokes|essay|novel|rap|ballad|verse|riddle)\b|^\s*(?:a\s+)?(?:poem|haiku|song|story|joke)\s+about\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())


def check_language(text: str) -> None:
    """Raise PromptError when ``text`` has no words (only emoji or symbols) or is not in English."""
    letters = [c for c in text if c.isalpha()]
    visible = [c for c in text if not c.isspace()]
    if not letters or len(letters) < 0.4 * len(visible) and len(_words(text)) < 3:
        raise PromptError("the prompt has no words describing a backend (only emoji or symbols)", hint=WHAT_TO_WRITE)
    non_latin = sum(1 for c in letters if not ("a" <= c.lower() <= "z" or "\u00c0" <= c <= "\u024f"))
    words = _words(text)
    english = sum(w in _ENGLISH for w in words)
    foreign = sum(w in _FOREIGN and w not in _ENGLISH for w in words)
    if non_latin > 0.3 * len(letters) or (foreign >= 3 and foreign > english):
        raise PromptError(
            "the prompt does not look like English; only English prompts are supported yet",
            hint="write the prompt in English: " + WHAT_TO_WRITE.split(": ", 1)[1],
        )


def check_backend_prompt(text: str, described: int | None = None) -> None:
    """Raise PromptError when ``text`` asks for no backend (``described``: how many things it describes)."""
    check_language(text)
    words = _words(text)
    if words and all(w in _GREETING for w in words):
        raise PromptError("the prompt is a greeting, not a description of a backend", hint=WHAT_TO_WRITE)
    if _CREATIVE.search(text):
        if described is None:
            from codebegen.parsing.reading import read_prompt

            described = len(read_prompt(text).things)
        if not described:
            raise PromptError(
                "the prompt asks for a piece of writing (a poem, a story, a song), not a backend", hint=WHAT_TO_WRITE
            )


__all__ = ["WHAT_TO_WRITE", "check_backend_prompt", "check_language"]
