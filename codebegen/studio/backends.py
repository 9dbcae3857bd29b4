"""The model backends the studio's runs share: loaded once per profile per process.

Owns the cache and its lock. Two sessions that press Generate at the same moment with the
same profile wait for one load and then share the same backends (the embedded model's
weights are in memory once). Loading is ``codebegen.pipeline.load_backends``; a test or the demo
passes its own ``BackendProvider`` to ``create_app`` instead. It does not run anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from codebegen.pipeline import load_backends

BackendProvider = Callable[[str], Mapping[str, Any]]


class SharedBackends:
    """``provider(profile)`` -> the role -> backend mapping, loaded on first use, then reused."""

    def __init__(self, load: BackendProvider = load_backends) -> None:
        self._load = load
        self._loaded: dict[str, Mapping[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, profile: str) -> Mapping[str, Any]:
        with self._guard:
            if profile in self._loaded:
                return self._loaded[profile]
            lock = self._locks.setdefault(profile, threading.Lock())
        with lock:  # one load per profile; other profiles load (or run) meanwhile
            if profile not in self._loaded:
                backends = self._load(profile)
                with self._guard:
                    self._loaded[profile] = backends
        return self._loaded[profile]

    def loaded(self) -> list[str]:
        with self._guard:
            return sorted(self._loaded)
