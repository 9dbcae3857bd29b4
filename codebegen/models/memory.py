"""Will the selected models fit? An estimate made *before* loading, and a refusal that says what to change.

Weights: the parameter count, read from the model's ``config.json`` by building it on the meta
device (no weights touched), times the bytes a parameter takes under the role's dtype and
quantization. KV cache: 2 x layers x kv_heads x head_dim x ``context_tokens`` x 2 bytes per
resident role. Plus 0.75 GiB a model for the CUDA context and activations. Bases shared by several roles
count once. The check compares the total with the memory of the devices present.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codebegen.errors import ModelError

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig, RoleConfig

GIB = 1024**3
BYTES_PER_PARAM = {"none": None, "int8": 1.0, "bnb-8bit": 1.0, "bnb-4bit": 0.55}  # 4-bit: + scales
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
PER_BASE_OVERHEAD = 0.75 * GIB  # CUDA context, activations and allocator slack of one resident model


@dataclass(frozen=True)
class ModelEstimate:
    model: str
    roles: tuple[str, ...]
    params: int
    weights_bytes: int
    kv_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + int(PER_BASE_OVERHEAD)


# The gpu profile's models, as published in their config.json, so the fit check can answer
# before anything is downloaded (and the GPU benchmark can build full-size random models).
KNOWN_SHAPES: dict[str, dict[str, Any]] = {
    "meta-llama/Llama-3.1-8B-Instruct": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
        "tie_word_embeddings": False},
    "Qwen/Qwen2.5-Coder-32B-Instruct": {"model_type": "qwen2", "hidden_size": 5120, "intermediate_size": 27648,
        "num_hidden_layers": 64, "num_attention_heads": 40, "num_key_value_heads": 8, "vocab_size": 152064,
        "tie_word_embeddings": False},
    "bigcode/starcoder2-15b-instruct-v0.1": {"model_type": "starcoder2", "hidden_size": 6144,
        "intermediate_size": 24576, "num_hidden_layers": 40, "num_attention_heads": 48, "num_key_value_heads": 4,
        "vocab_size": 49152, "tie_word_embeddings": False, "bos_token_id": 0, "eos_token_id": 0},
    "mistralai/Mistral-7B-Instruct-v0.3": {"model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
        "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32768,
        "tie_word_embeddings": False},
}  # fmt: skip


def known_config(model: str) -> Any:
    """A full-size config for one of ``KNOWN_SHAPES`` (no weights, no download)."""
    from transformers import AutoConfig

    shape = dict(KNOWN_SHAPES[model])
    return AutoConfig.for_model(shape.pop("model_type"), **shape)


def load_config(model: str) -> Any:
    """The model's config from a local directory or the local Hugging Face cache (never the network)."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model, local_files_only=True)
    except OSError:
        if model in KNOWN_SHAPES:
            return known_config(model)
        raise ModelError(f"no config for {model} on this machine",
                         hint=f"download it once with `hf download {model}` or point the profile at a local directory") from None  # fmt: skip


def count_params(config: Any) -> int:
    """Parameters of a causal LM built from ``config`` on the meta device (no memory used)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def estimate(config: Any, cfg: RoleConfig, roles: tuple[str, ...], name: str) -> ModelEstimate:
    params = count_params(config)
    per_param = BYTES_PER_PARAM[cfg.quantization] or DTYPE_BYTES[cfg.dtype]
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    heads = text.num_attention_heads
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    kv = 2 * text.num_hidden_layers * kv_heads * head_dim * cfg.context_tokens * 2 * len(roles)
    return ModelEstimate(name, roles, params, int(params * per_param), kv)


def estimate_profile(profile: ProfileConfig, roles: list[str] | None = None) -> list[ModelEstimate]:
    """One estimate per distinct base among ``roles`` (default: all local roles off the CPU)."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for role, cfg in profile.roles.items():
        if cfg.backend == "local" and (role in roles if roles is not None else cfg.device != "cpu"):
            groups.setdefault(cfg.base_key(), []).append(role)
    out = []
    for members in groups.values():
        cfg = profile.roles[members[0]]
        model = str(cfg.model)
        out.append(
            estimate(load_config(model), cfg, tuple(members), Path(model).name if Path(model).exists() else model)
        )
    return out


def device_memory() -> list[tuple[str, int]]:
    """(name, total bytes) for each visible CUDA device."""
    import torch

    if not torch.cuda.is_available():
        return []
    return [(f"cuda:{i} {torch.cuda.get_device_name(i)}", torch.cuda.get_device_properties(i).total_memory)
            for i in range(torch.cuda.device_count())]  # fmt: skip


def check_fits(estimates: list[ModelEstimate], devices: list[tuple[str, int]]) -> None:
    """Refuse, before any weight is loaded, when ``estimates`` exceed ``devices``' memory."""
    need = sum(e.total_bytes for e in estimates)
    have = sum(total for _, total in devices)
    if need <= have * 0.97:
        return
    detail = "; ".join(f"{e.model} ({'+'.join(e.roles)}) {e.total_bytes / GIB:.1f} GiB" for e in estimates)
    where = ", ".join(f"{n} {t / GIB:.0f} GiB" for n, t in devices) or "no GPU"
    raise ModelError(
        f"the selected models need about {need / GIB:.0f} GiB but {where} is available: {detail}",
        hint="use quantization: bnb-4bit (about a quarter of bf16), keep fewer roles resident by pointing some at "
        "the remote profile, use a bigger GPU (all four big models in bf16 need an H200-class card), or --profile remote",
    )


def check_profile_fits(profile: ProfileConfig, roles: list[str] | None = None) -> None:
    """The check the local backend runs before placing models on a GPU."""
    estimates = estimate_profile(profile, roles)
    devices = device_memory()
    if not devices:
        return  # the load itself says "no GPU visible", with its own hint
    check_fits(estimates, devices)
