"""What an exported version says about itself: the spec diff, the commit message, the PR body.

Owns the text codebegen writes into git and GitHub: ``spec_changes`` (the previous exported
version's ``codebegen.json`` against this one's, one line per change), ``commit_message`` (a
subject, the spec changes, the trust report's result, and ``Codebegen-*`` trailers that mark
the commit as codebegen's) and ``pull_request_body`` (the trust report's checks, the review
findings when the project carries them, the spec changes, and a hidden marker with the run
and version the webhook links a merged or closed pull request back to). It runs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from codebegen.gate.trust_report import TrustReport

TRAILER_VERSION = "Codebegen-Version"
TRAILER_RUN = "Codebegen-Run"
MAX_BODY_CHARS = 60_000
# The marker the webhook reads back from a pull request's body (and nothing else of it).
MARKER = re.compile(r"<!--\s*codebegen:\s*run=(?P<run>[A-Za-z0-9_.-]*)\s+version=(?P<version>\d+)\s*-->")


def _field_text(field: Mapping[str, Any]) -> str:
    bits = [str(field.get("type", "?"))]
    if field.get("type") == "enum":
        bits.append("/".join(field.get("values") or []))
    if field.get("unique"):
        bits.append("unique")
    if not field.get("required", True):
        bits.append("optional")
    return ", ".join(bits)


def _relation_key(rel: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(rel.get("source")), str(rel.get("target")), str(rel.get("name") or ""))


def _relation_text(rel: Mapping[str, Any]) -> str:
    name = f" as {rel['name']}" if rel.get("name") else ""
    required = ", required" if rel.get("required") else ""
    return f"{rel.get('source')} → {rel.get('target')}{name} ({rel.get('kind')}{required})"


def spec_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """One line per difference between two specs (``+`` added, ``-`` removed, ``~`` changed).

    ``old`` is None for the first export: every entity is then listed as added.
    """
    old = old or {}
    out: list[str] = []
    for key in ("name", "description", "auth"):
        if old and old.get(key) != new.get(key):
            out.append(f"~ {key}: {old.get(key)!r} → {new.get(key)!r}")
    before = {e["name"]: e for e in old.get("entities", [])}
    after = {e["name"]: e for e in new.get("entities", [])}
    for name, entity in after.items():
        if name not in before:
            fields = ", ".join(f["name"] for f in entity.get("fields", []))
            out.append(f"+ entity {name}" + (f" ({fields})" if fields else ""))
            continue
        was = before[name]
        if bool(was.get("owned")) != bool(entity.get("owned")):
            out.append(f"~ entity {name}: owned {bool(was.get('owned'))} → {bool(entity.get('owned'))}")
        old_fields = {f["name"]: f for f in was.get("fields", [])}
        new_fields = {f["name"]: f for f in entity.get("fields", [])}
        for fname, field in new_fields.items():
            if fname not in old_fields:
                out.append(f"+ field {name}.{fname} ({_field_text(field)})")
            elif _field_text(old_fields[fname]) != _field_text(field):
                out.append(f"~ field {name}.{fname}: {_field_text(old_fields[fname])} → {_field_text(field)}")
        out += [f"- field {name}.{f}" for f in old_fields if f not in new_fields]
    out += [f"- entity {name}" for name in before if name not in after]
    old_rels = {_relation_key(r): r for r in old.get("relationships", [])}
    new_rels = {_relation_key(r): r for r in new.get("relationships", [])}
    for key, rel in new_rels.items():
        if key not in old_rels:
            out.append(f"+ relationship {_relation_text(rel)}")
        elif _relation_text(old_rels[key]) != _relation_text(rel):
            out.append(f"~ relationship {_relation_text(old_rels[key])} → {_relation_text(rel)}")
    out += [f"- relationship {_relation_text(r)}" for k, r in old_rels.items() if k not in new_rels]
    old_rules = [(r.get("entity"), r.get("description")) for r in old.get("rules", [])]
    new_rules = [(r.get("entity"), r.get("description")) for r in new.get("rules", [])]
    out += [f"+ rule on {e}: {d}" for e, d in new_rules if (e, d) not in old_rules]
    out += [f"- rule on {e}: {d}" for e, d in old_rules if (e, d) not in new_rules]
    return out


def subject(spec: Mapping[str, Any], version: int, report: TrustReport) -> str:
    verdict = "verified" if report.passed else "NOT verified"
    return f"codebegen: {spec.get('name', 'project')} version {version} ({verdict})"


def commit_message(
    spec: Mapping[str, Any], report: TrustReport, *, version: int, changes: list[str], run_id: str | None = None
) -> str:
    """The commit message of one exported version; its trailers mark the commit as codebegen's."""
    lines = [subject(spec, version, report), ""]
    if version == 1:
        lines.append("First export of this project.")
    elif changes:
        lines.append("Spec changes since the last export:")
        lines += [f"  {c}" for c in changes]
    else:
        lines.append("No spec changes since the last export (regenerated).")
    lines += ["", f"Trust report: {report.headline()}"]
    lines += [f"  {'✓' if c.passed else '✗' if c.status == 'fail' else '–'} {c.name}" for c in report.checks]
    lines += ["", f"{TRAILER_VERSION}: {version}"]
    if run_id:
        lines.append(f"{TRAILER_RUN}: {run_id}")
    return "\n".join(lines) + "\n"


def _findings_markdown(findings: list[Mapping[str, Any]], limit: int = 30) -> list[str]:
    if not findings:
        return ["No review findings."]
    out = ["| severity | source | where | finding |", "|---|---|---|---|"]
    for f in findings[:limit]:
        where = f"{f.get('file') or ''}{':' + str(f['line']) if f.get('line') else ''}"
        message = str(f.get("message", "")).replace("|", "\\|").replace("\n", " ")
        out.append(f"| {f.get('severity', '')} | {f.get('source', '')} | {where} | {message} |")
    if len(findings) > limit:
        out.append(f"\n…and {len(findings) - limit} more.")
    return out


def pull_request_body(
    spec: Mapping[str, Any],
    report: TrustReport,
    *,
    version: int,
    changes: list[str],
    run_id: str | None = None,
    findings: list[Mapping[str, Any]] | None = None,
) -> str:
    """The PR body: the trust report (checks), the review findings, the spec diff, the marker."""
    out = [f"## {subject(spec, version, report)}", ""]
    out += ["### Spec changes", ""]
    if version == 1:
        out.append("First export of this project.")
    else:
        out += [f"- `{c}`" for c in changes] or ["No spec changes since the last export."]
    report_md = report.to_markdown().replace("# Trust report", "### Trust report", 1)
    out += ["", report_md.rstrip(), "", "### Review findings", ""]
    if findings is None:
        out.append("The project carries no review findings (it was generated without the review stage).")
    else:
        out += _findings_markdown(list(findings))
    marker = f"<!-- codebegen: run={run_id or ''} version={version} -->"
    text = "\n".join(out)
    if len(text) > MAX_BODY_CHARS:  # GitHub refuses a body over 65,536 characters
        text = text[: MAX_BODY_CHARS - 200] + "\n\n…(cut: see TRUST_REPORT.md in the branch for the whole report)"
    return f"{text}\n\n{marker}\n"


def read_marker(body: str | None) -> tuple[str | None, int | None]:
    """The run id and version a PR body names (``None, None`` when it has no marker)."""
    match = MARKER.search(body or "")
    if not match:
        return None, None
    return (match["run"] or None), int(match["version"])


__all__ = ["commit_message", "pull_request_body", "read_marker", "spec_changes", "subject"]
