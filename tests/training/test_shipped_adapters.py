"""The adapters this repository ships, and the default profile that finds them."""

from __future__ import annotations

import json

import pytest

from engine.models import load_profile
from engine.models.profiles import REPO_ROOT

SHIPPED = REPO_ROOT / "adapters"


def test_the_default_profile_points_every_role_at_adapters_dir():
    profile = load_profile("default")
    for role, cfg in profile.roles.items():
        assert cfg.adapter == str(SHIPPED / role) and cfg.adapter_optional


def test_the_parser_adapter_is_shipped_small_and_records_how_it_was_trained():
    parser = SHIPPED / "parser"
    assert (parser / "adapter_config.json").is_file()
    assert (parser / "adapter_model.safetensors").stat().st_size < 12 * 2**20
    recorded = json.loads((parser / "training_config.json").read_text())
    assert recorded["config"]["role"] == "parser" and recorded["examples"] > 0
    assert json.loads((parser / "adapter_config.json").read_text())["r"] == recorded["config"]["rank"]


@pytest.mark.model
@pytest.mark.slow
def test_the_default_profile_answers_the_parser_role_with_the_shipped_adapter(model_cache):
    from engine.models.llamacpp import clear_pool
    from engine.stages.parse import DECODING_SCHEMA

    clear_pool()
    profile = load_profile("default", {"*": {"threads": 2}}, cache_dir=model_cache)
    from engine.prompts import messages

    reply = profile.backend("parser").complete(
        messages("parse", prompt="A to-do API: tasks have a title and a done flag."),
        schema=DECODING_SCHEMA,
        max_tokens=120,
    )
    assert reply.adapter == "parser"
    assert '"Task"' in reply.text
    clear_pool()
