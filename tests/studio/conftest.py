"""Fixtures of the studio tests: settings in a temp dir, a served studio, Debian's Chromium, and a
fresh database on the suite's PostgreSQL server.

The studio runs for real (Gradio server, DuckDB history, the engine with the gate); only the
model boundary is the shipped fake (profile ``fake``) unless a test asks for the embedded
default. Browser tests drive /usr/bin/chromium through Playwright and save screenshots under
``artifacts/screenshots/`` (git-ignored) for a person to look at. What these fixtures are made
of (``serve_with``, ``Served``, the browser's steps) is in tests/helpers/studio.py and browser.py.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from codebegen.studio.database import postgres_dsn
from codebegen.studio.history import close_history
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import close_store
from tests.helpers.studio import CHROMIUM, CHROMIUM_ARGS, Served, serve_with


@pytest.fixture
def studio_settings(tmp_path: Path, runtime_cache: Path) -> Iterator[StudioSettings]:
    """Settings of a fresh studio: its own data dir, the test runtime cache, the fake profile first."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "runtimes").symlink_to(runtime_cache)  # the gate's environments, built once per machine
    settings = StudioSettings(data_dir=tmp_path / "studio", cache_dir=cache, profile="fake")
    yield settings
    close_history(settings.database)


@pytest.fixture
def served(studio_settings: StudioSettings) -> Iterator[Served]:
    served = serve_with(studio_settings)
    try:
        yield served
    finally:
        served.app.close()  # type: ignore[attr-defined]


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the suite's PostgreSQL server (dropped afterwards)."""
    name = f"store_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn(postgres_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    close_store(Path("unused"), url)
    with psycopg.connect(postgres_dsn(postgres_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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


@pytest.fixture(autouse=True)
def _no_leftover_zip_dirs() -> Iterator[None]:
    yield
    for d in Path("/tmp").glob("codebegen-zip-*"):
        shutil.rmtree(d, ignore_errors=True)
