"""The token loop: greedy or sampled decoding with a KV cache, JSON-schema constraint, stop strings
and text deltas as they are produced.

Constraint library: **llguidance** (chosen by measurement, see BENCHMARKS.md "Model layer"):
it compiles a JSON schema to a grammar in milliseconds, computes the next-token mask in well
under a millisecond per token on this CPU, and needs no per-tokenizer index build beyond ~1 s,
which is cached per tokenizer here. The mask is applied to the logits before the argmax, so a
constrained answer is always JSON that parses under the schema (unless ``max_tokens`` cuts it:
then ``finish_reason`` is "length"). Validating what the JSON *means* is the caller's job.

This module owns decoding only; ``local`` owns loading and adapter switching.
"""

from __future__ import annotations

import inspect
import json
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from engine.errors import ModelError
from engine.models.base import StopMatcher, StreamStats

# compact separators keep a small model from wandering into endless whitespace
_JSON_OPTIONS = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
_LL_TOKENIZERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_GRAMMARS: dict[str, str] = {}


def _ll_tokenizer(tokenizer: Any, n_vocab: int, eos_ids: list[int]) -> Any:
    import llguidance.hf

    hit = _LL_TOKENIZERS.get(tokenizer)
    if hit is None or hit[0] != n_vocab:
        hit = (n_vocab, llguidance.hf.from_tokenizer(tokenizer, n_vocab=n_vocab, eos_token=eos_ids[0]))
        _LL_TOKENIZERS[tokenizer] = hit
    return hit[1]


_LONG = 64  # string length bounds above this blow up llguidance's lexer ("ParserTooComplex")


def decoding_schema(schema: Any) -> Any:
    """``schema`` without what only costs the grammar: long string-length bounds and annotations.

    ``maxLength: 500`` on a string makes the lexer automaton count to 500 and measured 5 tok/s;
    dropping it is safe because the caller validates the decoded JSON against the full schema.
    """
    if isinstance(schema, list):
        return [decoding_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("maxLength", "minLength") and isinstance(value, int) and value > _LONG:
            continue
        if key in ("description", "title", "examples") and not isinstance(value, dict):
            continue
        out[key] = value if key in ("enum", "const", "default", "required") else decoding_schema(value)
    return out


class JsonConstraint:
    """The next-token mask for ``schema``, advanced one sampled token at a time."""

    def __init__(self, tokenizer: Any, schema: dict[str, Any], n_vocab: int, eos_ids: list[int]) -> None:
        import llguidance
        import llguidance.torch as llt

        key = json.dumps(schema, sort_keys=True)
        if key not in _GRAMMARS:
            grammar = decoding_schema(schema)
            _GRAMMARS[key] = llguidance.LLMatcher.grammar_from_json_schema(grammar, overrides=_JSON_OPTIONS)
        self._llt = llt
        self.matcher = llguidance.LLMatcher(_ll_tokenizer(tokenizer, n_vocab, eos_ids), _GRAMMARS[key], log_level=0)
        if self.matcher.is_error():
            raise ModelError(
                f"the JSON schema cannot be used to constrain decoding: {self.matcher.get_error()}",
                hint="simplify the schema (llguidance supports most of JSON Schema draft 2020-12)",
            )
        self.mask = llt.allocate_token_bitmask(1, n_vocab)

    def apply(self, logits: torch.Tensor) -> None:
        self._llt.fill_next_token_bitmask(self.matcher, self.mask)
        # llguidance's apply_token_bitmask_inplace measured 38 ms/token on this CPU and torch's
        # masked_fill_ 15 ms (thread hand-off on 49k elements); numpy does it in 0.05 ms
        allowed = np.unpackbits(self.mask.numpy().view(np.uint8), bitorder="little").view(bool)
        n = min(allowed.shape[0], logits.shape[-1])
        if logits.device.type == "cpu":
            view = logits.numpy()
            view[:n][~allowed[:n]] = -np.inf
        else:
            logits[:n].masked_fill_(~torch.from_numpy(allowed[:n]).to(logits.device), float("-inf"))
        logits[n:] = float("-inf")

    def advance(self, token: int) -> bool:
        """Consume ``token``; True when the grammar is complete (nothing but EOS may follow)."""
        if not self.matcher.consume_token(token):
            raise ModelError(f"constrained decoding broke: {self.matcher.get_error()}", hint="report this as a bug")
        return self.matcher.is_stopped()


class _Detokenizer:
    """Turns a growing list of ids into text deltas without re-decoding everything each step."""

    def __init__(self, tokenizer: Any) -> None:
        self.tok = tokenizer
        self.ids: list[int] = []
        self.prefix = 0
        self.read = 0

    def push(self, token: int) -> str:
        self.ids.append(token)
        before = self.tok.decode(self.ids[self.prefix : self.read], skip_special_tokens=True)
        after = self.tok.decode(self.ids[self.prefix :], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith("\ufffd"):  # hold half a UTF-8 character
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before) :]
        return ""


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
    detok, cut = _Detokenizer(tokenizer), StopMatcher(stop)
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
