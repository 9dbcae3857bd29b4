"""The generated data of the generator, reviewer and docs roles, and the checks that score them."""

from __future__ import annotations

import pytest

from codebegen.prompts import messages
from codebegen.training import roledata
from codebegen.training.datasets import examples_for


@pytest.mark.parametrize("role", ["generator", "reviewer", "docs"])
def test_reference_answers_pass_their_own_check(role):
    cases = roledata.CASES[role](3, 80)
    assert all(roledata.CHECKS[role](c, c.get("target") or c["body"]) for c in cases)


@pytest.mark.parametrize("role", ["generator", "reviewer", "docs"])
def test_an_empty_or_wrong_reply_fails_the_check(role):
    case = roledata.CASES[role](3, 1)[0]
    assert not roledata.CHECKS[role](case, "")
    assert not roledata.CHECKS[role](case, "```\nsorry\n```")


def test_a_rule_body_that_never_raises_fails():
    case = next(c for c in roledata.generator_cases(4, 40) if c["bad"] is not None)
    assert not roledata.check_rule_body(case, "    pass")


@pytest.mark.parametrize("role", ["parser", "generator", "reviewer", "docs"])
def test_pairs_use_the_stage_prompt_files_and_are_deterministic(role):
    pairs = examples_for(role, 9, 6)
    assert pairs == examples_for(role, 9, 6)
    stage = {"parser": "parse", "generator": "rules", "reviewer": "review", "docs": "docs"}[role]
    system = messages(stage, **_values(stage))[0]["content"]
    if stage in ("parse", "review", "docs"):  # no per-case variables in these system prompts
        assert all(m[0]["content"] == system for m, _ in pairs)
    assert all(t.strip() for _, t in pairs)


def _values(stage):
    return {
        "parse": {"prompt": "x"},
        "rules": {"entity": "E", "attributes": "a", "rule": "r", "row_hint": "h"},
        "review": {"project": "p", "entities": 1, "template": "t", "score": 1, "findings": "- none"},
        "docs": {"title": "t", "description": "d", "entities": "E", "auth": False, "owned": ""},
    }[stage]


def test_a_users_jsonl_replaces_generated_data(tmp_path):
    spec = {"name": "shop", "auth": False, "entities": [{"name": "Item", "fields": [{"name": "title", "type": "str"}]}]}
    path = tmp_path / "mine.jsonl"
    import json

    path.write_text(json.dumps({"prompt": "A shop with items that have a title.", "spec": spec}) + "\n")
    (pair,) = examples_for("parser", 0, 99, data_file=path)
    assert pair[0][1]["content"] == "A shop with items that have a title."
    assert json.loads(pair[1])["entities"][0]["fields"][0] == {
        "name": "title",
        "type": "str",
        "required": True,
        "unique": False,
        "values": None,
    }
