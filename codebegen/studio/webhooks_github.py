"""GitHub's webhook at ``/webhooks/github``: a merged or closed pull request recorded on its version.

Owns the route (a FastAPI ``APIRouter`` from ``github_webhooks(secret=..., history=...)``, for
the studio's app to include) and its checks: the ``X-Hub-Signature-256`` header must be
``sha256=`` and the HMAC-SHA256 of the raw body under the configured secret, compared in
constant time; no secret configured refuses every delivery (an unsigned webhook would let
anyone rewrite the history). A ``pull_request`` event whose action is ``closed`` (merged or
not) or ``reopened`` is stored through ``History.record_pull_request``, keyed by repository
and number, with the run and version the PR body's codebegen marker names; ``ping`` is
answered; every other event is acknowledged and ignored. It does not call GitHub.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from codebegen.export.message import read_marker
from codebegen.studio.history import History

PATH = "/webhooks/github"
SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(secret: str, body: bytes) -> str:
    """The header value GitHub sends for ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _record(history: History, payload: dict[str, Any]) -> dict[str, Any]:
    pr, repo = payload["pull_request"], payload["repository"]["full_name"]
    state = "merged" if pr.get("merged") else "closed" if payload["action"] == "closed" else "open"
    run_id, version = read_marker(pr.get("body"))
    history.record_pull_request(
        repo, int(pr["number"]), state=state, run_id=run_id, version=version, url=pr.get("html_url") or "",
        head_sha=(pr.get("head") or {}).get("sha"), closed_at=_when(pr.get("merged_at") or pr.get("closed_at")),
    )  # fmt: skip
    return {"repo": repo, "number": int(pr["number"]), "state": state, "run_id": run_id, "version": version}


def github_webhooks(*, secret: str | Callable[[], str], history: History | Callable[[], History]) -> APIRouter:
    """The router; ``secret`` and ``history`` may be getters, read on each delivery."""
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def receive(request: Request) -> JSONResponse:
        key = secret() if callable(secret) else secret
        if not key:
            return JSONResponse({"detail": "the GitHub webhook secret is not configured"}, status_code=503)
        body = await request.body()
        if not signature_ok(key, body, request.headers.get(SIGNATURE_HEADER)):
            return JSONResponse({"detail": f"missing or wrong {SIGNATURE_HEADER}"}, status_code=401)
        event = request.headers.get("X-GitHub-Event", "")
        if event == "ping":
            return JSONResponse({"ok": True})
        try:
            payload = json.loads(body)
            action = payload.get("action") if event == "pull_request" else None
            if action not in ("closed", "reopened"):
                return JSONResponse({"ignored": f"{event} {action or ''}".strip()}, status_code=202)
            store = history() if callable(history) else history
            recorded = await run_in_threadpool(_record, store, payload)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return JSONResponse({"detail": f"not a pull_request payload GitHub sends: {exc}"}, status_code=400)
        return JSONResponse({"recorded": recorded})

    return router


__all__ = ["PATH", "SIGNATURE_HEADER", "github_webhooks", "signature", "signature_ok"]
