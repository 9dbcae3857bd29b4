"""The studio's REST API, ``/api/v1`` (docs/studio.md): generations, their events, status, archive; projects.

Owns the routes and who may call them. Every route needs ``Authorization: Bearer <API key>``
or the browser's signed-in session (``codebegen.studio.auth``); without either, ``401``. A key acts for
the user who created it with its scopes (``read``: look and download; ``generate``: start and
cancel runs); a session has both. A run belongs to the caller (their own) or, with
``"org": <slug>`` in the request, to an organization of theirs where their role allows it:
members generate, viewers only read, and an outsider is answered ``404`` as if the
organization or run did not exist. Starting a run passes the same admission as the page
(``codebegen.studio.limits``: the prompt's size, the per-user runs an hour, counted in the history's
ledger of starts) plus a per-key limit from the same ledger; over a limit, ``429`` with
``Retry-After``. When billing is on, the run's owner's plan too (``codebegen.studio.billing.quota``):
``402`` over the month's generations or for a model profile the plan lacks, ``429`` over the
runs it allows at once. The runs themselves go through ``codebegen.studio.jobs`` in the background.

Projects are the runs of one owner grouped by the project's name; a project's versions are
its runs, oldest first. It is a FastAPI sub-application; ``codebegen.studio.server`` mounts it, and
its OpenAPI document is ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from codebegen import templates
from codebegen.errors import EngineError, PromptError
from codebegen.spec import ProjectSpec
from codebegen.studio.billing.quota import QuotaExceeded
from codebegen.studio.history import RunRow
from codebegen.studio.jobs import Jobs
from codebegen.studio.limits import admission
from codebegen.studio.rate_limited import RateLimited
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import ORG_PREFIX, SCOPES, AccessError, ApiKey, Store
from codebegen.studio.users import account

# the history's statuses as the API names them
STATUS = {"running": "running", "passed": "verified", "failed": "failed", "cancelled": "cancelled",
          "interrupted": "failed"}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, message: str, hint: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint, self.headers = status, message, hint, headers or {}


@dataclass(frozen=True)
class Caller:
    """Who calls: the user, with the API key they sent (None for a browser session) and its scopes."""

    user: str
    key: ApiKey | None
    scopes: tuple[str, ...]

    def need(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ApiError(403, f"this API key lacks the {scope!r} scope", "create a key with --scope read,generate")


class GenerationRequest(BaseModel):
    """A prompt or a spec (exactly one); the template, profile and owning organization are optional."""

    prompt: str | None = Field(None, description="a plain-English description of the backend")
    spec: dict[str, Any] | None = Field(None, description="a ProjectSpec (skips the parse stage)")
    template: str = Field(templates.DEFAULT_TEMPLATE, description="a template name")
    profile: str | None = Field(None, description="a model profile the studio offers; default: the studio's")
    org: str | None = Field(None, description="the organization the run belongs to; default: the caller")


class Created(BaseModel):
    id: str
    status: str
    events: str


def caller(request: Request) -> Caller:
    """The caller of a request: its API key's user and scopes, or the signed-in session's user (all scopes)."""
    store: Store = request.app.state.store
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "the Authorization header must be 'Bearer <API key>'", headers={"WWW-Authenticate": "Bearer"}
            )
        key = store.authenticate(token.strip())
        return Caller(key.user_id, key, key.scopes)
    info = account(request.scope.get("session") or {})
    if info is not None:
        return Caller(str(info["id"]), None, SCOPES)
    raise ApiError(
        401, "authentication required", "send Authorization: Bearer <API key> (codebegen keys create NAME)",
        headers={"WWW-Authenticate": "Bearer"},
    )  # fmt: skip


Who = Annotated[Caller, Depends(caller)]


def _project_id(owner: str, name: str) -> str:
    return hashlib.sha256(f"{owner}\0{name}".encode()).hexdigest()[:16]


def _run_json(row: RunRow, status: str) -> dict[str, Any]:
    return {
        "id": row.id, "status": status, "owner": row.user_id, "project": row.project_name,
        "prompt": row.prompt, "template": row.template, "profile": row.profile, "parent_id": row.parent_id,
        "created_at": row.created_at.isoformat() + "Z",
        "finished_at": row.finished_at.isoformat() + "Z" if row.finished_at else None,
        "summary": row.summary, "error": row.error, "timings": row.timings, "spec": row.spec,
        "trust_report": row.report,
    }  # fmt: skip


def create_api(store: Store, settings: StudioSettings, jobs: Jobs) -> FastAPI:
    api = FastAPI(
        title="codebegen studio API", version="1", openapi_url="/openapi.json", docs_url="/docs", redoc_url=None,
        description="Generations from a prompt or a spec, their events as Server-Sent Events, status, trust report "
        "and ZIP; projects and versions. Authenticate with `Authorization: Bearer <API key>`.",
    )  # fmt: skip
    api.state.store = store
    history = store.history

    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = {"detail": exc.message} | ({"hint": exc.hint} if exc.hint else {})
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @api.exception_handler(AccessError)
    async def _access_error(request: Request, exc: AccessError) -> JSONResponse:
        body = {"detail": exc.message} | ({"hint": exc.hint} if exc.hint else {})
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    def owned_run(who: Caller, run_id: str) -> tuple[RunRow, str]:
        """The run and its owner, when ``who`` may read it; else 404 (never saying whose it is)."""
        for owner in store.owners_of(who.user):
            row = history.get(owner, run_id)
            if row is not None:
                return row, owner
        raise ApiError(404, f"no generation {run_id!r}")

    def status_of(row: RunRow) -> str:
        job = jobs.get(row.id)
        if job is not None and job.state == "queued" and not job.cancelled:
            return "queued"
        return STATUS.get(row.status, row.status)

    def need_role(who: Caller, owner: str, action: str) -> None:
        if owner.startswith(ORG_PREFIX):
            store.require(owner[len(ORG_PREFIX) :], who.user, action)
        elif owner != who.user:
            raise ApiError(404, "not found")

    @api.post("/generations", status_code=202, response_model=Created)
    def create_generation(body: GenerationRequest, request: Request, who: Who) -> Any:
        """Start a generation from a prompt or a spec; answered at once with its id (``202``)."""
        who.need("generate")
        owner = who.user
        if body.org:
            store.require(body.org, who.user, "generate")
            owner = ORG_PREFIX + body.org
        if (body.prompt is None) == (body.spec is None):
            raise ApiError(422, "give a prompt or a spec, not both or neither")
        profile = body.profile or settings.profile
        if profile not in settings.profiles:
            raise ApiError(422, f"unknown profile {profile!r}", f"this studio offers {', '.join(settings.profiles)}")
        if body.template not in templates.list_templates():
            raise ApiError(
                422, f"unknown template {body.template!r}", f"use one of {', '.join(templates.list_templates())}"
            )
        spec = None
        if body.spec is not None:
            try:
                spec = ProjectSpec.model_validate(body.spec)
            except ValidationError as exc:
                raise ApiError(422, f"the spec is not a valid ProjectSpec: {exc.errors()[0]['msg']}") from None
        elif not (body.prompt or "").strip():
            raise ApiError(422, "the prompt is empty", "describe the backend you want")
        try:
            with admission(
                history, settings, who.user, body.prompt, key_id=who.key.id if who.key else None, owner=owner,
                profile=profile,
            ):  # fmt: skip
                job = jobs.start(
                    owner=owner, actor=who.user, key_id=who.key.id if who.key else None, template=body.template,
                    profile=profile, prompt=body.prompt, spec=spec,
                )  # fmt: skip
        except RateLimited as exc:
            raise ApiError(429, exc.message, exc.hint, {"Retry-After": str(exc.retry_after_s)}) from None
        except QuotaExceeded as exc:
            raise ApiError(402, exc.message, exc.hint) from None
        except PromptError as exc:
            raise ApiError(422, exc.message, exc.hint) from None
        except EngineError as exc:
            raise ApiError(400, exc.message, exc.hint) from None
        return Created(
            id=job.id, status="queued", events=f"{request.scope.get('root_path', '')}/generations/{job.id}/events"
        )

    @api.get("/generations/{run_id}")
    def get_generation(run_id: str, who: Who) -> dict[str, Any]:
        """The generation's status, spec, trust report and timings."""
        who.need("read")
        row, _ = owned_run(who, run_id)
        return _run_json(row, status_of(row))

    @api.get("/generations/{run_id}/events", response_class=StreamingResponse)
    def generation_events(run_id: str, who: Who) -> StreamingResponse:
        """The pipeline's events as Server-Sent Events, from the first to ``Done``."""
        who.need("read")
        row, _ = owned_run(who, run_id)
        job = jobs.get(row.id)
        if job is None:
            raise ApiError(
                410, "the events of this generation are no longer kept (it ran in another process or long ago)",
                f"read its status at GET /api/v1/generations/{run_id}",
            )  # fmt: skip

        async def sse() -> AsyncIterator[bytes]:
            index = 0
            while True:
                items, complete = await asyncio.to_thread(job.follow, index, 1.0)
                for item in items:
                    yield f"data: {json.dumps(item)}\n\n".encode()
                index += len(items)
                if complete and index >= len(job.log):
                    return
                if not items:
                    yield b": keep-alive\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @api.get("/generations/{run_id}/archive", response_class=Response)
    def generation_archive(run_id: str, who: Who) -> Response:
        """The verified project as a ZIP (every file under one folder named after the project)."""
        who.need("read")
        row, owner = owned_run(who, run_id)
        if row.status != "passed":
            raise ApiError(409, f"generation {run_id} is {status_of(row)}; only a verified one has an archive")
        name = row.project_name or "project"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, data in sorted(history.files(owner, run_id).items()):
                archive.writestr(f"{name}/{path}", data)
        return Response(
            buffer.getvalue(), media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )  # fmt: skip

    @api.delete("/generations/{run_id}", status_code=202)
    def cancel_generation(run_id: str, who: Who) -> dict[str, Any]:
        """Cancel a queued or running generation."""
        who.need("generate")
        row, owner = owned_run(who, run_id)
        need_role(who, owner, "generate")
        if not jobs.cancel(row.id):
            raise ApiError(409, f"generation {run_id} is not running here (it is {status_of(row)})")
        return {"id": row.id, "status": "cancelled"}

    @api.get("/projects")
    def list_projects(who: Who) -> list[dict[str, Any]]:
        """The caller's projects and their organizations': each with its number of versions and latest run."""
        who.need("read")
        out = []
        for owner in store.owners_of(who.user):
            groups: dict[str, list[RunRow]] = {}
            for row in history.list(owner, limit=10_000):
                if row.project_name:
                    groups.setdefault(row.project_name, []).append(row)
            for name, rows in sorted(groups.items()):
                latest = max(rows, key=lambda r: r.created_at)
                out.append({
                    "id": _project_id(owner, name), "name": name, "owner": owner, "versions": len(rows),
                    "latest": latest.id, "updated_at": latest.created_at.isoformat() + "Z",
                })  # fmt: skip
        return out

    @api.get("/projects/{project_id}/versions")
    def project_versions(project_id: str, who: Who) -> list[dict[str, Any]]:
        """A project's versions (its runs), oldest first."""
        who.need("read")
        for owner in store.owners_of(who.user):
            rows = [
                r
                for r in history.list(owner, limit=10_000)
                if r.project_name and _project_id(owner, r.project_name) == project_id
            ]
            if rows:
                return [
                    {"id": r.id, "status": STATUS.get(r.status, r.status), "created_at": r.created_at.isoformat() + "Z",
                     "parent_id": r.parent_id, "template": r.template, "summary": r.summary}
                    for r in sorted(rows, key=lambda r: r.created_at)
                ]  # fmt: skip
        raise ApiError(404, f"no project {project_id!r}")

    return api
