"""The verification gate: proves a generated project works before anyone calls it done.

Owns running the checks and turning each into a ``Check`` of a ``TrustReport``:

    spec               codebegen.json is a valid ProjectSpec
    compile            every .py file compiles
    imports            every project-internal import resolves (static, codebegen.gate.project_imports)
    ruff check         lint, with the ruff of codebegen's own environment
    ruff format        formatting
    runtime            the runtime environment (codebegen.gate.runtime) is built or reused
    pytest             the project's own tests, on the manifest's database (SQLite)
    pytest on postgresql               ... on a fresh database of the given server
    migrations / migrations check      on an empty database (and on PostgreSQL)
    data migration     with more than one revision: a database at the previous head, filled
                       with rows, upgrades to head keeping every row and value (renamed
                       columns' too) and downgrades back (SQLite, and PostgreSQL when given)
    boot               the manifest's boot command answers GET health_path with 200 {"status": "ok"}
                       (inside the sandbox, codebegen.gate.sandbox, where bubblewrap is available)
    exploit ...        the exploit pack against the sandboxed server (codebegen.gate.exploits)
    schemathesis       a bounded schemathesis run: 0 server errors, 0 schema violations
                       (boot, the pack and schemathesis share one sandboxed server,
                       codebegen.gate.live_checks; skipped with the reason without bubblewrap)
    exploit ... on postgresql          the pack again with the server on a fresh PostgreSQL database

What a template needs comes from its manifest's ``verify`` section only. The gate never
touches the project directory: it copies the project into a scratch folder and runs there, so
no SQLite file, ``__pycache__`` or tool cache is left behind; each step gets its own scratch
``{workdir}``. Each subprocess runs in its own process group under a time limit and is killed
with its children when it runs over (``codebegen.gate.process_group``; the boot check waits with
``codebegen.gate.health_probe``). Independent subprocess checks run ``workers`` at a time. A step that crashes becomes a failed check; the report is
always produced. Children get a small, explicit environment (PATH, HOME and locale are passed
through, nothing else), so a DATABASE_URL of the caller's shell cannot leak into a check.

It does not write the report into the project (``TrustReport.write`` does, at the caller's
choice) and does not raise on a failed project (``TrustReport.raise_for_failure`` does).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from codebegen.errors import EngineError, SpecError, VerificationError
from codebegen.gate import exploits, live_checks, output_excerpt, process_group
from codebegen.gate.health_probe import await_health
from codebegen.gate.project_imports import check_imports, is_skipped, python_files
from codebegen.gate.runtime import RuntimeEnv, ensure_runtime
from codebegen.gate.scratch_database import scratch_database, server_label
from codebegen.gate.trust_report import JSON_NAME, MARKDOWN_NAME, Check, TrustReport
from codebegen.spec import load_spec
from codebegen.templates import TEMPLATES_ROOT, VerifySettings, codebegen_version, load_template

GROUPS = ("spec", "compile", "imports", "lint", "pytest", "migrations", "boot", "exploits")
_RUNTIME_GROUPS = {"pytest", "migrations", "boot", "exploits"}
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


@dataclass
class _Gate:
    project: Path  # the scratch copy the checks run in
    scratch: Path
    settings: VerifySettings
    timeout: float
    postgres_url: str | None
    runtime: RuntimeEnv | None = None
    chosen: frozenset[str] = frozenset(GROUPS)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def database_label(self) -> str | None:
        """The database the manifest's environment points the project at (``sqlite``), if any."""
        return _db_label(self.settings.env.get(self.settings.database_env))

    def workdir(self, name: str) -> Path:
        path = self.scratch / "work" / f"{next(self.counter):02d}-{name.replace(' ', '-')}"
        path.mkdir(parents=True)
        return path

    def env(self, workdir: Path, database_url: str | None = None) -> dict[str, str]:
        env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
        env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1",
                "TMPDIR": str(workdir), "RUFF_NO_CACHE": "true", "NO_COLOR": "1"}  # fmt: skip
        if self.runtime is not None:
            env["VIRTUAL_ENV"] = str(self.runtime.path)
            env["PATH"] = os.pathsep.join(filter(None, [str(self.runtime.bin_dir), env.get("PATH")]))
        env |= {k: v.replace("{workdir}", str(workdir)) for k, v in self.settings.env.items()}
        if database_url is not None:
            env[self.settings.database_env] = database_url
        return env

    def run(self, argv: list[str], *, workdir: Path, env: dict[str, str]) -> process_group.Finished:
        """Run argv in the project copy under the gate's time limit."""
        done = process_group.run(argv, cwd=self.project, env=env, log=workdir / "output.log", timeout=self.timeout)
        done.output = self.clean(done.output)
        return done

    def clean(self, text: str) -> str:
        """Show paths relative to the project instead of inside the scratch copy."""
        return text.replace(f"{self.project}{os.sep}", "").replace(str(self.project), ".")


def verify(
    project_dir: Path,
    *,
    cache_dir: Path,
    postgres_url: str | None = None,
    step_timeout: float = 120.0,
    select: Iterable[str] | None = None,
    workers: int = 2,
    templates_root: Path = TEMPLATES_ROOT,
) -> TrustReport:
    """Run the gate on a generated project and return its trust report (never raises on a failing project).

    ``cache_dir`` holds the reusable runtime environments. ``postgres_url`` names a PostgreSQL
    server (any database on it; the gate creates and drops its own). ``select`` limits the run
    to some of ``GROUPS`` (the rest are reported as skipped). ``workers`` is how many
    subprocess checks run at once. Raises VerificationError only when ``project_dir`` is not a
    codebegen project, and TemplateError when its template is unknown.
    """
    start = time.perf_counter()
    project_dir = Path(project_dir).resolve()
    template_name = project_template(project_dir)
    template = load_template(template_name, templates_root)
    settings = template.manifest.verify
    chosen = set(GROUPS if select is None else select)
    unknown = chosen - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown check groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    report = TrustReport(
        template=template_name,
        project=_project_name(project_dir),
        codebegen_version=codebegen_version(),
        started_at=_now(),
        notes=[n for n in (settings.boot_note, settings.real_server_note) if n],
    )
    with tempfile.TemporaryDirectory(prefix="codebegen-verify-") as tmp:
        scratch = Path(tmp)
        copy = scratch / "project"
        shutil.copytree(project_dir, copy, symlinks=True, ignore=_ignore(project_dir))
        gate = _Gate(copy, scratch, settings, step_timeout, postgres_url, chosen=frozenset(chosen))
        for step in _STATIC:
            report.checks += _guarded(step, gate) if step.group in chosen else _not_selected(step)
        if chosen & _RUNTIME_GROUPS:
            report.checks += _guarded(_Step("runtime", ("runtime",), lambda g: _runtime(g, cache_dir)), gate)
            if gate.runtime is not None:
                report.runtime = f"{gate.runtime.key} (Python {sys.version_info.major}.{sys.version_info.minor})"
        results: dict[_Step, list[Check]] = {}
        # the live step serves boot, the exploit pack and schemathesis from one sandbox
        wanted = [step for step in _DYNAMIC if step.group in chosen or (step.group == "boot" and "exploits" in chosen)]
        if gate.runtime is None:
            why = "no runtime environment (see the runtime check)"
            results = {step: [Check(n, "skip", detail=why) for n in step.names] for step in wanted}
        else:
            # Longest first: the live checks (one sandboxed server for boot, exploits and schemathesis)
            # and the pytest runs start at once, migrations and the PostgreSQL attacks fill in.
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                order = sorted(wanted, key=lambda step: step.names[0] != "boot")
                futures = {step: pool.submit(_guarded, step, gate) for step in order}
                results = {step: future.result() for step, future in futures.items()}
        for step in _DYNAMIC:
            report.checks += results[step] if step in results else _not_selected(step)
    report.finished_at = _now()
    report.duration_s = round(time.perf_counter() - start, 2)
    return report


def project_template(project_dir: Path) -> str:
    """The template a generated project names in ``pyproject.toml`` ``[tool.codebegen]``."""
    path = Path(project_dir) / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        name = data["tool"]["codebegen"]["template"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        raise VerificationError(
            f"{project_dir} is not a codebegen project: no [tool.codebegen] template in {path.name}",
            hint="run verify on a directory made by codebegen generate",
        ) from None
    if not isinstance(name, str):
        raise VerificationError(f"{path}: [tool.codebegen] template must be a string")
    return name


# -- the checks ---------------------------------------------------------------------------------


def _spec(gate: _Gate) -> list[Check]:
    start = time.perf_counter()
    try:
        spec = load_spec(gate.project / "codebegen.json")
    except SpecError as exc:
        problems = "\n".join(gate.clean(p) for p in exc.problems)
        return [Check("spec", "fail", _since(start), detail=gate.clean(exc.message), output=problems)]
    return [Check("spec", "pass", _since(start), detail=f"{len(spec.entities)} entities, auth={spec.auth}")]


def _compile(gate: _Gate) -> list[Check]:
    start = time.perf_counter()
    files = python_files(gate.project)
    errors = []
    for path in files:
        rel = path.relative_to(gate.project).as_posix()
        try:
            compile(path.read_bytes(), rel, "exec", dont_inherit=True)
        except SyntaxError as exc:
            where = f"{rel}:{exc.lineno or 0}:{exc.offset or 0}"
            errors.append(f"{where}: {type(exc).__name__}: {exc.msg}")
            if exc.text:
                errors.append(f"    {exc.text.rstrip()}")
        except ValueError as exc:  # null bytes
            errors.append(f"{rel}: {exc}")
    if errors:
        return [Check("compile", "fail", _since(start), detail=errors[0], output=output_excerpt.bounded(errors))]
    return [Check("compile", "pass", _since(start), detail=f"{len(files)} files")]


def _imports(gate: _Gate) -> list[Check]:
    start = time.perf_counter()
    problems, checked = check_imports(gate.project)
    if problems:
        lines = [str(p) for p in problems]
        return [Check("imports", "fail", _since(start), detail=lines[0], output=output_excerpt.bounded(lines))]
    return [Check("imports", "pass", _since(start), detail=f"{checked} project-internal imports resolve")]


def _lint(gate: _Gate) -> list[Check]:
    checks = []
    for name, args in (
        ("ruff check", ["check", "--no-cache", "--output-format", "concise", "."]),
        ("ruff format", ["format", "--check", "--no-cache", "."]),
    ):
        workdir = gate.workdir(name)
        argv = [sys.executable, "-m", "ruff", *args]
        run = gate.run(argv, workdir=workdir, env=gate.env(workdir))
        checks.append(_judge(name, run, gate, output_excerpt.ruff, "clean", command=f"ruff {' '.join(args)}"))
    return checks


def _runtime(gate: _Gate, cache_dir: Path) -> list[Check]:
    start = time.perf_counter()
    try:
        gate.runtime = ensure_runtime(gate.project / gate.settings.requirements, cache_dir=cache_dir)
    except EngineError as exc:
        return [Check("runtime", "fail", _since(start), detail=exc.message.splitlines()[0], output=str(exc))]
    rt = gate.runtime
    how = f"built in {rt.build_seconds:.1f} s" if rt.built else "reused"
    return [Check("runtime", "pass", _since(start), detail=f"{how}: {rt.key}")]


def _pytest(gate: _Gate, database_url: str | None = None) -> Check:
    name = "pytest on postgresql" if database_url else "pytest"
    # -vv outweighs a project's `addopts = "-q"`, so the last line names a test that hangs;
    # --rootdir/--confcutdir keep configuration from folders above the project out.
    argv = [str(_python(gate)), "-m", "pytest", "-vv", "-p", "no:cacheprovider", "--tb=short", "-rfE",
            "--color=no", "--rootdir=.", "--confcutdir=."]  # fmt: skip
    workdir = gate.workdir(name)
    result = gate.run(argv, workdir=workdir, env=gate.env(workdir, database_url))
    check = _judge(name, result, gate, output_excerpt.pytest, command="pytest", ok=_pytest_result)
    check.database = "postgresql" if database_url else gate.database_label
    return check


def _pytest_postgres(gate: _Gate) -> list[Check]:
    return _on_postgres(gate, ["pytest on postgresql"], "tests", lambda url: [_pytest(gate, url)])


def _migrations(gate: _Gate, database_url: str | None = None) -> list[Check]:
    """The migrations on an empty database, then the manifest's migrations check on it."""
    s = gate.settings
    suffix = " on postgresql" if database_url else ""
    names = [f"migrations{suffix}", f"migrations check{suffix}"]
    if not s.migrations:
        return [Check(n, "skip", detail="the template has no migrations") for n in names]
    database = "postgresql" if database_url else gate.database_label
    workdir = gate.workdir(names[0])
    env = gate.env(workdir, database_url)
    upgrade = gate.run([str(_python(gate)), *s.migrations], workdir=workdir, env=env)
    first = _judge(names[0], upgrade, gate, output_excerpt.traceback, "schema built on an empty database",
                   command=" ".join(s.migrations))  # fmt: skip
    if not s.migrations_check:
        second = Check(names[1], "skip", detail="the template has no migrations check")
    elif not first.passed:
        second = Check(names[1], "skip", detail="the migrations did not run")
    else:
        result = gate.run([str(_python(gate)), *s.migrations_check], workdir=gate.workdir(names[1]), env=env)
        second = _judge(names[1], result, gate, output_excerpt.traceback, "migrations match the models",
                        command=" ".join(s.migrations_check))  # fmt: skip
    first.database = second.database = database
    return [first, second]


def _migrations_postgres(gate: _Gate) -> list[Check]:
    names = ["migrations on postgresql", "migrations check on postgresql"]
    if not gate.settings.migrations:
        return [Check(n, "skip", detail="the template has no migrations") for n in names]
    return _on_postgres(gate, names, "migrations", lambda url: _migrations(gate, url))


_DATA_SCRIPT = Path(__file__).with_name("data_migration_script.py")


def _revisions(gate: _Gate) -> list[Path]:
    versions = gate.project / "alembic" / "versions"
    return sorted(p for p in versions.glob("*.py") if p.name != "__init__.py") if versions.is_dir() else []


def _data_migration(gate: _Gate, database_url: str | None = None) -> list[Check]:
    """The newest revision keeps the rows of a filled database at the previous head, both ways."""
    name = "data migration on postgresql" if database_url else "data migration"
    database = "postgresql" if database_url else gate.database_label
    if not gate.settings.migrations:
        return [Check(name, "skip", detail="the template has no migrations")]
    if len(_revisions(gate)) < 2:  # not run, so not labelled with a database
        return [Check(name, "skip", detail="one revision: no stored data to carry over yet")]
    workdir = gate.workdir(name)
    result = gate.run([str(_python(gate)), str(_DATA_SCRIPT)], workdir=workdir, env=gate.env(workdir, database_url))
    check = _judge(
        name, result, gate, output_excerpt.traceback, command="alembic upgrade/downgrade on a filled database"
    )
    check.database = database
    try:
        data = json.loads(result.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [check]
    if check.passed:
        dropped = f"; dropped as the spec says: {', '.join(data['dropped'])}" if data.get("dropped") else ""
        check.detail = (f"{data['rows']} rows at {data['from']} kept through the upgrade to {data['to']} "
                        f"and the downgrade back{dropped}")  # fmt: skip
    elif data.get("lost"):
        check.detail = f"rows or values lost: {data['lost'][0]}"
        check.output = "\n".join(data["lost"])
    return [check]


def _live(gate: _Gate) -> list[Check]:
    """boot, the exploit pack and schemathesis: one sandboxed server for the three when bubblewrap is
    there and the boot command is uvicorn (its migrations first); else boot on a TCP port, attacks skipped."""
    s = gate.settings
    want_boot, want_attack = "boot" in gate.chosen, "exploits" in gate.chosen
    unselected = [Check(n, "skip", detail="not selected") for n in live_checks.ATTACK_NAMES]
    if live_checks.why_not() is not None or gate.runtime is None or "uvicorn" not in s.boot:
        booted = _boot(gate) if want_boot else [Check("boot", "skip", detail="not selected")]
        return booted + (_attack(gate) if want_attack else unselected)
    if not want_attack:
        return [live_checks.boot(s, gate.runtime, gate.project, timeout=gate.timeout, database=gate.database_label)] + (
            unselected
        )
    checks = live_checks.attack(s, gate.runtime, gate.project, timeout=gate.timeout, database=gate.database_label,
                                with_boot=want_boot)  # fmt: skip
    return checks if want_boot else [Check("boot", "skip", detail="not selected"), *checks]


def _attack_postgres(gate: _Gate) -> list[Check]:
    """The exploit pack (schemathesis runs on SQLite only) against the sandboxed server on a fresh
    PostgreSQL database, which the sandbox reaches through its one relayed socket."""

    def run(url: str) -> list[Check]:
        checks = live_checks.attack(gate.settings, _runtime_of(gate), gate.project, timeout=gate.timeout,
                                    database="postgresql", postgres_url=url, fuzz=False)  # fmt: skip
        for c in checks:
            c.name += " on postgresql"
        return checks

    if "uvicorn" not in gate.settings.boot:
        return [Check(n, "skip", detail="the template's server is not uvicorn") for n in _PG_ATTACK_NAMES]
    return _on_postgres(gate, list(_PG_ATTACK_NAMES), "exploits", run)


def _boot(gate: _Gate) -> list[Check]:
    """Serve the app with the manifest's boot command on a TCP port until GET health_path answers (no sandbox)."""
    s = gate.settings
    workdir = gate.workdir("boot")
    port = process_group.free_port()
    argv = [str(_python(gate)), *(a.replace("{port}", str(port)) for a in s.boot)]
    log = workdir / "output.log"
    start = time.perf_counter()
    proc = process_group.start(argv, cwd=gate.project, env=gate.env(workdir), log=log)
    health = None
    try:
        health = await_health(proc, f"http://127.0.0.1:{port}{s.health_path}", path=s.health_path,
                              timeout=gate.timeout)  # fmt: skip
    finally:
        # a server that answered gets a moment to shut down cleanly; one that never did, none
        process_group.stop(proc, grace=3.0 if health is not None and health.healthy else 0.0)
    check = Check("boot", "pass" if health.healthy else "fail", _since(start), detail=health.detail,
                  database=gate.database_label, command=" ".join(s.boot))  # fmt: skip
    if health.healthy:
        check.metrics["startup_s"] = round(health.seconds, 2)
    else:
        check.output = output_excerpt.traceback(gate.clean(process_group.read_log(log))).text
    return [check]


def _attack(gate: _Gate) -> list[Check]:
    if "uvicorn" not in gate.settings.boot:
        return [Check(n, "skip", detail="the template's server is not uvicorn") for n in live_checks.ATTACK_NAMES]
    return live_checks.attack(gate.settings, _runtime_of(gate), gate.project, timeout=gate.timeout,
                              database=gate.database_label)  # fmt: skip


def _runtime_of(gate: _Gate) -> RuntimeEnv:
    if gate.runtime is None:
        raise RuntimeError("the runtime environment is missing")
    return gate.runtime


# -- helpers shared by the checks ---------------------------------------------------------------


def _on_postgres(gate: _Gate, names: list[str], purpose: str, run: Callable[[str], list[Check]]) -> list[Check]:
    """``run(url)`` on a fresh database of the given PostgreSQL server, or say why not."""
    if not gate.settings.postgres:
        why = "the template does not run on PostgreSQL"
    elif not gate.postgres_url:
        why = "no PostgreSQL server was given"
    else:
        start = time.perf_counter()
        try:
            with scratch_database(gate.postgres_url, scheme=gate.settings.postgres_scheme, purpose=purpose) as url:
                checks = run(url)
        except EngineError as exc:
            return [Check(names[0], "fail", _since(start), detail=exc.message, database="postgresql")] + [
                Check(n, "skip", detail="no database", database="postgresql") for n in names[1:]
            ]
        for c in checks:
            c.detail += f" (server {server_label(gate.postgres_url)})" if c.status == "pass" else ""
        return checks
    return [Check(n, "skip", detail=why, database="postgresql") for n in names]


def _judge(
    name: str,
    run: process_group.Finished,
    gate: _Gate,
    excerpt: Callable[[str], output_excerpt.Excerpt],
    ok_detail: str = "",
    *,
    command: str = "",
    ok: Callable[[str], str] | None = None,
) -> Check:
    seconds = round(run.seconds, 2)
    if run.timed_out:
        detail = f"timed out after {gate.timeout:.0f} s" + _last_test(run.output)
        return Check(name, "fail", seconds, detail=detail, output=output_excerpt.tail(run.output).text, command=command)
    if run.returncode == 0:
        return Check(name, "pass", seconds, detail=ok(run.output) if ok else ok_detail, command=command)
    cut = excerpt(run.output)
    return Check(name, "fail", seconds, detail=cut.headline, output=cut.text, command=command)


def _pytest_result(output: str) -> str:
    return output_excerpt.pytest(output).headline


def _last_test(output: str) -> str:
    """With ``pytest -v`` the test that was running when the time ran out is the last one started."""
    for line in reversed(output.splitlines()):
        head = line.split(" ")[0]
        if "::" in head:
            return "" if line.rstrip().endswith(("PASSED", "FAILED", "ERROR", "SKIPPED", "]")) else f" in {head}"
    return ""


def _guarded(step: _Step, gate: _Gate) -> list[Check]:
    """A step that crashes becomes one failed check instead of a missing report."""
    start = time.perf_counter()
    try:
        return step.run(gate)
    except Exception as exc:  # the report must be produced whatever a step does
        crash = f"the gate crashed in this check: {type(exc).__name__}: {exc}"
        return [Check(step.names[0], "fail", _since(start), detail=crash)] + [
            Check(n, "skip", detail="skipped after the crash above") for n in step.names[1:]
        ]


def _not_selected(step: _Step) -> list[Check]:
    return [Check(n, "skip", detail="not selected") for n in step.names]


@dataclass(frozen=True)
class _Step:
    group: str
    names: tuple[str, ...]
    run: Callable[[_Gate], list[Check]]


_PG_ATTACK_NAMES = tuple(f"{n} on postgresql" for n in exploits.NAMES)
_STATIC = [
    _Step("spec", ("spec",), lambda g: _spec(g)),
    _Step("compile", ("compile",), lambda g: _compile(g)),
    _Step("imports", ("imports",), lambda g: _imports(g)),
    _Step("lint", ("ruff check", "ruff format"), lambda g: _lint(g)),
]
_DYNAMIC = [
    _Step("pytest", ("pytest",), lambda g: [_pytest(g)]),
    _Step("pytest", ("pytest on postgresql",), lambda g: _pytest_postgres(g)),
    _Step("migrations", ("migrations", "migrations check"), lambda g: _migrations(g)),
    _Step("migrations", ("migrations on postgresql", "migrations check on postgresql"),
          lambda g: _migrations_postgres(g)),
    _Step("migrations", ("data migration",), lambda g: _data_migration(g)),
    _Step("migrations", ("data migration on postgresql",),
          lambda g: _on_postgres(g, ["data migration on postgresql"], "data", lambda url: _data_migration(g, url))),
    _Step("boot", ("boot", *live_checks.ATTACK_NAMES), lambda g: _live(g)),
    _Step("exploits", _PG_ATTACK_NAMES, lambda g: _attack_postgres(g)),
]  # fmt: skip


def _python(gate: _Gate) -> Path:
    if gate.runtime is None:
        raise RuntimeError("the runtime environment is missing")
    return gate.runtime.python


def _project_name(project_dir: Path) -> str:
    """The spec's name (the gate may run on a scratch copy with a meaningless folder name)."""
    try:
        name = json.loads((project_dir / "codebegen.json").read_text(encoding="utf-8"))["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return project_dir.name
    return name if isinstance(name, str) and name else project_dir.name


def _db_label(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    return url.split("://", 1)[0].split("+", 1)[0]


def _ignore(root: Path) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(root).parts
        skipped = {n for n in names if is_skipped((*rel, n), is_dir=Path(folder, n).is_dir())}
        if not rel:
            skipped |= {JSON_NAME, MARKDOWN_NAME} & set(names)
        return skipped | {n for n in names if n.endswith((".pyc", ".pyo"))}

    return ignore


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["GROUPS", "Check", "TrustReport", "project_template", "verify"]
