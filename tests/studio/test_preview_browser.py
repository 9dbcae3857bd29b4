"""The Preview tab in real headless Chromium: a verified run served from the sandbox, called through
its Swagger UI inside the studio, its log line shown; another signed-in person cannot open it.

Two people sign in through the real oidc-provider-mock. Alice's verified run is recorded in the
studio's history with the files of a rendered ``library`` project (the same files a verified
generation stores), so the test does not wait for a generation; the preview itself (sandbox,
migrations, uvicorn on its Unix socket, the studio's proxy and its offline Swagger UI) is real.
Screenshots: ``artifacts/screenshots/preview-*``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from codebegen.gate.sandbox import available
from codebegen.studio.runner import project_files
from codebegen.studio.settings import OidcProvider, StudioSettings
from tests.helpers.browser import PEOPLE, SECRET, new_page, open_tab, sign_in
from tests.helpers.studio import Served, openid_provider_mock, screenshot, serve_with

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]
expect.set_options(timeout=60_000)
ALICE = "oidc:mock:alice-sub"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    with openid_provider_mock([PEOPLE["alice"], PEOPLE["bob"]], tmp_path / "oidc.log") as url:
        yield url


@pytest.fixture
def studio(studio_settings: StudioSettings, provider: str) -> Iterator[Served]:
    mock = OidcProvider(name="mock", label="Mock ID", client_id="codebegen-test", client_secret="a-client-secret",
                        discovery_url=f"{provider}/.well-known/openid-configuration")  # fmt: skip
    settings = studio_settings.model_copy(update={"oidc_providers": [mock], "session_secret": SECRET,
                                                  "max_previews": 1, "preview_idle_s": 120})  # fmt: skip
    served = serve_with(settings)
    try:
        yield served
    finally:
        served.app.studio._previews.stop_all()  # type: ignore[attr-defined]
        served.app.close()  # type: ignore[attr-defined]


def verified_run(served: Served, project: Path) -> str:
    """A verified run of Alice's, with the files of a rendered project, as a finished generation leaves it."""
    history = served.app.studio.history  # type: ignore[attr-defined]
    run_id = history.start(ALICE, prompt="a lending library", template="fastapi_sqlalchemy", profile="fake")
    history.finish(ALICE, run_id, status="passed", summary="verified", files=project_files(project))
    return run_id


def test_owner_calls_an_endpoint_through_swagger_ui_and_sees_the_log_line_another_user_cannot_open_it(
    studio: Served, provider: str, browser: Any, pristine: Path
) -> None:
    run_id = verified_run(studio, pristine)  # the library spec rendered once per session (tests/conftest.py)
    alice, bob = new_page(browser), new_page(browser)
    sign_in(alice, studio, provider, "alice")
    open_tab(alice, "Preview")
    expect(alice.locator("#preview-run input")).to_have_value(re.compile(run_id))
    alice.locator("#preview-start").click()
    expect(alice.locator("#preview-status")).to_contain_text("Running", timeout=180_000)  # a loaded machine

    # Swagger UI of the project, inside the studio, its files served locally
    docs = alice.frame_locator("#preview-docs")
    register = docs.locator(".opblock", has=docs.locator(".opblock-summary-path", has_text=re.compile(r"/register$")))
    register.locator(".opblock-summary").click()
    register.get_by_role("button", name="Try it out").click()
    register.locator("textarea.body-param__text").fill('{"email": "swagger@example.com", "password": "password123"}')
    register.get_by_role("button", name="Execute").click()
    expect(register.locator(".live-responses-table tr.response .response-col_status").first).to_contain_text("201")
    expect(register.locator(".live-responses-table")).to_contain_text("swagger@example.com")
    expect(alice.locator("#preview-log textarea")).to_have_value(
        re.compile(r'"POST /api/v1/auth/register HTTP/1\.1" 201')
    )
    screenshot(alice, "preview-1-swagger-ui")

    # Bob is signed in too: the preview's URL is not his (as if it did not exist), nor is the run
    sign_in(bob, studio, provider, "bob")
    for path in ("docs", "openapi.json", "api/v1/books/", "log"):
        answer = bob.goto(f"{studio.url}/preview/{run_id}/{path}")
        assert answer is not None and answer.status == 404, path
    assert bob.context.request.post(f"{studio.url}/preview/{run_id}/start").status == 404
    bob.goto(studio.url)
    open_tab(bob, "Preview")
    expect(bob.locator("#preview-run input")).to_have_value("")  # Alice's run is not in his list
    assert httpx.get(f"{studio.url}/preview/{run_id}/docs").status_code == 401  # nobody signed in

    # Stop: the sandbox goes, the URL with it
    alice.locator("#preview-stop").click()
    expect(alice.locator("#preview-status")).to_contain_text("Stopped")
    assert studio.app.studio._previews.running() == 0  # type: ignore[attr-defined]
    assert alice.context.request.get(f"{studio.url}/preview/{run_id}/docs").status == 404
    screenshot(alice, "preview-2-stopped")
    for page in (alice, bob):
        page.context.close()
