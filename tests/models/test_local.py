"""The gpu profile's loading code path, run on CPU with tiny random models of the four big architectures."""

from __future__ import annotations

import json

import pytest

from codebegen.models import ModelError, load_profile
from codebegen.models.local import loaded_bases
from tests.helpers.tiny_models import ARCHS

SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["many_to_one", "one_to_one", "many_to_many"]},
        "ok": {"type": "boolean"},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3},
    },
    "required": ["kind", "ok", "tags"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "A small API for books."}]


def gpu_profile_on_cpu(models, **extra):
    """Exactly the gpu profile, with its model paths and placement overridden (as a user's file would)."""
    overrides = {"*": {"device": "cpu", "dtype": "float32", "worker": False, **extra}}  # loaded_bases() is read
    for role, adapter in (("parser", models["parser"]), ("docs", models["docs"])):
        overrides[role] = {"model": str(models["base"]), "adapter": str(adapter)}
    for role in ("generator", "reviewer"):
        overrides[role] = {"model": str(models["base"]), "adapter": None}
    return load_profile("gpu", overrides)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_gpu_path_loads_adapter_and_generates(tiny_models, arch):
    profile = gpu_profile_on_cpu(tiny_models[arch])
    reply = profile.backend("parser").complete(MESSAGES, max_tokens=12)
    assert reply.adapter == f"{arch}-parser"
    assert reply.model == f"{arch}-base"
    assert reply.tokens_in > 5 and 0 < reply.tokens_out <= 12


@pytest.mark.parametrize("arch", list(ARCHS))
def test_constrained_output_is_valid_json_under_the_schema(tiny_models, arch):
    backend = gpu_profile_on_cpu(tiny_models[arch]).backend("parser")
    reply = backend.complete(MESSAGES, schema=SCHEMA, max_tokens=60)
    data = json.loads(reply.text)  # a random model, yet the grammar leaves it no way out
    assert reply.finish_reason == "stop"
    assert set(data) == {"kind", "ok", "tags"} and data["kind"] in SCHEMA["properties"]["kind"]["enum"]


@pytest.mark.parametrize("arch", list(ARCHS))
def test_stream_yields_the_same_text_as_complete(tiny_models, arch):
    backend = gpu_profile_on_cpu(tiny_models[arch]).backend("docs")
    deltas = list(backend.stream(MESSAGES, schema=SCHEMA, max_tokens=60))
    assert len(deltas) > 3  # a random model, but the grammar guarantees some output
    assert "".join(deltas) == backend.complete(MESSAGES, schema=SCHEMA, max_tokens=60).text


def test_roles_on_one_base_share_it_and_switch_adapters(tiny_models):
    profile = gpu_profile_on_cpu(tiny_models["llama"])
    replies = {role: profile.backend(role).complete(MESSAGES, max_tokens=10) for role in ("parser", "docs", "reviewer")}
    assert len(loaded_bases()) == 1
    base = next(iter(loaded_bases().values()))
    assert set(base.adapters) == {"parser", "docs"}
    assert replies["reviewer"].adapter is None  # a role without adapter runs on the bare base
    assert replies["parser"].text != replies["reviewer"].text != replies["docs"].text
    # switching back gives the same answer again: adapters do not leak into each other
    assert profile.backend("parser").complete(MESSAGES, max_tokens=10).text == replies["parser"].text


def test_int8_base_keeps_lora_working(tiny_models):
    profile = gpu_profile_on_cpu(tiny_models["qwen2"], quantization="int8")
    reply = profile.backend("parser").complete(MESSAGES, schema=SCHEMA, max_tokens=60)
    assert reply.adapter == "qwen2-parser"
    json.loads(reply.text)


def test_stop_strings_cut_the_answer(tiny_models):
    backend = gpu_profile_on_cpu(tiny_models["mistral"]).backend("parser")
    full = backend.complete(MESSAGES, schema=SCHEMA, max_tokens=60).text
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    cut = backend.complete(MESSAGES, schema=SCHEMA, max_tokens=60, stop=[stop])
    assert cut.text == full[: full.index(stop)] and cut.finish_reason == "stop"


def test_missing_adapter_is_an_error_that_says_what_to_do(tiny_models, tmp_path):
    profile = load_profile("gpu", {"*": {"device": "cpu", "dtype": "float32", "model": str(tiny_models["llama"]["base"])},
                                   "parser": {"adapter": str(tmp_path / "nope"), "adapter_optional": False}})  # fmt: skip
    with pytest.raises(ModelError, match="adapter for parser not found") as info:
        profile.backend("parser")
    assert "train or copy" in str(info.value)


def test_absent_optional_adapter_runs_bare(tiny_models, tmp_path):
    profile = load_profile("gpu", {"*": {"device": "cpu", "dtype": "float32", "model": str(tiny_models["llama"]["base"]),
                                         "adapter": str(tmp_path / "not-trained-yet"), "adapter_optional": True}})  # fmt: skip
    assert profile.backend("docs").complete(MESSAGES, max_tokens=4).adapter is None


def test_missing_weights_say_how_to_get_them(tmp_path):
    profile = load_profile("gpu", {"*": {"device": "cpu", "model": str(tmp_path / "empty")}})
    with pytest.raises(ModelError, match="no model weights"):
        profile.backend("parser")
    uncached = load_profile("gpu", {"*": {"device": "cpu", "model": "nobody/not-in-the-cache", "adapter": None}})
    with pytest.raises(ModelError, match="hf download"):
        uncached.backend("parser")


def test_gpu_placement_without_a_gpu_is_refused(tiny_models):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    profile = load_profile("gpu", {"*": {"model": str(tiny_models["llama"]["base"]), "dtype": "float32"}})
    with pytest.raises(ModelError, match="no GPU is visible"):
        profile.backend("parser")
