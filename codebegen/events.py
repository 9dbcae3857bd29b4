"""The typed events the pipeline yields. Consumers (CLI, studio, notebooks, tests) only read these.

Small frozen dataclasses; every event names its ``stage`` (parse, generate, review, docs, verify)
so a consumer can route it to a tab or a progress line without inspecting types further.
``timed`` passes a stage's events through and records each stage's duration (``run`` and
``iterate`` both report them in ``Done.timings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Stage = Literal["parse", "generate", "review", "docs", "verify"]
STAGES: tuple[Stage, ...] = ("parse", "generate", "verify", "review", "docs")


@dataclass(frozen=True)
class StageStarted:
    stage: Stage
    detail: str = ""


@dataclass(frozen=True)
class TokenDelta:
    """A piece of model output as it is produced."""

    stage: Stage
    text: str


@dataclass(frozen=True)
class SpecArtifact:
    stage: Stage
    spec: Any  # codebegen.spec.ProjectSpec (Any keeps this module free of imports)


@dataclass(frozen=True)
class FileArtifact:
    stage: Stage
    path: str  # relative to the project root
    size: int


@dataclass(frozen=True)
class Finding:
    stage: Stage
    severity: Literal["error", "warning", "info"]
    source: str  # ruff, bandit, gate, ...
    file: str
    line: int | None
    message: str
    hint: str = ""


@dataclass(frozen=True)
class DocumentArtifact:
    stage: Stage
    name: str  # "README.md", "docs/API.md", "review summary", ...
    text: str


@dataclass(frozen=True)
class StageFinished:
    stage: Stage
    seconds: float
    tokens_in: int = 0
    tokens_out: int = 0
    model: str | None = None
    adapter: str | None = None


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the pipeline's own warning event, not the builtin category
    stage: Stage
    message: str


@dataclass(frozen=True)
class Coverage:
    """The prompt-coverage check of the parse stage (``codebegen.parsing.coverage.Coverage``):
    what the prompt asks for, each item covered by the spec or not."""

    stage: Stage
    report: Any  # codebegen.parsing.coverage.Coverage


@dataclass(frozen=True)
class Failure:
    stage: Stage
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Done:
    ok: bool
    out_dir: str | None
    summary: str
    report: Any = None  # codebegen.gate.trust_report.TrustReport when the gate ran
    timings: dict[str, float] = field(default_factory=dict)


Event = (
    StageStarted
    | TokenDelta
    | SpecArtifact
    | FileArtifact
    | Finding
    | DocumentArtifact
    | StageFinished
    | Warning
    | Coverage
    | Failure
    | Done
)


def timed(stage_events: Any, timings: dict[str, float]) -> Any:
    """Pass a stage generator's events through, recording each StageFinished's duration (run and iterate)."""
    try:
        while True:
            try:
                event = next(stage_events)
            except StopIteration as stop:
                return stop.value
            if isinstance(event, StageFinished):
                timings[event.stage] = event.seconds
            yield event
    finally:
        stage_events.close()
