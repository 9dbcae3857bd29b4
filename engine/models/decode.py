"""The token loop: greedy or sampled decoding with a KV cache, JSON-schema constraint, stop strings
and text deltas as they are produced.

The JSON constraint and the detokenizer live in ``constraint`` (shared with ``llamacpp``).
This module owns decoding only; ``local`` owns loading and adapter switching.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from engine.models.base import StopMatcher, StreamStats
from engine.models.constraint import Detokenizer, JsonConstraint


@torch.inference_mode()
def decode(
    model: Any,
    tokenizer: Any,
    input_ids: list[int],
    *,
    max_tokens: int,
    temperature: float = 0.0,
    stop: Sequence[str] | None = None,
    schema: dict[str, Any] | None = None,
    eos_ids: Sequence[int] = (),
    stats: StreamStats | None = None,
    device: Any = "cpu",
) -> Iterator[str]:
    """Yield text deltas of the model's continuation of ``input_ids``."""
    from transformers import DynamicCache

    stats = stats if stats is not None else StreamStats()
    stats.tokens_in = len(input_ids)
    eos = set(eos_ids)
    n_vocab = max(model.config.vocab_size, len(tokenizer))
    constraint = JsonConstraint(tokenizer, schema, n_vocab, list(eos_ids)) if schema is not None else None
    cache_kw = _cache_keyword(model)
    detok, cut = Detokenizer(tokenizer), StopMatcher(stop)
    cache = DynamicCache(config=model.config)
    start = time.perf_counter()
    step = torch.tensor([input_ids], device=device)
    stats.finish_reason = "length"
    for i in range(max_tokens):
        logits = model(input_ids=step, use_cache=True, **{cache_kw: cache}).logits[0, -1].float()
        if constraint is not None:
            constraint.apply(logits)
        if temperature > 0:
            token = int(torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1))
        else:
            token = int(torch.argmax(logits))
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
        step = torch.tensor([[token]], device=device)
    tail = cut.flush()
    if tail:
        yield tail
    stats.extra["decode_s"] = time.perf_counter() - start


def _cache_keyword(model: Any) -> str:
    # transformers 5 renamed past_key_values to cache (the old name warns, then goes in 5.40)
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(type(inner).forward).parameters else "past_key_values"
