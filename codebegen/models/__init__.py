"""The model layer: four roles, each answered by a backend chosen by a profile.

    from codebegen.models import load_profile
    profile = load_profile("default")            # or "gpu", "remote", "fake", or a YAML/JSON file
    parser = profile.backend("parser")           # loads once per process; roles share one base
    reply = parser.complete(messages, schema=spec_json_schema(), max_tokens=768)
    reply.text, reply.tokens_in, reply.tokens_out, reply.model, reply.adapter, reply.duration_s
    for delta in parser.stream(messages): ...    # text deltas as they are produced

Roles: ``parser`` (prompt -> ProjectSpec JSON), ``generator`` (custom logic), ``reviewer``,
``docs``. Every failure is an ``codebegen.errors.ModelError`` whose hint says what to do. Roles on
the native runtimes (llamacpp, local) run in a supervised worker process (``worker``): a crash
or hang there is a ``ModelCrashError`` for the run, never the end of this process.

Modules: ``base`` (Completion, Backend), ``profiles`` (the configuration only: ROLES,
RoleConfig, ProfileConfig, read_profile), ``registry`` (BACKENDS, the factory, and Profile:
a configuration plus the backends it opened; load_profile), ``llamacpp`` (the default's runtime: llama.cpp + GGUF LoRA adapters from
``gguf_lora``, thread count from ``threads``), ``local`` (transformers + peft), ``decode`` (the
transformers step), ``sampling`` (the token loop), ``constraint`` (llguidance JSON mask,
detokenizer), ``embedded`` (the GGUF default and its conversion cache), ``remote``
(OpenAI-compatible HTTP), ``fake`` (scripted replies), ``memory`` (GPU fit estimate),
``worker`` (the supervisor of the worker process and ``WorkerBackend``), ``worker_process``
(the worker process's own loop).
Importing this package imports no torch.
"""

from codebegen.errors import ModelError
from codebegen.models.base import Backend, Completion, Message, StreamStats
from codebegen.models.fake import EMPTY, INVALID_JSON, NONSENSE, FakeBackend
from codebegen.models.local import LocalBackend
from codebegen.models.memory import ModelEstimate, check_fits, estimate_profile
from codebegen.models.profiles import BUILTIN, ROLES, ProfileConfig, RoleConfig
from codebegen.models.registry import BACKENDS, Profile, load_profile
from codebegen.models.remote import RemoteBackend

__all__ = [
    "BACKENDS",
    "BUILTIN",
    "EMPTY",
    "INVALID_JSON",
    "NONSENSE",
    "ROLES",
    "Backend",
    "Completion",
    "FakeBackend",
    "LocalBackend",
    "Message",
    "ModelError",
    "ModelEstimate",
    "Profile",
    "ProfileConfig",
    "RemoteBackend",
    "RoleConfig",
    "StreamStats",
    "check_fits",
    "estimate_profile",
    "fake_profile",
    "load_profile",
]


def fake_profile(scripts: dict | None = None) -> Profile:
    """The ``fake`` profile with per-role scripts: ``{"parser": [reply, ...] or callable, ...}``."""
    return load_profile("fake", {role: {"script": s} for role, s in (scripts or {}).items()})
