"""Fixtures of the studio tests: settings in a temp dir, a served studio, and Debian's Chromium.

The studio runs for real (Gradio server, DuckDB history, the engine with the gate); only the
model boundary is the shipped fake (profile ``fake``) unless a test asks for the embedded
default. Browser tests drive /usr/bin/chromium through Playwright and save screenshots under
``artifacts/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from codebegen.studio.app import create_app, serve
from codebegen.studio.history import close_history
from codebegen.studio.settings import StudioSettings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def openid_provider_mock(people: Iterable[dict], log: Path) -> Iterator[str]:
    """The real oidc-provider-mock on a free loopback port with ``people`` (claims) predefined; its URL."""
    from tests.studio.test_space import stop

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


@pytest.fixture
def studio_settings(tmp_path: Path, runtime_cache: Path) -> Iterator[StudioSettings]:
    """Settings of a fresh studio: its own data dir, the test runtime cache, the fake profile first."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "runtimes").symlink_to(runtime_cache)  # the gate's environments, built once per machine
    settings = StudioSettings(data_dir=tmp_path / "studio", cache_dir=cache, profile="fake")
    yield settings
    close_history(settings.database)


@dataclass
class Served:
    url: str
    app: object
    settings: StudioSettings


@pytest.fixture
def served(studio_settings: StudioSettings) -> Iterator[Served]:
    app = create_app(studio_settings)
    port = free_port()
    serve(app, port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield Served(f"http://127.0.0.1:{port}", app, studio_settings)
    finally:
        app.close()


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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make system-deps installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.fixture(autouse=True)
def _no_leftover_zip_dirs() -> Iterator[None]:
    yield
    for d in Path("/tmp").glob("codebegen-zip-*"):
        shutil.rmtree(d, ignore_errors=True)
