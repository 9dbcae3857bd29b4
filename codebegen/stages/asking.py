"""One model call as a stream of events: token deltas out, the whole answer returned.

Owns the seam between the stages and ``codebegen.models``: every stage asks a role's backend
through ``ask`` so streaming, timing and token accounting are done once. Used as
``answer = yield from ask(...)`` inside a stage generator.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from codebegen.events import Event, Stage, TokenDelta


@dataclass(frozen=True)
class Answer:
    text: str
    seconds: float
    tokens_in: int
    tokens_out: int
    model: str | None
    adapter: str | None


def ask(
    backend: Any,
    stage: Stage,
    messages: list[dict[str, str]],
    *,
    schema: dict[str, Any] | None = None,
    max_tokens: int = 512,
) -> Generator[Event, None, Answer]:
    """Stream the backend's reply as TokenDelta events and return the collected Answer."""
    from codebegen.models.base import StreamStats

    start = time.perf_counter()
    stats = StreamStats()
    parts: list[str] = []
    for delta in backend.stream(messages, schema=schema, max_tokens=max_tokens, stats=stats):
        if delta:
            parts.append(delta)
            yield TokenDelta(stage, delta)
    return Answer(
        text="".join(parts),
        seconds=time.perf_counter() - start,
        tokens_in=stats.tokens_in,
        tokens_out=stats.tokens_out or len(parts),
        model=getattr(backend, "model_name", None),
        adapter=getattr(backend, "adapter_name", None),
    )
