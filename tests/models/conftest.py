"""Fixtures of the model tests: tiny random-initialised models of the gpu profile's four architectures
with LoRA adapters (built by tests/helpers/tiny_models.py), small LoRAs for the embedded model, and
fresh model pools around each test. The embedded model's conversion (``model_cache``) is in
tests/conftest.py, which the training tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from tests.helpers.tiny_models import ARCHS, build_tiny  # noqa: E402  (once torch is known to be there)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("tiny-models")
    return {arch: build_tiny(arch, root, adapters=("parser", "docs")) for arch in ARCHS}


@pytest.fixture(autouse=True)
def _fresh_pool():
    from codebegen.models import llamacpp, local

    local.clear_pool()
    llamacpp.clear_pool()
    yield
    local.clear_pool()
    llamacpp.clear_pool()


@pytest.fixture(scope="session")
def smol_adapters(tmp_path_factory, model_cache) -> dict[str, Path]:
    """A small random LoRA per role for the embedded model's real module names."""
    from codebegen.models import ROLES, embedded

    base_dir = embedded.converted_dir(embedded.embedded_gguf(), model_cache)
    root = tmp_path_factory.mktemp("smol-adapters")
    model = transformers.AutoModelForCausalLM.from_pretrained(base_dir)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    peft_model = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=targets))
    out = {}
    for i, role in enumerate(ROLES):
        torch.manual_seed(i)
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                torch.nn.init.normal_(p, std=0.01)
        peft_model.save_pretrained(root / role)
        out[role] = root / role
    return out
