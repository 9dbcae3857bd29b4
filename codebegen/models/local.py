"""``LocalBackend``: transformers + peft (+ accelerate) in this process.

Owns loading: a base model is loaded once per process per (model, gguf, dtype, quantization,
device) and shared by every role that names it; each role's LoRA adapter is loaded onto that one
base (``PeftModel.load_adapter``) and switched with ``set_adapter`` under a lock, so the four
roles of the default profile hold one copy of the base weights. A role whose optional adapter is
absent runs on the bare base (``disable_adapter``) and reports ``adapter=None``.

``quantization: int8`` (CPU) swaps the base's Linear layers for dynamic int8 ones with
per-channel scales *after* the adapters are attached, so the LoRA matrices stay fp32 and
switching adapters costs nothing (measured choice: BENCHMARKS.md "Model layer").
Decoding itself lives in ``decode``; memory checks before a GPU load in ``memory``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codebegen.errors import ModelError
from codebegen.models.base import Backend, Message, StreamStats, check_messages
from codebegen.models.profiles import EMBEDDED, RoleConfig

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig


@dataclass
class LoadedBase:
    """One base model in memory and the adapters attached to it."""

    name: str
    model: Any  # a PreTrainedModel, or a PeftModel once an adapter is attached
    tokenizer: Any
    device: Any
    adapters: dict[str, str] = field(default_factory=dict)  # adapter name -> directory
    load_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_POOL: dict[tuple[Any, ...], LoadedBase] = {}
_POOL_LOCK = threading.Lock()


def loaded_bases() -> dict[tuple[Any, ...], LoadedBase]:
    """What this process holds (for benchmarks and tests)."""
    return dict(_POOL)


def clear_pool() -> None:
    """Forget every loaded base (tests; frees memory once nothing else holds the models)."""
    with _POOL_LOCK:
        _POOL.clear()


def get_base(cfg: RoleConfig, adapters: dict[str, str], cache_dir: Path) -> LoadedBase:
    """The shared base for ``cfg`` carrying at least ``adapters`` (name -> dir), loading what is missing."""
    key = (*cfg.base_key(), str(cache_dir))
    with _POOL_LOCK:
        base = _POOL.get(key)
        if base is not None and all(base.adapters.get(n) == p for n, p in adapters.items()):
            return base
        wanted = {**(base.adapters if base else {}), **adapters}
        if base is not None and cfg.quantization != "int8":
            with base.lock:
                _attach(base, {n: p for n, p in adapters.items() if n not in base.adapters})
            return base
        # int8 layers cannot take new LoRA layers: rebuild from the (fast) cached weights
        _POOL[key] = base = _load(cfg, wanted, cache_dir)
        return base


def _load(cfg: RoleConfig, adapters: dict[str, str], cache_dir: Path) -> LoadedBase:
    start = time.perf_counter()
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise ModelError(
            "the local backend needs torch and transformers", hint="pip install 'codebegen[models]'"
        ) from None
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    path, name = _resolve_model(cfg, cache_dir)
    device = _device(cfg, torch)
    kwargs: dict[str, Any] = {"dtype": getattr(torch, cfg.dtype), "local_files_only": True}
    if cfg.quantization.startswith("bnb-"):
        kwargs["quantization_config"] = _bnb_config(cfg, torch)
    if cfg.device == "auto":
        kwargs["device_map"] = "auto"
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        if cfg.device != "auto" and not cfg.quantization.startswith("bnb-"):
            model.to(device)
    except torch.OutOfMemoryError:
        raise ModelError(
            f"out of memory loading {name} on {device}",
            hint="use quantization: bnb-4bit, fewer roles on this GPU, or the remote profile",
        ) from None
    except OSError as exc:
        raise ModelError(
            f"cannot load weights of {name}: {exc}".split("\n")[0],
            hint=f"download it once with `hf download {name}` or point the profile at a local directory",
        ) from None
    model.eval()
    base = LoadedBase(name=name, model=model, tokenizer=tokenizer, device=device)
    _attach(base, adapters)
    if cfg.quantization == "int8":
        if device.type != "cpu":
            raise ModelError("quantization int8 is the CPU path", hint="on a GPU use bnb-8bit or bnb-4bit")
        _quantize_int8(base.model, torch)
    base.load_s = time.perf_counter() - start
    return base


def _resolve_model(cfg: RoleConfig, cache_dir: Path) -> tuple[str, str]:
    from codebegen.models import embedded

    model = cfg.model or ""
    if model == EMBEDDED:
        return str(embedded.converted_dir(embedded.embedded_gguf(), cache_dir)), embedded.MODEL_NAME
    p = Path(model)
    if model.endswith(".gguf") or cfg.gguf_file:
        gguf = p if model.endswith(".gguf") else p / str(cfg.gguf_file)
        if not gguf.is_file():
            raise ModelError(f"GGUF file not found: {gguf}", hint="fix the profile's model/gguf_file")
        return str(embedded.converted_dir(gguf, cache_dir)), gguf.stem
    if p.is_absolute() or model.startswith("."):
        if not (p / "config.json").is_file():
            raise ModelError(
                f"no model weights in {p} (config.json missing)", hint="point model at a saved model directory"
            )
        return str(p), p.name
    if not model:
        raise ModelError("the profile names no model for a local role", hint="set model: to a path or hub id")
    return model, model  # a hub id, resolved from the local Hugging Face cache only


def _device(cfg: RoleConfig, torch: Any) -> Any:
    if cfg.device.startswith("cuda") or cfg.device == "auto":
        if not torch.cuda.is_available():
            if cfg.device == "auto":
                return torch.device("cpu")
            raise ModelError(f"the profile places a model on {cfg.device} but no GPU is visible",
                             hint="use --profile default (CPU) or remote, or set device: cpu")  # fmt: skip
        return torch.device("cuda:0" if cfg.device == "auto" else cfg.device)
    return torch.device(cfg.device)


def _bnb_config(cfg: RoleConfig, torch: Any) -> Any:
    try:
        import bitsandbytes  # noqa: F401
        from transformers import BitsAndBytesConfig
    except ImportError:
        raise ModelError(
            f"quantization {cfg.quantization} needs bitsandbytes", hint="pip install bitsandbytes"
        ) from None
    if cfg.quantization == "bnb-4bit":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=getattr(torch, cfg.dtype))
    return BitsAndBytesConfig(load_in_8bit=True)


def _attach(base: LoadedBase, adapters: dict[str, str]) -> None:
    from peft import PeftModel

    for name, directory in adapters.items():
        if not (Path(directory) / "adapter_config.json").is_file():
            raise ModelError(f"adapter {name!r} not found: {directory} has no adapter_config.json",
                             hint="train or copy the adapter there, or remove adapter: from the profile")  # fmt: skip
        try:
            if isinstance(base.model, PeftModel):
                base.model.load_adapter(directory, adapter_name=name)
            else:
                base.model = PeftModel.from_pretrained(base.model, directory, adapter_name=name)
        except (ValueError, RuntimeError, KeyError) as exc:
            raise ModelError(f"adapter {directory} does not fit {base.name}: {exc}".split("\n")[0],
                             hint="an adapter must be trained on the same base model") from None  # fmt: skip
        base.adapters[name] = directory
    base.model.eval()


def _quantize_int8(model: Any, torch: Any) -> None:
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    # only the base's Linear layers: LoRA A/B stay fp32 so adapters keep their precision
    spec = {n: per_channel_dynamic_qconfig for n, m in model.named_modules()
            if isinstance(m, torch.nn.Linear) and ".lora_" not in n and not n.startswith("lora_")}  # fmt: skip
    quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


class LocalBackend(Backend):
    """One role on a shared local base model."""

    def __init__(self, role: str, base: LoadedBase, adapter: str | None) -> None:
        self.role = role
        self.base = base
        self.model_name = base.name
        self.adapter_name = Path(adapter).name if adapter else None
        self._adapter_key = role if adapter else None
        gen = getattr(base.model, "generation_config", None)
        ids = getattr(gen, "eos_token_id", None)
        ids = ids if isinstance(ids, list) else [ids]
        self.eos_ids = [i for i in {*ids, base.tokenizer.eos_token_id} if i is not None]

    @classmethod
    def open(cls, role: str, profile: ProfileConfig) -> LocalBackend:
        cfg = profile.roles[role]
        adapters = profile.shared_adapters(role)  # all of them now, so the base is built once
        if cfg.device != "cpu" and not getattr(profile, "_memory_checked", False):
            from codebegen.models.memory import check_profile_fits

            check_profile_fits(profile)  # every GPU role at once: they will all be resident
            profile._memory_checked = True
        base = get_base(cfg, adapters, profile.cache_dir)
        return cls(role, base, adapters.get(role))

    def prompt_ids(self, messages: list[Message]) -> list[int]:
        tok = self.base.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:  # base models (e.g. StarCoder2) ship no chat template
            text = "".join(f"### {m['role'].capitalize()}\n{m['content']}\n\n" for m in messages) + "### Assistant\n"
        return tok(text, add_special_tokens=False)["input_ids"]

    def stream(
        self,
        messages: Sequence[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        stats: StreamStats | None = None,
    ) -> Iterator[str]:
        from codebegen.models.decode import decode

        ids = self.prompt_ids(check_messages(messages))
        with self.base.lock:
            model = self.base.model
            switch = _adapter_context(model, self._adapter_key)
            try:
                with switch:
                    yield from decode(model, self.base.tokenizer, ids, max_tokens=max_tokens, temperature=temperature,
                                      stop=stop, schema=schema, eos_ids=self.eos_ids, stats=stats,
                                      device=self.base.device)  # fmt: skip
            except _oom_type() as exc:
                raise ModelError(
                    f"out of memory while generating with {self.model_name}: {exc}".split("\n")[0],
                    hint="lower max_tokens, use a quantized profile, or the remote profile",
                ) from None


class _NullContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _adapter_context(model: Any, adapter: str | None) -> Any:
    if not hasattr(model, "peft_config"):
        return _NullContext()
    if adapter is None:
        return model.disable_adapter()
    if model.active_adapter != adapter:
        model.set_adapter(adapter)
    return _NullContext()


def _oom_type() -> type[BaseException]:
    import torch

    return torch.OutOfMemoryError
