"""Sign-in with the studio's own providers: GitHub against a local stand-in, OpenID Connect against oidc-provider-mock.

The GitHub provider is exercised against ``tests/helpers/github_standin.py``, a small OAuth2
server that behaves as GitHub documents (PKCE checked, codes single use): not GitHub itself.
The OpenID Connect provider is the real ``oidc-provider-mock`` (discovery, authorize form,
code exchange, RS256 ID tokens), which Chromium signs in to as three people: two of one
organization (an owner and a viewer) and an outsider. Screenshots: ``artifacts/screenshots/accounts-*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from codebegen.errors import EngineError
from codebegen.studio.auth import check_secret
from codebegen.studio.settings import OidcProvider, StudioSettings
from codebegen.studio.store import open_store
from tests.helpers.browser import (
    PEOPLE,
    PROMPT,
    RUN_TIMEOUT_MS,
    SECRET,
    enter_prompt,
    generate_and_wait,
    new_page,
    open_tab,
    sign_in,
)
from tests.helpers.github_standin import USER, GitHubStandIn
from tests.helpers.github_standin import serve as serve_standin
from tests.helpers.studio import Served, free_port, openid_provider_mock, screenshot, serve_with

expect.set_options(timeout=30_000)  # page-load events wait their turn on a busy 2-core machine


def test_login_needs_a_real_session_secret(studio_settings: StudioSettings) -> None:
    github = {"github_client_id": "id", "github_client_secret": "s"}
    for secret in (None, "secret", "change-me", "short-but-not-a-default"):
        with pytest.raises(EngineError, match="session secret"):
            check_secret(studio_settings.model_copy(update=github | {"session_secret": secret}))
    assert check_secret(studio_settings.model_copy(update=github | {"session_secret": SECRET})) == SECRET
    assert check_secret(studio_settings) is None  # no provider: single-user local, no secret needed


def test_several_providers_at_once_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEBEGEN_STUDIO_GITHUB_CLIENT_ID", "gh")
    monkeypatch.setenv(
        "CODEBEGEN_STUDIO_OIDC_PROVIDERS",
        json.dumps([{"name": "keycloak", "discovery_url": "http://kc/.well-known/openid-configuration",
                     "client_id": "c"}, {"name": "google", "discovery_url": "http://g", "client_id": "g"}]),
    )  # fmt: skip
    settings = StudioSettings()
    assert settings.providers == ["github", "keycloak", "google"] and settings.accounts
    monkeypatch.setenv("SYSTEM", "spaces")  # on a Space the Hugging Face login stays
    assert not StudioSettings().accounts


@pytest.fixture
def github(studio_settings: StudioSettings) -> Iterator[tuple[Served, GitHubStandIn]]:
    standin = GitHubStandIn("gh-client", "gh-secret")
    port = free_port()
    server = serve_standin(standin, port)
    settings = studio_settings.model_copy(
        update={"github_client_id": "gh-client", "github_client_secret": "gh-secret", "session_secret": SECRET,
                "github_url": f"http://127.0.0.1:{port}", "github_api_url": f"http://127.0.0.1:{port}"}
    )  # fmt: skip
    served = serve_with(settings)
    try:
        yield served, standin
    finally:
        served.app.close()  # type: ignore[attr-defined]
        server.should_exit = True


def test_github_login_with_state_and_pkce_against_a_local_standin(github: tuple[Served, GitHubStandIn]) -> None:
    served, standin = github
    browser = httpx.Client(base_url=served.url, timeout=30)
    assert browser.get("/api/v1/projects").status_code == 401

    start = browser.get("/auth/login/github")
    assert start.status_code == 302
    authorize = urlparse(start.headers["location"])
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["gh-client"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{served.url}/auth/callback/github"] and query["state"][0]
    back = httpx.get(start.headers["location"])  # the stand-in approves at once
    callback = back.headers["location"]
    code = parse_qs(urlparse(callback).query)["code"][0]

    forged = browser.get(f"/auth/callback/github?code={code}&state=forged")
    assert forged.status_code == 400 and "refused" in forged.text
    signed_in = browser.get(callback)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    assert standin.token_requests[-1]["code_verifier"]  # the PKCE verifier went to the token endpoint
    assert browser.get("/api/v1/projects").status_code == 200  # the session authenticates the API
    user = open_store(served.settings.database).user(f"github:{USER['id']}")
    assert user is not None and user.name == "The Octocat" and user.provider == "github"
    page = browser.get("/")
    assert page.status_code == 200

    # the same callback again: its state was spent with the sign-in
    assert browser.get(callback).status_code == 400
    # the same code with a fresh state: the provider refuses it (codes are single use)
    fresh = parse_qs(urlparse(browser.get("/auth/login/github").headers["location"]).query)["state"][0]
    replay = browser.get(f"/auth/callback/github?code={code}&state={fresh}")
    assert replay.status_code == 400 and "bad_verification_code" in replay.text

    assert browser.get("/auth/logout").status_code == 303
    assert browser.get("/api/v1/projects").status_code == 401  # signed out: the session is gone
    assert httpx.get(f"{served.url}/auth/login/nope").status_code == 404


# --- OpenID Connect, in a browser -------------------------------------------------------------


@pytest.fixture
def oidc_provider(tmp_path: Path) -> Iterator[str]:
    with openid_provider_mock(PEOPLE.values(), tmp_path / "oidc.log") as url:
        yield url


@pytest.fixture
def accounts(studio_settings: StudioSettings, oidc_provider: str) -> Iterator[Served]:
    provider = OidcProvider(
        name="mock", label="Mock ID", client_id="codebegen-test", client_secret="a-client-secret",
        discovery_url=f"{oidc_provider}/.well-known/openid-configuration",
    )  # fmt: skip
    served = serve_with(studio_settings.model_copy(update={"oidc_providers": [provider], "session_secret": SECRET}))
    try:
        yield served
    finally:
        served.app.close()  # type: ignore[attr-defined]


def api(page: Any, served: Served, method: str, path: str, **kwargs: Any) -> Any:
    """A REST call with the page's session cookie (as a script in that browser would make it)."""
    return page.context.request.fetch(f"{served.url}/api/v1{path}", method=method, **kwargs)


@pytest.mark.slow
def test_two_members_of_an_organization_and_an_outsider(accounts: Served, oidc_provider: str, browser: Any) -> None:
    alice, bob, carol = new_page(browser), new_page(browser), new_page(browser)
    store = open_store(accounts.settings.database)
    try:
        # Alice signs in, creates the organization, works in it and invites Bob as a viewer.
        sign_in(alice, accounts, oidc_provider, "alice")
        screenshot(alice, "accounts-1-signed-in-alice")
        open_tab(alice, "Account")
        alice.locator("#org-slug textarea, #org-slug input").first.fill("acme")
        alice.locator("#org-create").click()
        alice.locator("#org-acme a").click()
        expect(alice.locator("#workspace")).to_have_text("acme")
        open_tab(alice, "Account")
        alice.locator("#invite-role input").click()
        alice.get_by_role("option", name="viewer", exact=True).click()
        alice.locator("#invite-create").click()
        link_box = alice.locator("#invite-link textarea, #invite-link input").first
        alice.wait_for_function(
            "() => (document.querySelector('#invite-link textarea, #invite-link input') || {}).value?.includes('/auth/')"
        )
        link = link_box.input_value()
        screenshot(alice, "accounts-2-invitation")

        # Bob signs in and follows the link: he is a viewer of acme, working in it.
        sign_in(bob, accounts, oidc_provider, "bob")
        bob.goto(link)
        bob.wait_for_url(f"{accounts.url}/")
        expect(bob.locator("#workspace")).to_have_text("acme")
        assert store.role("acme", "oidc:mock:bob-sub") == "viewer"
        again = bob.goto(link)  # single use
        assert again is not None and again.status == 410
        expect(bob.locator("#auth-error")).to_contain_text("used already")
        bob.goto(accounts.url)

        # Alice generates in acme; Bob sees the run and may download it, but cannot generate.
        open_tab(alice, "Generate")
        enter_prompt(alice, PROMPT)
        run_id = generate_and_wait(alice, timeout=RUN_TIMEOUT_MS)
        assert (
            store.history.get("org:acme", run_id) is not None
            and store.history.get("oidc:mock:alice-sub", run_id) is None
        )
        open_tab(bob, "History")
        bob.locator("#history-refresh").click()
        expect(bob.locator("#runs")).to_contain_text(run_id)
        open_tab(bob, "Generate")
        enter_prompt(bob, PROMPT)
        bob.locator("#generate").click()
        expect(bob.get_by_text("you may look and download, not generate").first).to_be_visible()
        screenshot(bob, "accounts-3-viewer-refused")
        assert api(bob, accounts, "GET", f"/generations/{run_id}").json()["status"] == "verified"
        assert api(bob, accounts, "GET", f"/generations/{run_id}/archive").status == 200
        refused = api(bob, accounts, "POST", "/generations", data={"prompt": PROMPT, "org": "acme", "profile": "fake"})
        assert refused.status == 403

        # Alice makes a read-only API key on the Account page: shown once, it reads acme's projects.
        open_tab(alice, "Account")
        alice.locator("#key-name textarea, #key-name input").first.fill("ci")
        alice.get_by_label("generate").uncheck()
        alice.locator("#key-create").click()
        alice.wait_for_function(
            "() => (document.querySelector('#new-key textarea, #new-key input') || {}).value?.startsWith('cbg_')"
        )
        key = alice.locator("#new-key textarea, #new-key input").first.input_value()
        expect(alice.locator("#keys")).to_contain_text("read")
        assert key not in alice.locator("#keys").inner_text()
        with httpx.Client(base_url=f"{accounts.url}/api/v1", headers={"Authorization": f"Bearer {key}"}) as script:
            assert [p["owner"] for p in script.get("/projects").json()] == ["org:acme"]
            assert script.post("/generations", json={"prompt": PROMPT, "org": "acme"}).status_code == 403  # read only
        screenshot(alice, "accounts-3b-key-created")

        # Carol, an outsider, sees nothing of acme, in the UI or the API.
        carol_callbacks = sign_in(carol, accounts, oidc_provider, "carol")
        open_tab(carol, "History")
        carol.locator("#history-refresh").click()
        expect(carol.locator("#runs")).to_contain_text("no runs yet")
        assert run_id not in carol.locator("#runs").inner_text()
        assert carol.goto(f"{accounts.url}/auth/workspace?org=acme").status == 404
        assert api(carol, accounts, "GET", f"/generations/{run_id}").status == 404
        assert api(carol, accounts, "GET", "/projects").json() == []
        assert api(carol, accounts, "POST", "/generations", data={"prompt": PROMPT, "org": "acme"}).status == 404
        screenshot(carol, "accounts-4-outsider")

        # A replayed callback (its code and state) and a forged state are refused.
        assert carol_callbacks, "the browser went through the callback"
        replay = carol.goto(carol_callbacks[0])
        assert replay is not None and replay.status == 400
        code = parse_qs(urlparse(carol_callbacks[0]).query)["code"][0]
        forged = carol.goto(f"{accounts.url}/auth/callback/mock?code={code}&state=forged-state")
        assert forged is not None and forged.status == 400
        expect(carol.locator("#auth-error")).to_contain_text("refused")
        carol.goto(accounts.url)
        expect(carol.locator("#signed-in-name")).to_have_text("Carol C.")  # refusals did not sign her out or in again

        # Signing out ends the session: the page asks to sign in, the API answers 401.
        bob.goto(accounts.url)
        bob.locator("#sign-out").click()
        bob.wait_for_url(f"{accounts.url}/")
        expect(bob.locator("#signed-in")).to_contain_text("Sign in to generate")
        assert api(bob, accounts, "GET", "/projects").status == 401
        screenshot(bob, "accounts-5-signed-out")
    finally:
        for page in (alice, bob, carol):
            page.context.close()
