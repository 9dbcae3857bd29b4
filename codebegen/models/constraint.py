"""The JSON-schema constraint and the incremental detokenizer, shared by every local runtime.

Constraint library: **llguidance** (chosen by measurement, see BENCHMARKS.md "Model layer"):
it compiles a JSON schema to a grammar in milliseconds, computes the next-token mask in well
under a millisecond per token on this CPU, and needs no per-tokenizer index build beyond ~1 s,
which is cached per tokenizer here. The mask is applied to the logits before the argmax, so a
constrained answer is always JSON that parses under the schema (unless ``max_tokens`` cuts it).
Validating what the JSON *means* is the caller's job. This module imports no torch: logits are
a numpy vector (``sampling.token_loop`` hands every runtime's logits over as one).
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import numpy as np

from codebegen.errors import ModelError

# compact separators keep a small model from wandering into endless whitespace
_JSON_OPTIONS = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
_LL_TOKENIZERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_GRAMMARS: dict[str, str] = {}
_GRAMMAR_CACHE = 32


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
        import llguidance.numpy as lln

        key = json.dumps(schema, sort_keys=True)
        if key not in _GRAMMARS:
            grammar = decoding_schema(schema)
            while len(_GRAMMARS) >= _GRAMMAR_CACHE:  # the parse schema differs per prompt: keep the newest
                del _GRAMMARS[next(iter(_GRAMMARS))]
            _GRAMMARS[key] = llguidance.LLMatcher.grammar_from_json_schema(grammar, overrides=_JSON_OPTIONS)
        self._lln = lln
        self.matcher = llguidance.LLMatcher(_ll_tokenizer(tokenizer, n_vocab, eos_ids), _GRAMMARS[key], log_level=0)
        if self.matcher.is_error():
            raise ModelError(
                f"the JSON schema cannot be used to constrain decoding: {self.matcher.get_error()}",
                hint="simplify the schema (llguidance supports most of JSON Schema draft 2020-12)",
            )
        self.mask = lln.allocate_token_bitmask(1, n_vocab)

    def apply(self, logits: np.ndarray) -> None:
        """Set the logits of every token the grammar forbids now to -inf (in place)."""
        self._lln.fill_next_token_bitmask(self.matcher, self.mask)
        # llguidance's apply_token_bitmask_inplace measured 38 ms/token on this CPU and torch's
        # masked_fill_ 15 ms (thread hand-off on 49k elements); numpy does it in 0.05 ms
        allowed = np.unpackbits(self.mask.view(np.uint8), bitorder="little").view(bool)
        n = min(allowed.shape[0], logits.shape[-1])
        logits[:n][~allowed[:n]] = -np.inf
        logits[n:] = -np.inf

    def advance(self, token: int) -> bool:
        """Consume ``token``; True when the grammar is complete (nothing but EOS may follow)."""
        if not self.matcher.consume_token(token):
            raise ModelError(f"constrained decoding broke: {self.matcher.get_error()}", hint="report this as a bug")
        return self.matcher.is_stopped()


class Detokenizer:
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
