"""The adapters this repository ships, and the default profile that finds them."""

from __future__ import annotations

import json

import pytest

from codebegen.models import load_profile
from codebegen.models.profiles import PACKAGE_ROOT

SHIPPED = PACKAGE_ROOT / "adapters"


def test_the_default_profile_points_every_role_at_adapters_dir():
    profile = load_profile("default")
    for role, cfg in profile.roles.items():
        assert cfg.adapter == str(SHIPPED / role) and cfg.adapter_optional


@pytest.mark.parametrize("role", ["parser", "generator", "reviewer", "docs"])
def test_every_role_adapter_is_shipped_small_and_records_how_it_was_trained(role):
    adapter = SHIPPED / role
    assert (adapter / "adapter_config.json").is_file()
    assert (adapter / "adapter_model.safetensors").stat().st_size < 12 * 2**20
    recorded = json.loads((adapter / "training_config.json").read_text())
    assert recorded["config"]["role"] == role and recorded["examples"] > 0
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == recorded["config"]["rank"]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("role", ["generator", "reviewer", "docs"])
def test_each_role_adapter_beats_the_bare_model_on_held_out_cases(model_cache, role):
    """The measured gain of BENCHMARKS.md, in small: the role's own check on unseen cases."""
    from codebegen.models.llamacpp import clear_pool
    from codebegen.training.scoring import role_pass_rate

    clear_pool()
    shipped = load_profile("default", {"*": {"threads": 2}}, cache_dir=model_cache).backend(role)
    bare = load_profile("default", {"*": {"threads": 2}, role: {"adapter": None}}, cache_dir=model_cache).backend(role)
    with_adapter, without = role_pass_rate(role, shipped, n=6), role_pass_rate(role, bare, n=6)
    clear_pool()
    assert with_adapter["adapter"] == role and without["adapter"] is None
    assert with_adapter["pass_rate"] >= 0.8, with_adapter
    assert with_adapter["pass_rate"] > without["pass_rate"] or with_adapter["pass_rate"] == 1.0, (with_adapter, without)


@pytest.mark.model
@pytest.mark.slow
def test_the_default_profile_answers_the_parser_role_with_the_shipped_adapter(model_cache):
    from codebegen.models.llamacpp import clear_pool
    from codebegen.stages.parse import DECODING_SCHEMA

    clear_pool()
    profile = load_profile("default", {"*": {"threads": 2}}, cache_dir=model_cache)
    from codebegen.prompts import messages

    reply = profile.backend("parser").complete(
        messages("parse", prompt="A to-do API: tasks have a title and a done flag."),
        schema=DECODING_SCHEMA,
        max_tokens=120,
    )
    assert reply.adapter == "parser"
    assert '"Task"' in reply.text
    clear_pool()
