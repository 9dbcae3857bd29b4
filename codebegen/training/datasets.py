"""Training pairs for each role: (chat messages, target text), in the exact format the stages send.

Owns turning generated data into what a role sees at inference: the parser's messages come
from ``codebegen.prompts.messages("parse", prompt=...)`` and its target is the compact JSON the
decoding constraint allows; the other roles' from their own prompt files (``rules``,
``review``, ``docs``) filled in by ``codebegen.training.roledata``. A JSONL file of
``{"messages": [...], "target": "..."}`` (or ``{"prompt": ..., "spec": {...}}`` for the parser)
replaces the generated data, for users retraining on their own examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codebegen.errors import EngineError
from codebegen.prompts import messages

ROLES = ("parser", "generator", "reviewer", "docs")
Pair = tuple[list[dict[str, str]], str]


def parser_pairs(seed: int, n: int) -> list[Pair]:
    from codebegen.training.specdata import generate, target_json

    return [(messages("parse", prompt=ex.prompt), target_json(ex.spec)) for ex in generate(seed, n)]


def examples_for(role: str, seed: int, n: int, *, data_file: str | Path | None = None) -> list[Pair]:
    """``n`` training pairs for ``role`` (all of ``data_file`` when one is given)."""
    if role not in ROLES:
        raise EngineError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")
    if data_file:
        return read_pairs(role, data_file)
    if role == "parser":
        return parser_pairs(seed, n)
    from codebegen.training import roledata

    return roledata.pairs(role, seed, n)


def read_pairs(role: str, path: str | Path) -> list[Pair]:
    """Pairs from a JSONL file; parser rows may give ``prompt`` + ``spec`` instead of messages."""
    from codebegen.training.specdata import target_json

    out: list[Pair] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EngineError(f"cannot read {path}: {exc.strerror}", hint="pass --data FILE.jsonl") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EngineError(f"{path}, line {number}: not JSON ({exc.msg})") from None
        if "messages" in row and "target" in row:
            out.append((row["messages"], row["target"]))
        elif role == "parser" and "prompt" in row and "spec" in row:
            out.append((messages("parse", prompt=row["prompt"]), target_json(_spec_shape(row["spec"]))))
        else:
            raise EngineError(
                f"{path}, line {number}: expected messages+target (or prompt+spec for the parser)",
                hint="see README 'Retraining an adapter'",
            )
    if not out:
        raise EngineError(f"{path} holds no training rows")
    return out


def _spec_shape(spec: dict[str, Any]) -> dict[str, Any]:
    """A user's ProjectSpec in the decoding schema's shape and key order (validated first)."""
    from codebegen.spec import parse_spec

    s = parse_spec(spec)
    return {
        "name": s.name,
        "description": s.description[:200],
        "auth": s.auth,
        "entities": [{"name": e.name, "owned": e.owned,
                      "fields": [{"name": f.name, "type": f.type, "required": f.required, "unique": f.unique,
                                  "values": f.values} for f in e.fields]} for e in s.entities],
        "relationships": [{"source": r.source, "target": r.target, "kind": r.kind} for r in s.relationships],
    }  # fmt: skip
