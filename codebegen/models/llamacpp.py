"""``LlamaCppBackend``: a GGUF model on llama.cpp (``llama-cpp-python``) in this process.

The default profile's runtime for the embedded SmolLM2-135M-Instruct: on this 2-core CPU it
decodes 3-4x faster than the best transformers variant and runs the Q4_1 weights the adapters
were trained on (transformers de-quantises the same GGUF), with 8-bit activations in blocks of
32 instead of one int8 scale per tensor (measured: BENCHMARKS.md "Model layer").

Owns loading: one ``llama_cpp.Llama`` per (GGUF, threads, context) per process, shared by every
role that names it; each role's peft LoRA adapter is converted once to a GGUF adapter
(``gguf_lora``) and switched per call with ``llama_set_adapters_lora`` under the model's lock.
Tokenizing, the chat template, the JSON-schema constraint (llguidance) and detokenizing use the
model's Hugging Face tokenizer, so ids and constraint are exactly those of the ``local`` backend.
Unless the profile fixes ``threads``, ``threads.ThreadTuner`` picks the thread count from
measured step times (llama.cpp's spinning threads stall when a neighbour keeps a core busy).

The model is always loaded with ``use_extra_bufts = False``: llama.cpp built natively on a CPU
with AMX (Intel Sapphire Rapids and later) otherwise moves the Q4_1 weights into its AMX "extra"
buffer type, and LoRA adapters on those weights crash the process with SIGSEGV (the bare model
there answered with empty text). Without extra buffer types the weights stay in the plain CPU
buffer, which every CPU decodes the same way; on a CPU without AMX the extra type would only
repack Q4_0/Q4_K/Q8_0 tensors, none of which this GGUF holds for its matmuls, so it costs
nothing (BENCHMARKS.md "Model layer", before/after). ``llama-cpp-python`` 0.3.36's ``Llama``
has no argument for it, so ``_plain_cpu_buffers`` sets it in the parameters ``Llama`` asks for.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from codebegen.errors import ModelError
from codebegen.models.base import Backend, Message, StreamStats, check_messages
from codebegen.models.profiles import EMBEDDED, RoleConfig

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig


def available() -> bool:
    """Whether ``llama-cpp-python`` is importable (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


@dataclass
class LoadedGguf:
    """One GGUF model in memory, its tokenizer and the LoRA adapters loaded onto it."""

    name: str
    llm: Any  # llama_cpp.Llama
    tokenizer: Any
    adapters: dict[str, Any] = field(default_factory=dict)  # adapter directory -> llama_adapter_lora_p
    load_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    tuner: Any = None  # a ThreadTuner unless the profile fixed the thread count


EXTRA_BUFFER_TYPES = False  # llama.cpp's use_extra_bufts (AMX, repacking); see the module docstring
_POOL: dict[tuple[Any, ...], LoadedGguf] = {}
_POOL_LOCK = threading.Lock()


def loaded_models() -> dict[tuple[Any, ...], LoadedGguf]:
    """What this process holds (for benchmarks and tests)."""
    return dict(_POOL)


def clear_pool() -> None:
    """Forget every loaded model (tests)."""
    with _POOL_LOCK:
        _POOL.clear()


@atexit.register
def _free_at_exit() -> None:
    # free the models while llama_cpp's module still exists: left to Llama.__del__ at interpreter
    # teardown, freeing fails ("Exception ignored ... 'NoneType' object is not callable")
    with _POOL_LOCK:
        for loaded in _POOL.values():
            loaded.llm.close()
        _POOL.clear()


def _gguf_path(cfg: RoleConfig) -> Path:
    from codebegen.models import embedded

    model = cfg.model or ""
    if model == EMBEDDED:
        return embedded.embedded_gguf()
    path = Path(model) / cfg.gguf_file if cfg.gguf_file else Path(model)
    if path.suffix != ".gguf" or not path.is_file():
        raise ModelError(f"the llamacpp backend needs a GGUF file; {path} is not one",
                         hint="set model: to a .gguf path (or model: embedded), or use backend: local")  # fmt: skip
    return path


def _tokenizer(gguf: Path, cache_dir: Path) -> Any:
    """The model's Hugging Face tokenizer, read from the GGUF once and cached as files."""
    from transformers import AutoTokenizer

    from codebegen.models.embedded import cache_tag

    target = cache_dir.expanduser() / f"{gguf.stem}-{cache_tag(gguf)}-tokenizer"
    if (target / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(target, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer.save_pretrained(target)
    return tokenizer


def _model_config(llm: Any) -> dict[str, Any]:
    meta = llm.metadata
    arch = meta.get("general.architecture", "llama")
    heads = meta.get(f"{arch}.attention.head_count", "0")
    return {
        "architecture": arch,
        "num_attention_heads": int(heads),
        "num_key_value_heads": int(meta.get(f"{arch}.attention.head_count_kv", heads)),
    }


def get_model(cfg: RoleConfig, adapters: dict[str, str], cache_dir: Path) -> LoadedGguf:
    """The shared model for ``cfg`` carrying at least ``adapters`` (role -> peft dir)."""
    gguf = _gguf_path(cfg)
    key = (str(gguf), cfg.threads, cfg.context_tokens, str(cache_dir))
    with _POOL_LOCK:
        loaded = _POOL.get(key)
        if loaded is None:
            loaded = _POOL[key] = _load(gguf, cfg, cache_dir)
        with loaded.lock:
            for directory in adapters.values():  # keyed by directory: two profiles may differ
                if directory not in loaded.adapters:
                    loaded.adapters[directory] = _load_adapter(loaded, Path(directory), cache_dir)
        return loaded


def _load(gguf: Path, cfg: RoleConfig, cache_dir: Path) -> LoadedGguf:
    start = time.perf_counter()
    if not available():
        raise ModelError("the llamacpp backend needs llama-cpp-python",
                         hint="run `make install` (it installs llama-cpp-python), or use a profile with backend: local")  # fmt: skip
    from llama_cpp import Llama

    threads = cfg.threads or min(os.cpu_count() or 1, 8)
    try:
        with _plain_cpu_buffers():
            llm = Llama(str(gguf), n_ctx=cfg.context_tokens, n_threads=threads, n_threads_batch=threads,
                        n_batch=512, verbose=False)  # fmt: skip
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp cannot load {gguf.name}: {exc}", hint="check the GGUF file") from None
    if llm.model_params.use_extra_bufts != EXTRA_BUFFER_TYPES:  # a llama-cpp-python that builds them otherwise
        llm.close()
        raise ModelError(f"llama.cpp loaded {gguf.name} with extra buffer types (AMX), where LoRA adapters crash",
                         hint="install the llama-cpp-python version pyproject.toml pins (0.3.36)")  # fmt: skip
    name = "SmolLM2-135M-Instruct" if cfg.model == EMBEDDED else gguf.stem
    loaded = LoadedGguf(name=name, llm=llm, tokenizer=_tokenizer(gguf, cache_dir))
    if not cfg.threads:  # the profile leaves it open: measure which count is faster right now
        import llama_cpp

        from codebegen.models.threads import ThreadTuner

        ctx = llm._ctx.ctx
        loaded.tuner = ThreadTuner(lambda n: llama_cpp.llama_set_n_threads(ctx, n, n), threads)
    loaded.load_s = time.perf_counter() - start
    return loaded


@contextmanager
def _plain_cpu_buffers() -> Iterator[None]:
    """While ``Llama(...)`` is built, its model parameters come with ``use_extra_bufts = EXTRA_BUFFER_TYPES``.

    ``Llama.__init__`` takes them from ``llama_cpp.llama_cpp.llama_model_default_params()`` and
    offers no argument for this field; loads run under ``_POOL_LOCK``, one at a time.
    """
    import llama_cpp.llama_cpp as api

    original = api.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = EXTRA_BUFFER_TYPES
        return p

    api.llama_model_default_params = params
    try:
        yield
    finally:
        api.llama_model_default_params = original


def _load_adapter(loaded: LoadedGguf, directory: Path, cache_dir: Path) -> Any:
    import llama_cpp

    from codebegen.models.gguf_lora import gguf_adapter

    path = gguf_adapter(directory, _model_config(loaded.llm), cache_dir)
    adapter = llama_cpp.llama_adapter_lora_init(loaded.llm.model, str(path).encode())
    if not adapter:
        raise ModelError(f"llama.cpp refused the adapter {directory} (converted to {path})",
                         hint="an adapter must be trained on the same base model")  # fmt: skip
    return adapter


def _select(loaded: LoadedGguf, directory: str | None) -> None:
    import llama_cpp

    ctx = loaded.llm._ctx.ctx
    adapter = loaded.adapters.get(directory) if directory else None
    if adapter is None:
        rc = llama_cpp.llama_set_adapters_lora(ctx, None, 0, None)
    else:
        rc = llama_cpp.llama_set_adapters_lora(
            ctx, (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter), 1, (ctypes.c_float * 1)(1.0)
        )
    if rc != 0:
        raise ModelError(f"llama.cpp could not switch to the adapter {directory or '(none)'} (code {rc})",
                         hint="report this as a bug")  # fmt: skip


class LlamaCppBackend(Backend):
    """One role on a shared llama.cpp model."""

    def __init__(self, role: str, loaded: LoadedGguf, adapter: str | None) -> None:
        self.role = role
        self.loaded = loaded
        self.model_name = loaded.name
        self.adapter_name = Path(adapter).name if adapter else None
        self._adapter_dir = adapter
        tok = loaded.tokenizer
        self.eos_ids = sorted({i for i in (tok.eos_token_id, loaded.llm.token_eos()) if i is not None and i >= 0})

    @classmethod
    def open(cls, role: str, profile: ProfileConfig) -> Backend:
        cfg = profile.roles[role]
        if not available():
            return _fallback(role, profile)
        adapters = profile.shared_adapters(role)
        loaded = get_model(cfg, adapters, profile.cache_dir)
        return cls(role, loaded, adapters.get(role))

    def prompt_ids(self, messages: list[Message]) -> list[int]:
        tok = self.loaded.tokenizer
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
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
        from codebegen.models.sampling import token_loop

        ids = self.prompt_ids(check_messages(messages))
        llm = self.loaded.llm
        n_ctx, n_vocab = llm.n_ctx(), llm.n_vocab()
        if len(ids) >= n_ctx:
            raise ModelError(f"the prompt is {len(ids)} tokens; the model's context holds {n_ctx}",
                             hint="shorten the prompt or raise context_tokens in the profile")  # fmt: skip
        tuner = self.loaded.tuner

        def step(feed: list[int]) -> np.ndarray:
            began = time.perf_counter()
            llm.eval(feed)
            if tuner is not None and len(feed) == 1:  # the prompt's batch is not a decode step
                tuner.observe(time.perf_counter() - began)
            # only the last position's logits are computed (logits_all=False): one row
            return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,)).copy()

        with self.loaded.lock:
            _select(self.loaded, self._adapter_dir)
            llm.reset()
            yield from token_loop(step, self.loaded.tokenizer, ids, n_vocab=n_vocab,
                                  max_tokens=min(max_tokens, n_ctx - len(ids)), temperature=temperature,
                                  stop=stop, schema=schema, eos_ids=self.eos_ids, stats=stats)  # fmt: skip


def _fallback(role: str, profile: ProfileConfig) -> Backend:
    """Without llama-cpp-python, run the profile's llamacpp roles on transformers (slower; said once)."""
    import warnings

    from codebegen.models.local import LocalBackend

    warnings.warn(
        "llama-cpp-python is not installed: the embedded model runs on transformers (int8), about 3x slower "
        "and less accurate; run `make install` or `pip install llama-cpp-python==0.3.36` to fix",
        stacklevel=3,
    )
    for name, cfg in profile.roles.items():
        if cfg.backend == "llamacpp":
            profile.roles[name] = cfg.model_copy(update={"backend": "local"})
    return LocalBackend.open(role, profile)
