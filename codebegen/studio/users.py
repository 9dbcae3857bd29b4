"""Who is using the studio: every handler asks this module, and stores and reads per user.

The only module that knows about login. With login off (the default off a Space) there is one
local user (``CODEBEGEN_STUDIO_LOCAL_USER``, default ``local``), exactly as before login
existed. With login on (``settings.login``, on by default on a Hugging Face Space) visitors
sign in with Gradio's Hugging Face OAuth (``gr.LoginButton``; Gradio adds ``/login/huggingface``,
``/login/callback`` and ``/logout`` and keeps the OpenID token in a signed session cookie) and
a visitor's id is ``hf:<username>``, the ``preferred_username`` of that session's profile, the
same value ``gr.OAuthProfile.username`` carries. An anonymous visitor may look at the page but
``current_user`` refuses them with a ``gr.Error`` that asks them to sign in.

With a login provider of the studio's own configured (``settings.accounts``: GitHub or OpenID
Connect, ``codebegen.studio.auth``) the signed-in person is the session's ``user`` (``github:<id>``,
``oidc:<provider>:<sub>``), and the session's ``workspace`` may name one of their
organizations: the runs a page lists and starts are then the organization's (owner
``org:<slug>``), and ``current_user(..., need="generate")`` refuses a viewer. ``person`` is who
is asking (the limits count them); ``signed_in``/``current_user`` whose runs they work on.

The profile is read from the request's Starlette session directly, the way Gradio injects
``gr.OAuthProfile`` (expired sessions count as signed out), not through ``gr.Request``'s
attribute proxy, which fails on list-valued claims such as an ID token's ``aud``. The sign-in
widgets on the page are ``codebegen.studio.sign_in``'s.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import gradio as gr

from codebegen.errors import EngineError
from codebegen.studio.errors import user_error
from codebegen.studio.settings import StudioSettings

PREFIX = "hf:"  # keeps Hugging Face accounts apart from the local user's id
SESSION_USER = "user"  # codebegen.studio.auth's sign-in: {"id", "name", "provider"}
SESSION_WORKSPACE = "workspace"  # an organization id the person works in, or absent (their own)


def request_session(request: gr.Request | None) -> Mapping[str, Any]:
    """The request's Starlette session (empty without one)."""
    raw = getattr(request, "request", None) if request is not None else None
    scope = getattr(raw, "scope", None)
    if isinstance(scope, dict):
        return scope.get("session") or {}
    return {}


def hf_username(request: gr.Request | None) -> str | None:
    """The signed-in Hugging Face username of the request's session, or None."""
    info = request_session(request).get("oauth_info")
    if not isinstance(info, Mapping):
        return None
    expires_at = info.get("expires_at")
    if expires_at is not None and expires_at < time.time():
        return None
    username = (info.get("userinfo") or {}).get("preferred_username")
    return str(username) if username else None


def account(session: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The studio's own sign-in of a session (``codebegen.studio.auth`` wrote it), or None."""
    info = session.get(SESSION_USER)
    return info if isinstance(info, Mapping) and info.get("id") else None


def person(request: gr.Request | None, settings: StudioSettings) -> str | None:
    """Who is asking: the local user, ``hf:<username>``, the signed-in account's id; None if anonymous."""
    if settings.login:
        username = hf_username(request)
        return f"{PREFIX}{username}" if username else None
    if settings.accounts:
        info = account(request_session(request))
        return str(info["id"]) if info else None
    return settings.local_user


def _workspace(request: gr.Request | None, settings: StudioSettings, who: str) -> tuple[str, str]:
    """Whose runs ``who`` works on (their own, or the session's organization) and their role there."""
    org_id = request_session(request).get(SESSION_WORKSPACE) if settings.accounts else None
    if org_id:
        from codebegen.studio.store import ORG_PREFIX, open_store

        role = open_store(settings.database, settings.database_url).role(str(org_id), who)
        if role is not None:  # a removed member falls back to their own runs
            return ORG_PREFIX + str(org_id), role
    return who, "owner"


def signed_in(request: gr.Request | None, settings: StudioSettings) -> str | None:
    """The id the request's runs are stored under, or None for an anonymous visitor (login on)."""
    who = person(request, settings)
    return _workspace(request, settings, who)[0] if who is not None else None


def current_user(request: gr.Request | None, settings: StudioSettings, need: str = "read") -> str:
    """The id the caller's runs are stored under; a ``gr.Error`` for an anonymous visitor, or a role below ``need``."""
    who = person(request, settings)
    if who is None:
        if settings.accounts:
            raise user_error(
                EngineError(
                    "sign in to use this studio",
                    hint="press a 'Sign in with ...' link at the top of the page; your runs are kept under your account",
                )
            )
        raise user_error(
            EngineError(
                "sign in with your Hugging Face account to use this studio",
                hint="press 'Sign in with Hugging Face' at the top of the page; your runs are kept under your account",
            )
        )
    owner, role = _workspace(request, settings, who)
    from codebegen.studio.store import allows

    if not allows(role, need):
        raise user_error(
            EngineError(
                f"you are a {role} of {owner.removeprefix('org:')}: you may look and download, not {need}",
                hint="ask an admin of the organization for the member role, or switch to your own workspace on the "
                "Account page",
            )
        )
    return owner
