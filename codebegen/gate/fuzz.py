"""The fuzzer run: schemathesis against a served generated project, bounded and seeded.

Owns serving a rendered project for a fuzz run (migrations, then uvicorn on a free port, in the
project's runtime environment), signing in where the project has auth (register + login, so the
fuzzer reaches past 401), and running ``schemathesis run`` with every check, a fixed seed and a
bound on the examples per operation. The result is a ``FuzzResult``: the counts of failures by
check and schemathesis' own summary lines. Callers (the test suite, the gate's fuzz check) decide
what to do with it; nothing here raises on a failing run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from codebegen.gate import process_group

# Business refusals a schema-valid request may meet: a missing or foreign reference (404/422),
# a taken unique value (409), a wrong current password (400). positive_data_acceptance counts them as accepted answers.
_ACCEPTED_REFUSALS = "2xx,400,401,403,404,409,422"
_FAILURE_LINE = re.compile(r"^\s*\S+\s+(ST\d+ [^:\n]+):\s*(\d+)\s*$", re.M)
_OPERATIONS = re.compile(r"Tested:\s*(\d+)")
MAX_OUTPUT = 12000


@dataclass
class FuzzResult:
    """What one schemathesis run found."""

    returncode: int
    failures: dict[str, int] = field(default_factory=dict)  # check name -> failures
    operations: int = 0
    output: str = ""  # schemathesis' output, its last lines
    full_output: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - a local URL we built
            return int(resp.status)
    except Exception:  # noqa: BLE001 - not up yet
        return 0


@contextmanager
def serve_project(
    project: Path,
    python: Path,
    env: Mapping[str, str],
    *,
    migrate: list[str] | None = None,
    health_path: str = "/health",
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run the project's migrations (if given), boot it with uvicorn; yields its base URL."""
    full_env = {**os.environ, **env}
    if migrate:
        subprocess.run(
            [str(python), *migrate], cwd=project, env=full_env, check=True, capture_output=True, timeout=timeout
        )
    port = process_group.free_port()
    logdir = tempfile.TemporaryDirectory(prefix="codebegen-serve-")
    log = Path(logdir.name) / "server.log"
    proc = process_group.start(
        [str(python), "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project, env=full_env, log=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while _get(base + health_path) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the project did not start: {process_group.read_log(log)[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process_group.stop(proc, grace=2)
        logdir.cleanup()


FUZZ_ADMIN = {"FIRST_SUPERUSER": "fuzz@example.com", "FIRST_SUPERUSER_PASSWORD": "fuzz-password-1"}

# The bounded profile the fuzz tests run in CI (each module a few minutes on two cores): every
# project gets a few examples per operation and a short fuzzing phase; the coverage phase (every
# boundary the schema defines: 2**31, NUL, the longest string, wrong types; ~2,000 cases a
# project, most of a run's time) runs on one sample per template that holds every field type.
CI_EXAMPLES = 3
CI_PHASES = "examples,fuzzing"
COVERAGE_PHASES = "coverage"
# DELETE /users/me would end the fuzzer's own account and turn every later case into a 401.
KEEP_SIGNED_IN = ["--exclude-operation-id", "delete_me_api_v1_users_me_delete"]


def sign_in(base: str, email: str = "fuzz@example.com", password: str = "fuzz-password-1") -> dict[str, str]:
    """Register (if needed) and log in; the Authorization header for the fuzzer. Serve the project
    with ``FUZZ_ADMIN`` in its environment and this user is an admin (writes to shared entities)."""
    body = json.dumps({"email": email, "password": password}).encode()
    req = urllib.request.Request(
        base + "/api/v1/auth/register", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        urllib.request.urlopen(req, timeout=10).close()  # noqa: S310
    except urllib.error.HTTPError as exc:
        # 409: registered already; 422: registration needs the spec's own User fields, and the
        # account is FUZZ_ADMIN, made at startup: log in either way
        if exc.code not in (409, 422):
            raise
    form = f"username={email}&password={password}".encode()
    req = urllib.request.Request(
        base + "/api/v1/auth/login", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        token = json.loads(resp.read())["access_token"]
    return {"Authorization": f"Bearer {token}"}


def has_auth(base: str) -> bool:
    with urllib.request.urlopen(base + "/openapi.json", timeout=10) as resp:  # noqa: S310
        return "/api/v1/auth/login" in json.loads(resp.read()).get("paths", {})


def schemathesis_command() -> list[str]:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if exe is None:
        raise RuntimeError("schemathesis is not installed (pip install 'codebegen[dev]')")
    return [exe]


def run_schemathesis(
    base: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 25,
    seed: int = 16,
    phases: str = "examples,coverage,fuzzing",
    timeout: float = 600.0,
    extra: list[str] | None = None,
    toml: str = "",
) -> FuzzResult:
    """schemathesis with every check against ``base``; a FuzzResult (never raises on failures).
    ``toml`` is appended to the run's schemathesis.toml (e.g. a phase's settings)."""
    with tempfile.TemporaryDirectory(prefix="codebegen-fuzz-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(
            "[checks.positive_data_acceptance]\n"
            f"expected-statuses = {json.dumps(_ACCEPTED_REFUSALS.split(','))}\n" + toml,
            encoding="utf-8",
        )
        report = Path(tmp) / "report.json"
        argv = [
            *schemathesis_command(), "--config-file", str(config), "run", base + "/openapi.json",
            "--checks", "all", "--max-examples", str(max_examples), "--seed", str(seed),
            "--phases", phases, "--workers", "1", "--generation-deterministic",
            "--report-json-path", str(report), "--no-color",
        ]  # fmt: skip
        for key, value in (headers or {}).items():
            argv += ["--header", f"{key}: {value}"]
        argv += extra or []
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp)
        text = proc.stdout + proc.stderr
        result = FuzzResult(returncode=proc.returncode, output=text[-MAX_OUTPUT:], full_output=text)
        summary = text.rsplit("SUMMARY", 1)[-1]
        block = summary.split("Failures:", 1)[1].split("\n\n", 1)[0] if "Failures:" in summary else ""
        for name, count in _FAILURE_LINE.findall(block):
            result.failures[name.strip()] = int(count)
        if m := _OPERATIONS.search(summary):
            result.operations = int(m.group(1))
        return result
