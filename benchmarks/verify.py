"""Benchmark: wall time of the verification gate per project, with the runtime environment warm.

Renders a few specs with the flagship template (or, without it, uses the gate's fixture
project), warms the runtime environment once, then times ``verify`` on each project and prints
a table with the slowest checks. Floor: under 20 s per project.

    python -m benchmarks.verify [--postgres-url URL] [--runs N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from codebegen.gate.verify import verify
from codebegen.spec import parse_spec
from codebegen.templates import TEMPLATES_ROOT, render_project

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "verify_project"
FLOOR_S = 20.0


def _field(name: str, type_: str, **extra: object) -> dict[str, object]:
    return {"name": name, "type": type_, **extra}


SPECS: dict[str, dict[str, object]] = {
    "notes (1 entity, no auth)": {
        "name": "notes", "description": "Notes", "auth": False,
        "entities": [{"name": "Note", "fields": [_field("title", "str"), _field("body", "text")]}],
        "relationships": [],
    },
    "library (2 entities, auth, owned)": {
        "name": "library", "description": "Lending library", "auth": True,
        "entities": [
            {"name": "Book", "fields": [_field("title", "str"), _field("status", "enum", values=["available", "lent"])]},
            {"name": "Loan", "owned": True, "fields": [_field("due", "date")]},
        ],
        "relationships": [{"source": "Loan", "target": "Book", "kind": "many_to_one", "required": True}],
    },
    "blog (3 entities, auth, m2m)": {
        "name": "blog", "description": "Blog", "auth": True,
        "entities": [
            {"name": "Post", "fields": [_field("title", "str"), _field("body", "text"), _field("published", "bool")]},
            {"name": "Comment", "fields": [_field("text", "text")]},
            {"name": "Tag", "fields": [_field("name", "str", unique=True)]},
        ],
        "relationships": [
            {"source": "Comment", "target": "Post", "kind": "many_to_one", "required": True},
            {"source": "Post", "target": "Tag", "kind": "many_to_many"},
        ],
    },
}  # fmt: skip
ALL_FEATURES = ROOT / "tests" / "fixtures" / "all_features.json"


def projects(workdir: Path) -> list[tuple[str, Path]]:
    """The projects to time: rendered from SPECS by the flagship template, else the fixture project."""
    if not (TEMPLATES_ROOT / "fastapi_sqlalchemy" / "template.yaml").is_file():
        dest = workdir / "fixture"
        shutil.copytree(FIXTURE, dest)
        return [("fixture project (template missing)", dest)]
    specs = dict(SPECS)
    if ALL_FEATURES.is_file():
        specs["all_features (5 entities, every type)"] = json.loads(ALL_FEATURES.read_text())
    out = []
    for label, data in specs.items():
        dest = workdir / str(data["name"]) / label.split(" ")[0]
        render_project(parse_spec(data), "fastapi_sqlalchemy", dest)
        out.append((label, dest))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", help="also run the PostgreSQL checks on this server")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per project (median reported)")
    parser.add_argument("--workers", type=int, default=2, help="subprocess checks run at once")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "codebegen-tests" / "runtimes")
    args = parser.parse_args(argv)

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(
        f"date: {time.strftime('%Y-%m-%d')}, postgres: {'yes' if args.postgres_url else 'no'}, workers: {args.workers}"
    )
    failures = 0
    with tempfile.TemporaryDirectory(prefix="codebegen-bench-") as tmp:
        items = projects(Path(tmp))
        warm_start = time.perf_counter()
        verify(items[0][1], cache_dir=args.cache_dir, select=["pytest"])  # builds or reuses the runtime env
        print(f"runtime environment warm-up: {time.perf_counter() - warm_start:.1f} s\n")
        header = f"{'project':<40} {'median s':>8} {'min s':>6}  {'result':<8} slowest checks"
        print(header)
        print("-" * len(header))
        for label, path in items:
            times, report = [], None
            for _ in range(args.runs):
                report = verify(path, cache_dir=args.cache_dir, postgres_url=args.postgres_url, workers=args.workers)
                times.append(report.duration_s)
            assert report is not None
            slow = sorted((c for c in report.checks if c.status != "skip"), key=lambda c: -c.duration_s)[:3]
            slowest = ", ".join(f"{c.name} {c.duration_s:.1f}" for c in slow)
            verdict = "passed" if report.passed else "FAILED"
            failures += not report.passed or statistics.median(times) > FLOOR_S
            print(f"{label:<40} {statistics.median(times):>8.1f} {min(times):>6.1f}  {verdict:<8} {slowest}")
            if not report.passed:
                print(report.summary())
    print(f"\nfloor: under {FLOOR_S:.0f} s per project -> {'met' if not failures else 'NOT met'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
