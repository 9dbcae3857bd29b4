"""The History page: the caller's past runs; open one into the Generate tabs, download it, delete it.

Owns the runs table, the run picker and its three actions. It reads and deletes only through
``codebegen.studio.history`` with the caller's user id, so one user never sees another's runs. Opening
a run draws it with the Generate page's ``draw`` and switches to that page.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import gradio as gr

from codebegen.errors import EngineError
from codebegen.studio.errors import user_error
from codebegen.studio.history import RunRow
from codebegen.studio.pages import versions
from codebegen.studio.pages.generate import GeneratePage, Studio, zip_of_run
from codebegen.studio.run_view import RunView
from codebegen.studio.users import current_user, signed_in

HEADERS = ["run", "started (UTC)", "prompt", "template", "profile", "status", "seconds"]


@dataclass
class HistoryPage:
    refresh: gr.Button
    runs: gr.Dataframe
    pick: gr.Dropdown
    detail: gr.Markdown
    open: gr.Button
    download: gr.DownloadButton
    delete: gr.Button


def _label(row: RunRow) -> str:
    prompt = " ".join(row.prompt.split())
    return f"{row.id} · {row.status} · {prompt[:60]}{'…' if len(prompt) > 60 else ''}"


def _rows(rows: list[RunRow], empty: str = "no runs yet") -> list[list[Any]]:
    return [
        [r.id, r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.prompt, r.template, r.profile, r.status,
         round(r.seconds, 1) if r.seconds is not None else ""]
        for r in rows
    ] or [["", "", empty, "", "", "", ""]]  # fmt: skip


def _detail(row: RunRow) -> str:
    lines = [f"**Run {row.id}** — {row.status} — {row.template}, profile {row.profile}"]
    if row.parent_id:
        lines.append(f"Regenerated from the edited schema of run {row.parent_id}.")
    if row.summary:
        lines.append(row.summary)
    if row.error and row.error != row.summary:
        lines.append(f"*{row.error}*")
    return "\n\n".join(lines)


def build(ctx: Studio, generate: GeneratePage, pages: gr.Tabs, tab: gr.Tab, app: gr.Blocks) -> HistoryPage:
    """The page's components inside ``tab``; the list is drawn on page load and when the tab opens."""
    with gr.Row():
        refresh = gr.Button("Refresh", size="sm", scale=0, elem_id="history-refresh")
    runs = gr.Dataframe(headers=HEADERS, type="array", interactive=False, label="Your runs", elem_id="runs", wrap=True)
    with gr.Row():
        pick = gr.Dropdown([], label="Run", value=None, scale=3, elem_id="run-pick")
        open_btn = gr.Button("Open in the tabs", scale=1, elem_id="history-open")
        download = gr.DownloadButton("Download ZIP", visible=False, scale=1, elem_id="history-download")
        delete = gr.Button("Delete", variant="stop", scale=1, elem_id="history-delete")
    detail = gr.Markdown(elem_id="run-detail")
    compare = versions.versions_section()
    page = HistoryPage(refresh, runs, pick, detail, open_btn, download, delete)
    _wire(ctx, page, generate, pages, tab, app)
    versions.wire_versions(ctx, page, compare)
    return page


def _wire(ctx: Studio, page: HistoryPage, generate: GeneratePage, pages: gr.Tabs, tab: gr.Tab, app: gr.Blocks) -> None:
    def list_runs(request: gr.Request) -> dict[Any, Any]:
        user = signed_in(request, ctx.settings)  # an anonymous visitor on a Space sees an empty list
        rows = ctx.history.list(user, limit=ctx.settings.history_page_size) if user else []
        return {
            page.runs: _rows(rows, "no runs yet" if user else "sign in to see your runs"),
            page.pick: gr.Dropdown(choices=[(_label(r), r.id) for r in rows], value=None),
            page.detail: "", page.download: gr.DownloadButton(visible=False),
        }  # fmt: skip

    def pick_run(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        user = signed_in(request, ctx.settings)  # fires on every redraw of the list, so it never raises
        row = ctx.history.get(user, run_id) if user and run_id else None
        if row is None:
            return {page.detail: "", page.download: gr.DownloadButton(visible=False)}
        archive = zip_of_run(ctx, user, row.id)
        return {page.detail: _detail(row), page.download: gr.DownloadButton(value=archive, visible=archive is not None)}

    def select_row(event: gr.SelectData, request: gr.Request) -> Any:
        signed_in(request, ctx.settings)
        row = event.row_value if event is not None else None
        return gr.Dropdown(value=row[0]) if row and row[0] else gr.Dropdown()

    def open_run(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        user = current_user(request, ctx.settings)
        row = ctx.history.get(user, run_id) if run_id else None
        if row is None:
            raise user_error(EngineError("no run is selected", hint="pick a run in the list first"))
        view = RunView.from_row(row, ctx.history.files(user, row.id))
        parts = set(view.take_dirty())
        out = generate.draw(view, parts, zip_of_run(ctx, user, row.id))
        out[generate.current] = {"run_id": row.id}
        out[generate.code] = gr.Code(value="", label="File")
        out[generate.prompt] = row.prompt if row.parent_id is None else gr.Textbox()
        out[generate.template] = row.template
        out[pages] = gr.Tabs(selected="generate")
        return out

    def delete_run(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        user = current_user(request, ctx.settings, need="generate")  # an organization's viewers only look
        if run_id and ctx.history.delete(user, run_id):
            shutil.rmtree(ctx.settings.runs_dir / run_id, ignore_errors=True)
            gr.Info(f"Deleted run {run_id}.")
        return list_runs(request)

    listing = [page.runs, page.pick, page.detail, page.download]
    page.refresh.click(list_runs, None, listing, api_name="list_runs")
    page.pick.change(pick_run, [page.pick], [page.detail, page.download], api_name="pick_run")
    page.runs.select(select_row, None, [page.pick], api_name="select_run")
    page.open.click(
        open_run, [page.pick], [*generate.outputs(), generate.prompt, generate.template, pages], api_name="open_run"
    )
    page.delete.click(delete_run, [page.pick], listing, api_name="delete_run")
    tab.select(list_runs, None, listing, api_name="list_runs_on_open")
    app.load(list_runs, None, listing, api_name="list_runs_on_load")
