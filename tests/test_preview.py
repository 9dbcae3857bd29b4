"""codebegen preview: a generated project served from the sandbox through a 127.0.0.1 proxy."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from codebegen.gate import sandbox
from codebegen.gate.sandbox import SandboxError, available
from codebegen.preview import start_preview
from tests.helpers import REPO

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.mark.slow
def test_preview_serves_swagger_and_the_api_and_streams_the_log(pristine: Path, runtime_cache: Path) -> None:
    before = sorted(p.relative_to(pristine).as_posix() for p in pristine.rglob("*"))
    preview = start_preview(pristine, cache_dir=runtime_cache)
    try:
        assert preview.url.startswith("http://127.0.0.1:")
        assert "swagger-ui" in httpx.get(f"{preview.url}/docs").text
        r = httpx.post(
            f"{preview.url}/api/v1/auth/register", json={"email": "p@example.com", "password": "password123"}
        )
        assert r.status_code == 201, r.text
        lines = preview.follow_log()
        assert any('"POST /api/v1/auth/register HTTP/1.1" 201' in line for line in _take(lines, 2.0))
    finally:
        preview.stop()
    assert not preview.running
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{preview.url}/health", timeout=2)
    assert sorted(p.relative_to(pristine).as_posix() for p in pristine.rglob("*")) == before  # no app.db left


@pytest.mark.slow
def test_cli_prints_the_url_and_the_log_lines(pristine: Path, runtime_cache: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "codebegen.cli", "preview", str(pristine)], stdout=subprocess.PIPE,
                            text=True, env={"PATH": "/usr/bin:/bin", "CODEBEGEN_HOME": str(runtime_cache.parent),  # its runtimes/ is the cache
                                            "PYTHONPATH": str(REPO)})  # fmt: skip
    try:
        first = proc.stdout.readline()
        assert "sandboxed" in first, first
        url = first.split(" at ", 1)[1].split("/docs", 1)[0]
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if '"GET /health HTTP/1.1" 200' in proc.stdout.readline():
                break
        else:
            pytest.fail("the log line of the request never came")
    finally:
        proc.terminate()
        proc.wait(20)


def test_preview_is_refused_without_bubblewrap(tmp_path: Path, monkeypatch) -> None:
    real = sandbox.shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None if name == "bwrap" else real(name))
    sandbox.available.cache_clear()
    monkeypatch.setattr("codebegen.preview.available", sandbox.available)
    try:
        with pytest.raises(SandboxError, match="preview refused: bubblewrap is not installed"):
            start_preview(tmp_path, cache_dir=tmp_path / "runtimes")
    finally:
        sandbox.available.cache_clear()


def _take(lines, seconds: float):
    """Log lines for up to ``seconds`` (the follow iterator never ends while the server runs)."""
    end = time.monotonic() + seconds
    for line in lines:
        yield line
        if time.monotonic() > end:
            return
