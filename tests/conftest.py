"""Shared fixtures of the codebegen test suite."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = _free_port()

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
