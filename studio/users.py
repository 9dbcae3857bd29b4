"""Who is using the studio: every handler asks this module, and stores and reads per user.

The only module that knows about login. With login off (the default off a Space) there is one
local user (``CODEBEGEN_STUDIO_LOCAL_USER``, default ``local``), exactly as before login
existed. With login on (``settings.login``, on by default on a Hugging Face Space) visitors
sign in with Gradio's Hugging Face OAuth (``gr.LoginButton``; Gradio adds ``/login/huggingface``,
``/login/callback`` and ``/logout`` and keeps the OpenID token in a signed session cookie) and
a visitor's id is ``hf:<username>``, the ``preferred_username`` of that session's profile, the
same value ``gr.OAuthProfile.username`` carries. An anonymous visitor may look at the page but
``current_user`` refuses them with a ``gr.Error`` that asks them to sign in.

The profile is read from the request's Starlette session directly, the way Gradio injects
``gr.OAuthProfile`` (expired sessions count as signed out), not through ``gr.Request``'s
attribute proxy, which fails on list-valued claims such as an ID token's ``aud``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import gradio as gr

from engine.errors import EngineError
from studio.errors import user_error
from studio.settings import StudioSettings

PREFIX = "hf:"  # keeps Hugging Face accounts apart from the local user's id


def _session(request: gr.Request | None) -> Mapping[str, Any]:
    raw = getattr(request, "request", None) if request is not None else None
    scope = getattr(raw, "scope", None)
    if isinstance(scope, dict):
        return scope.get("session") or {}
    return {}


def hf_username(request: gr.Request | None) -> str | None:
    """The signed-in Hugging Face username of the request's session, or None."""
    info = _session(request).get("oauth_info")
    if not isinstance(info, Mapping):
        return None
    expires_at = info.get("expires_at")
    if expires_at is not None and expires_at < time.time():
        return None
    username = (info.get("userinfo") or {}).get("preferred_username")
    return str(username) if username else None


def signed_in(request: gr.Request | None, settings: StudioSettings) -> str | None:
    """The id the request's runs are stored under, or None for an anonymous visitor (login on)."""
    if not settings.login:
        return settings.local_user
    username = hf_username(request)
    return f"{PREFIX}{username}" if username else None


def current_user(request: gr.Request | None, settings: StudioSettings) -> str:
    """The caller's id; with login on, a ``gr.Error`` asking an anonymous visitor to sign in."""
    user = signed_in(request, settings)
    if user is None:
        raise user_error(
            EngineError(
                "sign in with your Hugging Face account to use this studio",
                hint="press 'Sign in with Hugging Face' at the top of the page; your runs are kept under your account",
            )
        )
    return user


def login_controls(settings: StudioSettings) -> None:
    """With login on: the sign-in button and a line on who is signed in and the limits; else nothing."""
    if not settings.login:
        return
    limits = f"prompts up to {settings.max_prompt_chars} characters"
    if settings.runs_per_hour:
        runs = settings.runs_per_hour
        limits += f", {runs} run{'s' if runs != 1 else ''} an hour"
    with gr.Row(equal_height=True):
        gr.LoginButton(elem_id="login", scale=0, min_width=260)
        status = gr.Markdown(elem_id="signed-in")

    def who(request: gr.Request) -> str:
        username = hf_username(request)
        if username is None:
            return f"**Sign in with Hugging Face to generate.** Each visitor sees only their own runs; {limits}."
        return f"Signed in as **{username}**. Your history is yours alone; {limits}."

    status.attach_load_event(who, None)
