"""Shared fixtures of the codebegen test suite: the ones more than one folder of tests/ uses.

A fixture one folder uses lives in that folder's conftest.py; what is not a fixture (example specs,
stand-in servers, the studio's and the browser's steps) is in tests/helpers/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The helpers assert too (a served contract, a sign-in): pytest's messages for them, as in a test module.
pytest.register_assert_rewrite("tests.helpers")

from tests.helpers import free_port  # noqa: E402  (after the rewrite hook)
from tests.helpers.examples import LIBRARY_SPEC  # noqa: E402
from tests.helpers.export import SPEC as EXPORT_SPEC  # noqa: E402
from tests.helpers.export import passing_report  # noqa: E402

# =============================================================================================
# Verification gate fixtures: a throwaway PostgreSQL server and the runtime-environment cache.
# =============================================================================================

PG_BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15, 14)]


def _pg_bin() -> Path | None:
    for d in PG_BIN_DIRS:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and Path(found).with_name("initdb").is_file() else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a loopback port for the whole session.

    Yields ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``; the server is stopped and
    its data removed at the end. initdb refuses to run as root, so as root the server runs as
    the ``postgres`` user. Skips when the server binaries are absent.
    """
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql to run this")
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None or subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            pytest.skip("running as root needs runuser and a 'postgres' user to start PostgreSQL")
        as_user = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="codebegen-pg-"))
    data, log = root / "data", root / "server.log"
    if as_user:
        shutil.chown(root, user="postgres")
    port = free_port()

    def pg(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=timeout)

    try:
        init = pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
        # Durability off: a test server that loses data on a crash is fine and much faster.
        opts = f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
        if start.returncode != 0:
            server_log = log.read_text(errors="replace")[-500:] if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {start.stderr.strip()} {server_log}")
        _wait_accepting(port)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _wait_accepting(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"PostgreSQL did not accept connections on port {port}")


@pytest.fixture(scope="session")
def runtime_cache() -> Path:
    """Where the gate keeps its runtime environments during tests: reused across runs on a machine,
    so the suite builds the FastAPI environment once. ``CODEBEGEN_TEST_RUNTIMES`` overrides it."""
    default = Path.home() / ".cache" / "codebegen-tests" / "runtimes"
    path = Path(os.environ.get("CODEBEGEN_TEST_RUNTIMES", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


# =============================================================================================
# End of the verification gate fixtures.
# =============================================================================================


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lending-library spec rendered on fastapi_sqlalchemy, once per session. Read only: the gate
    (tests/gate/test_verify.py) and the previews (tests/test_preview.py) leave it as it was, and the
    exploit pack's mutants (tests/gate/test_exploits.py) are copies of it."""
    from codebegen.spec import parse_spec
    from codebegen.templates import render_project

    out = tmp_path_factory.mktemp("pristine") / "library"
    render_project(parse_spec(LIBRARY_SPEC), "fastapi_sqlalchemy", out)
    return out


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Render a version of a spec into a new directory with a passing trust report (the export tests,
    the studio's Export page)."""
    from codebegen.gate.trust_report import TrustReport
    from codebegen.spec import ProjectSpec
    from codebegen.templates import render_project

    count = iter(range(1, 1000))

    def make(spec: dict[str, Any] | None = None, *, report: TrustReport | None = None) -> Path:
        out = tmp_path / f"project-{next(count)}"
        spec = spec or EXPORT_SPEC
        render_project(ProjectSpec.model_validate(spec), "fastapi_sqlalchemy", out)
        (report or passing_report(spec["name"])).write(out)
        return out

    return make


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    return remote


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion of the embedded GGUF per test session (about 15 s), shared by the model and the
    training tests."""
    from codebegen.models import embedded

    cache = tmp_path_factory.mktemp("model-cache")
    embedded.converted_dir(embedded.embedded_gguf(), cache)
    return cache
