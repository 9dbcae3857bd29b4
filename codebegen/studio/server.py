"""The studio as one web server: a FastAPI app with the Gradio Blocks mounted at ``/``.

Owns what lives beside the UI in the same process and port: the signed session cookie
(``codebegen_session``; ``codebegen.studio.auth`` writes it), the sign-in routes under ``/auth`` (when a
login provider is configured), the REST API under ``/api/v1`` (``codebegen.studio.api``, with its
background generations, ``codebegen.studio.jobs``), the live previews under ``/preview`` (``codebegen.studio.preview``:
a verified run's sandboxed server, for its owner only), the GitHub webhook at ``/webhooks/github``
(``codebegen.studio.webhooks_github``), and the Gradio app itself
(``gr.mount_gradio_app``), which keeps its own routes, queue and, on a Space, its Hugging Face
login. ``run`` serves it with uvicorn, in the foreground or in a thread (tests, benchmarks);
the Blocks' ``close()`` stops a threaded server as it stops one Gradio launched.
"""

from __future__ import annotations

import secrets
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from codebegen.studio.api import create_api
from codebegen.studio.auth import check_secret, router
from codebegen.studio.jobs import Jobs
from codebegen.studio.preview import mount_previews
from codebegen.studio.store import open_store
from codebegen.studio.webhooks_github import github_webhooks

SESSION_COOKIE = "codebegen_session"
SESSION_DAYS = 14


def create_server(blocks: gr.Blocks, *, css: str = "") -> FastAPI:
    """The FastAPI app serving ``blocks`` (from ``codebegen.studio.app.create_app``), the API and the sign-in routes."""
    ctx = blocks.studio  # type: ignore[attr-defined]
    settings = ctx.settings
    store = open_store(settings.database, settings.database_url)
    secret = check_secret(settings) or settings.session_secret or secrets.token_urlsafe(48)
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="codebegen studio")
    server.add_middleware(
        SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE, max_age=SESSION_DAYS * 86400,
        same_site="lax", https_only=bool(settings.public_url and settings.public_url.startswith("https://")),
    )  # fmt: skip
    if settings.accounts:
        server.include_router(router(store, settings))
    # answers 503 until CODEBEGEN_STUDIO_GITHUB_WEBHOOK_SECRET is set; read on each delivery
    server.include_router(github_webhooks(secret=lambda: settings.github_webhook_secret, history=ctx.history))
    if settings.stripe_webhook_secret:  # codebegen.studio.billing: the endpoint exists whenever its secret is set
        from codebegen.studio.billing.web import webhook_router

        server.include_router(webhook_router(store, settings))
    if settings.stripe_secret_key:
        from codebegen.studio.billing.web import billing_router

        server.include_router(billing_router(store, settings))
    jobs = Jobs(ctx.history, settings, ctx.backends)
    server.state.jobs = jobs
    server.mount("/api/v1", create_api(store, settings, jobs))
    blocks.jobs = jobs  # type: ignore[attr-defined]  # tests and benchmarks read it
    server.state.previews = mount_previews(server, ctx)
    gr.mount_gradio_app(server, blocks, path="/", css=css, show_error=True, footer_links=["api"])
    return server


def run(blocks: gr.Blocks, app: FastAPI, host: str, port: int, *, block: bool = True, quiet: bool = False) -> Any:
    """Serve ``app``; with ``block=False`` in a thread that ``blocks.close()`` stops."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning" if quiet else "info", lifespan="on")
    if block:
        print(f"codebegen studio on http://{host}:{port}")
        uvicorn.Server(config).run()
        return None
    from gradio.http_server import Server

    server = Server(config)
    server.run_in_thread()
    blocks.server = server  # Blocks.close() closes it
    blocks.server_name, blocks.server_port = host, port
    blocks.local_url = f"http://{host}:{port}/"
    return server
