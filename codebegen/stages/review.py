"""The review stage: objective findings, a score computed from them, and the reviewer's summary.

Owns turning ruff (an extended rule set over the application code), bandit, the gate's
trust report and the generate stage's notes into ``Finding`` events, the score (from those
findings only, never from a model's opinion), and the reviewer role's short summary. An empty
or unusable summary is replaced by a built-in one, with a warning.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codebegen.events import DocumentArtifact, Event, Finding, StageFinished, StageStarted, Warning
from codebegen.prompts import messages
from codebegen.spec import ProjectSpec
from codebegen.stages.asking import ask

REVIEW_RUFF_RULES = "E,F,W,I,UP,B,S,SIM,C4,ASYNC,PERF,RUF"
REVIEW_RUFF_IGNORE = "E501,RUF012,RUF022"
PENALTY = {"error": 20, "warning": 5, "info": 1}
_BANDIT_SEVERITY = {"HIGH": "error", "MEDIUM": "warning", "LOW": "info"}


@dataclass(frozen=True)
class Review:
    findings: list[Finding]
    score: int
    summary: str


def score(findings: list[Finding]) -> int:
    return max(0, 100 - sum(PENALTY[f.severity] for f in findings))


def ruff_findings(project: Path, code_dir: str = "app") -> list[Finding]:
    cmd = [sys.executable, "-m", "ruff", "check", "--output-format", "json", "--no-cache",
           "--select", REVIEW_RUFF_RULES, "--ignore", REVIEW_RUFF_IGNORE, code_dir]  # fmt: skip
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=60)
    try:
        rows = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return [Finding("review", "warning", "ruff", "", None, f"ruff did not run: {proc.stderr.strip()[:200]}")]
    return [
        Finding("review", "warning", "ruff", _rel(r["filename"], project), r["location"]["row"],
                f"{r['code']} {r['message']}", (r.get("fix") or {}).get("message") or "")
        for r in rows
    ]  # fmt: skip


def bandit_findings(project: Path, code_dir: str = "app") -> list[Finding]:
    cmd = [sys.executable, "-m", "bandit", "-r", code_dir, "-f", "json", "-q"]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=120)
    try:
        rows = json.loads(proc.stdout or "{}").get("results", [])
    except json.JSONDecodeError:
        return [Finding("review", "warning", "bandit", "", None, f"bandit did not run: {proc.stderr.strip()[:200]}")]
    return [
        Finding("review", _BANDIT_SEVERITY.get(r["issue_severity"], "info"), "bandit", _rel(r["filename"], project),
                r["line_number"], f"{r['test_id']} {r['issue_text']}", r.get("more_info", ""))
        for r in rows
    ]  # fmt: skip


def gate_findings(report: Any) -> list[Finding]:
    out = []
    for c in report.checks if report is not None else []:
        if c.status == "fail":
            out.append(Finding("review", "error", "gate", "", None, f"{c.name} failed: {c.detail}", c.output[-300:]))
        elif c.status == "skip":
            out.append(Finding("review", "info", "gate", "", None, f"{c.name} did not run: {c.detail}"))
    return out


def _rel(path: str, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return path


def builtin_summary(spec: ProjectSpec, findings: list[Finding], points: int) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    first = next((f for f in findings if f.severity == "error"), None) or next(
        (f for f in findings if f.severity == "warning"), None
    )
    text = (
        f"{spec.name} scores {points}/100 from objective checks: {counts['error']} errors, "
        f"{counts['warning']} warnings and {counts['info']} notes."
    )
    return text + (f" Fix first: {first.message}." if first else " Nothing needs fixing before you build on it.")


def review_stage(
    spec: ProjectSpec, project: Path, report: Any, notes: list[str], reviewer: Any, template: str
) -> Generator[Event, None, Review]:
    start = time.perf_counter()
    yield StageStarted("review")
    findings = ruff_findings(project) + bandit_findings(project) + gate_findings(report)
    findings += [Finding("review", "warning", "generate", "app/rules", None, note) for note in notes]
    yield from findings
    points = score(findings)
    listing = "\n".join(f"- {f.severity}: {f.message} ({f.file or f.source})" for f in findings[:20]) or "- none"
    ask_msgs = messages(
        "review", project=spec.name, entities=len(spec.entities), template=template, score=points, findings=listing
    )
    answer = yield from ask(reviewer, "review", ask_msgs, max_tokens=160)
    summary = " ".join(answer.text.split())
    if len(summary) < 20 or not any(ch.isalpha() for ch in summary):
        yield Warning("review", "the reviewer model returned no usable summary; the built-in summary is used")
        summary = builtin_summary(spec, findings, points)
    yield DocumentArtifact("review", "review summary", summary)
    yield StageFinished(
        "review", time.perf_counter() - start, answer.tokens_in, answer.tokens_out, answer.model, answer.adapter
    )
    return Review(findings=findings, score=points, summary=summary)
