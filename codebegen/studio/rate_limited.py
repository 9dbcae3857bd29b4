"""``RateLimited``: a run the studio refuses for now, and when one more is allowed.

Owns the one error both the per-visitor limits (``codebegen.studio.limits``) and the plan's
concurrency limit (``codebegen.studio.billing.quota``) raise; the REST API turns it into HTTP 429
with ``Retry-After``, the pages into ``gr.Error``.
"""

from __future__ import annotations

from codebegen.errors import EngineError


class RateLimited(EngineError):
    """A run refused by a rate limit; ``retry_after_s``: seconds until one more is allowed (HTTP Retry-After)."""

    def __init__(self, message: str, *, hint: str = "", retry_after_s: int) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


__all__ = ["RateLimited"]
