"""The studio's Gradio app: ``create_app()`` builds it, ``launch()`` serves it.

Owns the page layout (Generate, History, Preview and Account, one module each under ``codebegen.studio.pages``), the
queue policy and the serving options. Queue policy, on purpose: pipeline runs share one
concurrency group (``"pipeline"``) limited to ``max_concurrent_runs`` (2: two sessions
generate at the same time on two cores; a third waits in line instead of slowing both down),
the queue holds at most ``max_queue`` waiting events (a visitor is told it is full rather
than waiting forever), light handlers (history, file viewer) run up to 4 at once, Cancel is
never queued behind anything. The model backends are loaded once per profile and shared.
``serve`` runs the Blocks inside ``codebegen.studio.server``'s FastAPI app (the REST API and sign-in beside
the UI, one process, one port).
"""

from __future__ import annotations

import gradio as gr

from codebegen.studio.backends import BackendProvider, SharedBackends
from codebegen.studio.billing.view import notice as billing_notice
from codebegen.studio.pages import account, export, generate, history
from codebegen.studio.pages import preview as preview_page
from codebegen.studio.pages.generate import Studio
from codebegen.studio.settings import StudioSettings, get_settings
from codebegen.studio.sign_in import login_controls
from codebegen.studio.store import open_store

CSS = """
.file-tree .wrap { flex-direction: column; flex-wrap: nowrap; max-height: 560px; overflow-y: auto; }
.file-tree label { font-family: var(--font-mono); font-size: 0.85em; }
#progress { min-height: 3.5em; }
"""
HEADER = (
    "# codebegen studio\n"
    "Describe a backend in plain English. codebegen turns it into a schema, renders a FastAPI project, "
    "**runs the project's own tests, migrations and boot in a verification gate**, reviews it and writes its docs. "
    "You download only what passed."
)


def create_app(settings: StudioSettings | None = None, *, backends: BackendProvider | None = None) -> gr.Blocks:
    """The studio as a Gradio Blocks app (not yet serving). ``backends``: profile -> role backends."""
    settings = settings or get_settings()
    ctx = Studio(
        settings=settings,
        history=open_store(settings.database, settings.database_url).history,
        backends=SharedBackends(backends) if backends is not None else SharedBackends(),
    )
    with gr.Blocks(title="codebegen studio", analytics_enabled=False) as app:
        gr.Markdown(HEADER)
        login_controls(settings)  # the Hugging Face sign-in, only when login is on (a Space)
        with gr.Tabs(elem_id="pages") as pages:
            with gr.Tab("Generate", id="generate", elem_id="page-generate"):
                gen = generate.build(ctx)
                billing_notice(ctx, gen, app)  # codebegen.studio.billing: the quota notice; nothing when billing is off
            with gr.Tab("History", id="history", elem_id="page-history") as history_tab:
                hist = history.build(ctx, gen, pages, history_tab, app)
                export.build(ctx, hist.pick)
            with gr.Tab("Preview", id="preview", elem_id="page-preview") as preview_tab:
                preview_page.build(ctx, preview_tab, gen.current)
            with gr.Tab("Account", id="account", elem_id="page-account") as account_tab:
                account.build(ctx, account_tab, app)
    app.queue(max_size=settings.max_queue, default_concurrency_limit=4)
    app.studio = ctx  # type: ignore[attr-defined]  # tests and benchmarks read the shared state
    return app


def serve(
    app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, prevent_thread_lock: bool = False, quiet: bool = False
) -> gr.Blocks:
    """Serve ``app`` inside the studio's FastAPI server (``codebegen.studio.server``: the UI, ``/api/v1``, ``/auth``);
    ``prevent_thread_lock=True`` returns at once (tests, benchmarks), ``app.close()`` stops it."""
    from codebegen.studio.server import create_server, run

    run(app, create_server(app, css=CSS), host, port, block=not prevent_thread_lock, quiet=quiet)
    return app


def launch(host: str = "127.0.0.1", port: int = 7860) -> None:
    serve(create_app(), host, port)
