"""peft LoRA -> llama.cpp GGUF adapter: names, alpha, the q/k row permutation, refusals, caching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from codebegen.errors import ModelError
from codebegen.models.gguf_lora import gguf_adapter, permute_rows

CONFIG = {"architecture": "llama", "num_attention_heads": 4, "num_key_value_heads": 2}


def peft_dir(root: Path, rank: int = 2, hidden: int = 16) -> Path:
    rng = np.random.default_rng(0)
    tensors = {}
    for module, out in (("self_attn.q_proj", hidden), ("self_attn.k_proj", hidden // 2), ("mlp.down_proj", hidden)):
        key = f"base_model.model.model.layers.3.{module}"
        tensors[f"{key}.lora_A.weight"] = rng.standard_normal((rank, hidden)).astype(np.float32)
        tensors[f"{key}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32)
    root.mkdir()
    save_file(tensors, str(root / "adapter_model.safetensors"))
    (root / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "lora_alpha": 8, "r": rank}))
    return root


def test_the_adapter_is_written_in_llama_cpp_names_with_q_and_k_rows_permuted(tmp_path):
    import gguf
    from safetensors.numpy import load_file

    source = peft_dir(tmp_path / "parser")
    out = gguf_adapter(source, CONFIG, tmp_path / "cache")
    reader = gguf.GGUFReader(str(out))
    fields = {f.name: f for f in reader.fields.values()}
    assert bytes(fields["adapter.type"].parts[-1]).decode() == "lora"
    assert float(fields["adapter.lora.alpha"].parts[-1][0]) == 8.0
    got = {t.name: np.array(t.data) for t in reader.tensors}
    assert set(got) == {f"blk.3.{m}.weight.lora_{s}" for m in ("attn_q", "attn_k", "ffn_down") for s in "ab"}
    peft = load_file(str(source / "adapter_model.safetensors"))
    base = "base_model.model.model.layers.3"
    q_b = peft[f"{base}.self_attn.q_proj.lora_B.weight"]
    assert np.array_equal(got["blk.3.attn_q.weight.lora_b"], permute_rows(q_b, 4))
    assert not np.array_equal(permute_rows(q_b, 4), q_b)  # the permutation really moves rows
    k_b = peft[f"{base}.self_attn.k_proj.lora_B.weight"]
    assert np.array_equal(got["blk.3.attn_k.weight.lora_b"], permute_rows(k_b, 2))
    assert np.array_equal(got["blk.3.ffn_down.weight.lora_a"], peft[f"{base}.mlp.down_proj.lora_A.weight"])
    assert gguf_adapter(source, CONFIG, tmp_path / "cache") == out  # cached, not converted again


def test_other_architectures_and_missing_files_are_refused(tmp_path):
    source = peft_dir(tmp_path / "parser")
    with pytest.raises(ModelError, match="Llama-architecture"):
        gguf_adapter(source, {**CONFIG, "architecture": "qwen2"}, tmp_path / "cache")
    with pytest.raises(ModelError, match="no adapter_model.safetensors"):
        gguf_adapter(tmp_path / "nowhere", CONFIG, tmp_path / "cache")
