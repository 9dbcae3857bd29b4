"""Excerpts of tool output: the few lines of a failure that a person needs, not 5000.

Owns cutting pytest, ruff and Python traceback output down to what matters — failing test
names with their assertion lines, ruff's diagnostics, a traceback's last frames — and a bounded
tail for anything else. Each excerpt comes with a one-line ``headline`` for summaries. It knows
output formats, not which step produced them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 40
MAX_CHARS = 4000

_PYTEST_RESULT = re.compile(r"^=+ (.*\b(passed|failed|error|errors|skipped|no tests ran)\b.*) =+$")
_PYTEST_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_RUFF_DIAG = re.compile(r"^\S+:\d+:\d+: ")
_LOG_LINE = re.compile(r"^(INFO|ERROR|WARNING|DEBUG|CRITICAL)[: ]")
_TRACEBACK = "Traceback (most recent call last):"


@dataclass(frozen=True)
class Excerpt:
    headline: str
    text: str


def bounded(lines: list[str], *, max_lines: int = MAX_LINES) -> str:
    """Join at most ``max_lines`` lines (noting how many were left out) within MAX_CHARS."""
    kept = lines[:max_lines]
    if len(lines) > max_lines:
        kept.append(f"... and {len(lines) - max_lines} more lines")
    text = "\n".join(kept)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 4] + " ..."


def tail(output: str, n: int = 20) -> Excerpt:
    lines = [ln.rstrip() for ln in output.strip().splitlines() if ln.strip()]
    return Excerpt(lines[-1] if lines else "no output", bounded(lines[-n:]))


def pytest(output: str) -> Excerpt:
    """Failing test ids with their reason, each failure's ``E`` lines, and the result line."""
    lines = output.splitlines()
    failed = [m for m in (_PYTEST_FAILED.match(ln.strip()) for ln in lines) if m]
    result = next((m.group(1) for m in map(_PYTEST_RESULT.match, reversed(lines)) if m), "")
    if not failed:
        if _TRACEBACK in output:  # pytest itself crashed (conftest import error, bad plugin)
            return traceback(output)
        return Excerpt(result or tail(output).headline, bounded([result] if result else tail(output).text.splitlines()))
    picked = [f"{m.group(1)} {m.group(2)}" + (f" - {m.group(3)}" if m.group(3) else "") for m in failed[:10]]
    if len(failed) > 10:
        picked.append(f"... and {len(failed) - 10} more failing")
    picked += _failure_details(lines)
    if result:
        picked.append(result)
    first = failed[0]
    headline = f"{len(failed)} failing: {first.group(2)}" + (f" - {first.group(3)}" if first.group(3) else "")
    return Excerpt(_shorten(headline), bounded(picked))


def _failure_details(lines: list[str], failures: int = 3, frames: int = 2, errors: int = 6) -> list[str]:
    """For the first failures of the FAILURES/ERRORS section: the header, the last frames in the
    project (relative paths; library frames are absolute) and the first ``E`` lines."""
    blocks: list[list[str]] = []
    in_section = False
    for ln in lines:
        if re.match(r"^=+ (FAILURES|ERRORS) =+$", ln):
            in_section = True
        elif in_section and re.match(r"^=+ .* =+$", ln):
            in_section = False
        elif in_section and re.match(r"^_+ .* _+$", ln):
            blocks.append([ln])
        elif in_section and blocks:
            blocks[-1].append(ln)
    out: list[str] = []
    for block in blocks[:failures]:
        where = [ln for ln in block[1:] if re.match(r"^[^/\s]\S*\.py:\d+: ", ln)]
        errs = [ln for ln in block[1:] if ln.startswith("E ")]
        out.append("--- " + block[0].strip("_ ") + " ---")
        out += ["  " + ln for ln in where[-frames:]] + ["  " + ln for ln in errs[:errors]]
    return out


def ruff(output: str) -> Excerpt:
    """ruff's diagnostics (concise format) or the files ``ruff format --check`` would change."""
    lines = [ln.rstrip() for ln in output.splitlines()]
    diags = [ln for ln in lines if _RUFF_DIAG.match(ln) or ln.startswith("Would reformat")]
    if not diags:
        return tail(output)
    headline = diags[0] if len(diags) == 1 else f"{len(diags)} problems, first: {diags[0]}"
    return Excerpt(_shorten(headline), bounded(diags))


def traceback(output: str, frames: int = 3) -> Excerpt:
    """The last traceback's final frames and its exception line(s); a tail if there is none."""
    at = output.rfind(_TRACEBACK)
    if at < 0:
        return tail(output)
    lines = output[at:].splitlines()[1:]
    frame_starts = [i for i, ln in enumerate(lines) if ln.startswith('  File "')]
    if not frame_starts:
        return tail(output)
    exc_at = next((i for i in range(frame_starts[-1] + 1, len(lines)) if not lines[i].startswith(" ")), None)
    if exc_at is None:
        return tail(output)
    exception = [lines[exc_at]]
    for ln in lines[exc_at + 1 : exc_at + 8]:  # a multi-line message, up to a blank or a log line
        if not ln.strip() or _LOG_LINE.match(ln):
            break
        exception.append(ln)
    picked = [_TRACEBACK] + lines[frame_starts[-min(frames, len(frame_starts))] : exc_at] + exception
    return Excerpt(_shorten(exception[0]), bounded(picked))


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["Excerpt", "bounded", "pytest", "ruff", "tail", "traceback"]
