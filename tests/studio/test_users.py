"""Who is calling: the local user when login is off, the Hugging Face username from the session when on."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr
import pytest
from starlette.requests import Request

from codebegen.studio.settings import StudioSettings
from codebegen.studio.users import current_user, hf_username, signed_in


def request_with(session: dict[str, Any] | None) -> gr.Request:
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "headers": []}
    if session is not None:
        scope["session"] = session
    return gr.Request(request=Request(scope))


def oauth_session(username: str, expires_in: float = 3600) -> dict[str, Any]:
    """What Gradio's /login/callback stores: authlib's token with the ID token's claims as userinfo."""
    return {
        "oauth_info": {
            "access_token": "t", "token_type": "Bearer", "scope": "openid profile",
            "expires_at": int(time.time() + expires_in),
            "userinfo": {"sub": "123", "preferred_username": username, "name": username.title(), "aud": ["client"]},
        }
    }  # fmt: skip


def test_login_off_is_the_single_local_user(monkeypatch) -> None:
    monkeypatch.delenv("SYSTEM", raising=False)
    settings = StudioSettings()
    assert settings.login is False
    assert current_user(request_with(oauth_session("alice")), settings) == "local"
    assert current_user(None, settings) == "local"


def test_login_is_on_by_default_on_a_space(monkeypatch) -> None:
    monkeypatch.setenv("SYSTEM", "spaces")
    assert StudioSettings().login is True
    monkeypatch.setenv("CODEBEGEN_STUDIO_LOGIN", "false")
    assert StudioSettings().login is False


def test_login_on_the_signed_in_hugging_face_user() -> None:
    settings = StudioSettings(login=True)
    request = request_with(oauth_session("alice"))
    assert hf_username(request) == "alice"
    assert current_user(request, settings) == "hf:alice"
    assert current_user(request_with(oauth_session("bob")), settings) == "hf:bob"


@pytest.mark.parametrize(
    "session",
    [None, {}, {"oauth_info": None}, oauth_session("alice", expires_in=-1)],
    ids=["none", "empty", "null", "expired"],
)
def test_login_on_an_anonymous_visitor_is_asked_to_sign_in(session: dict[str, Any] | None) -> None:
    settings = StudioSettings(login=True)
    request = request_with(session)
    assert signed_in(request, settings) is None
    with pytest.raises(gr.Error, match="Sign in with your Hugging Face account") as refused:
        current_user(request, settings)
    assert "Sign in with Hugging Face" in str(refused.value.message)
