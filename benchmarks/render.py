"""Render time of a 12-entity spec with the flagship template (floor: under 100 ms).

Reports the pure render (Jinja -> files; the first one in a process also compiles the
templates, so it is reported apart as "cold") and, separately, the ruff pass that codebegen runs
after it (import sorting + formatting, two subprocesses). Median of several runs, warm.

    .venv/bin/python -m benchmarks.render
"""

from __future__ import annotations

import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from codebegen.spec import ProjectSpec, parse_spec
from codebegen.templates import format_python, load_template, render

TYPES = ["str", "text", "int", "float", "decimal", "bool", "date", "datetime", "email", "url", "uuid", "json"]


def twelve_entity_spec() -> ProjectSpec:
    entities = []
    for i in range(12):
        fields = [{"name": f"{t}_value", "type": t, "required": j % 3 != 0} for j, t in enumerate(TYPES)]
        fields.append({"name": "state", "type": "enum", "values": ["new", "active", "closed"]})
        fields.append({"name": "code", "type": "str", "unique": True})
        entities.append({"name": f"Entity{chr(65 + i)}", "owned": i % 2 == 0, "fields": fields})
    rels = [
        {
            "source": f"Entity{chr(66 + i)}",
            "target": f"Entity{chr(65 + i)}",
            "kind": "many_to_one",
            "required": i % 2 == 0,
        }
        for i in range(11)
    ]
    rels += [
        {"source": f"Entity{chr(65 + i)}", "target": f"Entity{chr(70 + i)}", "kind": "many_to_many"} for i in range(4)
    ]
    return parse_spec({"name": "bench", "auth": True, "entities": entities, "relationships": rels})


def main(runs: int = 15) -> dict[str, float]:
    spec = twelve_entity_spec()
    template = load_template("fastapi_sqlalchemy")
    out = Path(tempfile.mkdtemp(prefix="bench-render-"))
    start = time.perf_counter()
    render(spec, template, out)  # the first render in a process compiles the Jinja templates
    cold = time.perf_counter() - start
    shutil.rmtree(out)
    render_times, format_times, files = [], [], 0
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="bench-render-"))
        start = time.perf_counter()
        files = len(render(spec, template, out))
        render_times.append(time.perf_counter() - start)
        format_times.append(format_python(out))
        shutil.rmtree(out)
    result = {
        "entities": len(spec.entities),
        "files": files,
        "render_ms_cold": round(cold * 1000, 1),
        "render_ms_median": round(statistics.median(render_times) * 1000, 1),
        "render_ms_min": round(min(render_times) * 1000, 1),
        "format_ms_median": round(statistics.median(format_times) * 1000, 1),
    }
    print(f"machine: {platform.machine()} {platform.python_version()}, runs: {runs}")
    for key, value in result.items():
        print(f"{key:20s} {value}")
    return result


if __name__ == "__main__":
    main()
