"""Measuring an adapter: each role's check on held-out generated cases, with and without it.

Owns ``python -m codebegen.training.scoring``: for the parser it writes a held-out gold set
(domains training never sees, in the dev-set format) for ``codebegen eval --set``; for the
other roles it asks the role's backend exactly as its stage does (same prompt file, same
``max_tokens``) and counts the replies that pass ``roledata.CHECKS`` (a rule body that compiles
and behaves, a review naming the score and what to fix, a paragraph naming every entity).
Seeds here differ from the training seeds, so no case was trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EVAL_SEED = 90210  # training uses TrainConfig.seed (1234): these cases are new
MAX_TOKENS = {"generator": 300, "reviewer": 160, "docs": 160}


def write_parser_heldout(path: str | Path, n: int = 20, seed: int = EVAL_SEED) -> Path:
    from codebegen.training.specdata import generate

    path = Path(path)
    rows = [ex.gold_row(f"h{i:02d}-{ex.spec['name']}") for i, ex in enumerate(generate(seed, n, held_out=True))]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def role_pass_rate(role: str, backend: Any, n: int = 12, seed: int = EVAL_SEED) -> dict[str, Any]:
    from codebegen.training import roledata

    cases = roledata.CASES[role](seed, n)
    passed, seconds, adapter = 0, 0.0, None
    for case in cases:
        start = time.perf_counter()
        reply = backend.complete(case["messages"], max_tokens=MAX_TOKENS[role])
        seconds += time.perf_counter() - start
        adapter = reply.adapter
        passed += bool(roledata.CHECKS[role](case, reply.text))
    return {"role": role, "adapter": adapter, "cases": n, "passed": passed, "pass_rate": round(passed / n, 3),
            "seconds_per_case": round(seconds / n, 2)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m codebegen.training.scoring")
    p.add_argument("--role", choices=["parser", "generator", "reviewer", "docs"], required=True)
    p.add_argument("--n", type=int, default=12)
    p.add_argument("--bare", action="store_true", help="the base model without the role's adapter")
    p.add_argument("--write-heldout", help="parser: write the held-out gold set to this JSONL and stop")
    args = p.parse_args(argv)
    if args.role == "parser":
        if not args.write_heldout:
            p.error("for the parser, write the held-out set and score it with `codebegen eval --set FILE`")
        print(write_parser_heldout(args.write_heldout, args.n))
        return 0
    from codebegen.models import load_profile

    overrides: dict[str, dict[str, Any]] = {args.role: {"adapter": None}} if args.bare else {}
    backend = load_profile("default", overrides).backend(args.role)
    print(json.dumps(role_pass_rate(args.role, backend, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
