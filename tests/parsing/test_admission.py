"""Prompts that are no backend are refused with one clear message (codebegen/parsing/admission.py)."""

from __future__ import annotations

import json

import pytest

from codebegen.errors import PromptError
from codebegen.models.fake import FakeBackend
from codebegen.stages.parse import check_prompt, parse_stage
from tests.helpers import REPO
from tests.helpers.devset import load_gold


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        ("write me a poem about the sea", "a piece of writing"),
        ("Could you please write a short story about a dragon and a knight?", "a piece of writing"),
        ("tell me a joke about databases", "a piece of writing"),
        ("hello there, how are you doing today?", "a greeting"),
        ("hi", "too short"),
        ("🐶🐱📦🎉🚀", "only emoji or symbols"),
        ("👋 👋 👋 ❤️", "only emoji or symbols"),
        (
            "Eine API für Bücher: jedes Buch hat einen Titel und eine ISBN, und die Autoren haben einen Namen.",
            "only English",
        ),
        (
            "Une API pour une bibliothèque: les livres ont un titre et un auteur, et les membres ont un nom.",
            "only English",
        ),
        (
            "Una API para una tienda: los productos tienen un nombre y un precio, y los clientes tienen un email.",
            "only English",
        ),
        ("Блог с постами и комментариями, у каждого поста есть заголовок", "only English"),
        ("ブログのAPI、投稿とコメント", "only English"),
    ],
)
def test_what_is_not_a_backend_is_refused_saying_what_to_write(prompt: str, says: str) -> None:
    with pytest.raises(PromptError) as caught:
        check_prompt(prompt)
    assert says in caught.value.message
    assert "describe" in caught.value.hint or "e.g." in caught.value.hint


def test_the_parser_is_never_asked_about_a_poem() -> None:
    backend = FakeBackend([json.dumps({"name": "sea", "entities": [{"name": "About", "fields": [{"name": "waves"}]}]})])
    with pytest.raises(PromptError, match="piece of writing"):
        list(parse_stage("write me a poem about the sea", backend))
    assert backend.calls == []


@pytest.mark.parametrize(
    "prompt",
    [
        "A poetry site: poems have a title, a body and a publication date; poets have a name and a bio.",
        "hello! I need a backend for my bakery: recipes have a name and a baking time in minutes. thanks!",
        "A café menu API: dishes have a name, a price and a description.",
        "Tasks with a title, a due date and a priority (low, medium, high).",
    ],
)
def test_backends_that_mention_poems_greetings_or_accents_are_admitted(prompt: str) -> None:
    assert check_prompt(prompt) == prompt


def test_every_gold_prompt_is_admitted() -> None:
    for path in ("bench/dev_specs.jsonl", "bench/people_specs.jsonl"):
        for row in load_gold(REPO / path):
            check_prompt(row["prompt"])
