"""peft LoRA adapters as llama.cpp GGUF adapters, converted once and cached.

Owns the translation of a peft adapter directory (``adapter_config.json`` +
``adapter_model.safetensors``, trained on the transformers layout of a Llama-family model) into
the GGUF LoRA file that ``llama_adapter_lora_init`` loads: tensor names in llama.cpp's scheme
(``blk.N.attn_q.weight.lora_a``), ``lora_alpha`` in the metadata, and the query/key rows of
``lora_B`` permuted the way llama.cpp's converter permutes the base q/k weights for its rotary
layout (transformers un-permutes them when it reads a GGUF, so the adapter was trained on the
un-permuted rows). Loading and decoding are ``llamacpp``'s job.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from codebegen.errors import ModelError

_MODULES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_KEY = re.compile(r"layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])(?:\.\w+)?\.weight$")


def permute_rows(weight: Any, n_head: int) -> Any:
    """llama.cpp's q/k permutation of the output rows (``convert_hf_to_gguf.LlamaModel.permute``)."""
    rows = weight.shape[0]
    return weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def gguf_adapter(adapter_dir: Path, model_config: dict[str, Any], cache_dir: Path) -> Path:
    """The GGUF form of the peft adapter in ``adapter_dir``, converted on first use into ``cache_dir``."""
    adapter_dir = Path(adapter_dir)
    weights = adapter_dir / "adapter_model.safetensors"
    config_file = adapter_dir / "adapter_config.json"
    if not weights.is_file() or not config_file.is_file():
        raise ModelError(
            f"adapter {adapter_dir} has no adapter_model.safetensors/adapter_config.json",
            hint="train or copy the adapter there, or remove adapter: from the profile",
        )
    digest = hashlib.sha256(weights.read_bytes() + config_file.read_bytes()).hexdigest()[:16]
    target = Path(cache_dir).expanduser() / "lora-gguf" / f"{adapter_dir.name}-{digest}.gguf"
    if target.is_file():
        return target
    if model_config.get("architecture", "llama") != "llama":
        raise ModelError(
            f"LoRA adapters run on llama.cpp for Llama-architecture GGUFs only, not {model_config['architecture']}",
            hint="use backend: local for this model and adapter",
        )
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA" or config.get("use_dora") or config.get("rank_pattern"):
        raise ModelError(
            f"adapter {adapter_dir} is not a plain LoRA (DoRA and per-module ranks cannot run on llama.cpp)",
            hint="use the local (transformers) backend for this adapter",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".converting-", suffix=".gguf", dir=target.parent)
    os.close(fd)
    try:
        _write(weights, config, model_config, Path(tmp))
        os.replace(tmp, target)  # never leave a half-written adapter under the final name
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _write(weights: Path, config: dict[str, Any], model_config: dict[str, Any], out: Path) -> None:
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    tensors = load_file(str(weights))
    n_head = int(model_config["num_attention_heads"])
    n_kv = int(model_config.get("num_key_value_heads") or n_head)
    writer = gguf.GGUFWriter(str(out), arch="llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    written = 0
    for key in sorted(tensors):
        match = _KEY.search(key)
        if match is None:
            raise ModelError(f"adapter tensor {key} has no llama.cpp counterpart",
                             hint="only q/k/v/o/gate/up/down LoRA layers can run on llama.cpp")  # fmt: skip
        layer, module, side = match.groups()
        data = tensors[key].astype(np.float32)
        if side == "B" and module == "self_attn.q_proj":
            data = permute_rows(data, n_head)
        elif side == "B" and module == "self_attn.k_proj":
            data = permute_rows(data, n_kv)
        writer.add_tensor(f"blk.{layer}.{_MODULES[module]}.weight.lora_{side.lower()}", np.ascontiguousarray(data))
        written += 1
    if not written:
        raise ModelError(f"adapter {weights.parent} holds no LoRA tensors", hint="retrain it")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
