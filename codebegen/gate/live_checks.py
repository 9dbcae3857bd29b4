"""The gate's checks against the project's running server, inside the sandbox.

Owns three steps of ``codebegen.gate.verify``, run against **one** sandboxed server (its
migrations first): the sandboxed boot (the manifest's uvicorn boot command on the sandbox's Unix
socket until the health path answers 200 {"status": "ok"}), the exploit pack
(``codebegen.gate.exploits``) and a bounded schemathesis run against the app's own OpenAPI
document (through ``codebegen.gate.sandbox.proxy``, since schemathesis speaks TCP; it starts beside
the pack and its requests wait behind the held proxy until the pack is done): 0 server errors
and 0 responses that violate the schema. The server runs on the manifest's database (SQLite in
the sandbox's data directory), or on a PostgreSQL database the sandbox reaches through one
relayed Unix socket (``codebegen.gate.sandbox.relay``), with a SECRET_KEY the gate chose, so the
exploit pack can sign an expired token with the right key. It does not decide which checks run
(verify does).
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import shlex
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codebegen.gate import exploits, output_excerpt, process_group
from codebegen.gate.fuzz import KEEP_SIGNED_IN
from codebegen.gate.health_probe import HEALTHY_BODY
from codebegen.gate.runtime import RuntimeEnv
from codebegen.gate.sandbox import (
    DEFAULT_LIMITS,
    Limits,
    Sandbox,
    SandboxError,
    available,
    runtime_binds,
    sandboxed_server,
    uds_argv,
)
from codebegen.gate.sandbox.proxy import SocketProxy
from codebegen.gate.trust_report import Check
from codebegen.templates import VerifySettings

SCHEMATHESIS = "schemathesis"
ATTACK_NAMES = (*exploits.NAMES, SCHEMATHESIS)
MAX_EXAMPLES = 5
WORKERS = 2  # schemathesis' concurrent requests
ADMIN = "gate-admin@example.com"
_CHECKS = "not_a_server_error,response_schema_conformance"
_PHASES = "examples,fuzzing"
_KIND = {"Server error": "server error", "Response violates schema": "schema violation",
         "Undocumented Content-Type": "schema violation"}  # fmt: skip


def why_not() -> str | None:
    """None when the live checks can run sandboxed here, else the reason (bubblewrap missing...)."""
    return available()


@contextmanager
def server(settings: VerifySettings, runtime: RuntimeEnv, project: Path, *, timeout: float,
           secret_key: str | None = None, limits: Limits = DEFAULT_LIMITS, migrate: bool = True,
           expect: object = None, extra_env: dict[str, str] | None = None,
           relay: tuple[str, int] | None = None) -> Iterator[tuple[Sandbox, float]]:  # fmt: skip
    """The project's server in a sandbox, answered its health path; with the startup seconds.

    ``migrate``: the manifest's migrations run first (templates migrate in a prestart step)."""
    argv = server_argv(settings, runtime, migrate=migrate)
    env = {k: v.replace("{workdir}", "/data") for k, v in settings.env.items()}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1"}
    if secret_key:
        env["SECRET_KEY"] = secret_key
        # an admin account (templates with roles make it at startup), for the rows only admins may add
        env |= {"FIRST_SUPERUSER": ADMIN, "FIRST_SUPERUSER_PASSWORD": exploits.PASSWORD}
    env |= extra_env or {}
    with sandboxed_server(argv, project=project, ro_binds=runtime_binds(runtime.path),
                          env=env, limits=limits, health_path=settings.health_path, timeout=timeout,
                          expect=expect, relay=relay) as (box, secs):  # fmt: skip
        yield box, secs


def server_argv(settings: VerifySettings, runtime: RuntimeEnv, *, migrate: bool = True) -> list[str]:
    """The sandbox's command: the manifest's migrations (a prestart step), then its uvicorn on the socket."""
    boot = uds_argv(settings.boot)
    if boot is None:
        raise SandboxError(
            f"the boot command {' '.join(settings.boot)!r} is not uvicorn; the sandbox serves uvicorn apps"
        )
    server = [str(runtime.python), *boot]
    if not settings.migrations or not migrate:
        return server
    migrate = [str(runtime.python), *settings.migrations]
    return ["/bin/sh", "-c", f"{shlex.join(migrate)} && exec {shlex.join(server)}"]


def sqlite_file(box: Sandbox, settings: VerifySettings) -> Path | None:
    """The host path of the server's SQLite file when the manifest's database is SQLite in /data."""
    url = settings.env.get(settings.database_env, "").replace("{workdir}", "/data")
    m = re.match(r"sqlite(?:\+\w+)?:///(/data/.+)$", url)
    return box.data_dir / m.group(1).removeprefix("/data/") if m else None


def boot(
    settings: VerifySettings, runtime: RuntimeEnv, project: Path, *, timeout: float, database: str | None
) -> Check:
    """The boot check in the sandbox: GET health_path answers 200 {"status": "ok"} (no migrations first,
    as unsandboxed: the health route needs no tables)."""
    start = time.perf_counter()
    command = " ".join(settings.boot) + " (sandboxed, on a Unix socket)"
    try:
        with server(settings, runtime, project, timeout=timeout, migrate=False, expect=HEALTHY_BODY) as (box, seconds):
            check = Check("boot", "pass", 0.0, detail=f"GET {settings.health_path} answered 200 in {seconds:.1f} s "
                          f"inside the sandbox (no network, project read-only){box.limit_caveat()}", database=database,
                          command=command)  # fmt: skip
            check.metrics["startup_s"] = round(seconds, 2)
    except SandboxError as exc:
        output = output_excerpt.traceback(exc.hint).text if exc.hint else ""
        check = Check("boot", "fail", 0.0, detail=exc.message, output=output, database=database, command=command)
    check.duration_s = round(time.perf_counter() - start, 2)
    return check


def attack(settings: VerifySettings, runtime: RuntimeEnv, project: Path, *, timeout: float, database: str | None,
           max_examples: int | None = None, with_boot: bool = False, postgres_url: str | None = None,
           fuzz: bool = True) -> list[Check]:  # fmt: skip
    """The exploit pack, then schemathesis, against one sandboxed server (its migrations first).

    ``with_boot``: the same server's start is the boot check too (first in the list), so the gate
    starts one sandbox for the three. ``postgres_url``: the server runs on that database, reached
    through the sandbox's one relayed socket; ``fuzz=False`` leaves schemathesis out."""
    names = [n for n in ATTACK_NAMES if fuzz or n != SCHEMATHESIS]
    max_examples = max_examples or MAX_EXAMPLES
    why = why_not()
    if why:
        return ([Check("boot", "skip", detail=why)] if with_boot else []) + [
            Check(n, "skip", detail=why) for n in names
        ]
    spec = _spec(project)
    key = secrets.token_urlsafe(32)
    start = time.perf_counter()
    command = " ".join(settings.boot) + " (sandboxed, on a Unix socket, after the migrations)"
    extra_env, relay = {}, None
    if postgres_url:
        from codebegen.gate.sandbox import RELAY_DIR
        from codebegen.gate.sandbox.relay import pg_socket_url, pg_target

        extra_env = {settings.database_env: pg_socket_url(postgres_url, RELAY_DIR)}
        relay = pg_target(postgres_url)
    checks: list[Check] = []
    try:
        with server(settings, runtime, project, timeout=timeout, secret_key=key, expect=HEALTHY_BODY,
                    extra_env=extra_env, relay=relay) as (box, seconds):  # fmt: skip
            if with_boot:
                booted = Check("boot", "pass", round(time.perf_counter() - start, 2), database=database,
                               command=command, detail=f"GET {settings.health_path} answered 200 in {seconds:.1f} s "
                               f"inside the sandbox, after the migrations (no network, project read-only){box.limit_caveat()}")  # fmt: skip
                booted.metrics["startup_s"] = round(seconds, 2)
                checks.append(booted)
            checks += _attack_on(box, spec, key, settings, timeout=timeout, max_examples=max_examples,
                                 fuzz=fuzz, postgres_url=postgres_url)  # fmt: skip
            if with_boot:  # the one server's whole run: start, the pack, schemathesis
                checks[0].metrics["live_s"] = round(time.perf_counter() - start, 2)
    except SandboxError as exc:
        seconds = round(time.perf_counter() - start, 2)
        output = output_excerpt.traceback(exc.hint).text if exc.hint else ""
        if with_boot:
            return [Check("boot", "fail", seconds, detail=exc.message, output=output, database=database,
                          command=command)] + [Check(n, "skip", detail="the server did not start (see boot)",
                                                     database=database) for n in names]  # fmt: skip
        detail = f"the server did not start in the sandbox: {exc.message}"
        return [Check(names[0], "fail", seconds, detail=detail, output=exc.hint, database=database)] + [
            Check(n, "skip", detail="the server did not start", database=database) for n in names[1:]
        ]
    for c in checks:
        c.database = database
    return checks


def _attack_on(box: Sandbox, spec: dict[str, Any], key: str, settings: VerifySettings, *, timeout: float,
               max_examples: int, fuzz: bool, postgres_url: str | None) -> list[Check]:  # fmt: skip
    """The pack, with schemathesis starting beside it (its requests wait behind a held proxy until the
    pack is done, so its start-up overlaps the pack instead of following it)."""
    from concurrent.futures import ThreadPoolExecutor

    with box.client(timeout=30.0) as client:
        token = _sign_in(client) if fuzz else None
        schema = client.get("/openapi.json").content if fuzz else b""
    hold = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        fuzzing = pool.submit(_schemathesis, box, token, schema, hold, timeout=timeout, max_examples=max_examples) \
            if fuzz else None  # fmt: skip
        try:
            with box.client(timeout=30.0) as client:
                database: Path | str | None = postgres_url or sqlite_file(box, settings)
                checks = exploits.run_pack(client, spec=spec, secret_key=key, database=database, admin=ADMIN)
        finally:
            hold.set()
        if fuzzing is not None:
            checks.append(fuzzing.result())
            if not box.running:
                checks[-1] = Check(SCHEMATHESIS, "fail", checks[-1].duration_s, detail="the server died during the run",
                                   output=output_excerpt.traceback(box.log()).text)  # fmt: skip
    return checks


def _schemathesis(box: Sandbox, token: str | None, schema: bytes, hold: threading.Event, *, timeout: float,
                  max_examples: int) -> Check:  # fmt: skip
    if importlib.util.find_spec("schemathesis") is None:
        return Check(SCHEMATHESIS, "skip", detail="schemathesis is not installed in codebegen's environment")
    start = time.perf_counter()
    document = box.state / "openapi.json"
    document.write_bytes(schema)
    with SocketProxy(box, hold=hold) as proxy:
        argv = [sys.executable, "-m", "schemathesis.cli", "run", str(document), "--url", proxy.url,
                "--checks", _CHECKS, "--phases", _PHASES, "--max-examples", str(max_examples), "--seed", "1",
                "--no-color", "--request-timeout", str(int(max(10, timeout))), "--mode", "positive",
                "--workers", str(WORKERS), "--generation-database", "none"]  # fmt: skip
        if token:  # signed in as the gate's admin, who must stay signed in (see fuzz.KEEP_SIGNED_IN)
            argv += ["--header", f"Authorization: Bearer {token}", *KEEP_SIGNED_IN]
        log = box.state / "schemathesis.log"
        done = process_group.run(argv, cwd=box.state, env=_st_env(box.state), log=log, timeout=timeout)
    seconds = round(time.perf_counter() - start, 2)
    command = f"schemathesis run /openapi.json --checks {_CHECKS} --phases {_PHASES} --max-examples {max_examples}"
    output = done.output.replace(proxy.url, "").replace(str(document), "/openapi.json")
    failures = _failures(output)
    cases = re.search(r"(\d+) generated", output)
    metrics = {"cases": float(cases.group(1))} if cases else {}
    if done.timed_out:
        return Check(SCHEMATHESIS, "fail", seconds, detail=f"timed out after {timeout:.0f} s",
                     output=output_excerpt.tail(output).text, command=command)  # fmt: skip
    if failures:
        errors = sum(1 for f in failures if f[2] == "server error")
        violations = len(failures) - errors
        lines = [f"{m} {p}: {k} ({what})" for m, p, k, what in failures]
        return Check(SCHEMATHESIS, "fail", seconds, detail=f"{errors} server errors, {violations} schema violations: "
                     f"{lines[0]}", output=output_excerpt.bounded(lines + ["", *_reproductions(output)]),
                     command=command, metrics=metrics | {"server_errors": errors, "schema_violations": violations})  # fmt: skip
    if done.returncode != 0:
        cut = output_excerpt.tail(output)
        return Check(SCHEMATHESIS, "fail", seconds, detail=cut.headline or f"exit code {done.returncode}",
                     output=cut.text, command=command)  # fmt: skip
    n = int(metrics.get("cases", 0))
    return Check(SCHEMATHESIS, "pass", seconds, detail=f"{n} generated cases: 0 server errors, 0 schema violations",
                 command=command, metrics=metrics)  # fmt: skip


def _failures(output: str) -> list[tuple[str, str, str, str]]:
    """(method, path, kind, schemathesis' words) per failure section of the output."""
    found = []
    section = None
    for line in output.splitlines():
        head = re.match(r"^_{3,} ([A-Z]+) (\S+) _{3,}$", line)
        if head:
            section = head.groups()
            continue
        fail = re.match(r"^- (ST\d+ )?(.+?)\s*$", line)
        if section and fail:
            words = fail.group(2)
            kind = next((v for k, v in _KIND.items() if k.lower() in words.lower()), "schema violation")
            found.append((section[0], section[1], kind, words))
    return found


def _reproductions(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("curl ")][:20]


def _st_env(state: Path) -> dict[str, str]:
    import os

    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL") if k in os.environ}
    return env | {"HOME": str(state), "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false", "TMPDIR": str(state)}


def _sign_in(client: Any) -> str | None:
    """A bearer token for schemathesis: the gate's admin where there is one (it reaches every route),
    else a fresh user, when the app has an OAuth2 password flow."""
    doc = client.get("/openapi.json").json()
    token_url = exploits.token_url(doc)
    if not token_url:
        return None
    r = client.post(token_url, data={"username": ADMIN, "password": exploits.PASSWORD})
    if r.status_code == 200 and r.json().get("access_token"):
        return r.json()["access_token"]
    register = next((p for p in doc.get("paths", {}) if p.rstrip("/").endswith("/register")), None)
    if not register:
        return None
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    client.post(register, json={"email": email, "password": exploits.PASSWORD})
    r = client.post(token_url, data={"username": email, "password": exploits.PASSWORD})
    return r.json().get("access_token") if r.status_code == 200 else None


def _spec(project: Path) -> dict[str, Any]:
    try:
        return json.loads((project / "codebegen.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


__all__ = ["ATTACK_NAMES", "SCHEMATHESIS", "attack", "boot", "server", "server_argv", "sqlite_file", "why_not"]
