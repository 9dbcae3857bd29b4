"""Benchmark: wall time of one iteration (a change in words, and a new spec) on dev-set projects.

For each of the first N dev-set specs (``tests/helpers/devset.py``): generate the project (gate on),
then iterate it twice: in words ("add a priority (low, normal, high) to <plural>; <plural> can
have many badges", read without a model) and by a new spec (a field renamed, given as a
rename, plus an optional field). Prints each iteration's phases (parse, generate = render +
three-way merge + the new Alembic revision, verify = the gate with the data-migration check)
with the runtime environment warm.

    python -m benchmarks.iterate [--projects N] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path

from codebegen import events as ev
from codebegen import names
from codebegen.generate import DEFAULT_RUNTIME_CACHE, generate_project
from codebegen.iteration.iterate import iterate
from codebegen.spec import parse_spec
from tests.helpers.devset import dev_specs


def _timed(events: list[object]) -> dict[str, float]:
    done = events[-1]
    assert isinstance(done, ev.Done), done
    if not done.ok:
        raise SystemExit(f"iteration failed: {done.summary}")
    return {k: round(v, 1) for k, v in done.timings.items()}


def cell(t: dict[str, float]) -> str:
    return " / ".join(f"{t.get(k, 0):.1f}" for k in ("parse", "generate", "verify", "total"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    cache = DEFAULT_RUNTIME_CACHE
    rows = []
    for project_id, spec in list(dev_specs().items())[: args.projects]:
        with tempfile.TemporaryDirectory(prefix="codebegen-bench-iterate-") as tmp:
            out = Path(tmp) / spec.name
            generate_project(spec, out, cache_dir=cache, postgres_url=args.postgres_url)
            first = spec.entities[0]
            plural = names.snake(names.plural(first.name)).replace("_", " ")
            change = f"add a priority (low, normal, high) to {plural}; {plural} can have many badges"
            words = _timed(list(iterate(out, change, no_models=True, cache_dir=cache.parent,
                                        postgres_url=args.postgres_url)))  # fmt: skip
            data = json.loads((out / "codebegen.json").read_text())
            entity = next(e for e in data["entities"] if e["name"] == first.name)
            old_field = entity["fields"][0]["name"]
            entity["fields"][0]["name"] = f"{old_field}_v2"
            entity["fields"].append({"name": "archived_note", "type": "text", "required": False})
            new = parse_spec(data)
            by_spec = _timed(list(iterate(out, spec=new, renames={f"{first.name}.{old_field}": f"{old_field}_v2"},
                                          cache_dir=cache.parent, postgres_url=args.postgres_url)))  # fmt: skip
            rows.append((project_id, len(spec.entities), words, by_spec))
    print(
        f"# iterate ({platform.machine()}, {platform.python_version()}, postgres={'yes' if args.postgres_url else 'no'})"
    )
    print(
        "| project | entities | words: parse / generate / verify / total (s) | spec: parse / generate / verify / total (s) |"
    )
    print("|---|---|---|---|")
    for project_id, n, words, by_spec in rows:
        print(f"| {project_id} | {n} | {cell(words)} | {cell(by_spec)} |")


if __name__ == "__main__":
    main()
