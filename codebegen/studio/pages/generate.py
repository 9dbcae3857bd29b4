"""The Generate page: a prompt in, four live tabs (Schema, Code, Review, Docs) and a ZIP out.

Owns the page's components and its handlers: Generate (a prompt) and Regenerate (the edited
Schema tables, skipping parse) stream a ``LiveRun``'s events into a ``RunView`` and draw only
the parts that changed; Generate turns into Cancel while a run goes; the Code tab reads a file
from the run's directory (or the history, for a past run). ``draw`` is also what the History
page uses to open a past run into these tabs. Every handler takes the ``gr.Request`` and asks
``codebegen.studio.users`` who is calling; a run starts only when ``codebegen.studio.limits`` admits it.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import gradio as gr

from codebegen import templates
from codebegen.errors import EngineError
from codebegen.gate.trust_report import verdict as trust_verdict
from codebegen.spec import ProjectSpec
from codebegen.studio import schema_table
from codebegen.studio.backends import SharedBackends
from codebegen.studio.errors import user_error
from codebegen.studio.history import History
from codebegen.studio.limits import admission
from codebegen.studio.pages import versions
from codebegen.studio.run_view import RunView
from codebegen.studio.runner import LiveRun, project_files, write_zip
from codebegen.studio.settings import StudioSettings
from codebegen.studio.users import current_user, person, signed_in

EXAMPLES = [
    "A notes API: users register and log in; each note has a title and a body and belongs to its author.",
    "A lending library: books with a title, an isbn (unique) and a status (available or lent); "
    "members with a name and an email; loans link a member to a book with a due date.",
    "A fuel log: vehicles with a plate number and a model; fuel purchases of a vehicle with a date, "
    "litres and a price per litre. The total of a purchase is litres times the price.",
]
LANGUAGES = {
    ".py": "python", ".json": "json", ".md": "markdown", ".yml": "yaml", ".yaml": "yaml", ".sh": "shell",
    ".sql": "sql", ".html": "html", ".css": "css", ".js": "javascript", ".jinja": "jinja2",
}  # fmt: skip
MAX_VIEW_BYTES = 200_000
TICK_S = 1.0  # the clock on the progress line moves at least this often while a stage runs


@dataclass
class Studio:
    """What every page's handlers share: settings, the history database, the model backends."""

    settings: StudioSettings
    history: History
    backends: SharedBackends
    live: dict[str, LiveRun] = field(default_factory=dict)
    live_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class GeneratePage:
    prompt: gr.Textbox
    template: gr.Dropdown
    profile: gr.Dropdown
    generate: gr.Button
    cancel: gr.Button
    download: gr.DownloadButton
    progress: gr.Markdown
    output: gr.Textbox
    tabs: gr.Tabs
    name: gr.Textbox
    description: gr.Textbox
    auth: gr.Checkbox
    entities: gr.Dataframe
    relations: gr.Dataframe
    regenerate: gr.Button
    diagram: gr.Markdown
    files: gr.Radio
    code: gr.Code
    review: gr.Markdown
    checks: gr.Dataframe
    findings: gr.Dataframe
    readme: gr.Markdown
    current: gr.State
    coverage: gr.Markdown | None = None  # the prompt-coverage check, what is not covered highlighted

    def outputs(self) -> list[Any]:
        return [
            self.generate, self.cancel, self.regenerate, self.download, self.progress, self.output, self.name, self.description,
            self.auth, self.entities, self.relations, self.diagram, self.files, self.code, self.review, self.checks,
            self.findings, self.readme, self.current, *([self.coverage] if self.coverage is not None else []),
        ]  # fmt: skip

    def draw(self, view: RunView, parts: set[str], zip_path: str | None = None) -> dict[Any, Any]:
        """Component updates for the changed ``parts`` of a run (everything for a past run)."""
        out: dict[Any, Any] = {}
        if "progress" in parts:
            out[self.progress] = view.progress_markdown()
        if "output" in parts:
            out[self.output] = view.output
        if "spec" in parts and view.spec is not None:
            spec = view.spec
            out[self.name] = spec.get("name", "")
            out[self.description] = spec.get("description", "")
            out[self.auth] = bool(spec.get("auth"))
            out[self.entities] = schema_table.entity_rows(spec)
            out[self.relations] = schema_table.relation_rows(spec) or [[""] * len(schema_table.RELATION_HEADERS)]
            out[self.diagram] = schema_table.mermaid(spec)
            if self.coverage is not None:
                out[self.coverage] = schema_table.coverage_markdown(view.coverage)
        if "files" in parts or view.ended:
            # A finished run opens its README (or app/main.py) so the Code tab never starts blank.
            first = opening_file(view.files) if view.ended else None
            out[self.files] = gr.Radio(choices=tree_order(view.files), **({"value": first} if first else {}))
        if "review" in parts:
            out[self.review] = review_markdown(view)
            out[self.checks] = check_rows(view.report)
            out[self.findings] = [
                [f["severity"], f["source"], f["file"], f["line"] if f["line"] is not None else "", f["message"]]
                for f in view.findings
            ] or [["", "", "", "", "no findings yet"]]
        if "docs" in parts:
            out[self.readme] = view.documents.get("README.md", "*The README appears when the docs stage ran.*")
        if view.ended:
            out[self.generate] = gr.Button(visible=True)
            out[self.cancel] = gr.Button(visible=False)
            out[self.regenerate] = gr.Button(interactive=True)
            out[self.download] = gr.DownloadButton(value=zip_path, visible=zip_path is not None)
        return out


def opening_file(paths: list[str]) -> str | None:
    """The file the Code tab shows first: README.md, else app/main.py, else the first file."""
    for name in ("README.md", "app/main.py"):
        if name in paths:
            return name
    return tree_order(paths)[0] if paths else None


def tree_order(paths: list[str]) -> list[str]:
    """Files of the root first, then each folder's files under it, like a file tree."""
    return sorted(paths, key=lambda p: (PurePosixPath(p).parent.parts, PurePosixPath(p).name))


def review_markdown(view: RunView) -> str:
    lines = []
    report = view.report
    if report is not None:
        failed = [c["name"] for c in report["checks"] if c["status"] == "fail"]
        gaps = sum(not i.get("covered") for i in (report.get("prompt_coverage") or {}).get("items", []))
        verdict = "**✓ Verification passed**" if not failed else f"**✗ Verification failed**: {', '.join(failed)}"
        if gaps and not failed:  # the code matches its spec; the spec lacks what the prompt asks for
            verdict = "**✓ Verification passed" + trust_verdict(True, gaps).removeprefix("✓ Verified") + "**"
        counts = {s: sum(c["status"] == s for c in report["checks"]) for s in ("pass", "fail", "skip")}
        lines.append(
            f"{verdict} — {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped "
            f"({report.get('template', '')}, {report.get('duration_s', 0):.1f} s)"
        )
        lines += [f"- note: {n}" for n in report.get("notes", [])]
    elif not view.ended:
        lines.append("*The trust report appears when the verification gate has run.*")
    if view.review_summary:
        lines.append(f"\n**Reviewer:** {view.review_summary}")
    return "\n".join(lines)


def check_rows(report: dict[str, Any] | None) -> list[list[Any]]:
    if report is None:
        return [["", "", "", "", "not run yet"]]
    mark = {"pass": "✓ pass", "fail": "✗ fail", "skip": "– skip"}
    return [
        [c["name"], c.get("database") or "", mark.get(c["status"], c["status"]), round(c.get("duration_s", 0.0), 2),
         c.get("detail", "")]
        for c in report["checks"]
    ]  # fmt: skip


def read_project_file(ctx: Studio, user: str, run_id: str | None, path: str) -> str | None:
    """A file of a run: from its live or placed directory, else from the history."""
    if not run_id or not path:
        return None
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    run_dir = ctx.settings.runs_dir / run_id
    if ctx.history.get(user, run_id) is None:
        return None
    for base in [run_dir / "project", *sorted(run_dir.glob(".codebegen-project-*"))]:
        candidate = base / rel
        if candidate.is_file():
            data = candidate.read_bytes()
            break
    else:
        data = ctx.history.files(user, run_id).get(path)
        if data is None:
            return None
    if len(data) > MAX_VIEW_BYTES:
        return f"(the file is {len(data)} bytes; download the ZIP to read it)"
    return data.decode("utf-8", errors="replace")


def zip_of_run(ctx: Studio, user: str, run_id: str) -> str | None:
    """A past run's verified project (from the history) as a ZIP; None when none was kept."""
    row = ctx.history.get(user, run_id)
    if row is None or row.status != "passed":
        return None
    return _zip(ctx.history.files(user, run_id), row.project_name or "project")


def _zip(files: dict[str, bytes], name: str) -> str | None:
    """A ZIP in a temp dir (a place Gradio may serve files from)."""
    if not files:
        return None
    return str(write_zip(files, name, Path(tempfile.mkdtemp(prefix="codebegen-zip-")) / f"{name}.zip"))


def build(ctx: Studio) -> GeneratePage:
    settings = ctx.settings
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(
                label="Describe your backend", lines=4, max_length=settings.max_prompt_chars, elem_id="prompt",
                placeholder="What does it store, what fields does each thing have, who logs in, which rules apply?",
            )  # fmt: skip
            gr.Examples([[e] for e in EXAMPLES], inputs=[prompt], label="Examples")
        with gr.Column(scale=1, min_width=240):
            template = gr.Dropdown(
                templates.list_templates(), value=templates.DEFAULT_TEMPLATE, label="Template", elem_id="template"
            )
            profile = gr.Dropdown(settings.profiles, value=settings.profile, label="Model profile", elem_id="profile")
            generate_btn = gr.Button("Generate", variant="primary", elem_id="generate")
            cancel_btn = gr.Button("Cancel", variant="stop", visible=False, elem_id="cancel")
            download = gr.DownloadButton("Download ZIP", visible=False, elem_id="download")
    progress = gr.Markdown("Describe a backend and press **Generate**.", elem_id="progress")
    follow_up = versions.follow_up_box()
    with gr.Accordion("Model output", open=False):
        output = gr.Textbox(show_label=False, lines=6, max_lines=12, interactive=False, elem_id="model-output")
    with gr.Tabs(elem_id="stage-tabs") as tabs:
        with gr.Tab("Schema", id="schema", elem_id="tab-schema"):
            with gr.Row():
                name = gr.Textbox(label="Project name", elem_id="spec-name")
                auth = gr.Checkbox(label="Login (auth)", elem_id="spec-auth")
                description = gr.Textbox(label="Description", scale=3, elem_id="spec-description")
            entities = gr.Dataframe(
                headers=schema_table.ENTITY_HEADERS, datatype=schema_table.ENTITY_TYPES, type="array",
                interactive=True, label="Entities and fields (one row per field; edit, add or remove rows)",
                elem_id="entities",
            )  # fmt: skip
            relations = gr.Dataframe(
                headers=schema_table.RELATION_HEADERS, datatype=schema_table.RELATION_TYPES, type="array",
                interactive=True, label="Relationships (kind: many_to_one, one_to_one, many_to_many)",
                elem_id="relations",
            )  # fmt: skip
            coverage = gr.Markdown(elem_id="prompt-coverage")
            regenerate_btn = gr.Button("Regenerate from this schema", elem_id="regenerate")
            diagram = gr.Markdown(elem_id="er-diagram")
        with gr.Tab("Code", id="code", elem_id="tab-code"):
            with gr.Row():
                with gr.Column(scale=1, min_width=260):
                    files = gr.Radio([], label="Files", elem_id="files", elem_classes=["file-tree"])
                with gr.Column(scale=3):
                    code = gr.Code(label="File", lines=24, max_lines=40, interactive=False, elem_id="code")
        with gr.Tab("Review", id="review", elem_id="tab-review"):
            review = gr.Markdown(elem_id="review-summary")
            checks = gr.Dataframe(
                headers=["check", "database", "status", "seconds", "detail"], type="array", interactive=False,
                label="Trust report: the verification gate's checks", elem_id="checks", wrap=True,
            )  # fmt: skip
            findings = gr.Dataframe(
                headers=["severity", "source", "file", "line", "message"], type="array", interactive=False,
                label="Review findings", elem_id="findings", wrap=True,
            )  # fmt: skip
        with gr.Tab("Docs", id="docs", elem_id="tab-docs"):
            readme = gr.Markdown(elem_id="readme")
    current = gr.State({})
    page = GeneratePage(
        prompt, template, profile, generate_btn, cancel_btn, download, progress, output, tabs, name, description,
        auth, entities, relations, regenerate_btn, diagram, files, code, review, checks, findings, readme, current,
        coverage,
    )  # fmt: skip
    drive = _wire(ctx, page)
    versions.wire_follow_up(ctx, page, follow_up, drive)
    return page


def _wire(ctx: Studio, page: GeneratePage) -> Any:
    settings = ctx.settings

    def drive(live: LiveRun) -> Iterator[dict[Any, Any]]:
        view = RunView(run_id=live.id)
        with ctx.live_lock:
            ctx.live[live.id] = live
        try:
            live.start()
            yield {
                page.generate: gr.Button(visible=False), page.cancel: gr.Button(visible=True),
                page.regenerate: gr.Button(interactive=False), page.download: gr.DownloadButton(visible=False), page.current: {"run_id": live.id},
                page.code: "", **page.draw(view, view.take_dirty()),
            }  # fmt: skip
            for batch in live.batches(tick=TICK_S):
                for event in batch:
                    view.apply(event)
                parts = view.take_dirty() | {"progress"}
                zip_path = None
                if view.ended and view.ok:  # the placed project: exactly what the gate verified
                    zip_path = _zip(project_files(live.project_dir), (view.spec or {}).get("name", "project"))
                yield page.draw(view, parts, zip_path)
        finally:
            live.cancel()  # no-op after the end; stops the run when the page went away or Cancel was pressed
            with ctx.live_lock:
                ctx.live.pop(live.id, None)
        if view.failure is not None:
            raise user_error(view.failure)

    def generate(prompt: str, template: str, profile: str, request: gr.Request) -> Iterator[dict[Any, Any]]:
        user, actor = current_user(request, settings, need="generate"), person(request, settings)
        if not (prompt or "").strip():
            raise user_error(
                EngineError("the prompt is empty", hint="describe the backend you want, or pick an example")
            )
        try:
            with admission(ctx.history, settings, actor or user, prompt, owner=user, profile=profile):
                live = LiveRun(
                    history=ctx.history, settings=settings, backends=ctx.backends, user=user, template=template,
                    profile=profile, prompt=prompt, actor=actor,
                )  # fmt: skip
        except EngineError as exc:
            raise user_error(exc) from None
        yield from drive(live)

    def regenerate(
        name: str, description: str, auth: bool, entities: list[list[Any]], relations: list[list[Any]],
        template: str, profile: str, current: dict[str, Any], request: gr.Request,
    ) -> Iterator[dict[Any, Any]]:  # fmt: skip
        user, actor = current_user(request, settings, need="generate"), person(request, settings)
        parent = ctx.history.get(user, current.get("run_id", "")) if current else None
        rules = (parent.spec or {}).get("rules", []) if parent else []
        try:
            spec: ProjectSpec = schema_table.spec_from_tables(
                name=name, description=description, auth=auth, entities=entities or [], relations=relations or [],
                rules=rules,
            )  # fmt: skip
            with admission(ctx.history, settings, actor or user, owner=user, profile=profile):
                live = LiveRun(
                    history=ctx.history, settings=settings, backends=ctx.backends, user=user, template=template,
                    profile=profile, spec=spec, parent_id=parent.id if parent else None, actor=actor,
                    asked=parent.prompt if parent and not parent.prompt.startswith("(") else None,
                )  # fmt: skip
        except EngineError as exc:
            raise user_error(exc) from None
        yield from drive(live)

    def cancel(current: dict[str, Any], request: gr.Request) -> dict[Any, Any]:
        signed_in(request, settings)  # the run is this session's own (its id is in the session's state)
        with ctx.live_lock:
            live = ctx.live.get((current or {}).get("run_id", ""))
        if live is not None:
            live.cancel()
        return {
            page.generate: gr.Button(visible=True), page.cancel: gr.Button(visible=False),
            page.regenerate: gr.Button(interactive=True), page.progress: "**Cancelled.** Nothing was kept of this run.",
        }  # fmt: skip

    def show_file(path: str | None, current: dict[str, Any], request: gr.Request) -> Any:
        user = signed_in(request, settings)  # fires on every update of the file list, so it never raises
        text = read_project_file(ctx, user, (current or {}).get("run_id"), path or "") if user else None
        if text is None:
            return gr.Code(value="", label="File")
        suffix = PurePosixPath(path or "").suffix
        language = "dockerfile" if path and PurePosixPath(path).name == "Dockerfile" else LANGUAGES.get(suffix)
        return gr.Code(value=text, language=language, label=path)

    def idle() -> dict[Any, Any]:
        return {page.generate: gr.Button(visible=True), page.cancel: gr.Button(visible=False),
                page.regenerate: gr.Button(interactive=True)}  # fmt: skip

    run_options: dict[str, Any] = {
        "outputs": page.outputs(), "concurrency_id": "pipeline", "concurrency_limit": settings.max_concurrent_runs,
        "show_progress": "hidden",
    }  # fmt: skip
    gen_event = page.generate.click(
        generate, [page.prompt, page.template, page.profile], api_name="generate", **run_options
    )
    gen_event.then(
        idle, None, [page.generate, page.cancel, page.regenerate], api_name="generate_idle", api_visibility="private"
    )
    regen_event = page.regenerate.click(
        regenerate,
        [page.name, page.description, page.auth, page.entities, page.relations, page.template, page.profile,
         page.current],
        api_name="regenerate",
        **run_options,
    )  # fmt: skip
    regen_event.then(
        idle, None, [page.generate, page.cancel, page.regenerate], api_name="regenerate_idle", api_visibility="private"
    )
    page.cancel.click(
        cancel, [page.current], [page.generate, page.cancel, page.regenerate, page.progress], cancels=[gen_event, regen_event],
        api_name="cancel", concurrency_limit=None,
    )  # fmt: skip
    page.files.change(show_file, [page.files, page.current], [page.code], api_name="show_file", show_progress="hidden")
    return drive  # the follow-up box (codebegen.studio.pages.versions) streams its iterations with it
