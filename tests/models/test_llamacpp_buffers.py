"""llama.cpp loads the model without extra buffer types, so LoRA adapters never sit on AMX weights.

On an AMX CPU (Sapphire Rapids and later) a natively built llama.cpp puts the Q4_1 weights in its
AMX buffer type and every adapter call dies with SIGSEGV. This machine has no AMX, so the crash
cannot happen here; what is asserted is that the setting which avoids it reaches llama.cpp.
"""

from __future__ import annotations

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from codebegen.models import llamacpp, load_profile  # noqa: E402


def test_the_load_asks_for_plain_cpu_buffers_and_leaves_the_default_alone():
    api = llama_cpp.llama_cpp
    assert api.llama_model_default_params().use_extra_bufts  # llama.cpp's default: on
    with llamacpp._plain_cpu_buffers():
        assert api.llama_model_default_params().use_extra_bufts is False
    assert api.llama_model_default_params().use_extra_bufts


@pytest.mark.model
@pytest.mark.slow
def test_the_default_profiles_model_is_loaded_without_extra_buffer_types(model_cache):
    backend = load_profile("default", {"*": {"threads": 2, "worker": False}}, cache_dir=model_cache).backend("parser")
    params = backend.loaded.llm.model_params  # exactly what Llama passed to llama_model_load_from_file
    assert params.use_extra_bufts is False
    assert backend.adapter_name == "parser"  # the case that crashed: an adapter on the model
    reply = backend.complete([{"role": "user", "content": "The capital of France is"}], max_tokens=6)
    assert reply.text.strip() and reply.tokens_out > 0


@pytest.mark.model
@pytest.mark.slow
def test_a_llama_cpp_python_that_ignores_the_setting_is_refused(model_cache, monkeypatch):
    from codebegen.errors import ModelError

    monkeypatch.setattr(llamacpp, "_plain_cpu_buffers", __import__("contextlib").nullcontext)
    with pytest.raises(ModelError, match="extra buffer types"):
        load_profile("default", {"*": {"threads": 2, "worker": False}}, cache_dir=model_cache).backend("parser")
