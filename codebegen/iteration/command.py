"""``codebegen iterate DIR "CHANGE"`` / ``codebegen iterate DIR --spec NEW.json`` (docs/iteration.md).

Owns the command's arguments and its conversation: the spec diff is printed before anything
is written, then the user is asked (``--yes`` skips the question; with no terminal and no
``--yes`` the command refuses rather than guess). The iteration itself is
``codebegen.iteration.iterate``; the CLI passes the environment's values in.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from codebegen.errors import EngineError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="a project made by codebegen generate")
    p.add_argument("change", nargs="?", help='the change in words, e.g. "add a due date to tasks"')
    p.add_argument("--spec", help="the new version as a ProjectSpec JSON file (instead of words)")
    p.add_argument("--rename", action="append", default=[], metavar="ENTITY.OLD=NEW",
                   help="with --spec: a field renamed (its column and values are kept), e.g. Task.notes=description")  # fmt: skip
    p.add_argument("--yes", "-y", action="store_true", help="apply the spec diff without asking")
    p.add_argument("--no-models", action="store_true", help="read the change without a model (the common forms)")
    p.add_argument("--conflicts", choices=("stop", "markers"), default="stop",
                   help="on a conflict: stop and list the hunks (default), or write conflict markers into the files")  # fmt: skip
    p.add_argument("--profile", default="default")
    p.add_argument("--postgres-url", help="also verify (and check the data migration) on this PostgreSQL server")


def _confirm(args: argparse.Namespace) -> Any:
    def confirm(diff: Any) -> bool:
        print("The spec changes:", file=sys.stderr)
        for line in diff.lines():
            print(f"  {line}", file=sys.stderr)
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise EngineError("not applied: no terminal to confirm the spec diff on", hint="pass --yes to apply it")
        answer = input("Apply this change? [y/N] ").strip().lower()
        return answer in ("y", "yes")

    return confirm


def run(args: argparse.Namespace, *, cache_dir: Any, postgres_url: str | None, follow: Any) -> int:
    """``follow`` is the CLI's: it shows the events and turns the result into the exit code."""
    from codebegen import events as ev
    from codebegen.iteration.iterate import iterate
    from codebegen.spec import load_spec

    if bool(args.spec) == bool(args.change):
        raise EngineError("give a CHANGE in words or --spec NEW.json (one of them)")
    if args.rename and not args.spec:
        raise EngineError("--rename goes with --spec", hint="in words, say 'rename notes to description'")
    renames = {}
    for item in args.rename:
        key, sep, new = item.partition("=")
        if not sep or "." not in key or not new:
            raise EngineError(f"--rename {item!r}: expected ENTITY.OLD=NEW, e.g. Task.notes=description")
        renames[key] = new
    spec = load_spec(args.spec) if args.spec else None

    def merge_hint(event: ev.Event) -> None:
        if isinstance(event, ev.Finding) and event.source == "merge" and event.hint:
            print(event.hint, file=sys.stderr)

    events = iterate(args.dir, args.change, spec=spec, renames=renames, profile=args.profile,
                     no_models=args.no_models, confirm=_confirm(args), conflicts=args.conflicts,
                     cache_dir=cache_dir, postgres_url=postgres_url)  # fmt: skip
    return follow(events, merge_hint)
