"""The whole pipeline on the real embedded default model: a dev-set prompt to a verified project.

The fake-profile tests (test_pipeline.py) pin down the event sequence and every bad-reply path;
this one proves the shipped default (llama.cpp, the parser adapter, the JSON constraint) really
carries a public dev-set prompt through parse, generate, verify, review and docs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import codebegen
from codebegen import events as ev
from tests.helpers.devset import load_gold

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_a_dev_prompt_becomes_a_verified_project_on_the_default_profile(tmp_path: Path) -> None:
    case = next(g for g in load_gold() if g["id"] == "d01-blog")
    out = tmp_path / "blog"
    events = list(codebegen.run(case["prompt"], profile="default", out_dir=out))

    done = events[-1]
    assert isinstance(done, ev.Done), events[-3:]
    assert done.ok, done.summary
    finished = {e.stage: e for e in events if isinstance(e, ev.StageFinished)}
    assert list(finished) == ["parse", "generate", "verify", "review", "docs"]
    assert finished["parse"].model == "SmolLM2-135M-Instruct" and finished["parse"].adapter == "parser"
    assert finished["parse"].tokens_out > 0
    assert any(isinstance(e, ev.TokenDelta) and e.stage == "parse" for e in events)

    spec = next(e.spec for e in events if isinstance(e, ev.SpecArtifact))
    names = {e.name for e in spec.entities}
    assert names & {"Post", "Comment"}, names  # the blog's own entities, not a guess
    report = json.loads((out / "trust_report.json").read_text())
    assert report["passed"] is True
    assert (out / "README.md").is_file() and (out / "docs" / "API.md").is_file()
