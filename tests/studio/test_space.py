"""The Hugging Face Space, started as a Space starts it, with a real OpenID provider for Hugging Face's.

``spaces/stage.sh`` lays out the Space repository in a temp dir and ``python app.py`` serves it
from there with what a Space sets: ``SYSTEM=spaces``, ``SPACE_ID`` and the ``hf_oauth``
variables (``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``, ``OAUTH_SCOPES``,
``OPENID_PROVIDER_URL``). So Gradio takes its real Space path: its authlib OAuth client, the
``/login/huggingface`` and ``/login/callback`` routes and the signed session cookie, not its
local mock. ``OPENID_PROVIDER_URL`` points at oidc-provider-mock (a real OpenID Connect
provider: discovery, authorize form, code-for-token exchange, RS256 ID tokens) on localhost.

One thing a Space has that this test leaves out: ``SPACE_HOST``. On a Space Gradio builds the
redirect URI as ``https://$SPACE_HOST/login/callback`` behind Hugging Face's HTTPS proxy;
without it Gradio uses the request's own URL (``http://127.0.0.1:PORT/login/callback``), which
is the same route. The session cookie is ``Secure``; Chromium keeps it on http://127.0.0.1
because loopback counts as a secure origin.

Chromium then signs in as two visitors in two browser contexts, each generates with the
``fake`` profile and sees its own run on the History page and not the other's; an anonymous
visitor is asked to sign in and cannot generate; a second run inside the hour is refused
(``CODEBEGEN_STUDIO_RUNS_PER_HOUR=1``). Screenshots go to ``artifacts/screenshots/space-*``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio
import pytest
import yaml
from playwright.sync_api import expect

from codebegen.studio.history import close_history, open_history
from tests.helpers import REPO
from tests.helpers.browser import (
    PROMPT,
    RUN_TIMEOUT_MS,
    enter_prompt,
    generate_and_wait,
    new_page,
    open_tab,
    table_cell,
)
from tests.helpers.studio import free_port, openid_provider_mock, screenshot, stop, wait_until_serving

CLIENT_ID = "codebegen-space-test"
# Two Hugging Face accounts as the provider describes them (Hugging Face's ID tokens carry these
# profile claims and a single-string ``aud``; the mock puts a user's extra claims in the token).
VISITORS = {
    "alice": {"sub": "hf-user-alice", "preferred_username": "alice", "name": "Alice A."},
    "bob": {"sub": "hf-user-bob", "preferred_username": "bob", "name": "Bob B."},
}


def claims(username: str) -> dict[str, Any]:
    return VISITORS[username] | {
        "profile": f"https://huggingface.co/{username}",
        "picture": f"https://huggingface.co/avatars/{username}.svg",
        "aud": CLIENT_ID,
    }


@pytest.fixture
def openid_provider(tmp_path: Path) -> Iterator[str]:
    """oidc-provider-mock on a free loopback port, with the two visitors predefined."""
    with openid_provider_mock((claims(u) for u in VISITORS), tmp_path / "openid-provider.log") as url:
        yield url


@dataclass
class Space:
    url: str
    data_dir: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            stop(self.proc)


@pytest.fixture
def space(tmp_path: Path, runtime_cache: Path, openid_provider: str) -> Iterator[Space]:
    repo = tmp_path / "space-repo"
    subprocess.run(["bash", str(REPO / "spaces" / "stage.sh"), str(repo)], check=True, capture_output=True)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "runtimes").symlink_to(runtime_cache)  # the gate's environments, built once per machine
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CODEBEGEN_STUDIO_", "GRADIO_", "OAUTH_"))}
    env = inherited | {
        # what a Space with `hf_oauth: true` sets (SPACE_HOST aside, see the module docstring)
        "SYSTEM": "spaces",
        "SPACE_ID": "codebegen/studio-test",
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": "a-client-secret",
        "OAUTH_SCOPES": "openid profile",
        "OPENID_PROVIDER_URL": openid_provider,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        # this test's studio: the fake models, its own data, one run an hour per visitor
        "CODEBEGEN_STUDIO_PROFILE": "fake",
        "CODEBEGEN_STUDIO_DATA_DIR": str(tmp_path / "data"),
        "CODEBEGEN_STUDIO_CACHE_DIR": str(cache),
        "CODEBEGEN_STUDIO_RUNS_PER_HOUR": "1",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import codebegen.studio; print(codebegen.studio.__file__)"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.strip() == str(repo / "codebegen" / "studio" / "__init__.py"), (
        "the Space must serve its staged copy"
    )
    log = tmp_path / "space.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, timeout=120)
        yield Space(url, tmp_path / "data", proc)
    finally:
        if proc.poll() is None:
            stop(proc)


def sign_in(page: Any, space: Space, provider: str, username: str) -> None:
    """Sign in the way a visitor does: the button, the provider's authorize page, back to the Space."""
    page.goto(space.url)
    expect(page.locator("#signed-in")).to_contain_text("Sign in with Hugging Face to generate")
    page.locator("#login").click()
    page.wait_for_url(f"{provider}/oauth2/authorize?**")
    assert f"client_id={CLIENT_ID}" in page.url and "scope=openid+profile" in page.url
    screenshot(page, f"space-1-provider-{username}")
    page.get_by_role("button", name=VISITORS[username]["sub"], exact=True).click()
    page.wait_for_url(f"{space.url}/**")
    expect(page.locator("#signed-in")).to_contain_text(f"Signed in as {username}")
    expect(page.locator("#login")).to_contain_text(f"Logout ({username})")


def history_text(page: Any, shows: str) -> str:
    """The History page's runs table once it shows ``shows``."""
    open_tab(page, "History")
    page.locator("#history-refresh").click()
    expect(page.locator("#runs")).to_contain_text(shows)
    page.wait_for_timeout(500)  # let the table's loading fade end before a screenshot
    return page.locator("#runs").inner_text()


@pytest.mark.slow
def test_visitors_sign_in_with_hugging_face_and_see_only_their_own_runs(
    space: Space, openid_provider: str, browser: Any
) -> None:
    anonymous, alice, bob = new_page(browser), new_page(browser), new_page(browser)
    try:
        # An anonymous visitor sees the page, is asked to sign in, and cannot generate.
        anonymous.goto(space.url)
        expect(anonymous.locator("#login")).to_contain_text("Sign in with Hugging Face")
        expect(anonymous.locator("#signed-in")).to_contain_text("Sign in with Hugging Face to generate")
        anonymous.wait_for_timeout(1000)  # the page's load events (the history list and what it redraws) ran
        refusal = anonymous.get_by_text("Sign in with your Hugging Face account to use this studio")
        expect(refusal).to_have_count(0)  # looking is allowed: loading the page raised nothing
        enter_prompt(anonymous)
        anonymous.locator("#generate").click()
        expect(refusal).to_have_count(1)
        expect(anonymous.locator("#generate")).to_be_visible()
        screenshot(anonymous, "space-0-anonymous-refused")
        open_tab(anonymous, "History")
        expect(anonymous.locator("#runs")).to_contain_text("sign in to see your runs")

        # Alice signs in, generates, and finds her run on the History page.
        sign_in(alice, space, openid_provider, "alice")
        screenshot(alice, "space-2-signed-in-alice")
        enter_prompt(alice)
        alice_run = generate_and_wait(alice, timeout=RUN_TIMEOUT_MS)
        history_text(alice, alice_run)
        table_cell(alice, "#runs", "passed").wait_for()
        screenshot(alice, "space-3-history-alice")

        # A second run inside the hour is over her limit (one an hour in this test).
        open_tab(alice, "Generate")
        alice.locator("#generate").click()
        alice.get_by_text("this studio allows 1 an hour per visitor").first.wait_for()
        screenshot(alice, "space-4-limit-alice")

        # Bob, in another browser, sees none of Alice's runs, then his own after generating.
        sign_in(bob, space, openid_provider, "bob")
        before = history_text(bob, "no runs yet")
        assert alice_run not in before, before
        open_tab(bob, "Generate")
        enter_prompt(bob, PROMPT)
        bob_run = generate_and_wait(bob, timeout=RUN_TIMEOUT_MS)
        after = history_text(bob, bob_run)
        assert alice_run not in after, after
        screenshot(bob, "space-5-history-bob")
        assert bob_run not in history_text(alice, alice_run)
    finally:
        for page in (anonymous, alice, bob):
            page.context.close()

    # The rows behind the pages, read once the Space has stopped (DuckDB allows one process per file):
    # each run under its visitor's Hugging Face account, nothing from the anonymous visitor or the
    # refused run, nothing under the local user.
    space.stop()
    history = open_history(space.data_dir / "history.duckdb")
    try:
        assert [r.id for r in history.list("hf:alice")] == [alice_run]
        assert [r.id for r in history.list("hf:bob")] == [bob_run]
        assert history.list("local") == []
        assert history.get("hf:bob", alice_run) is None
        assert {r.status for r in history.list("hf:alice") + history.list("hf:bob")} == {"passed"}
    finally:
        close_history(space.data_dir / "history.duckdb")


def test_the_space_metadata_matches_what_is_installed() -> None:
    front = (REPO / "spaces" / "README.md").read_text().split("---")[1]
    meta = yaml.safe_load(front)
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == gradio.__version__
    assert meta["app_file"] == "app.py" and (REPO / "spaces" / meta["app_file"]).is_file()
    assert meta["hf_oauth"] is True and meta["python_version"] == "3.11"
    assert len(meta["short_description"]) <= 60


def test_the_space_requirements_name_every_runtime_dependency() -> None:
    """requirements.txt stands in for ``pip install .[models,studio]`` on the Space: nothing may be missing."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    needed = project["dependencies"] + project["optional-dependencies"]["models"]
    needed += [r for r in project["optional-dependencies"]["studio"] if not r.startswith("gradio")]  # the SDK's
    lines = (REPO / "spaces" / "requirements.txt").read_text().splitlines()
    named = {re.split(r"[<>=\[ ]", line, maxsplit=1)[0].lower() for line in lines if line and line[0].isalnum()}
    missing = [r for r in needed if re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower() not in named]
    assert not missing, f"spaces/requirements.txt lacks {missing}"
    assert {"authlib", "itsdangerous"} <= named  # Gradio's OAuth routes
