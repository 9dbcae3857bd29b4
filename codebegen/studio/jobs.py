"""The generations the REST API started: each a ``LiveRun`` driven in the background, its events kept for readers.

Owns the API's runs while they are in this process: ``Jobs.start`` records the run (through
``LiveRun``, so it is in the history like a run of the page) and hands it to a worker thread
that waits for one of ``api_max_concurrent_runs`` slots (``queued`` until then), starts it and
appends every pipeline event, as JSON, to the job's log. Any number of Server-Sent-Event
readers follow the log from its start (``follow``), so a client that connects late still sees
every event, the last one ``Done``. ``cancel`` stops a queued or running job; the history row
becomes ``cancelled``. Finished jobs stay readable for the last ``KEEP`` of them.

``event_json`` is the wire form of an engine event: ``{"type": <class name>, <its fields>}``,
a spec as ProjectSpec JSON, a trust report as its ``to_dict()``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from codebegen import events as ev
from codebegen.spec import ProjectSpec
from codebegen.studio.backends import BackendProvider
from codebegen.studio.history import History
from codebegen.studio.runner import LiveRun
from codebegen.studio.settings import StudioSettings

KEEP = 200  # finished jobs whose events stay readable


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def event_json(event: Any) -> dict[str, Any]:
    """An engine event as the API sends it: its class name as ``type``, then its fields."""
    return {"type": type(event).__name__, **{f.name: _plain(getattr(event, f.name)) for f in fields(event)}}


@dataclass
class Job:
    """One API generation: its run, its event log and where it stands."""

    live: LiveRun
    owner: str
    actor: str
    state: str = "queued"  # queued -> running -> ended
    log: list[dict[str, Any]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    cancelled: bool = False

    @property
    def id(self) -> str:
        return self.live.id

    def _append(self, item: dict[str, Any] | None) -> None:
        with self.cond:
            if item is None:
                self.state = "ended"
            else:
                self.log.append(item)
            self.cond.notify_all()

    def follow(self, start: int = 0, timeout: float = 1.0) -> tuple[list[dict[str, Any]], bool]:
        """The events from index ``start`` on (waiting up to ``timeout`` for one), and whether the log is complete."""
        with self.cond:
            if len(self.log) <= start and self.state != "ended":
                self.cond.wait(timeout)
            return self.log[start:], self.state == "ended"


class Jobs:
    """The process's API generations. One per studio server; ``start`` returns at once."""

    def __init__(self, history: History, settings: StudioSettings, backends: BackendProvider) -> None:
        self.history, self.settings, self.backends = history, settings, backends
        self._slots = threading.BoundedSemaphore(settings.api_max_concurrent_runs)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(
        self, *, owner: str, actor: str, key_id: str | None, template: str, profile: str,
        prompt: str | None = None, spec: ProjectSpec | None = None,
    ) -> Job:  # fmt: skip
        """Record the run and queue it (the caller holds ``codebegen.studio.limits.admission``)."""
        live = LiveRun(
            history=self.history, settings=self.settings, backends=self.backends, user=owner, template=template,
            profile=profile, prompt=prompt, spec=spec, actor=actor, key_id=key_id,
        )  # fmt: skip
        job = Job(live, owner, actor)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.state == "ended"]
            for old in finished[: max(0, len(finished) - KEEP)]:
                self._jobs.pop(old.id, None)
        threading.Thread(target=self._drive, args=(job,), name=f"api-{job.id}", daemon=True).start()
        return job

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running job; False when there is none here or it has ended."""
        job = self.get(run_id)
        if job is None or job.state == "ended":
            return False
        job.cancelled = True
        job.live.cancel()
        return True

    def _drive(self, job: Job) -> None:
        with self._slots:
            with job.cond:
                job.state = "running"
            job.live.start()  # a job cancelled while queued stops at its first event, recorded ``cancelled``
            try:
                for batch in job.live.batches(tick=1.0):
                    for event in batch:
                        job._append(event_json(event))
            except Exception as exc:  # noqa: BLE001 - a bug in the run: the readers get a Failure and a Done
                job._append(event_json(ev.Failure("verify", f"internal error: {exc!r}")))
                job._append(event_json(ev.Done(False, None, f"internal error: {exc!r}")))
            if job.cancelled and not any(e["type"] == "Done" for e in job.log):
                job._append(event_json(ev.Done(False, None, "cancelled")))
            job._append(None)

    def stream(self, job: Job) -> Iterator[dict[str, Any]]:
        """Every event of ``job`` from its first, blocking until the next, ending after the last."""
        index = 0
        while True:
            items, complete = job.follow(index)
            yield from items
            index += len(items)
            if complete and index >= len(job.log):
                return
