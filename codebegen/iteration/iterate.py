"""One iteration of a project: its spec plus a change -> a new version, merged, migrated, proven.

    plan (spec diff) -> confirm -> render the new version -> three-way merge with the user's
    files -> new migration -> the gate on the merged copy -> written into the project

Owns the order of those steps and the guarantee around them: everything happens in a scratch
copy of the project, and the project directory is written only after the merged copy passed
the gate (then only the files the merge changed are written, in place; nothing else in the
directory is touched, so ``.git``, ``.env``, databases and the user's files stay). A conflict
stops the iteration with its hunks listed, unless ``conflicts="markers"``: then the merged
files are written with standard conflict markers (and the spec, base and migrations are left
at the old version, so ``iterate`` can be run again once they are resolved). Yields the
pipeline's typed events (``codebegen.events``) and ends with ``Done``; errors become ``Failure``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from codebegen import templates
from codebegen.backends import load_backends
from codebegen.errors import EngineError, OutputError
from codebegen.events import (
    DocumentArtifact,
    Done,
    Event,
    Failure,
    FileArtifact,
    Finding,
    SpecArtifact,
    Stage,
    StageFinished,
    StageStarted,
    Warning,
    timed,
)  # fmt: skip
from codebegen.gate.project_imports import is_skipped
from codebegen.gate.verify import project_template, verify
from codebegen.iteration.change import LazyParser, change_stage
from codebegen.iteration.diff import SpecDiff, diff_specs
from codebegen.iteration.merge import HISTORY_DIRS, MergeResult, conflict_hunks, merge_projects
from codebegen.iteration.migration import document_changes, new_revision, write_document_migration
from codebegen.merge_base import STATE_DIR, is_codebegen_project, project_files, read_base, write_base
from codebegen.spec import ProjectSpec, load_spec

DEFAULT_CACHE = Path.home() / ".cache" / "codebegen"
HISTORY = f"{STATE_DIR}/history.jsonl"


@dataclass
class Plan:
    project: Path
    template: str
    old: ProjectSpec
    new: ProjectSpec
    diff: SpecDiff
    renames: dict[str, str] = field(default_factory=dict)


def open_project(project_dir: str | Path) -> tuple[Path, ProjectSpec, str]:
    project = Path(project_dir).expanduser().resolve()
    if not project.is_dir() or not is_codebegen_project(project):
        raise OutputError(f"{project} is not a codebegen project (no codebegen.json)",
                          hint="make one with `codebegen generate`, then iterate on it")  # fmt: skip
    return project, load_spec(project / "codebegen.json"), project_template(project)


def plan_stage(project_dir: str | Path, change: str | None = None, *, spec: ProjectSpec | None = None,
               renames: Mapping[str, str] | None = None, parser: Any = None) -> Iterator[Event]:  # fmt: skip
    """Yield the parse stage's events; returns the ``Plan`` (the new spec and its diff)."""
    project, old, template = open_project(project_dir)
    yield StageStarted("parse", detail="the change, against the current spec")
    started = time.perf_counter()
    given = dict(renames or {})
    if spec is None:
        if change is None:
            raise EngineError("nothing to change", hint="give a change in words or --spec NEW.json")
        read = yield from change_stage(old, change, parser)
        new, given = read.spec, {**read.renames, **given}
    else:
        new = spec
        yield SpecArtifact("parse", new)
    templates.check_supported(new, templates.load_template(template))
    diff = diff_specs(old, new, given, infer=spec is not None)  # words say every rename
    if diff.empty:
        raise EngineError("the change does not change the spec", hint="say what to add, rename or remove")
    yield DocumentArtifact("parse", "spec diff", diff.text())
    yield StageFinished("parse", time.perf_counter() - started)
    return Plan(project, template, old, new, diff, given)


def plan(project_dir: str | Path, change: str | None = None, **kwargs: Any) -> Plan:
    """The plan without its events (the studio shows the diff, then applies it)."""
    gen = plan_stage(project_dir, change, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def iterate(
    project_dir: str | Path,
    change: str | None = None,
    *,
    spec: ProjectSpec | None = None,
    renames: Mapping[str, str] | None = None,
    profile: str = "default",
    no_models: bool = False,
    backends: Mapping[str, Any] | None = None,
    confirm: Callable[[SpecDiff], bool] | None = None,
    conflicts: Literal["stop", "markers"] = "stop",
    cache_dir: Path | None = None,
    postgres_url: str | None = None,
) -> Iterator[Event]:
    """Yield the events of one iteration of the project in ``project_dir``; ends with ``Done``.

    Give a ``change`` in words or a new ``spec`` (with ``renames``, ``"Entity.old": "new"``).
    ``confirm`` sees the spec diff before anything is written and may say no. A change in
    words is read deterministically first; what is left goes to the profile's parser role
    unless ``no_models``.
    """
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE
    stage: Stage = "parse"
    timings: dict[str, float] = {}
    begun = time.perf_counter()
    try:
        parser: Any = None
        if spec is None and not no_models:
            if backends is not None:
                parser = backends["parser"]
            else:
                parser = LazyParser(lambda: load_backends(profile)["parser"])
        the_plan: Plan = yield from timed(plan_stage(project_dir, change, spec=spec, renames=renames, parser=parser),
                                           timings)  # fmt: skip
        if confirm is not None and not confirm(the_plan.diff):
            yield Done(False, None, "discarded: nothing was written", timings=timings)
            return
        stage = "generate"
        yield from _apply(the_plan, cache, postgres_url, conflicts, timings, begun)
    except EngineError as exc:
        yield Failure(stage, exc.message, exc.hint)
        yield Done(False, None, str(exc), report=getattr(exc, "report", None), timings=timings)


def _render(spec: ProjectSpec, template: str, into: Path) -> dict[str, bytes]:
    tmpl = templates.load_template(template)
    templates.render(spec, tmpl, into)
    templates.format_python(into)
    return project_files(into)


_DATA_FILES = (".db", ".sqlite", ".sqlite3", ".db-journal", ".db-wal")


def _copy_project(project: Path, into: Path) -> None:
    """The project's source for the merge and the gate: no VCS, caches, venvs or database files."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(project).parts
        return {n for n in names if is_skipped((*rel, n), is_dir=Path(folder, n).is_dir()) or n.endswith(_DATA_FILES)}

    shutil.copytree(project, into, symlinks=True, ignore=ignore)


def _write(root: Path, files: Mapping[str, bytes | None]) -> None:
    for rel, data in files.items():
        dest = root / rel
        if data is None:
            if dest.is_file():
                dest.unlink()
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def _apply(p: Plan, cache: Path, postgres_url: str | None, conflicts: str, timings: dict[str, float],
           begun: float) -> Iterator[Event]:  # fmt: skip
    yield StageStarted("generate", detail="the new version, merged three ways with your files")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="codebegen-iterate-") as tmp:
        scratch = Path(tmp)
        base = read_base(p.project)
        if base is None:
            yield Warning(
                "generate", "no .codebegen/base in the project: the merge base is the old spec rendered again"
            )
            base = _render(p.old, p.template, scratch / "base")
        theirs = _render(p.new, p.template, scratch / "theirs")
        ours = {rel: (p.project / rel).read_bytes() for rel in sorted(set(base) | set(theirs))
                if (p.project / rel).is_file()}  # fmt: skip
        merged = merge_projects(base, ours, theirs)
        for c in merged.conflicts:
            hunks = "\n...\n".join(conflict_hunks(c)) if c.hunks else ""
            yield Finding("generate", "error", "merge", c.path, None, f"conflict: {c.kind}", hint=hunks)
        if merged.conflicts and conflicts != "markers":
            files = ", ".join(c.path for c in merged.conflicts)
            raise OutputError(f"{len(merged.conflicts)} files conflict with your edits: {files}; nothing was written",
                              hint="resolve them (or run with --conflicts=markers to get conflict markers in the files)")  # fmt: skip
        if merged.conflicts:
            written = {k: v for k, v in merged.files.items() if k != "codebegen.json"}
            _write(p.project, written)
            files = ", ".join(c.path for c in merged.conflicts)
            yield StageFinished("generate", time.perf_counter() - started)
            yield Failure("generate", f"conflict markers written into {files}",
                          "resolve them, then run the same iterate again (the spec and migrations were not changed)")  # fmt: skip
            yield Done(False, None, f"{len(merged.conflicts)} files have conflict markers: {files}", timings=timings)
            return
        work = scratch / "project"
        _copy_project(p.project, work)
        _write(work, merged.files)
        for path in sorted(merged.files):
            data = merged.files[path]
            if data is not None:
                yield FileArtifact("generate", path, len(data))
        tmpl = templates.load_template(p.template)
        new_files: dict[str, bytes] = {}
        notes = [f"iteration: {line}" for line in p.diff.lines()]
        if tmpl.manifest.verify.migrations:
            revision = new_revision(work, p.old, p.new, p.diff, cache_dir=cache / "runtimes")
            if revision.path:
                new_files[revision.path] = (work / revision.path).read_bytes()
                yield FileArtifact("generate", revision.path, len(new_files[revision.path]))
                notes.append(f"migration {revision.path}: {revision.down_revision} -> {revision.revision}")
        else:
            changes = document_changes(p.old, p.new, p.diff)
            if changes:
                yield DocumentArtifact("generate", "stored documents", "\n".join(changes))
                notes += [f"stored documents: {c}" for c in changes]
            script = write_document_migration(work, p.old, p.new, p.diff)
            if script:
                new_files[script] = (work / script).read_bytes()
                yield FileArtifact("generate", script, len(new_files[script]))
                notes.append(f"stored documents: run `python {script}` once against your database")
        timings["generate"] = time.perf_counter() - started
        yield StageFinished("generate", timings["generate"])

        yield StageStarted("verify", detail="the verification gate, on the merged project")
        started = time.perf_counter()
        report = verify(work, cache_dir=cache / "runtimes", postgres_url=postgres_url)
        report.notes += notes
        timings["verify"] = time.perf_counter() - started
        for check in report.failed:
            yield Finding("verify", "error", "gate", "", None, f"{check.name}: {check.detail}", hint=check.output)
        yield StageFinished("verify", timings["verify"])
        if not report.passed:
            kept = Path(tempfile.mkdtemp(prefix="codebegen-failed-")) / p.project.name
            shutil.move(str(work), kept)
            raise _failed(report, p.project, kept)

        # -- passed: write into the project, in place -------------------------------------------
        _write(p.project, {**merged.files, **new_files})
        report.write(p.project)
        versions = {k: v for k, v in base.items() if k.startswith(HISTORY_DIRS)}
        fresh = {k: v for k, v in theirs.items() if not k.startswith(HISTORY_DIRS)}
        write_base(p.project, {**fresh, **versions, **new_files})
        _record(p, merged, report)
    timings["total"] = time.perf_counter() - begun
    summary = (f"iterated {p.new.name!r} in {p.project}: {merged.summary()}; "
               f"{len(new_files)} new migration{'s' if len(new_files) != 1 else ''} ({timings['total']:.1f} s)")  # fmt: skip
    yield Done(True, str(p.project), summary, report=report, timings=timings)


def _failed(report: Any, project: Path, kept: Path) -> EngineError:
    from codebegen.errors import VerificationError

    return VerificationError(
        f"the merged project failed verification: {', '.join(c.name for c in report.failed)}",
        report=report, hint=f"nothing was written to {project}; the merged project is kept in {kept}",
    )  # fmt: skip


def _record(p: Plan, merged: MergeResult, report: Any) -> None:
    """Append the version to ``.codebegen/history.jsonl`` (the project's own history)."""
    path = p.project / HISTORY
    number = sum(1 for _ in path.open(encoding="utf-8")) + 2 if path.is_file() else 2
    entry = {"version": number, "at": datetime.now(UTC).isoformat(timespec="seconds"), "spec": p.new.model_dump(),
             "diff": p.diff.lines(), "renames": p.renames, "passed": report.passed,
             "merge": {"merged": merged.merged, "kept": merged.kept, "updated": merged.updated,
                       "added": merged.added, "removed": merged.removed}}  # fmt: skip
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


__all__ = ["Plan", "iterate", "open_project", "plan", "plan_stage"]
