"""Per-stage and end-to-end time of dev-set prompts with a model profile (floor: under 120 s).

    .venv/bin/python -m benchmarks.pipeline [--profile default] [--cases d01-blog,d03-tasks] [--json]

Loads the profile once (reported apart as "load"), then runs each prompt through the whole
pipeline into a temp dir. Peak memory: the resident set of this process (models included) and,
separately, of the largest child process (the gate's pytest/uvicorn runs).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from codebegen import events as ev
from codebegen.pipeline import load_backends, run
from codebegen.stages.parse import check_prompt
from tests.helpers.devset import load_gold

STAGES = ("parse", "generate", "verify", "review", "docs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="default")
    parser.add_argument("--cases", default="d01-blog,d03-tasks,d06-habits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = args.cases.split(",")
    gold = [g for g in load_gold() if g["id"] in wanted]
    start = time.perf_counter()
    backends = load_backends(args.profile)
    load_s = time.perf_counter() - start
    rows = []
    for g in gold:
        out = Path(tempfile.mkdtemp(prefix="bench-pipeline-")) / g["id"]
        check_prompt(g["prompt"])
        begun = time.perf_counter()
        timings: dict[str, float] = {}
        tokens = 0
        done = None
        for event in run(g["prompt"], profile=args.profile, out_dir=out, backends=backends):
            if isinstance(event, ev.StageFinished):
                timings[event.stage] = event.seconds
                tokens += event.tokens_out
            elif isinstance(event, ev.Done):
                done = event
        total = time.perf_counter() - begun
        rows.append({"case": g["id"], "ok": bool(done and done.ok), "total_s": round(total, 1), "tokens_out": tokens,
                     **{s: round(timings.get(s, 0.0), 1) for s in STAGES}})  # fmt: skip
        shutil.rmtree(out.parent, ignore_errors=True)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"profile": args.profile, "load_s": round(load_s, 1), "cases": rows,
              "peak_rss_mib": round(peak_self), "peak_child_rss_mib": round(peak_child),
              "machine": f"{platform.machine()} Python {platform.python_version()}"}  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"profile {args.profile}: load {load_s:.1f} s, peak RSS {peak_self:.0f} MiB (largest child {peak_child:.0f} MiB)"
    )
    print("| case | ok | " + " | ".join(STAGES) + " | total s | tokens out |")
    print("|---|---|" + "---|" * len(STAGES) + "---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['ok']} | "
            + " | ".join(str(r[s]) for s in STAGES)
            + f" | {r['total_s']} | {r['tokens_out']} |"
        )


if __name__ == "__main__":
    main()
