"""``RemoteBackend``: a role answered by an OpenAI-compatible server (vLLM, ``transformers serve``).

The way to scale out: vLLM serves many LoRA adapters on one base, each under its own model
name, so a role needs only ``base_url`` and ``model``. Speaks ``POST {base_url}/chat/completions``
with ``stream: true`` (server-sent events), a timeout per request, and retries with backoff on
connection errors, 429 and 5xx. A ``schema`` is sent as ``response_format`` (json_schema); a
server that ignores it may return other text, which the calling stage validates as always.
Standard library only, so the remote profile needs no extra install.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from codebegen.errors import ModelError
from codebegen.models.base import Backend, Message, StopMatcher, StreamStats, check_messages

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class RemoteBackend(Backend):
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        role: str = "parser",
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.role = role
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        self.adapter_name = None
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self._sleep = sleep

    @classmethod
    def open(cls, role: str, profile: ProfileConfig) -> RemoteBackend:
        cfg = profile.roles[role]
        if not cfg.base_url or not cfg.model:
            raise ModelError(f"the remote {role} role needs base_url and model", hint="set both in the profile")
        return cls(
            cfg.base_url, cfg.model, role=role, api_key=cfg.api_key, timeout_s=cfg.timeout_s, retries=cfg.retries
        )

    def _open(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
            try:
                return urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=self.timeout_s)  # noqa: S310
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:300]
                if exc.code not in RETRY_STATUS:
                    raise ModelError(f"{url} refused the request: HTTP {exc.code} {detail}",
                                     hint=f"check that the server serves model {self.model_name!r}") from None  # fmt: skip
                last = f"HTTP {exc.code} {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc))
        raise ModelError(f"the model server at {self.base_url} did not answer ({last}) after {self.retries + 1} tries",
                         hint="start it (e.g. `vllm serve` or `transformers serve`), check base_url, "
                         "or raise timeout_s in the profile")  # fmt: skip

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
        stats = stats if stats is not None else StreamStats()
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": check_messages(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        if schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": schema, "strict": True}}  # fmt: skip
        start = time.perf_counter()
        cut = StopMatcher(stop)  # servers differ in honouring "stop"; cut here too
        with self._open(body) as response:
            try:
                for delta, usage, finish in _events(response):
                    if usage:
                        stats.tokens_in = usage.get("prompt_tokens", stats.tokens_in)
                        stats.tokens_out = usage.get("completion_tokens", stats.tokens_out)
                    if finish:
                        stats.finish_reason = "length" if finish == "length" else "stop"
                    if delta and not cut.hit:
                        if stats.first_token_s is None:
                            stats.first_token_s = time.perf_counter() - start
                        if not usage:
                            stats.tokens_out += 1  # one delta is about one token; usage corrects it
                        out = cut.feed(delta)
                        if out:
                            yield out
            except TimeoutError:
                raise ModelError(f"the model server at {self.base_url} stopped answering mid-stream",
                                 hint="raise timeout_s in the profile or check the server's load") from None  # fmt: skip
        tail = cut.flush()
        if tail:
            yield tail


def _events(response: Any) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(content delta, usage, finish_reason) per server-sent event; also takes a plain JSON reply."""
    first = response.readline()
    if first.lstrip().startswith(b"{"):  # a server that ignored stream: true
        payload = json.loads(first + response.read())
        choice = payload["choices"][0]
        yield choice["message"].get("content") or "", payload.get("usage"), choice.get("finish_reason")
        return
    line = first
    while line:
        text = line.decode("utf-8", errors="replace").strip()
        if text.startswith("data:"):
            data = text[5:].strip()
            if data == "[DONE]":
                return
            event = json.loads(data)
            if "error" in event:
                raise ModelError(f"the model server failed: {event['error']}", hint="see the server's log")
            choices = event.get("choices") or [{}]
            yield (
                (choices[0].get("delta") or {}).get("content") or "",
                event.get("usage"),
                choices[0].get("finish_reason"),
            )
        line = response.readline()
