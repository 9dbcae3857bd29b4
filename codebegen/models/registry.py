"""The backend registry: which class answers a backend name, and the backends a profile opened.

Owns ``BACKENDS`` (the name a profile uses -> the class that answers; add a backend by adding
an entry: its class implements ``Backend.open`` and ``Backend.stream``), ``open_backend`` (the
factory: a role whose ``RoleConfig.in_worker()`` is true is answered by a ``WorkerBackend``
in the supervised model worker, any other by its class here) and ``Profile``, a profile's
configuration (``codebegen.models.profiles``) plus the cache of its opened backends, which
``load_profile`` returns: ``profile.backend(role)`` opens a role once per profile.

Importing it loads no backend module: each is imported when a profile first asks for it, so
an install without the ``models`` extra still runs the ``fake`` and ``remote`` backends.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from codebegen.errors import ModelError
from codebegen.models.base import Backend
from codebegen.models.profiles import ProfileConfig, RoleConfig, read_profile
from codebegen.models.worker import WorkerBackend


class _Backends(Mapping[str, type[Backend]]):
    """Backend name -> class, each module imported when its backend is first asked for.

    The local backends need the ``models`` extra (numpy, torch, llama.cpp); the fake and remote
    ones do not, so ``--profile fake`` and ``remote`` work on an install without it.
    """

    def __init__(self, where: dict[str, str]) -> None:
        self._where = where

    def __getitem__(self, name: str) -> type[Backend]:
        module, _, cls = self._where[name].partition(":")
        try:
            return getattr(importlib.import_module(module), cls)
        except ImportError as exc:
            raise ModelError(
                f"the {name} backend cannot be loaded: {exc}",
                hint="install the models extra: pip install 'codebegen[models]' (in a checkout: make install)",
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


BACKENDS: Mapping[str, type[Backend]] = _Backends(
    {
        "local": "codebegen.models.local:LocalBackend",
        "llamacpp": "codebegen.models.llamacpp:LlamaCppBackend",
        "remote": "codebegen.models.remote:RemoteBackend",
        "fake": "codebegen.models.fake:FakeBackend",
    }
)


def open_backend(role: str, profile: ProfileConfig) -> Backend:
    """A new backend for ``role`` of ``profile``: in the model worker when the role says so."""
    name = profile.roles[role].backend
    if name not in BACKENDS:
        raise ModelError(f"unknown backend {name!r} for role {role}", hint=f"use one of: {', '.join(BACKENDS)}")
    if profile.roles[role].in_worker():
        return WorkerBackend.open(role, profile)
    return BACKENDS[name].open(role, profile)


class Profile(ProfileConfig):
    """Four role configs plus the backends opened from them (lazily, once per profile)."""

    def __init__(self, name: str, roles: dict[str, RoleConfig], *, cache_dir: Path | None = None) -> None:
        super().__init__(name, roles, cache_dir=cache_dir)
        self._backends: dict[str, Backend] = {}

    def backend(self, role: str) -> Backend:
        """The backend answering ``role``, opened on first use."""
        self.check_role(role)
        if role not in self._backends:
            self._backends[role] = open_backend(role, self)
        return self._backends[role]

    def use(self, role: str, backend: Backend) -> Profile:
        """Answer ``role`` with an already-built backend (e.g. a scripted ``FakeBackend``)."""
        self.check_role(role)
        self._backends[role] = backend
        return self


def load_profile(
    name_or_path: str | Path = "default",
    overrides: dict[str, dict[str, Any]] | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> Profile:
    """A built-in profile by name, or a YAML/JSON profile file (``codebegen.models.profiles.read_profile``),
    ready to open its backends; ``overrides`` map a role (or ``"*"``) to fields of ``RoleConfig``."""
    config = read_profile(name_or_path, overrides, cache_dir=cache_dir)
    return Profile(config.name, config.roles, cache_dir=config.cache_dir)


__all__ = ["BACKENDS", "Profile", "load_profile", "open_backend"]
