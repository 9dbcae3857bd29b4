"""Decoding on a transformers model: one forward step with a KV cache per token.

The loop around the step (JSON constraint, sampling, stop strings, text deltas) is
``sampling.token_loop``, shared with ``llamacpp``. This module owns the transformers step only;
``local`` owns loading and adapter switching.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from codebegen.models.base import StreamStats
from codebegen.models.sampling import token_loop


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

    cache_kw = _cache_keyword(model)
    cache = DynamicCache(config=model.config)

    def step(feed: list[int]) -> Any:
        ids = torch.tensor([feed], device=device)
        return model(input_ids=ids, use_cache=True, **{cache_kw: cache}).logits[0, -1].float().cpu().numpy()

    yield from token_loop(step, tokenizer, input_ids, n_vocab=max(model.config.vocab_size, len(tokenizer)),
                          max_tokens=max_tokens, temperature=temperature, stop=stop, schema=schema,
                          eos_ids=eos_ids, stats=stats)  # fmt: skip


def _cache_keyword(model: Any) -> str:
    # transformers 5 renamed past_key_values to cache (the old name warns, then goes in 5.40)
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(type(inner).forward).parameters else "past_key_values"
