"""The trust report: what the verification gate checked on a project and what it found.

Owns the ``Check`` and ``TrustReport`` dataclasses and their three faces: a dict/JSON form
(``trust_report.json``, stable keys for scripts and the studio), a one-line-per-check summary
for terminals, and Markdown (``TRUST_REPORT.md``, which travels with the project). It does not
run anything; ``codebegen.gate.verify`` fills it in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from codebegen.errors import VerificationError

Status = Literal["pass", "fail", "skip"]
JSON_NAME = "trust_report.json"
MARKDOWN_NAME = "TRUST_REPORT.md"
_MARK = {"pass": "✓", "fail": "✗", "skip": "–"}


@dataclass
class Check:
    """One check of the gate.

    ``detail`` is one short line (why it failed, why it was skipped, or a fact such as the
    startup time); ``output`` is the part of the tool's output that matters on failure
    (failing test names and assertion lines, ruff lines, a traceback's last frames).
    """

    name: str
    status: Status
    duration_s: float = 0.0
    detail: str = ""
    output: str = ""
    database: str | None = None
    command: str = ""
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. boot's startup_s

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class TrustReport:
    """The gate's verdict on one project: ``passed`` is true only if no check failed."""

    template: str
    project: str
    codebegen_version: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    checks: list[Check] = field(default_factory=list)
    runtime: str = ""
    notes: list[str] = field(default_factory=list)
    # the parse stage's prompt-coverage check (codebegen.parsing.coverage.Coverage.to_dict()), when a
    # prompt was given: what the prompt asks for that the verified spec does not carry
    prompt_coverage: dict[str, Any] | None = None

    @property
    def prompt_gaps(self) -> list[dict[str, Any]]:
        """The prompt-coverage items not in the spec (empty when none, or no prompt was checked)."""
        return [i for i in (self.prompt_coverage or {}).get("items", []) if not i.get("covered")]

    def _gap_lines(self) -> list[str]:
        lines = []
        for i in self.prompt_gaps:
            what = {
                "thing": f"entity {i['entity']}", "attribute": f"{i['entity']}.{i['name']}",
                "link": f"link {i['entity']} -> {i['name']}", "unique": f"{i['entity']}.{i['name']} unique",
                "required": f"{i['entity']}.{i['name']} {i.get('detail') or 'required'}",
                "owned": f"{i['entity']} private to its user", "login": "login",
            }.get(i["kind"], i["kind"])  # fmt: skip
            said = f' ("{i["words"][:80]}")' if i.get("words") else ""
            lines.append(f"not in the spec: {what}{said}")
        return lines

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not any(c.status == "fail" for c in self.checks)

    @property
    def verdict(self) -> str:
        """The verdict a person reads first (``verdict``): a pass whose spec lacks what the prompt
        asks for is not the plain "✓ Verified"."""
        return verdict(self.passed, len(self.prompt_gaps))

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; checks: {', '.join(c.name for c in self.checks)}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrustReport:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "checks"}
        checks = [Check(**{k: v for k, v in c.items() if k in Check.__dataclass_fields__}) for c in data["checks"]]
        return cls(**fields, checks=checks)

    def headline(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in ("pass", "fail", "skip")}
        said = "PASSED" if self.passed else "FAILED"
        if self.prompt_gaps:
            said += " — ⚠ " + _gaps_phrase(len(self.prompt_gaps))
        parts = [f"{counts['pass']} passed"]
        if counts["fail"]:
            parts.append(f"{counts['fail']} failed")
        if counts["skip"]:
            parts.append(f"{counts['skip']} skipped")
        return f"verification {said}: {', '.join(parts)} ({self.template}, {self.duration_s:.1f} s)"

    def summary(self) -> str:
        """Human text: a headline, then one line per check with ✓/✗/–, duration and short reason."""
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [self.headline()]
        for c in self.checks:
            took = f"{c.duration_s:6.2f} s" if c.status != "skip" else " " * 8
            text = c.detail if c.status != "fail" or not c.output else c.detail or c.output.splitlines()[0]
            where = f"[{c.database}] " if c.database and c.status != "skip" else ""
            lines.append(f"  {_MARK[c.status]} {c.name:<{width}}  {took}  {where}{text}".rstrip())
            if c.status == "fail" and c.output:
                lines += [f"      {ln}" for ln in c.output.splitlines()[:12]]
        lines += [f"  note: {n}" for n in self.notes]
        if self.prompt_coverage:
            lines.append(f"  {self.prompt_coverage.get('headline', 'prompt coverage')}")
            lines += [f"  ! {g}" for g in self._gap_lines()]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        head = "passed" if self.passed else "**FAILED**"
        if self.prompt_gaps:
            head += f" — **⚠ {_gaps_phrase(len(self.prompt_gaps))}** (see Prompt coverage)"
        out = [
            "# Trust report",
            "",
            f"Verification {head} — template `{self.template}`, codebegen {self.codebegen_version}, "
            f"{self.started_at}, {self.duration_s:.1f} s.",
            "",
            "| | check | database | time | result |",
            "|---|---|---|---|---|",
        ]
        for c in self.checks:
            took = f"{c.duration_s:.2f} s" if c.status != "skip" else ""
            text = (c.detail or c.status).replace("|", "\\|")
            out.append(f"| {_MARK[c.status]} | {c.name} | {c.database or ''} | {took} | {text} |")
        if self.runtime:
            out += ["", f"Runtime environment: {self.runtime}."]
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        if self.prompt_coverage:
            out += ["", "## Prompt coverage", "", self.prompt_coverage.get("headline", ""), ""]
            out += [f"- **{g}**" for g in self._gap_lines()]
            covered = [i for i in self.prompt_coverage.get("items", []) if i.get("covered")]
            if covered:
                out.append(
                    f"- covered: {len(covered)} item{'s' if len(covered) != 1 else ''} (entities, fields, links)"
                )
        for c in self.failed:
            if c.output:
                out += ["", f"## {c.name}", "", "```", c.output, "```"]
        return "\n".join(out) + "\n"

    def write(self, project_dir: Path) -> tuple[Path, Path]:
        """Write ``trust_report.json`` and ``TRUST_REPORT.md`` into the project; returns both paths."""
        project_dir = Path(project_dir)
        json_path, md_path = project_dir / JSON_NAME, project_dir / MARKDOWN_NAME
        json_path.write_text(self.to_json() + "\n", encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return json_path, md_path

    def raise_for_failure(self) -> None:
        """Raise VerificationError (carrying this report) if any check failed."""
        if not self.passed:
            names = ", ".join(c.name for c in self.failed) or "no checks ran"
            raise VerificationError(
                f"the project failed verification: {names}",
                report=self,
                hint=f"see {MARKDOWN_NAME} in the project for the failing output",
            )


__all__ = ["Check", "JSON_NAME", "MARKDOWN_NAME", "Status", "TrustReport", "verdict"]


def _gaps_phrase(n: int) -> str:
    return f"{n} thing{'s' if n != 1 else ''} from the prompt {'are' if n != 1 else 'is'} not in the spec"


def verdict(passed: bool, gaps: int = 0) -> str:
    """One line for a finished verification: "✓ Verified", "✓ Verified — ⚠ 2 things from the prompt
    are not in the spec" (the code matches its spec, the spec lacks what the prompt asks for), or
    "✗ Failed"."""
    if not passed:
        return "✗ Failed"
    return "✓ Verified" + (f" — ⚠ {_gaps_phrase(gaps)}" if gaps else "")
