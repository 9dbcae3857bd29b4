"""The ``codebegen`` command (docs/cli.md). The one place an EngineError becomes a line + exit code.

It reads the environment (CODEBEGEN_HOME, CODEBEGEN_POSTGRES_URL, GITHUB_TOKEN, CODEBEGEN_GITHUB_API_URL) and passes plain values to
the engine, which reads none itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codebegen import templates
from codebegen.errors import EngineError, VerificationError

EXIT_ERROR = 1
EXIT_USAGE = 2


def _home() -> Path:
    return Path(os.environ.get("CODEBEGEN_HOME", Path.home() / ".cache" / "codebegen")).expanduser()


def _runtime_cache() -> Path:
    return _home() / "runtimes"


def _postgres_url(args: argparse.Namespace) -> str | None:
    return getattr(args, "postgres_url", None) or os.environ.get("CODEBEGEN_POSTGRES_URL") or None


class Progress:
    """Live stage lines on stderr: one line per stage, a token counter while a model writes."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.tokens = 0

    def __call__(self, event: Any) -> None:
        from codebegen import events as ev

        out = self.stream
        if isinstance(event, ev.StageStarted):
            self.tokens = 0
            out.write(f"▶ {event.stage}{f' ({event.detail})' if event.detail else ''}\n")
        elif isinstance(event, ev.TokenDelta):
            self.tokens += 1
            if self.live:
                out.write(f"\r  {event.stage}: {self.tokens} tokens…")
        elif isinstance(event, ev.StageFinished):
            model = f" · {event.model}{f' + {event.adapter}' if event.adapter else ''}" if event.model else ""
            tokens = f" · {event.tokens_in}→{event.tokens_out} tokens" if event.tokens_out else ""
            line = f"✓ {event.stage} {event.seconds:.1f} s{tokens}{model}"
            out.write(f"\r{line}\x1b[K\n" if self.live else f"{line}\n")
        elif isinstance(event, ev.Warning):
            out.write(f"  ! {event.message}\n")
        elif isinstance(event, ev.Coverage):
            out.write(
                "".join(f"  {line}\n" for line in [event.report.headline(), *(i.line() for i in event.report.missing)])
            )
        elif isinstance(event, ev.Finding) and event.severity == "error":
            out.write(f"  ✗ {event.file or event.source}: {event.message}\n")
        elif isinstance(event, ev.Failure):
            out.write(f"✗ {event.stage}: {event.message}\n")
        out.flush()


def _run_pipeline(args: argparse.Namespace, **kwargs: Any) -> int:
    from codebegen.pipeline import run

    return follow(
        run(template=args.template, profile=args.profile, cache_dir=_home(), postgres_url=_postgres_url(args), **kwargs)
    )


def follow(events: Any, on_event: Any = None) -> int:
    """Show a run's events (and pass each to ``on_event``), then its result: 0 if it passed, else EngineError."""
    from codebegen import events as ev

    progress = Progress()
    done = None
    for event in events:
        progress(event)
        if on_event is not None:
            on_event(event)
        if isinstance(event, ev.Done):
            done = event
    assert done is not None
    if done.report is not None:
        print(done.report.summary())
    if not done.ok:
        raise EngineError(done.summary)
    print(done.summary)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from codebegen.spec import load_spec

    if args.spec and args.prompt:
        raise EngineError("give a PROMPT or --spec FILE, not both")
    if not args.spec and not args.prompt:
        raise EngineError("nothing to generate", hint="give a PROMPT or --spec FILE, and -o DIR")
    if args.spec and args.no_models:
        from codebegen.generate import generate_project

        spec = load_spec(args.spec)
        print(f"generating {spec.name!r} with {args.template} into {args.output} ...", file=sys.stderr)
        result = generate_project(
            spec, args.output, template=args.template, force=args.force, cache_dir=_runtime_cache(),
            postgres_url=_postgres_url(args),
        )  # fmt: skip
        if result.report is not None:
            print(result.report.summary())
        print(f"wrote {len(result.files)} files to {result.out_dir}")
        return 0
    spec = load_spec(args.spec) if args.spec else None
    return _run_pipeline(args, prompt=args.prompt, spec=spec, out_dir=args.output, force=args.force)


def cmd_spec(args: argparse.Namespace) -> int:
    from codebegen import events as ev
    from codebegen.pipeline import load_backends
    from codebegen.stages.parse import parse_stage

    parser = load_backends(args.profile)["parser"]
    progress = Progress()
    spec = None
    for event in parse_stage(args.prompt, parser):
        progress(event)
        if isinstance(event, ev.SpecArtifact):
            spec = event.spec
    assert spec is not None
    print(spec.model_dump_json(indent=None if args.json else 2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from codebegen.evaluation import evaluate
    from codebegen.pipeline import load_backends

    overrides = {"parser": {"adapter": None}} if args.bare else None
    parser = load_backends(args.profile, overrides)["parser"]

    def show(case: Any) -> None:
        status = "ok" if case.spec else f"error: {case.error}"
        print(f"{case.id:24s} {case.seconds:5.1f} s  {status}", file=sys.stderr)

    scores, _ = evaluate(args.gold, parser, on_case=show)
    if args.json:
        print(json.dumps(scores))
    else:
        for key, value in scores.items():
            print(f"{key:10s} {value}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from codebegen.gate.verify import verify

    project = Path(args.dir)
    if not (project / "codebegen.json").is_file():
        raise EngineError(
            f"{project} is not a codebegen project (no codebegen.json)", hint="point at a generated project"
        )
    report = verify(project, cache_dir=_runtime_cache(), postgres_url=_postgres_url(args))
    report.write(project)
    print(report.to_json() if args.json else report.summary())
    return 0 if report.passed else EXIT_ERROR


def cmd_preview(args: argparse.Namespace) -> int:
    from codebegen.preview import start_preview

    preview = start_preview(Path(args.dir), cache_dir=_runtime_cache(), port=args.port)
    print(f"preview of {args.dir} at {preview.url}/docs (sandboxed; Ctrl-C stops it)", flush=True)
    try:
        for line in preview.follow_log():
            print(line, flush=True)
    finally:
        preview.stop()
    return 0 if preview.box.stopped_because in ("", "stopped") else EXIT_ERROR


def cmd_iterate(args: argparse.Namespace) -> int:
    from codebegen.iteration.command import run

    return run(args, cache_dir=_home(), postgres_url=_postgres_url(args), follow=follow)


def cmd_train(args: argparse.Namespace) -> int:
    from codebegen.training.command import run

    return run(args)


def cmd_export(args: argparse.Namespace) -> int:
    from codebegen.export.command import run

    args.github_token = args.github_token or os.environ.get("GITHUB_TOKEN")
    args.github_api_url = args.github_api_url or os.environ.get("CODEBEGEN_GITHUB_API_URL")
    return run(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from codebegen.doctor import run_checks

    data_dir = Path(os.environ.get("CODEBEGEN_STUDIO_DATA_DIR", _home() / "studio")).expanduser()
    failed = []
    for check in run_checks(cache_dir=_home(), data_dir=data_dir, profile=args.profile, decode=not args.no_decode):
        print(check.line(), flush=True)
        if not check.ok and check.required:
            failed.append(check.name)
    if failed:
        raise EngineError(
            f"{len(failed)} required check(s) failed: {', '.join(failed)}", hint="do what each ✗ line says"
        )
    print("codebegen doctor: every required check passed")
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401  (the studio's one heavy dependency, from the studio extra)
    except ImportError as exc:
        raise EngineError(
            f"the studio needs its extra dependencies ({exc.name} is not installed)",
            hint="pip install 'codebegen[studio]' (or `make studio` in a checkout)",
        ) from exc
    from codebegen.studio.app import launch

    launch(host=args.host, port=args.port)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from codebegen.studio.keys import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codebegen", description="Describe a backend, get a verified FastAPI project."
    )
    parser.add_argument("--version", action="version", version=f"codebegen {templates.codebegen_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="generate a verified project from a prompt or a spec file")
    p.add_argument("prompt", nargs="?", help="a plain-English description of the backend")
    p.add_argument("--spec", help="a ProjectSpec JSON file (skips the parse stage)")
    p.add_argument("-o", "--output", required=True, help="output directory (must be empty or new)")
    p.add_argument("--template", default=templates.DEFAULT_TEMPLATE, help="fastapi_sqlalchemy (default), ...")
    p.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    p.add_argument("--profile", default="default", help="model profile: default, gpu, remote, fake, or a profile file")
    p.add_argument(
        "--no-models", action="store_true", help="with --spec: render and verify only (no review or docs models)"
    )
    p.add_argument("--postgres-url", help="also verify against this PostgreSQL server")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("verify", help="run the verification gate on a generated project")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="print the trust report as JSON")
    p.add_argument("--postgres-url", help="also run the checks against this PostgreSQL server")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("preview", help="serve a generated project from the sandbox on 127.0.0.1")
    p.add_argument("dir")
    p.add_argument("--port", type=int, default=0, help="local port of the proxy (default: a free one, printed)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("spec", help="turn a prompt into a ProjectSpec (parse stage)")
    p.add_argument("prompt")
    p.add_argument("--json", action="store_true", help="one line of JSON")
    p.add_argument("--profile", default="default")
    p.set_defaults(func=cmd_spec)

    p = sub.add_parser("eval", help="score the parse stage on a gold set")
    p.add_argument("--set", required=True, dest="gold", help="a JSONL gold set like bench/dev_specs.jsonl")
    p.add_argument("--json", action="store_true", help="end with one JSON object of the metrics")
    p.add_argument("--profile", default="default")
    p.add_argument("--bare", action="store_true", help="the parser without its adapter (the before of before/after)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("iterate", help="change a project (in words or by a new spec), keeping your edits and data")
    from codebegen.iteration.command import add_arguments as add_iterate_arguments

    add_iterate_arguments(p)
    p.set_defaults(func=cmd_iterate)

    p = sub.add_parser("train", help="train a LoRA adapter for a role of the embedded default model (CPU)")
    from codebegen.training.command import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="push a verified project to a branch of a git remote or GitHub")
    from codebegen.export.command import add_arguments as export_arguments

    export_arguments(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("doctor", help="check this install: Python, llama.cpp and the CPU, the model, the gate, ...")
    p.add_argument("--profile", default="default", help="the profile whose roles the decode checks run")
    p.add_argument("--no-decode", action="store_true", help="skip the model decode checks")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("studio", help="serve the studio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_studio)

    p = sub.add_parser("keys", help="API keys of the studio's REST API: create, list, revoke")
    p.add_argument("--user", help="the user the keys belong to (default: the studio's local user)")
    keys = p.add_subparsers(dest="keys_command", required=True)
    k = keys.add_parser("create", help="create a key; prints it once, alone on the last line")
    k.add_argument("name", help="what the key is for, e.g. ci")
    k.add_argument("--scope", default="read,generate", help="comma-separated: read, generate (default: both)")
    k.add_argument("--expires-days", type=int, default=None, help="the key stops working after this many days")
    keys.add_parser("list", help="list the keys (never the keys themselves)")
    keys.add_parser("revoke", help="revoke a key by its id").add_argument("id")
    p.set_defaults(func=cmd_keys)
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
