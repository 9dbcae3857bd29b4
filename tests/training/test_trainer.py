"""A tiny real training run on the embedded model: it saves, reloads and resumes an adapter."""

from __future__ import annotations

import json

import pytest

from codebegen.training import trainer
from codebegen.training.trainer import TrainConfig, train

pytestmark = [pytest.mark.model, pytest.mark.slow]
torch = pytest.importorskip("torch")


def tiny(**kw) -> TrainConfig:
    # the docs role has the shortest pairs; two top layers keep a step at a few seconds
    return TrainConfig(role="docs", examples=4, accumulate=2, first_layer=28, rank=4, alpha=8,
                       warmup_steps=1, save_every=1, seed=3, **kw)  # fmt: skip


def lora_weights(directory):
    from safetensors.torch import load_file

    return load_file(str(directory / "adapter_model.safetensors"))


def test_a_few_steps_save_an_adapter_with_its_config_and_loss_curve(tmp_path, model_cache):
    out = tmp_path / "docs"
    summary = train(tiny(), out, plot=tmp_path / "loss.png", cache_dir=model_cache, progress=False)
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    recorded = json.loads((out / "training_config.json").read_text())
    assert recorded["config"]["seed"] == 3 and recorded["optimizer_steps"] == 2 == len(recorded["losses"])
    assert summary["final_loss"] > 0
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert not (out / "checkpoint").exists()


def test_the_adapter_reloads_in_the_default_profile(tmp_path, model_cache):
    from codebegen.models import load_profile
    from codebegen.models.llamacpp import clear_pool

    out = tmp_path / "docs"
    train(tiny(), out, cache_dir=model_cache, progress=False)
    clear_pool()
    profile = load_profile("default", {"*": {"threads": 2}, "docs": {"adapter": str(out)}}, cache_dir=model_cache)
    reply = profile.backend("docs").complete([{"role": "user", "content": "Hello"}], max_tokens=3)
    assert reply.adapter == "docs"
    clear_pool()


def test_an_interrupted_run_resumes_to_the_same_adapter(tmp_path, model_cache, monkeypatch):
    whole = tmp_path / "whole"
    train(tiny(), whole, cache_dir=model_cache, progress=False)

    real = trainer._checkpoint

    def crash_after_first(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "_checkpoint", crash_after_first)
    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        train(tiny(), part, cache_dir=model_cache, progress=False)
    assert json.loads((part / "checkpoint" / "state.json").read_text())["step"] == 1
    monkeypatch.setattr(trainer, "_checkpoint", real)
    summary = train(tiny(), part, resume=True, cache_dir=model_cache, progress=False)
    assert summary["optimizer_steps"] == 2 == len(summary["losses"])
    a, b = lora_weights(whole), lora_weights(part)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-3, atol=1e-5)
