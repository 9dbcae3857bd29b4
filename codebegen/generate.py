"""From a ProjectSpec to a verified project on disk, all or nothing (``codebegen generate --spec``).

Renders into a ``Workspace`` beside the target, runs the verification gate, and moves the
project into place only when the gate passed. A failure leaves the target as it was; the
failed project is kept in a temp dir whose path the error names. It does not parse prompts or
call models (``codebegen.pipeline`` does).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codebegen import templates
from codebegen.errors import VerificationError
from codebegen.gate.trust_report import TrustReport
from codebegen.gate.verify import verify
from codebegen.spec import ProjectSpec
from codebegen.workspace import Workspace

DEFAULT_RUNTIME_CACHE = Path.home() / ".cache" / "codebegen" / "runtimes"


@dataclass(frozen=True)
class GenerateResult:
    out_dir: Path
    files: list[Path]
    report: TrustReport | None
    render_seconds: float


def failed_verification(report: TrustReport, workspace: Workspace) -> VerificationError:
    """The error for a project that failed the gate; keeps the project for inspection."""
    kept = workspace.keep_failed()
    return VerificationError(
        f"the generated project failed verification: {', '.join(c.name for c in report.failed)}",
        report=report,
        hint=f"nothing was written to {workspace.out_dir}; the failed project is kept in {kept}",
    )


def write_env_file(project: Path) -> Path | None:
    """``.env`` from the project's ``.env.example`` with a fresh random SECRET_KEY (never a known
    default); kept out of git and the image by the project's .gitignore and .dockerignore."""
    example, target = project / ".env.example", project / ".env"
    if not example.is_file() or target.exists():
        return None
    text = example.read_text(encoding="utf-8")
    secret = secrets.token_urlsafe(48)
    text, n = re.subn(r"^SECRET_KEY=.*$", f"SECRET_KEY={secret}", text, flags=re.M)
    if not n:
        text += f"SECRET_KEY={secret}\n"
    target.write_text(text, encoding="utf-8")
    target.chmod(0o600)
    return target


def generate_project(
    spec: ProjectSpec,
    out_dir: str | Path,
    *,
    template: str = templates.DEFAULT_TEMPLATE,
    force: bool = False,
    run_gate: bool = True,
    cache_dir: Path | None = None,
    postgres_url: str | None = None,
    before_verify: Callable[[Path], None] | None = None,
) -> GenerateResult:
    """Render ``spec`` with ``template``, verify it, and move it into ``out_dir``.

    ``before_verify`` may change the scratch project before the gate runs (tests use it).
    Raises OutputError, TemplateError or VerificationError; on error ``out_dir`` is untouched.
    """
    tmpl = templates.load_template(template)
    templates.check_supported(spec, tmpl)
    with Workspace(out_dir, force=force) as ws:
        start = time.perf_counter()
        files = templates.render(spec, tmpl, ws.path)
        templates.format_python(ws.path)
        render_seconds = time.perf_counter() - start
        if before_verify is not None:
            before_verify(ws.path)
        report = None
        if run_gate:
            report = verify(ws.path, cache_dir=cache_dir or DEFAULT_RUNTIME_CACHE, postgres_url=postgres_url)
            report.write(ws.path)
            if not report.passed:
                raise failed_verification(report, ws)
        placed = ws.place()
        # After the move, so a regenerated project keeps the user's own .env (their secret).
        write_env_file(placed)
        return GenerateResult(out_dir=placed, files=files, report=report, render_seconds=render_seconds)
