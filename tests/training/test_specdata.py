"""The generated parser data: valid specs, wide variety, the same pairs for the same seed."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from codebegen.evaluation import metrics
from codebegen.spec import FIELD_TYPES, parse_spec
from codebegen.stages.parse import DECODING_SCHEMA
from codebegen.training.specdata import HELD_OUT, generate, target_json
from codebegen.training.vocabulary import parse_domains

N = 600


@pytest.fixture(scope="module")
def examples():
    return list(generate(11, N))


def test_every_generated_spec_is_a_valid_project_spec(examples):
    for ex in examples:
        parse_spec(ex.spec)


def test_the_target_has_the_decoding_schemas_keys_in_its_order(examples):
    top = list(DECODING_SCHEMA["properties"])
    ent = list(DECODING_SCHEMA["properties"]["entities"]["items"]["properties"])
    fld = list(DECODING_SCHEMA["properties"]["entities"]["items"]["properties"]["fields"]["items"]["properties"])
    for ex in examples[:50]:
        assert list(ex.spec) == top
        for e in ex.spec["entities"]:
            assert list(e) == ent
            assert all(list(f) == fld for f in e["fields"])
        assert json.loads(target_json(ex.spec)) == ex.spec
        assert '", "' in target_json(ex.spec) or not ex.spec["entities"][0]["fields"]  # the constraint's separators


def test_variety_of_domains_types_kinds_and_cues(examples):
    types = Counter(f["type"] for ex in examples for e in ex.spec["entities"] for f in e["fields"])
    kinds = Counter(r["kind"] for ex in examples for r in ex.spec["relationships"])
    assert set(types) == set(FIELD_TYPES)
    assert set(kinds) == {"many_to_one", "many_to_many", "one_to_one"}
    assert len({ex.spec["name"] for ex in examples}) >= 30
    assert len({e["name"] for ex in examples for e in ex.spec["entities"]}) >= 120
    assert 0.35 < sum(ex.spec["auth"] for ex in examples) / N < 0.75
    assert any(e["owned"] for ex in examples for e in ex.spec["entities"])
    sizes = Counter(len(ex.spec["entities"]) for ex in examples)
    assert set(sizes) >= {1, 2, 3, 4, 5}


def test_variety_of_writing_styles(examples):
    prompts = [ex.prompt for ex in examples]
    assert sum(p == p.lower() for p in prompts) > N * 0.08  # all lower case
    assert sum("\n- " in p or "\n* " in p or "\n• " in p for p in prompts) > N * 0.05  # bullet lists
    assert sum("\n1. " in p for p in prompts) > N * 0.05  # numbered requirements
    assert sum(len(p) > 400 for p in prompts) > N * 0.05  # long paragraphs
    assert len(set(prompts)) == N


def test_same_seed_same_pairs_other_seed_other_pairs():
    a = [(e.prompt, e.spec) for e in generate(5, 40)]
    assert a == [(e.prompt, e.spec) for e in generate(5, 40)]
    assert a != [(e.prompt, e.spec) for e in generate(6, 40)]


def test_held_out_domains_never_reach_training(examples):
    held = {d.key for d in parse_domains() if d.key in HELD_OUT}
    assert held == set(HELD_OUT)
    assert not {ex.spec["name"] for ex in examples} & held
    assert {ex.spec["name"] for ex in generate(3, 40, held_out=True)} <= held


def test_a_gold_row_scores_perfectly_against_its_own_spec(examples):
    gold = [ex.gold_row(f"g{i}") for i, ex in enumerate(examples[:40])]
    scores = metrics(gold, {f"g{i}": ex.spec for i, ex in enumerate(examples[:40])})
    assert scores["score"] >= 0.99  # the scorer drops predicted "*_id" uuid/int fields, e.g. microchip_id
