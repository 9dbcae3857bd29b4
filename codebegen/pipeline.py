"""The pipeline: a prompt (or a spec) to a verified, reviewed, documented project, as events.

    parse -> generate -> verify -> review -> docs -> Done

A project that fails the gate is still reviewed (the findings say why), then the run ends with
``Failure`` and ``Done(ok=False)``; the failed project is kept in a temp dir the hint names.

Owns the order of the stages, the workspace the project is built in, and turning any
EngineError into a ``Failure`` event followed by ``Done(ok=False)``: a consumer never sees an
exception for bad input or bad model output, only events. The project is moved into
``out_dir`` only after the gate passed and the docs are written; a consumer that stops
iterating (``close()``) cancels the run and the scratch directory is removed. Models come from
``codebegen.models`` by profile name (``load_backends``, from ``codebegen.backends``), or
ready-made backends can be passed in.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from codebegen import templates
from codebegen.backends import ROLES, load_backends
from codebegen.errors import EngineError
from codebegen.events import Done, Event, Failure, SpecArtifact, Stage, StageFinished, StageStarted, timed
from codebegen.gate.verify import verify
from codebegen.generate import failed_verification, write_env_file
from codebegen.parsing import coverage as prompt_coverage
from codebegen.spec import ProjectSpec
from codebegen.stages.codegen import codegen_stage
from codebegen.stages.docs import docs_stage
from codebegen.stages.parse import parse_stage
from codebegen.stages.review import review_stage
from codebegen.workspace import Workspace, check_output_dir

DEFAULT_CACHE = Path.home() / ".cache" / "codebegen"


def run(
    prompt: str | None = None,
    *,
    spec: ProjectSpec | None = None,
    template: str = templates.DEFAULT_TEMPLATE,
    profile: str = "default",
    out_dir: str | Path | None = None,
    force: bool = False,
    cache_dir: Path | None = None,
    postgres_url: str | None = None,
    backends: Mapping[str, Any] | None = None,
) -> Iterator[Event]:
    """Yield the run's events. Give a ``prompt``, or a ``spec`` to skip the parse stage.

    Without ``out_dir`` the project lands in a new temp directory (named in ``Done.out_dir``).
    """
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE
    timings: dict[str, float] = {}
    stage: Stage = "parse"
    begun = time.perf_counter()
    try:
        tmpl = templates.load_template(template)
        if spec is not None:
            templates.check_supported(spec, tmpl)
        if out_dir is not None:  # refuse a bad target before any model is loaded
            check_output_dir(Path(out_dir).expanduser().absolute(), force=force)
        if backends is None:
            backends = load_backends(profile)
        if spec is None:
            if prompt is None:
                raise EngineError("nothing to build", hint="give a prompt or a spec")
            spec = yield from timed(parse_stage(prompt, backends["parser"]), timings)
        else:
            yield SpecArtifact("parse", spec)
        templates.check_supported(spec, tmpl)
        target = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="codebegen-")) / spec.name
        with Workspace(target, force=force) as ws:
            stage = "generate"
            code = yield from timed(
                codegen_stage(spec, tmpl, ws.path, backends["generator"], cache_dir=cache / "runtimes"), timings
            )
            stage = "verify"
            yield StageStarted("verify", detail="the verification gate")
            started = time.perf_counter()
            report = verify(ws.path, cache_dir=cache / "runtimes", postgres_url=postgres_url)
            report.notes += code.notes
            if prompt is not None:  # the trust report says what the prompt asked for and the spec lacks
                report.prompt_coverage = prompt_coverage.check(prompt, spec).to_dict()
            report.write(ws.path)
            timings["verify"] = time.perf_counter() - started
            yield StageFinished("verify", timings["verify"])
            stage = "review"
            review = yield from timed(
                review_stage(spec, ws.path, report, code.notes, backends["reviewer"], tmpl.name), timings
            )
            if not report.passed:  # the review above already listed why, as findings
                error = failed_verification(report, ws)
                yield Failure("verify", error.message, error.hint)
                yield Done(False, None, str(error), report=report, timings=timings)
                return
            stage = "docs"
            yield from timed(
                docs_stage(spec, ws.path, tmpl, report, backends["docs"], cache_dir=cache / "runtimes"), timings
            )
            placed = ws.place()
            write_env_file(placed)  # a random SECRET_KEY; a user's own .env is kept
        timings["total"] = time.perf_counter() - begun
        summary = (
            f"verified project {spec.name!r} in {placed} ({len(code.files)} files, review score {review.score}/100, "
            f"{len(code.kept_rules)} of {len(spec.rules)} business rules implemented, {timings['total']:.1f} s)"
        )
        if report.prompt_gaps:  # never only "verified" when the prompt asked for something the project lacks
            gaps = report._gap_lines()
            summary += f"; NOT in the spec though the prompt asks for it: {'; '.join(g.removeprefix('not in the spec: ') for g in gaps[:6])}"
            summary += f" (and {len(gaps) - 6} more)" if len(gaps) > 6 else ""
        yield Done(True, str(placed), summary, report=report, timings=timings)
    except EngineError as exc:
        yield Failure(stage, exc.message, exc.hint)
        yield Done(False, None, str(exc), report=getattr(exc, "report", None), timings=timings)


def collect(events: Iterator[Event]) -> list[Event]:
    """All events of a run as a list (tests and notebooks)."""
    return list(events)


__all__ = ["ROLES", "collect", "load_backends", "run"]
