"""Versions of a project in the studio: the follow-up box that iterates the open project, and comparing,
downloading and restoring versions on the History page.

Owns ``LiveIteration`` (a ``LiveRun`` whose events come from ``codebegen.iterate`` on a copy of the
previous version's files, recorded as the next version of the same project), the follow-up box
of the Generate page (Preview shows the spec diff; Apply runs the iteration and streams it into
the Generate tabs like a run; Discard forgets it) and the History page's Versions section
(compare two versions: their spec diff and their file diff; restore one as a new version).
Kept apart from ``generate.py``/``history.py`` so those pages need only a hook each.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from codebegen import events as ev
from codebegen.errors import EngineError, PromptError
from codebegen.iteration.diff import diff_specs
from codebegen.iteration.iterate import iterate, plan
from codebegen.spec import parse_spec
from codebegen.studio.errors import user_error
from codebegen.studio.limits import admission
from codebegen.studio.runner import LiveRun
from codebegen.studio.users import current_user, signed_in

MAX_DIFF_LINES = 4000


class LiveIteration(LiveRun):
    """One iteration of a version: the previous files copied into this run's directory, then iterated."""

    def __init__(self, *, previous_id: str, previous_files: dict[str, bytes], change: str, **kwargs: Any) -> None:
        super().__init__(prompt=change, parent_id=previous_id, **kwargs)
        self.previous_files = previous_files
        self.version = self.history.add_version(self.user, self.id, of=previous_id)

    def start(self) -> LiveIteration:
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_files(self.project_dir, self.previous_files)
        return super().start()  # type: ignore[return-value]

    def _events(self) -> Iterator[ev.Event]:
        try:
            backends = self._backends(self.profile)
        except EngineError as exc:
            yield ev.Failure("parse", exc.message, exc.hint)
            yield ev.Done(False, None, str(exc))
            return
        yield from iterate(self.project_dir, self.prompt, backends=backends, cache_dir=self.settings.cache_dir,
                           postgres_url=self.settings.postgres_url)  # fmt: skip

    def _observe(self, event: ev.Event) -> None:
        super()._observe(event)
        if isinstance(event, ev.DocumentArtifact) and event.name == "spec diff":
            self.history.record_diff(self.user, self.id, event.text.splitlines())


def _write_files(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def _project_files(ctx: Any, user: str, run_id: str) -> dict[str, bytes]:
    files = ctx.history.files(user, run_id)
    placed = ctx.settings.runs_dir / run_id / "project"
    if not files and placed.is_dir():
        files = {p.relative_to(placed).as_posix(): p.read_bytes() for p in sorted(placed.rglob("*")) if p.is_file()}
    return files


# -- the follow-up box on the Generate page -----------------------------------------------------


@dataclass
class FollowUp:
    change: gr.Textbox
    preview: gr.Button
    apply: gr.Button
    discard: gr.Button
    diff: gr.Markdown


def follow_up_box() -> FollowUp:
    """The box's components, where the Generate page places them."""
    with gr.Accordion("Change this project (iterate: your version's files are kept, a migration is added)",
                      open=True, elem_id="follow-up-box"):  # fmt: skip
        with gr.Row():
            change = gr.Textbox(
                label="Follow-up change", lines=1, scale=4, elem_id="follow-up",
                placeholder='e.g. "add a priority (low, normal, high) to notes" or "rename body to content"',
            )  # fmt: skip
            preview = gr.Button("Preview change", scale=1, elem_id="iterate-preview")
            apply = gr.Button("Apply", variant="primary", scale=1, visible=False, elem_id="iterate-apply")
            discard = gr.Button("Discard", scale=1, visible=False, elem_id="iterate-discard")
        diff = gr.Markdown(elem_id="iterate-diff")
    return FollowUp(change, preview, apply, discard, diff)


def wire_follow_up(ctx: Any, page: Any, box: FollowUp, drive: Callable[[LiveRun], Iterator[dict[Any, Any]]]) -> None:
    settings = ctx.settings

    def previous_run(current: dict[str, Any], user: str) -> Any:
        row = ctx.history.get(user, (current or {}).get("run_id", "")) if current else None
        if row is None or row.status != "passed":
            raise user_error(
                EngineError("no verified project is open", hint="generate one (or open one from History) first")
            )
        return row

    def preview(change: str, current: dict[str, Any], request: gr.Request) -> dict[Any, Any]:
        user = current_user(request, settings)
        row = previous_run(current, user)
        with tempfile.TemporaryDirectory(prefix="codebegen-preview-") as tmp:
            _write_files(Path(tmp), _project_files(ctx, user, row.id))
            try:
                lines = "\n".join(plan(tmp, change or "").diff.lines())
                text = f"**The spec changes** (nothing is written until you apply):\n\n```diff\n{lines}\n```"
            except PromptError as exc:
                if "without a model" not in exc.message:
                    raise user_error(exc) from None
                text = f"*{exc.message}*: the model reads it when you apply; the diff is shown in the run."
            except EngineError as exc:
                raise user_error(exc) from None
        return {box.diff: text, box.apply: gr.Button(visible=True), box.discard: gr.Button(visible=True)}

    def discard() -> dict[Any, Any]:
        return {box.diff: "", box.apply: gr.Button(visible=False), box.discard: gr.Button(visible=False)}

    def apply(change: str, profile: str, current: dict[str, Any], request: gr.Request) -> Iterator[dict[Any, Any]]:
        user = current_user(request, settings, need="generate")  # viewers only look
        row = previous_run(current, user)
        try:
            with admission(ctx.history, settings, user, change):
                live = LiveIteration(
                    history=ctx.history, settings=settings, backends=ctx.backends, user=user, template=row.template,
                    profile=profile, previous_id=row.id, previous_files=_project_files(ctx, user, row.id), change=change,
                )  # fmt: skip
        except EngineError as exc:
            raise user_error(exc) from None
        yield {box.apply: gr.Button(visible=False), box.discard: gr.Button(visible=False)}
        yield from drive(live)

    box.preview.click(
        preview, [box.change, page.current], [box.diff, box.apply, box.discard], api_name="iterate_preview"
    )
    box.discard.click(discard, None, [box.diff, box.apply, box.discard], api_name="iterate_discard")
    box.apply.click(
        apply, [box.change, page.profile, page.current], [*page.outputs(), box.apply, box.discard],
        api_name="iterate", concurrency_id="pipeline", concurrency_limit=settings.max_concurrent_runs,
        show_progress="hidden",
    )  # fmt: skip


# -- comparing, downloading and restoring versions on the History page -------------------------


@dataclass
class Versions:
    a: gr.Dropdown
    b: gr.Dropdown
    compare: gr.Button
    restore: gr.Button
    spec_diff: gr.Markdown
    file_diff: gr.Code


def versions_section() -> Versions:
    with gr.Accordion("Versions of this project", open=True, elem_id="versions-box"):
        with gr.Row():
            a = gr.Dropdown([], label="Version", value=None, elem_id="compare-a")
            b = gr.Dropdown([], label="compared with", value=None, elem_id="compare-b")
            compare = gr.Button("Compare", scale=0, elem_id="compare")
            restore = gr.Button("Restore the first as a new version", scale=0, elem_id="restore")
        spec_diff = gr.Markdown(elem_id="compare-spec")
        file_diff = gr.Code(label="File diff", language="markdown", interactive=False, elem_id="compare-files")
    return Versions(a, b, compare, restore, spec_diff, file_diff)


def compare_versions(old: dict[str, Any] | None, new: dict[str, Any] | None, old_files: dict[str, bytes],
                     new_files: dict[str, bytes]) -> tuple[str, str]:  # fmt: skip
    """(the spec diff as Markdown, the unified diff of the files) between two versions."""
    spec_text = "no spec recorded"
    if old and new:
        spec_text = diff_specs(parse_spec(old), parse_spec(new)).text()
    out: list[str] = []
    changed: list[str] = []
    for path in sorted(set(old_files) | set(new_files)):
        if path.startswith(".codebegen/"):
            continue
        a, b = old_files.get(path), new_files.get(path)
        if a == b:
            continue
        if b"\0" in (a or b"")[:8000] or b"\0" in (b or b"")[:8000]:
            out.append(f"Binary file {path} differs")
            changed.append(f"- `{path}` (binary)")
            continue
        lines = list(difflib.unified_diff(
            (a or b"").decode("utf-8", "replace").splitlines(), (b or b"").decode("utf-8", "replace").splitlines(),
            fromfile=f"a/{path}" if a is not None else "/dev/null", tofile=f"b/{path}" if b is not None else "/dev/null",
            lineterm="",
        ))  # fmt: skip
        plus = sum(1 for ln in lines[2:] if ln.startswith("+"))
        minus = sum(1 for ln in lines[2:] if ln.startswith("-"))
        how = "new" if a is None else "removed" if b is None else f"+{plus} −{minus}"
        changed.append(f"- `{path}` ({how})")
        out += lines
    if len(out) > MAX_DIFF_LINES:
        out = out[:MAX_DIFF_LINES] + [f"... {len(out) - MAX_DIFF_LINES} more lines"]
    files_md = "\n".join(changed) or "the files are the same"
    return (f"**Spec diff**\n\n```diff\n{spec_text}\n```\n\n**Files changed**\n\n{files_md}",
            "\n".join(out) or "the files are the same")  # fmt: skip


def wire_versions(ctx: Any, history_page: Any, box: Versions) -> None:
    settings = ctx.settings

    def list_versions(run_id: str | None, request: gr.Request) -> dict[Any, Any]:
        user = signed_in(request, settings)
        project = ctx.history.project_of(user, run_id) if user and run_id else None
        rows = ctx.history.versions(user, project[0]) if project else []
        choices = [(f"v{v.version} · {v.status} · {v.prompt[:50]}", v.run_id) for v in rows]
        previous = rows[-2].run_id if len(rows) > 1 else None
        return {
            box.a: gr.Dropdown(choices=choices, value=previous),
            box.b: gr.Dropdown(choices=choices, value=run_id if rows else None),
        }

    def compare(a: str | None, b: str | None, request: gr.Request) -> dict[Any, Any]:
        user = current_user(request, settings)
        old, new = (ctx.history.get(user, a) if a else None), (ctx.history.get(user, b) if b else None)
        if old is None or new is None:
            raise user_error(
                EngineError("pick two versions", hint="choose a run in the list, then two of its versions")
            )
        spec_md, files = compare_versions(old.spec, new.spec, ctx.history.files(user, a), ctx.history.files(user, b))
        return {box.spec_diff: spec_md, box.file_diff: gr.Code(value=files, language="markdown")}

    def restore(a: str | None, request: gr.Request) -> dict[Any, Any]:
        user = current_user(request, settings, need="generate")  # viewers only look
        row = ctx.history.get(user, a) if a else None
        if row is None or row.status != "passed":
            raise user_error(EngineError("only a verified version can be restored", hint="pick one that passed"))
        files = ctx.history.files(user, row.id)
        with admission(ctx.history, settings, user):
            new_id = ctx.history.start(user, prompt=f"(restored version of run {row.id})", template=row.template,
                                       profile=row.profile, parent_id=row.id)  # fmt: skip
        version = ctx.history.add_version(user, new_id, of=row.id, diff=[f"restored from run {row.id}"])
        if row.spec:
            ctx.history.record_spec(user, new_id, row.spec)
        ctx.history.finish(user, new_id, status="passed", summary=f"version {version}: restored from run {row.id}",
                           report=row.report, files=files)  # fmt: skip
        gr.Info(f"Restored as version {version} (run {new_id}).")
        return list_versions(new_id, request)

    history_page.pick.change(list_versions, [history_page.pick], [box.a, box.b], api_name="list_versions")
    box.compare.click(compare, [box.a, box.b], [box.spec_diff, box.file_diff], api_name="compare_versions")
    box.restore.click(restore, [box.a], [box.a, box.b], api_name="restore_version")


__all__ = ["FollowUp", "LiveIteration", "Versions", "compare_versions", "follow_up_box", "versions_section"]
