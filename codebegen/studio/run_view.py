"""What the Generate page shows of one run, built from live events or from a history row.

Owns folding the pipeline's events into plain data (stage and elapsed time, spec, file list,
findings, trust report, review summary, README, model output tail, outcome) and remembering
which parts changed since the page last drew them, so a burst of events becomes one small
update. It draws nothing (``codebegen.studio.pages.generate`` does) and imports no Gradio.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from codebegen import events as ev
from codebegen.events import STAGES
from codebegen.gate.trust_report import verdict as trust_verdict
from codebegen.studio.history import RunRow

PARTS = ("progress", "spec", "files", "review", "docs", "output")
ORDER = ("parse", "generate", "verify", "review", "docs")  # the order the pipeline runs them
OUTPUT_TAIL = 3000


@dataclass
class RunView:
    run_id: str | None = None
    started: float = field(default_factory=time.monotonic)
    stage: str = ""
    detail: str = ""
    finished: dict[str, float] = field(default_factory=dict)
    spec: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None  # the parse stage's prompt-coverage check
    files: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    review_summary: str = ""
    documents: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    output: str = ""
    ended: bool = False
    ok: bool = False
    summary: str = ""
    total: float | None = None
    failure: ev.Failure | None = None
    status: str = "running"  # as the history names it
    dirty: set[str] = field(default_factory=lambda: set(PARTS))

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def apply(self, event: Any) -> None:
        if isinstance(event, ev.StageStarted):
            self.stage, self.detail, self.output = event.stage, event.detail, ""
            self.dirty |= {"progress", "output"}
        elif isinstance(event, ev.TokenDelta):
            self.output = (self.output + event.text)[-OUTPUT_TAIL:]
            self.dirty.add("output")
        elif isinstance(event, ev.SpecArtifact):
            self.spec = event.spec.model_dump(mode="json")
            self.dirty.add("spec")
        elif isinstance(event, ev.Coverage):
            self.coverage = event.report.to_dict()
            self.dirty.add("spec")
        elif isinstance(event, ev.FileArtifact):
            if event.path not in self.files:
                self.files.append(event.path)
            self.dirty.add("files")
        elif isinstance(event, ev.Finding):
            self.findings.append(asdict(event))
            self.dirty.add("review")
        elif isinstance(event, ev.DocumentArtifact):
            if event.stage == "review":
                self.review_summary = event.text
                self.dirty.add("review")
            else:
                self.documents[event.name] = event.text
                self.dirty.add("docs")
        elif isinstance(event, ev.StageFinished):
            self.finished[event.stage] = event.seconds
            self.dirty.add("progress")
        elif isinstance(event, ev.Warning):
            self.warnings.append(f"{event.stage}: {event.message}")
            self.dirty.add("progress")
        elif isinstance(event, ev.Failure):
            self.failure = event
            self.dirty.add("progress")
        elif isinstance(event, ev.Done):
            self.ended, self.ok, self.summary = True, event.ok, event.summary
            self.total = event.timings.get("total", self.elapsed)
            self.status = "passed" if event.ok else "failed"
            if event.report is not None:
                self.report = event.report.to_dict()
                self.dirty.add("review")
                if self.report.get("prompt_coverage"):
                    self.coverage = self.report["prompt_coverage"]
                    self.dirty.add("spec")
            for name in ("README.md", "docs/API.md"):
                if name not in self.files and event.ok and name in self.documents:
                    self.files.append(name)
            self.dirty |= {"progress", "files"}

    def take_dirty(self) -> set[str]:
        parts, self.dirty = self.dirty, set()
        return parts

    @classmethod
    def from_row(cls, row: RunRow, files: dict[str, bytes]) -> RunView:
        """A finished (or interrupted) run from the history, every part dirty."""
        view = cls(run_id=row.id, total=row.seconds)
        view.spec, view.report, view.findings = row.spec, row.report, list(row.findings)
        view.coverage = (row.report or {}).get("prompt_coverage")
        view.files = sorted(files)
        view.finished = {k: v for k, v in row.timings.items() if k in STAGES}
        view.ended, view.ok, view.status = True, row.status == "passed", row.status
        view.summary = row.summary or row.error
        for name in ("README.md", "docs/API.md"):
            if name in files:
                view.documents[name] = files[name].decode("utf-8", errors="replace")
        return view

    def progress_markdown(self) -> str:
        """One line of stage marks and the clock, then the outcome or the current stage."""
        marks = []
        for stage in ORDER:
            if stage in self.finished:
                marks.append(f"✓ {stage} {self.finished[stage]:.1f} s")
            elif stage == self.stage and not self.ended:
                marks.append(f"**{stage} …**")
            else:
                marks.append(f"· {stage}")
        seconds = self.total if self.ended else self.elapsed
        clock = f"{seconds:.1f} s" if seconds is not None else ""
        head = " → ".join(marks) + (f" · **{clock}**" if clock else "")
        if self.ended:
            gaps = sum(not i.get("covered") for i in (self.coverage or {}).get("items", []))
            verdict = {"passed": f"**{trust_verdict(True, gaps)}**", "failed": "**✗ Failed**", "cancelled": "**Cancelled**",
                       "interrupted": "**Interrupted**"}.get(self.status, self.status)  # fmt: skip
            line = f"{verdict}: {self.summary}" if self.summary else verdict
        else:
            line = f"Running **{self.stage or 'start'}**" + (f" — {self.detail}" if self.detail else "") + " …"
        if self.failure is not None:
            hint = f" ({self.failure.hint})" if self.failure.hint else ""
            line += f"\n\n**{self.failure.stage} failed:** {self.failure.message}{hint}"
        if self.warnings:
            line += "\n\n" + "\n".join(f"- warning: {w}" for w in self.warnings[-5:])
        return f"{head}\n\n{line}"
