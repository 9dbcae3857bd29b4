"""The studio served for the tests: in this process (``serve_with``) or as ``codebegen studio``
(``start_studio_process``), oidc-provider-mock beside it, and where screenshots go.

The fixtures that use these live in tests/studio/conftest.py; the browser's steps in
tests/helpers/browser.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from codebegen.studio.app import create_app, serve
from codebegen.studio.settings import StudioSettings
from tests.helpers import REPO, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = REPO / "artifacts" / "screenshots"


@dataclass
class Served:
    url: str
    app: object
    settings: StudioSettings


def serve_with(settings: StudioSettings) -> Served:
    app = create_app(settings)
    port = free_port()
    serve(app, port=port, prevent_thread_lock=True, quiet=True)
    return Served(f"http://127.0.0.1:{port}", app, settings)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


@contextmanager
def openid_provider_mock(people: Iterable[dict], log: Path) -> Iterator[str]:
    """The real oidc-provider-mock on a free loopback port with ``people`` (claims) predefined; its URL."""
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for claims in people:
        args += ["--user-claims", json.dumps(claims)]
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/.well-known/openid-configuration", timeout=60)
        yield url
    finally:
        stop(proc)


def wait_until_serving(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the studio did not answer at {url} within {timeout} s")


def studio_env(settings: StudioSettings) -> dict[str, str]:
    return os.environ | {
        "CODEBEGEN_STUDIO_DATA_DIR": str(settings.data_dir),
        "CODEBEGEN_STUDIO_CACHE_DIR": str(settings.cache_dir),
        "CODEBEGEN_STUDIO_PROFILE": settings.profile,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def start_studio_process(settings: StudioSettings, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``codebegen studio`` as its own process (the way ``make studio`` runs it)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "codebegen.cli", "studio", "--port", str(port)],
            env=studio_env(settings), stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
    wait_until_serving(f"http://127.0.0.1:{port}", timeout=120)
    return proc


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
