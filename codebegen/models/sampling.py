"""The token loop every local runtime shares: constrain, pick, stop, detokenize, count.

A runtime supplies ``step(ids) -> logits``: feed it the prompt (first call) or the one token just
picked, and get the next-token logits as a float32 numpy vector it may overwrite. Everything after
the logits is here, once: the JSON-schema mask (``constraint``), greedy or temperature sampling,
EOS and stop strings, text deltas and the ``StreamStats`` a stage reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from codebegen.models.base import StopMatcher, StreamStats
from codebegen.models.constraint import Detokenizer, JsonConstraint


def token_loop(
    step: Callable[[list[int]], np.ndarray],
    tokenizer: Any,
    input_ids: list[int],
    *,
    n_vocab: int,
    max_tokens: int,
    temperature: float = 0.0,
    stop: Sequence[str] | None = None,
    schema: dict[str, Any] | None = None,
    eos_ids: Sequence[int] = (),
    stats: StreamStats | None = None,
) -> Iterator[str]:
    """Yield text deltas of the continuation of ``input_ids``; fill ``stats`` as it goes."""
    stats = stats if stats is not None else StreamStats()
    stats.tokens_in = len(input_ids)
    eos = set(eos_ids)
    constraint = JsonConstraint(tokenizer, schema, n_vocab, list(eos_ids)) if schema is not None else None
    detok, cut = Detokenizer(tokenizer), StopMatcher(stop)
    rng = np.random.default_rng()
    start = time.perf_counter()
    stats.finish_reason = "length"
    feed = list(input_ids)
    for i in range(max_tokens):
        logits = step(feed)
        if constraint is not None:
            constraint.apply(logits)
        if temperature > 0:
            z = (logits - logits.max()) / temperature
            p = np.exp(z)
            token = int(rng.choice(len(p), p=p / p.sum()))
        else:
            token = int(np.argmax(logits))
        if stats.first_token_s is None:
            stats.first_token_s = time.perf_counter() - start
        if token in eos:
            stats.finish_reason = "stop"
            break
        stats.tokens_out = i + 1
        done = constraint.advance(token) if constraint is not None else False
        out = cut.feed(detok.push(token))
        if out:
            yield out
        if cut.hit or done:
            stats.finish_reason = "stop"
            break
        feed = [token]
    tail = cut.flush()
    if tail:
        yield tail
    stats.extra["decode_s"] = time.perf_counter() - start
