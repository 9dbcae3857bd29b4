"""The ``codebegen`` command (CONTRACT §1). The one place an EngineError becomes a line + exit code.

It reads the environment (CODEBEGEN_HOME, CODEBEGEN_POSTGRES_URL) and passes plain values to
the engine, which reads none itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from engine import templates
from engine.errors import EngineError, VerificationError

EXIT_ERROR = 1
EXIT_USAGE = 2


def _home() -> Path:
    return Path(os.environ.get("CODEBEGEN_HOME", Path.home() / ".cache" / "codebegen")).expanduser()


def _runtime_cache() -> Path:
    return _home() / "runtimes"


def _postgres_url(args: argparse.Namespace) -> str | None:
    return getattr(args, "postgres_url", None) or os.environ.get("CODEBEGEN_POSTGRES_URL") or None


def cmd_generate(args: argparse.Namespace) -> int:
    from engine.generate import generate_project
    from engine.spec import load_spec

    if not args.spec:
        if args.prompt:
            raise EngineError(
                "generating from a prompt needs the pipeline, which is not built yet",
                hint="write a ProjectSpec JSON file and run: codebegen generate --spec FILE -o DIR",
            )
        raise EngineError("nothing to generate", hint="give a PROMPT or --spec FILE, and -o DIR")
    spec = load_spec(args.spec)
    print(f"generating {spec.name!r} with {args.template} into {args.output} ...", file=sys.stderr)
    result = generate_project(
        spec,
        args.output,
        template=args.template,
        force=args.force,
        run_gate=not args.no_verify,
        cache_dir=_runtime_cache(),
        postgres_url=_postgres_url(args),
    )
    if result.report is not None:
        print(result.report.summary())
    print(f"wrote {len(result.files)} files to {result.out_dir}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from engine.verify import verify

    project = Path(args.dir)
    if not (project / "codebegen.json").is_file():
        raise EngineError(
            f"{project} is not a codebegen project (no codebegen.json)", hint="point at a generated project"
        )
    report = verify(project, cache_dir=_runtime_cache(), postgres_url=_postgres_url(args))
    report.write(project)
    print(report.to_json() if args.json else report.summary())
    return 0 if report.passed else EXIT_ERROR


def cmd_studio(args: argparse.Namespace) -> int:
    from studio.app import launch

    launch(host=args.host, port=args.port)
    return 0


def cmd_not_built(args: argparse.Namespace) -> int:
    raise EngineError(
        f"'codebegen {args.command}' needs the model pipeline, which is not built yet",
        hint="use 'codebegen generate --spec FILE -o DIR' and 'codebegen verify DIR' for now",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codebegen", description="Describe a backend, get a verified FastAPI project."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="generate a verified project from a prompt or a spec file")
    p.add_argument("prompt", nargs="?", help="a plain-English description of the backend")
    p.add_argument("--spec", help="a ProjectSpec JSON file (skips the parse stage)")
    p.add_argument("-o", "--output", required=True, help="output directory (must be empty or new)")
    p.add_argument("--template", default=templates.DEFAULT_TEMPLATE, help="fastapi_sqlalchemy (default), ...")
    p.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    p.add_argument("--no-verify", action="store_true", help="skip the verification gate (not recommended)")
    p.add_argument("--postgres-url", help="also verify against this PostgreSQL server")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("verify", help="run the verification gate on a generated project")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="print the trust report as JSON")
    p.add_argument("--postgres-url", help="also run the checks against this PostgreSQL server")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("spec", help="turn a prompt into a ProjectSpec (parse stage)")
    p.add_argument("prompt")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_not_built)

    p = sub.add_parser("eval", help="score the parse stage on a gold set")
    p.add_argument("--set", required=True, dest="gold")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_not_built)

    p = sub.add_parser("studio", help="serve the studio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_studio)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except VerificationError as exc:
        if exc.report is not None:
            print(exc.report.summary(), file=sys.stderr)
        print(f"codebegen: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except EngineError as exc:
        print(f"codebegen: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("codebegen: interrupted; nothing was written to the output directory", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
