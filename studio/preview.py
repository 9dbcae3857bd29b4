"""The studio's previews: a verified run's project served from the sandbox, for its owner only.

Owns the previews of one studio process (``Previews``: at most ``max_previews`` at once, one per
run, each stopped after ``idle_s`` without a request) and a FastAPI router that proxies
``/preview/{run_id}/...`` to the run's sandboxed server, opened only by the run's owner (any
other user gets 404, as if there were no such preview), with Start, Stop and the log as JSON.
Swagger UI works under the per-run path: the project's ``/docs`` page and OpenAPI document are
rewritten to point at the prefix (its ``servers`` and the OAuth2 token URL). It does not render
the UI tab; the studio's Preview tab links here.

This is a standalone router (issue-19's FastAPI studio server was not merged into this branch
when it was written): mount it with ``app.include_router(preview_router(previews, user_of, project_of))``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import APIRouter, HTTPException, Request, Response

from engine.errors import EngineError
from engine.gate.sandbox import Limits
from engine.preview import Preview, start_preview

UserOf = Callable[[Request], str | None]  # the signed-in user of a request, None when nobody is
ProjectOf = Callable[[str, str], Path | None]  # (user, run id) -> the verified run's project folder


@dataclass
class _Entry:
    owner: str
    preview: Preview


class Previews:
    """The running previews of this process, keyed by run id."""

    def __init__(self, *, cache_dir: Path, max_previews: int = 2, idle_s: float = 300.0, lifetime_s: float = 3600.0):
        self.cache_dir = cache_dir
        self.max_previews = max_previews
        self.limits = Limits(cpu_seconds=600, memory_mb=2048, processes=256, file_mb=256, lifetime_s=lifetime_s,
                             idle_s=idle_s)  # fmt: skip
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def start(self, owner: str, run_id: str, project: Path) -> Preview:
        with self._lock:
            self._reap()
            entry = self._entries.get(run_id)
            if entry is not None:
                return entry.preview
            if len(self._entries) >= self.max_previews:
                raise HTTPException(429, f"at most {self.max_previews} previews run at once; stop one first")
            try:
                preview = start_preview(project, cache_dir=self.cache_dir, limits=self.limits)
            except EngineError as exc:
                raise HTTPException(503, exc.message) from None
            self._entries[run_id] = _Entry(owner, preview)
            return preview

    def get(self, owner: str, run_id: str) -> Preview | None:
        with self._lock:
            self._reap()
            entry = self._entries.get(run_id)
            return entry.preview if entry is not None and entry.owner == owner else None

    def stop(self, owner: str, run_id: str) -> bool:
        with self._lock:
            entry = self._entries.get(run_id)
            if entry is None or entry.owner != owner:
                return False
            del self._entries[run_id]
        entry.preview.stop()
        return True

    def stop_all(self) -> None:
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            entry.preview.stop()

    def running(self) -> int:
        with self._lock:
            self._reap()
            return len(self._entries)

    def _reap(self) -> None:
        """Forget previews whose sandbox stopped (idle, lifetime, a crash)."""
        for run_id in [r for r, e in self._entries.items() if not e.preview.running]:
            self._entries.pop(run_id).preview.stop()


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


def preview_router(previews: Previews, user_of: UserOf, project_of: ProjectOf) -> APIRouter:
    """Routes under /preview/{run_id}: POST start, POST stop, GET log, and the proxy for the rest."""
    router = APIRouter(prefix="/preview")

    def owner(request: Request) -> str:
        user = user_of(request)
        if not user:
            raise HTTPException(401, "sign in to open a preview")
        return user

    @router.post("/{run_id}/start")
    def start(run_id: str, request: Request) -> dict[str, object]:
        user = owner(request)
        project = project_of(user, run_id)
        if project is None:
            raise HTTPException(404, "no verified run of yours with this id")
        preview = previews.start(user, run_id, project)
        return {"run_id": run_id, "docs": f"/preview/{run_id}/docs", "startup_s": round(preview.startup_s, 2)}

    @router.post("/{run_id}/stop")
    def stop(run_id: str, request: Request) -> dict[str, object]:
        return {"stopped": previews.stop(owner(request), run_id)}

    @router.get("/{run_id}/log")
    def log(run_id: str, request: Request, offset: int = 0) -> dict[str, object]:
        preview = _mine(run_id, request)
        text = preview.box.log()
        return {"text": text[offset:], "offset": len(text), "running": preview.running}

    @router.api_route("/{run_id}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    async def proxy(run_id: str, path: str, request: Request) -> Response:
        preview = _mine(run_id, request)
        prefix = f"/preview/{run_id}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP | {"cookie"}}
        body = await request.body()
        try:
            with preview.box.client(timeout=60) as client:
                answer = client.request(request.method, "/" + path, params=request.query_params.multi_items(),
                                        content=body, headers=headers)  # fmt: skip
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"the preview did not answer: {type(exc).__name__}") from None
        content = answer.content
        if path == "docs" and answer.status_code == 200:
            content = content.replace(b"'/openapi.json'", f"'{prefix}/openapi.json'".encode())
            content = content.replace(b'"/docs/oauth2-redirect"', f'"{prefix}/docs/oauth2-redirect"'.encode())
        elif path == "openapi.json" and answer.status_code == 200:
            content = _rebase(answer.json(), prefix)
        out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
        return Response(content, status_code=answer.status_code, headers=out)

    def _mine(run_id: str, request: Request) -> Preview:
        preview = previews.get(owner(request), run_id)
        if preview is None:  # another user's preview looks exactly like none at all
            raise HTTPException(404, "no preview of yours with this id (start it from the Preview tab)")
        preview.box.touch()
        return preview

    return router


def _rebase(doc: dict, prefix: str) -> bytes:
    """The OpenAPI document with its calls and its OAuth2 token URL under the preview's prefix."""
    doc["servers"] = [{"url": prefix}]
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            if isinstance(flow.get("tokenUrl"), str) and flow["tokenUrl"].startswith("/"):
                flow["tokenUrl"] = prefix + flow["tokenUrl"]
    return json.dumps(doc).encode()


__all__ = ["Previews", "preview_router"]
