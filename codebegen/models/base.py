"""What every backend shares: a chat message, a ``Completion``, the ``Backend`` contract.

A backend answers one role with one main method, ``complete``, and its streaming twin ``stream``
(text deltas as they are produced). It owns no prompts and no parsing: the stages build the
messages and validate what comes back (``codebegen.spec.parse_spec`` for the parser's JSON).
This module owns no loading either; see ``local``, ``remote`` and ``fake`` for that.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codebegen.errors import ModelError

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""


@dataclass(frozen=True)
class Completion:
    """One finished answer and what it cost."""

    text: str
    tokens_in: int
    tokens_out: int
    model: str
    adapter: str | None = None
    duration_s: float = 0.0
    finish_reason: str = "stop"  # "stop" (EOS, stop string or grammar done) or "length"
    role: str | None = None


@dataclass
class StreamStats:
    """Filled in by a backend while it streams; read it once the iterator is exhausted."""

    tokens_in: int = 0
    tokens_out: int = 0
    finish_reason: str = "stop"
    first_token_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """One role's model. Subclasses implement ``stream``; ``complete`` collects it."""

    role: str
    model_name: str
    adapter_name: str | None = None

    @classmethod
    @abstractmethod
    def open(cls, role: str, profile: ProfileConfig) -> Backend:
        """Build the backend for ``role`` from its entry in ``profile`` (loading what it needs)."""

    @abstractmethod
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
        """Yield the answer as text deltas. With ``schema`` the whole text is JSON valid under it."""

    def complete(
        self,
        messages: Sequence[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion:
        """The whole answer at once."""
        stats = StreamStats()
        start = time.perf_counter()
        text = "".join(
            self.stream(messages, schema=schema, max_tokens=max_tokens, temperature=temperature, stop=stop, stats=stats)
        )
        return Completion(
            text=text,
            tokens_in=stats.tokens_in,
            tokens_out=stats.tokens_out,
            model=self.model_name,
            adapter=self.adapter_name,
            duration_s=time.perf_counter() - start,
            finish_reason=stats.finish_reason,
            role=self.role,
        )


def check_messages(messages: Sequence[Message]) -> list[Message]:
    """Refuse malformed chat messages early, with a message a stage author can act on."""
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise ModelError(
                f"message {i} is not a chat message",
                hint='pass dicts like {"role": "user", "content": "..."}',
            )
        out.append({"role": m["role"], "content": m["content"]})
    if not out:
        raise ModelError("no messages to answer", hint="pass at least one user message")
    return out


class StopMatcher:
    """Cuts a growing text at the first stop string, holding back a tail that may start one."""

    def __init__(self, stop: Sequence[str] | None) -> None:
        self.stop = [s for s in (stop or ()) if s]
        self.text = ""
        self.emitted = 0
        self.hit = False

    def feed(self, delta: str) -> str:
        """Add ``delta``; return what may be shown now. Sets ``hit`` once a stop string appears."""
        self.text += delta
        if not self.stop:
            return self._emit(len(self.text))
        cuts = [i for i in (self.text.find(s, max(0, self.emitted - len(s))) for s in self.stop) if i >= 0]
        if cuts:
            self.hit = True
            return self._emit(min(cuts))
        hold = 0
        for s in self.stop:
            for k in range(min(len(s) - 1, len(self.text)), 0, -1):
                if self.text.endswith(s[:k]):
                    hold = max(hold, k)
                    break
        return self._emit(len(self.text) - hold)

    def flush(self) -> str:
        return "" if self.hit else self._emit(len(self.text))

    def _emit(self, upto: int) -> str:
        upto = max(upto, self.emitted)
        out, self.emitted = self.text[self.emitted : upto], upto
        return out
