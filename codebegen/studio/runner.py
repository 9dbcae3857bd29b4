"""One pipeline run of the studio: driven in a worker thread, recorded in the history as it goes.

Owns the run's life outside the browser: the worker thread that pulls the pipeline's events
(so the page can tick its clock while the gate runs and no event arrives), the run's
directory, and the history rows: ``running`` at the start, the spec as soon as it is known,
the outcome, report, findings and the verified project's files at the end. ``cancel()`` (the
Cancel button, a closed tab) stops the run at its next event and closes the pipeline, which
removes its scratch directory; the row becomes ``cancelled``.

``user`` is the run's owner (a user, or ``org:<slug>`` for an organization's run); ``actor``
(who started it, default the owner) and ``key_id`` (the API key, for a REST API run) go into
the history's ledger of starts, which the per-user and per-key limits count.

It knows the engine's events but nothing of Gradio: ``codebegen.studio.pages.generate`` renders, and
``codebegen.studio.jobs`` drives the REST API's runs.
"""

from __future__ import annotations

import queue
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from codebegen import events as ev
from codebegen.errors import EngineError
from codebegen.pipeline import run
from codebegen.spec import ProjectSpec
from codebegen.studio.backends import BackendProvider
from codebegen.studio.history import History
from codebegen.studio.settings import StudioSettings

_END = object()


class LiveRun:
    """``LiveRun(...).start()``, then ``batches()`` until it ends; ``cancel()`` at any time."""

    def __init__(
        self,
        *,
        history: History,
        settings: StudioSettings,
        backends: BackendProvider,
        user: str,
        template: str,
        profile: str,
        prompt: str | None = None,
        spec: ProjectSpec | None = None,
        parent_id: str | None = None,
        actor: str | None = None,
        key_id: str | None = None,
        asked: str | None = None,
    ) -> None:
        self.history, self.settings, self._backends = history, settings, backends
        self.user, self.template, self.profile = user, template, profile
        self.prompt, self.spec = prompt, spec
        self.asked = asked  # with a spec: the prompt it came from, for the prompt-coverage check
        label = prompt if prompt is not None else f"(edited schema of run {parent_id})" if parent_id else "(spec)"
        self.id = history.start(
            user, prompt=label, template=template, profile=profile, parent_id=parent_id, actor=actor, key_id=key_id
        )
        self.dir = settings.runs_dir / self.id
        self.project_dir = self.dir / "project"
        self.done: ev.Done | None = None
        self._findings: list[dict[str, Any]] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name=f"run-{self.id}", daemon=True)

    def start(self) -> LiveRun:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._stop.set()

    @property
    def scratch_dir(self) -> Path | None:
        """Where the project is being built before the gate passed (the workspace beside it)."""
        return next(iter(sorted(self.dir.glob(".codebegen-project-*"))), None)

    def batches(self, tick: float = 1.0) -> Iterator[list[Any]]:
        """Lists of events as they come; an empty list after ``tick`` seconds without one."""
        while True:
            try:
                first = self._queue.get(timeout=tick)
            except queue.Empty:
                yield []
                continue
            batch = [first]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            ended = any(item is _END for item in batch)
            batch = [item for item in batch if item is not _END]
            for item in batch:
                if isinstance(item, BaseException):
                    raise item  # a bug in the worker: show it, with its traceback
            if batch:
                yield batch
            if ended:
                return

    def _pump(self) -> None:
        status, error = "cancelled", "cancelled before it finished"
        try:
            events = self._events()
            try:
                for event in events:
                    if self._stop.is_set():
                        break
                    self._observe(event)
                    self._queue.put(event)
                    if isinstance(event, ev.Done):
                        status = "passed" if event.ok else "failed"
                        error = "" if event.ok else event.summary
            finally:
                events.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the page, which re-raises it
            status, error = "failed", f"internal error: {exc!r}"
            self._queue.put(exc)
        finally:
            self._record(status, error)
            self._queue.put(_END)

    def _events(self) -> Iterator[ev.Event]:
        try:
            backends = self._backends(self.profile)
        except EngineError as exc:
            yield ev.Failure("parse", exc.message, exc.hint)
            yield ev.Done(False, None, str(exc))
            return
        yield from run(
            self.prompt if self.prompt is not None else self.asked,
            spec=self.spec,
            template=self.template,
            profile=self.profile,
            out_dir=self.project_dir,
            cache_dir=self.settings.cache_dir,
            postgres_url=self.settings.postgres_url,
            backends=backends,
        )

    def _observe(self, event: ev.Event) -> None:
        if isinstance(event, ev.SpecArtifact):
            self.history.record_spec(self.user, self.id, event.spec.model_dump(mode="json"))
        elif isinstance(event, ev.Finding):
            self._findings.append(asdict(event))
        elif isinstance(event, ev.Done):
            self.done = event

    def _record(self, status: str, error: str) -> None:
        done = self.done
        files = project_files(self.project_dir) if status == "passed" else None
        self.history.finish(
            self.user,
            self.id,
            status=status,
            summary=done.summary if done else "",
            error=error,
            timings=done.timings if done else {},
            report=done.report.to_dict() if done and done.report is not None else None,
            findings=self._findings,
            files=files,
        )
        if status != "passed":
            shutil.rmtree(self.dir, ignore_errors=True)


def project_files(root: Path) -> dict[str, bytes]:
    """Every file of a project by its path relative to ``root``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_zip(files: dict[str, bytes], name: str, target: Path) -> Path:
    """The files as ``target`` (a ZIP), all under one top-level folder ``name``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(f"{name}/{path}", data)
    return target
