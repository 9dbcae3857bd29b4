"""Benchmark: the sandboxed checks per dev-set project: sandbox start to first answer, the
exploit pack and schemathesis, with the runtime environment warm.

Renders every spec of the public dev set (bench/dev_specs.jsonl; with login, the first entity
is marked owned so the IDOR attacks have rows to go after), runs the whole gate (``verify``,
SQLite; ``--live-only``: only the ``boot`` and ``exploits`` groups), and prints one row per
project (and a JSON line with ``--json``): the sandbox's start to the first answer, the exploit
pack, schemathesis (it starts beside the pack and waits for it), the one sandboxed server's
whole run, and the gate's total.

    python -m benchmarks.attack [--only ID] [--live-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

from codebegen.gate import exploits, live_checks
from codebegen.gate.verify import verify
from codebegen.templates import render_project
from tests.helpers.devset import gold_to_spec, load_gold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="a dev-set id (repeatable)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--live-only", action="store_true", help="only the boot and exploits groups")
    args = parser.parse_args()
    cache = Path(os.environ.get("CODEBEGEN_TEST_RUNTIMES", Path.home() / ".cache" / "codebegen-tests" / "runtimes"))
    print(f"# {platform.processor() or platform.machine()}, load average {os.getloadavg()[0]:.1f}")
    print(
        "| project | sandbox start to first answer | exploit pack | schemathesis (cases) | sandboxed server, "
        "whole run | gate total | findings |"
    )
    print("|---|---|---|---|---|---|---|")
    rows = []
    for gold in load_gold():
        if args.only and gold["id"] not in args.only:
            continue
        owned = (next(iter(gold["entities"])),) if gold["auth"] else ()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / gold["id"]
            render_project(gold_to_spec(gold, owned=owned), "fastapi_sqlalchemy", out)
            report = verify(out, cache_dir=cache, select=["boot", "exploits"] if args.live_only else None)
        boot = report.check("boot")
        pack = sum(report.check(n).duration_s for n in exploits.NAMES)
        st = report.check(live_checks.SCHEMATHESIS)
        failed = [f"{c.name}: {c.detail[:120]}" for c in report.failed]
        row = {"id": gold["id"], "startup_s": boot.metrics.get("startup_s"), "exploits_s": round(pack, 2),
               "schemathesis_s": st.duration_s, "cases": int(st.metrics.get("cases", 0)), "failed": failed,
               "live_s": boot.metrics.get("live_s"), "total_s": report.duration_s,
               "load": round(os.getloadavg()[0], 1)}  # fmt: skip
        rows.append(row)
        print(f"| {gold['id']} | {row['startup_s']} | {row['exploits_s']} | {row['schemathesis_s']} ({row['cases']}) "
              f"| {row['live_s']} | {row['total_s']} | {'; '.join(failed) or 'none'} |", flush=True)  # fmt: skip
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
