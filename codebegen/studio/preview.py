"""The studio's previews: a verified run's project served from the sandbox, for its owner only.

Owns the previews of one studio process (``Previews``: at most ``max_previews`` at once, one per
run, each its own sandbox with its own data, stopped after ``idle_s`` without a request or
``lifetime_s`` after its start) and the routes under ``/preview`` that ``codebegen.studio.server`` mounts
beside the UI: ``/preview/{run_id}/...`` proxies to the run's sandboxed server and is opened
only by the run's owner (the session's user as ``codebegen.studio.users`` reads it; anyone else gets
404, as if there were no such preview; nobody signed in, 401), with Start, Stop and the log as
JSON. ``/preview/{run_id}/docs`` is the project's Swagger UI rendered by the studio for the
project's own OpenAPI document (rebased under the prefix: its ``servers`` and OAuth2 token URL),
with Swagger UI's files served from the ``fastapi-offline`` package at ``/preview/assets/``, so
it works without a CDN. Every proxied answer carries ``Content-Security-Policy: sandbox`` and
loses its cookies: what the project serves never runs as the studio's origin. The Preview tab
(``codebegen.studio.pages.preview``) drives the same ``Previews``.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse

from codebegen.errors import EngineError
from codebegen.gate.sandbox import Limits
from codebegen.preview import Preview, start_preview

UserOf = Callable[[Request], str | None]  # the signed-in owner of a request's runs, None when nobody is
ProjectOf = Callable[[str, str], Path | None]  # (owner, run id) -> the verified run's project folder

ASSETS = "/preview/assets"
_ASSET_FILES = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css",
                "favicon.png": "image/png"}  # fmt: skip


def assets_dir() -> Path | None:
    """Swagger UI's files (swagger-ui-dist 5) from the fastapi-offline package, or None when it is missing."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


class PreviewRefused(EngineError):
    """A preview that cannot start now: too many running (429), or the sandbox refused (503)."""

    def __init__(self, message: str, hint: str = "", *, status: int = 503) -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass
class _Entry:
    owner: str
    preview: Preview


class Previews:
    """The running previews of this process, keyed by run id."""

    def __init__(self, *, cache_dir: Path, max_previews: int = 2, idle_s: float = 300.0, lifetime_s: float = 3600.0):
        self.cache_dir = cache_dir
        self.max_previews = max_previews
        self.idle_s = idle_s
        self.limits = Limits(cpu_seconds=600, memory_mb=2048, processes=256, file_mb=256, lifetime_s=lifetime_s,
                             idle_s=idle_s)  # fmt: skip
        self._lock = threading.Lock()
        self._starting: set[str] = set()
        self._entries: dict[str, _Entry] = {}
        self._ended: dict[str, tuple[str, str]] = {}  # run id -> (owner, why it stopped)

    def start(self, owner: str, run_id: str, project: Path) -> Preview:
        """The run's preview, started now unless it runs already; PreviewRefused over the limit."""
        with self._lock:
            self._reap()
            entry = self._entries.get(run_id)
            if entry is not None and entry.owner == owner:
                return entry.preview
            if entry is not None or run_id in self._starting:
                raise PreviewRefused("this preview is starting or belongs to another session", status=409)
            if self.max_previews <= 0:
                raise PreviewRefused("previews are turned off in this studio",
                                     "set CODEBEGEN_STUDIO_MAX_PREVIEWS to a number above 0", status=503)  # fmt: skip
            if len(self._entries) + len(self._starting) >= self.max_previews:
                raise PreviewRefused(f"at most {self.max_previews} previews run at once in this studio",
                                     "stop a preview (or wait for an idle one to stop) and start again", status=429)  # fmt: skip
            self._starting.add(run_id)
        try:
            preview = start_preview(project, cache_dir=self.cache_dir, limits=self.limits)
        except EngineError as exc:
            raise PreviewRefused(f"the preview did not start: {exc.message}", exc.hint, status=503) from None
        finally:
            with self._lock:
                self._starting.discard(run_id)
        with self._lock:
            self._entries[run_id] = _Entry(owner, preview)
            self._ended.pop(run_id, None)
        return preview

    def get(self, owner: str, run_id: str) -> Preview | None:
        with self._lock:
            self._reap()
            entry = self._entries.get(run_id)
            return entry.preview if entry is not None and entry.owner == owner else None

    def ended(self, owner: str, run_id: str) -> str:
        """Why the owner's preview of the run stopped (idle, lifetime, a crash, Stop), or ''."""
        with self._lock:
            self._reap()
            who, why = self._ended.get(run_id, ("", ""))
            return why if who == owner else ""

    def stop(self, owner: str, run_id: str) -> bool:
        with self._lock:
            entry = self._entries.get(run_id)
            if entry is None or entry.owner != owner:
                return False
            del self._entries[run_id]
            self._ended[run_id] = (owner, "stopped")
        entry.preview.stop()
        return True

    def stop_all(self) -> None:
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            entry.preview.stop("the studio stopped")

    def running(self) -> int:
        with self._lock:
            self._reap()
            return len(self._entries)

    def _reap(self) -> None:
        """Forget previews whose sandbox stopped (idle, lifetime, a crash), keeping why."""
        for run_id in [r for r, e in self._entries.items() if not e.preview.running]:
            entry = self._entries.pop(run_id)
            why = entry.preview.box.stopped_because or _exit_reason(entry.preview.box.proc.returncode)
            self._ended[run_id] = (entry.owner, why)
            entry.preview.stop(why)


def _exit_reason(code: int | None) -> str:
    """Why a preview's server ended, in words: a signal by name (137 is a shell's SIGKILL)."""
    number = -code if code is not None and code < 0 else (code - 128 if code is not None and code > 128 else None)
    try:
        name = signal.Signals(number).name if number else None
    except ValueError:
        name = None
    if name is None:
        return f"the server exited with code {code}"
    why = " (the memory limit or the kernel's OOM killer, most often)" if name == "SIGKILL" else ""
    return f"the server was killed by signal {number} ({name}){why}; start the preview again"


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding", "set-cookie",
        "cookie"}  # fmt: skip
_FENCE = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
          "Referrer-Policy": "no-referrer"}  # fmt: skip


def preview_router(previews: Previews, user_of: UserOf, project_of: ProjectOf) -> APIRouter:
    """Routes under /preview: the Swagger UI assets, then per run POST start, POST stop, GET log, GET docs and the proxy."""
    router = APIRouter(prefix="/preview", include_in_schema=False)
    assets = assets_dir()

    @router.get("/assets/{name}")
    def asset(name: str) -> FileResponse:
        if assets is None or name not in _ASSET_FILES:
            raise HTTPException(404, "no such asset")
        return FileResponse(assets / name, media_type=_ASSET_FILES[name], headers={"Cache-Control": "max-age=86400"})

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
        try:
            preview = previews.start(user, run_id, project)
        except PreviewRefused as exc:
            raise HTTPException(exc.status, exc.message) from None
        return {"run_id": run_id, "docs": f"/preview/{run_id}/docs", "startup_s": round(preview.startup_s, 2)}

    @router.post("/{run_id}/stop")
    def stop(run_id: str, request: Request) -> dict[str, object]:
        return {"stopped": previews.stop(owner(request), run_id)}

    @router.get("/{run_id}/log")
    def log(run_id: str, request: Request, offset: int = 0) -> dict[str, object]:
        preview = _mine(run_id, request)
        text = preview.box.log()
        return {"text": text[offset:], "offset": len(text), "running": preview.running}

    @router.get("/{run_id}/docs")
    def docs(run_id: str, request: Request) -> Response:
        _mine(run_id, request)
        prefix = f"/preview/{run_id}"
        if assets is None:
            raise HTTPException(503, "Swagger UI's files are missing: pip install fastapi-offline (codebegen[studio])")
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json", title="Preview · Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png", oauth2_redirect_url=f"{prefix}/docs/oauth2-redirect",
        )  # fmt: skip

    @router.get("/{run_id}/docs/oauth2-redirect")
    def oauth2_redirect(run_id: str, request: Request) -> Response:
        _mine(run_id, request)
        return get_swagger_ui_oauth2_redirect_html()

    @router.api_route("/{run_id}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    async def proxy(run_id: str, path: str, request: Request) -> Response:
        preview = _mine(run_id, request)
        prefix = f"/preview/{run_id}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        body = await request.body()
        transport = httpx.AsyncHTTPTransport(uds=str(preview.box.socket_path))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", timeout=60) as client:
                answer = await client.request(request.method, "/" + path, params=request.query_params.multi_items(),
                                              content=body, headers=headers)  # fmt: skip
        except httpx.HTTPError as exc:
            raise HTTPException(502, f"the preview did not answer: {type(exc).__name__}") from None
        preview.box.touch()
        content = answer.content
        if path == "openapi.json" and answer.status_code == 200:
            content = _rebase(answer.json(), prefix)
        out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP} | _FENCE
        return Response(content, status_code=answer.status_code, headers=out)

    def _mine(run_id: str, request: Request) -> Preview:
        preview = previews.get(owner(request), run_id)
        if preview is None:  # another user's preview looks exactly like none at all
            raise HTTPException(404, "no preview of yours with this id (start it from the Preview tab)")
        preview.box.touch()
        return preview

    return router


def _rebase(doc: dict[str, Any], prefix: str) -> bytes:
    """The OpenAPI document with its calls and its OAuth2 token URL under the preview's prefix."""
    doc["servers"] = [{"url": prefix}]
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            if isinstance(flow.get("tokenUrl"), str) and flow["tokenUrl"].startswith("/"):
                flow["tokenUrl"] = prefix + flow["tokenUrl"]
    return json.dumps(doc).encode()


# -- the studio's side: whose runs, where their files are ------------------------------------------


def previews_for(ctx: Any) -> Previews:
    """The one ``Previews`` of a studio (``codebegen.studio.pages.generate.Studio``), made on first use from its settings."""
    with _MAKE:
        found = getattr(ctx, "_previews", None)
        if found is None:
            s = ctx.settings
            found = Previews(cache_dir=s.cache_dir, max_previews=s.max_previews, idle_s=s.preview_idle_s,
                             lifetime_s=s.preview_lifetime_s)  # fmt: skip
            ctx._previews = found
        return found


_MAKE = threading.Lock()


def verified_project(ctx: Any, owner: str, run_id: str) -> Path | None:
    """The folder of ``owner``'s verified run ``run_id`` (the run's own, or written from the history); else None."""
    row = ctx.history.get(owner, run_id)
    if row is None or row.status != "passed":
        return None
    placed = ctx.settings.runs_dir / run_id / "project"
    if (placed / "codebegen.json").is_file():
        return placed
    files = ctx.history.files(owner, run_id)
    if not files:
        return None
    dest = ctx.settings.data_dir / "previews" / run_id / "project"
    if not (dest / "codebegen.json").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        for rel, data in files.items():
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return dest


def session_owner(ctx: Any, request: Request) -> str | None:
    """Whose runs a plain Starlette request works on, as ``codebegen.studio.users`` reads a Gradio request's session."""
    from codebegen.studio.users import signed_in

    return signed_in(SimpleNamespace(request=request), ctx.settings)  # type: ignore[arg-type]


def mount_previews(server: FastAPI, ctx: Any) -> Previews:
    """Add the /preview routes to the studio's FastAPI app (before Gradio's catch-all mount); stop them at shutdown."""
    previews = previews_for(ctx)
    server.include_router(preview_router(previews, lambda r: session_owner(ctx, r),
                                         lambda user, run: verified_project(ctx, user, run)))  # fmt: skip
    server.router.on_shutdown.append(previews.stop_all)
    return previews


__all__ = ["ASSETS", "PreviewRefused", "Previews", "assets_dir", "mount_previews", "preview_router", "previews_for",
           "session_owner", "verified_project"]  # fmt: skip
