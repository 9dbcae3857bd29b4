"""From a ProjectSpec to a verified project on disk, all or nothing.

Owns the output directory's safety: the project is rendered and verified in a scratch
directory beside the target and moved into place only when the gate passed. A failure leaves
the target as it was; the failed project is kept in a temp dir whose path the error names, so
nothing is lost. It does not parse prompts or call models (``engine.pipeline`` does).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import templates
from engine.errors import OutputError, VerificationError
from engine.spec import ProjectSpec
from engine.verify import TrustReport, verify

DEFAULT_RUNTIME_CACHE = Path.home() / ".cache" / "codebegen" / "runtimes"


@dataclass(frozen=True)
class GenerateResult:
    out_dir: Path
    files: list[Path]
    report: TrustReport | None
    render_seconds: float


def check_output_dir(out_dir: Path, *, force: bool) -> None:
    """Refuse a non-empty directory (unless force) or one that cannot be written."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a directory", hint="choose another -o DIR")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputError(f"{out_dir} is not empty", hint="choose an empty or new directory, or pass --force")
    parent = out_dir.parent if not out_dir.exists() else out_dir
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create {out_dir}: {parent} is a file", hint="choose another -o DIR")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {parent}", hint="choose a directory you can write to")


def _place(scratch: Path, out_dir: Path) -> None:
    """Move the finished project into out_dir, replacing what --force allowed to replace."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if out_dir.exists():
        backup = out_dir.with_name(f".{out_dir.name}.replaced-{os.getpid()}")
        out_dir.rename(backup)
    try:
        shutil.move(str(scratch), out_dir)  # a rename when both sit on one file system
    except OSError:
        if backup is not None:
            backup.rename(out_dir)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


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

    ``before_verify`` may add files (e.g. generated business rules) to the scratch project.
    Raises OutputError, TemplateError or VerificationError; on error ``out_dir`` is untouched.
    """
    out_dir = Path(out_dir).expanduser().absolute()
    check_output_dir(out_dir, force=force)
    tmpl = templates.load_template(template)
    templates.check_supported(spec, tmpl)
    scratch_parent = out_dir.parent if out_dir.parent.exists() else Path(tempfile.gettempdir())
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".codebegen-{out_dir.name}-", dir=scratch_parent))
    except OSError as exc:
        raise OutputError(f"cannot write next to {out_dir}: {exc.strerror}", hint="choose a writable -o DIR") from None
    try:
        start = time.perf_counter()
        files = templates.render(spec, tmpl, scratch)
        templates.format_python(scratch)
        render_seconds = time.perf_counter() - start
        if before_verify is not None:
            before_verify(scratch)
        report = None
        if run_gate:
            report = verify(scratch, cache_dir=cache_dir or DEFAULT_RUNTIME_CACHE, postgres_url=postgres_url)
            report.write(scratch)
            if not report.passed:
                kept = Path(tempfile.mkdtemp(prefix="codebegen-failed-"))
                shutil.move(str(scratch), kept / out_dir.name)
                raise VerificationError(
                    f"the generated project failed verification: {', '.join(c.name for c in report.failed)}",
                    report=report,
                    hint=f"nothing was written to {out_dir}; the failed project is kept in {kept / out_dir.name}",
                )
        try:
            _place(scratch, out_dir)
        except OSError as exc:
            raise OutputError(f"cannot move the project into {out_dir}: {exc.strerror}") from None
        return GenerateResult(out_dir=out_dir, files=files, report=report, render_seconds=render_seconds)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
