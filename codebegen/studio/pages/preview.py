"""The Preview page: try a verified run's API live, in the sandbox, from the studio.

Owns the tab's components and handlers: a pick of the signed-in owner's verified runs (the run
open on the Generate page first), Start and Stop, the project's Swagger UI in a frame (the
studio's per-run path ``/preview/{run_id}/docs``, ``codebegen.studio.preview``, which only the run's owner
can open) and the server's log, refreshed every second while the preview runs. The previews
themselves (at most ``max_previews`` at once, stopped when idle) are ``codebegen.studio.preview.Previews``,
shared with the HTTP routes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from codebegen.errors import EngineError
from codebegen.studio.errors import user_error
from codebegen.studio.preview import PreviewRefused, previews_for, verified_project
from codebegen.studio.users import current_user, signed_in

LOG_LINES = 200
INTRO = (
    "Serve a **verified** project and call its endpoints from its Swagger UI. The server runs in a sandbox "
    "(no network, the project read-only, its own empty database that is gone when it stops); only you can "
    "open it, and it stops after a while without requests."
)


@dataclass
class PreviewPage:
    run: gr.Dropdown
    start: gr.Button
    stop: gr.Button
    status: gr.Markdown
    frame: gr.HTML
    log: gr.Textbox
    timer: gr.Timer


def _frame(run_id: str) -> str:
    src = f"/preview/{html.escape(run_id)}/docs"
    return (f"<p><a href='{src}' target='_blank' id='preview-docs-link'>Open the Swagger UI in its own tab</a></p>"
            f"<iframe id='preview-docs' src='{src}' title='Swagger UI of the preview' "
            "style='width: 100%; height: 720px; border: 1px solid var(--border-color-primary); border-radius: 6px'>"
            "</iframe>")  # fmt: skip


def build(ctx: Any, tab: gr.Tab, current: gr.State) -> PreviewPage:
    """The Preview tab's content; ``current`` is the Generate page's open run (preselected when verified)."""
    settings = ctx.settings
    previews = previews_for(ctx)
    gr.Markdown(INTRO)
    with gr.Row(equal_height=True):
        run = gr.Dropdown([], label="Verified run", value=None, scale=4, elem_id="preview-run")
        start = gr.Button("Start", variant="primary", scale=1, elem_id="preview-start")
        stop = gr.Button("Stop", scale=1, interactive=False, elem_id="preview-stop")
    status = gr.Markdown(elem_id="preview-status")
    frame = gr.HTML(elem_id="preview-frame")
    log = gr.Textbox(label="Server log", lines=12, max_lines=12, interactive=False, autoscroll=True,
                     elem_id="preview-log")  # fmt: skip
    timer = gr.Timer(1.0, active=False)
    page = PreviewPage(run, start, stop, status, frame, log, timer)

    def runs(open_run: dict[str, Any] | None, request: gr.Request) -> Any:
        owner = signed_in(request, settings)
        rows = [r for r in ctx.history.list(owner, limit=100) if r.status == "passed"] if owner else []
        choices = [(f"{r.id} · {r.project_name or r.template} · {r.prompt[:50]}", r.id) for r in rows]
        wanted = (open_run or {}).get("run_id")
        value = wanted if any(r.id == wanted for r in rows) else (rows[0].id if rows else None)
        return gr.Dropdown(choices=choices, value=value)

    def running_view(run_id: str, owner: str) -> dict[Any, Any]:
        preview = previews.get(owner, run_id)
        if preview is None:
            why = previews.ended(owner, run_id)
            return {status: f"Stopped: {why}." if why else "Not running.", frame: "", timer: gr.Timer(active=False),
                    start: gr.Button(interactive=True), stop: gr.Button(interactive=False)}  # fmt: skip
        lines = preview.box.log().splitlines()[-LOG_LINES:]
        idle = f"stops after {previews.idle_s:g} s without a request"
        return {status: f"**Running** (started in {preview.startup_s:.1f} s; {idle}).", log: "\n".join(lines),
                timer: gr.Timer(active=True), start: gr.Button(interactive=False), stop: gr.Button(interactive=True)}  # fmt: skip

    def on_start(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        owner = current_user(request, settings)
        if not run_id:
            raise user_error(EngineError("pick a verified run first", hint="generate one on the Generate page"))
        project = verified_project(ctx, owner, run_id)
        if project is None:
            raise user_error(EngineError(f"no verified run {run_id} of yours", hint="pick one from the list"))
        try:
            previews.start(owner, run_id, project)
        except PreviewRefused as exc:
            raise user_error(exc) from None
        return running_view(run_id, owner) | {frame: _frame(run_id)}

    def on_tick(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        owner = signed_in(request, settings)
        if not owner or not run_id:
            return {timer: gr.Timer(active=False)}
        return running_view(run_id, owner)

    def on_stop(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        owner = current_user(request, settings)
        if run_id:
            previews.stop(owner, run_id)
        return running_view(run_id or "", owner) | {frame: ""}

    def on_pick(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        owner = signed_in(request, settings)
        if not owner or not run_id:
            return {status: "", frame: "", log: "", timer: gr.Timer(active=False)}
        view = running_view(run_id, owner)
        if previews.get(owner, run_id) is not None:
            view[frame] = _frame(run_id)
        else:
            view[log] = ""
        return view

    outputs = [status, frame, log, timer, start, stop]
    tab.select(runs, [current], [run], show_progress="hidden", api_name="preview_runs")
    run.change(on_pick, [run], outputs, show_progress="hidden", api_name="preview_pick")
    start.click(on_start, [run], outputs, concurrency_limit=2, api_name="preview_start")
    stop.click(on_stop, [run], outputs, api_name="preview_stop")
    timer.tick(on_tick, [run], outputs, show_progress="hidden", api_name="preview_log")
    return page


__all__ = ["PreviewPage", "build"]
