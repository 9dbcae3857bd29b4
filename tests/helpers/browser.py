"""A person's steps in the studio's page, for the Playwright tests: type a prompt, generate and wait,
open a tab, download, and sign in through oidc-provider-mock as one of ``PEOPLE``."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from tests.helpers.studio import Served

PROMPT = "A notes API: users register and log in; each note has a title and a body and belongs to its author."
RUN_TIMEOUT_MS = 240_000
SECRET = "a-test-session-secret-that-is-long-enough-0123456789"  # the studio's session secret
PEOPLE = {
    "alice": {"sub": "alice-sub", "name": "Alice A.", "email": "alice@example.com"},
    "bob": {"sub": "bob-sub", "name": "Bob B.", "email": "bob@example.com"},
    "carol": {"sub": "carol-sub", "name": "Carol C.", "email": "carol@example.com"},
}


def enter_prompt(page: Any, prompt: str = PROMPT, profile: str = "fake") -> None:
    page.locator("#prompt textarea").fill(prompt)
    page.locator("#profile input").click()
    page.get_by_role("option", name=profile, exact=True).click()


def generate_and_wait(page: Any, button: str = "#generate", timeout: float = RUN_TIMEOUT_MS) -> str:
    """Click, see Generate become Cancel, wait for the run to end; return the run id shown."""
    page.locator(button).click()
    page.locator("#cancel").wait_for(state="visible")
    assert page.locator("#generate").is_hidden()
    page.locator("#cancel").wait_for(state="hidden", timeout=timeout)
    progress = page.locator("#progress").inner_text()
    assert "Verified" in progress, progress
    match = re.search(r"runs/([0-9a-f]{12})/project", progress)
    assert match, progress
    return match.group(1)


def table_cell(page: Any, table: str, text: str) -> Any:
    """The visible cell of a Gradio table that holds ``text``."""
    return page.locator(f"{table} [role=gridcell]").filter(has_text=text).first


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def download(page: Any, button: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.locator(button).click()
    info.value.save_as(target)
    return target


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    return context.new_page()


def sign_in(page: Any, served: Served, provider: str, who: str) -> list[str]:
    """Sign in as ``who`` through the provider's form; return the callback URLs the browser visited."""
    from playwright.sync_api import expect

    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/auth/callback/" in r.url else None)
    page.goto(served.url)
    expect(page.locator("#signed-in")).to_contain_text("Sign in to generate", timeout=30_000)
    page.locator("#sign-in-mock").click()
    page.wait_for_url(f"{provider}/oauth2/authorize?**")
    assert "code_challenge_method=S256" in page.url and "state=" in page.url
    page.get_by_role("button", name=PEOPLE[who]["sub"], exact=True).click()
    page.wait_for_url(f"{served.url}/")
    expect(page.locator("#signed-in-name")).to_have_text(PEOPLE[who]["name"])
    return callbacks
