"""The ``codebegen train`` / ``python -m codebegen.training`` command: arguments to a TrainConfig.

Owns the command line of training only; the loop is ``codebegen.training.trainer``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from codebegen.training.datasets import ROLES
from codebegen.training.trainer import TrainConfig

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the shipped adapters lie in its adapters/


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    p.add_argument("--role", choices=ROLES, default="parser")
    p.add_argument("--examples", type=int, default=None, help="generated training examples (per-role default)")
    p.add_argument("--data", dest="data_file", help="train on this JSONL instead of generated data")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--rank", type=int, default=d.rank)
    p.add_argument("--alpha", type=int, default=d.alpha)
    p.add_argument("--first-layer", type=int, default=d.first_layer, help="LoRA on this layer and above (0..29)")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--accumulate", type=int, default=d.accumulate, help="examples per optimizer step")
    p.add_argument("--max-steps", type=int, default=None, help="stop and save after this many optimizer steps")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in fp32 (slower)")
    p.add_argument("-o", "--output", help="adapter directory (default: the shipped codebegen/adapters/<role>)")
    p.add_argument("--plot", help="loss curve PNG (default: loss.png in the adapter directory)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in the output directory")


DEFAULT_EXAMPLES = {"parser": 400, "generator": 120, "reviewer": 100, "docs": 100}


def run(args: argparse.Namespace) -> int:
    from codebegen.training.trainer import train

    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    values.setdefault("examples", DEFAULT_EXAMPLES[args.role])
    cfg = TrainConfig(**values)
    out = Path(args.output) if args.output else PACKAGE_ROOT / "adapters" / args.role
    plot = Path(args.plot) if args.plot else out / "loss.png"
    summary = train(cfg, out, resume=args.resume, plot=plot)
    brief = {k: summary[k] for k in ("examples", "optimizer_steps", "train_seconds", "final_loss")}
    print(json.dumps({"adapter": str(out), "plot": str(plot), **brief}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from codebegen.errors import EngineError

    p = argparse.ArgumentParser(prog="python -m codebegen.training", description="train a LoRA adapter for a role")
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run(args)
    except EngineError as exc:
        print(f"codebegen: error: {exc}", file=sys.stderr)
        return 1
