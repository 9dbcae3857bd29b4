"""Sign-in with the studio's own login providers: GitHub (OAuth2) and OpenID Connect providers (authlib).

Owns the routes under ``/auth``, the session cookie's contents and the providers' sign-in links
(``codebegen.studio.sign_in`` shows them). ``/auth/login/<provider>``
sends the browser to the provider with a fresh ``state`` and a PKCE challenge (S256), both kept
in the signed session cookie; ``/auth/callback/<provider>`` lets authlib check the ``state``
against the session (a forged or replayed one is refused: the session holds each state once),
exchange the code with the PKCE verifier (a provider refuses a code used before), and, for
OpenID Connect, validate the ID token (signature against the provider's keys, issuer,
audience, nonce). The person is then stored (``codebegen.studio.store``) and the session holds
``{"id", "name", "provider"}`` (``codebegen.studio.users`` reads it, so the pages ask one place who is
signed in). ``/auth/logout`` ends the session. ``/auth/invite/<token>`` joins an organization
(``codebegen.studio.store.Store.accept``), ``/auth/workspace?org=`` picks whose runs the pages work on.

Providers come from ``codebegen.studio.settings``: GitHub with ``github_client_id``/``_secret`` (its
endpoints at ``github_url``/``github_api_url``, so a local stand-in can be used), and any number of
``oidc_providers`` by discovery URL. User ids: ``github:<numeric id>``,
``oidc:<provider>:<sub>``. The session cookie is signed with ``session_secret``, which
``check_secret`` requires (and refuses when it is a placeholder) whenever a provider is on.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from codebegen.errors import EngineError
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import AccessError, Store
from codebegen.studio.users import SESSION_USER, SESSION_WORKSPACE, account

PLACEHOLDER_SECRETS = {"", "secret", "changeme", "change-me", "change_me", "default", "password", "session-secret",
                       "replace-me", "dev", "test", "codebegen"}  # fmt: skip
MIN_SECRET_CHARS = 32


def check_secret(settings: StudioSettings) -> str | None:
    """The session secret when login providers are on (refusing a missing, short or placeholder one); else None."""
    if not settings.accounts:
        return None
    secret = settings.session_secret or ""
    if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_CHARS:
        raise EngineError(
            "a login provider is configured, so the studio needs its own session secret "
            f"(CODEBEGEN_STUDIO_SESSION_SECRET, at least {MIN_SECRET_CHARS} characters, not a placeholder)",
            hint='generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`',
        )
    return secret


def _oauth(settings: StudioSettings) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    if settings.github_client_id:
        base, api = settings.github_url.rstrip("/"), settings.github_api_url.rstrip("/")
        oauth.register(
            name="github", client_id=settings.github_client_id, client_secret=settings.github_client_secret,
            authorize_url=f"{base}/login/oauth/authorize", access_token_url=f"{base}/login/oauth/access_token",
            api_base_url=f"{api}/", client_kwargs={"scope": "read:user user:email", "code_challenge_method": "S256"},
        )  # fmt: skip
    for provider in settings.oidc_providers:
        oauth.register(
            name=provider.name, client_id=provider.client_id, client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={"scope": provider.scope, "code_challenge_method": "S256"},
        )  # fmt: skip
    return oauth


def provider_label(settings: StudioSettings, name: str) -> str:
    """A provider's name as the pages show it ("GitHub", an OpenID provider's label)."""
    if name == "github":
        return "GitHub"
    return next((p.label or p.name for p in settings.oidc_providers if p.name == name), name)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><title>{html.escape(title)} · codebegen studio</title></head>"
        f"<body style='font-family: sans-serif; max-width: 40em; margin: 3em auto'><h1>{html.escape(title)}</h1>"
        f"{body}<p><a href='/'>Back to the studio</a></p></body></html>",
        status_code=status,
    )


def sign_in_links(settings: StudioSettings) -> str:
    """One "Sign in with ..." link per configured provider (HTML)."""
    return " ".join(
        f"<a class='sign-in' id='sign-in-{n}' href='/auth/login/{n}' target='_self'>Sign in with "
        f"{html.escape(provider_label(settings, n))}</a>"
        for n in settings.providers
    )


def router(store: Store, settings: StudioSettings) -> APIRouter:
    """The ``/auth`` routes (only mounted when a provider is configured)."""
    oauth = _oauth(settings)
    routes = APIRouter(prefix="/auth", include_in_schema=False)

    def redirect_uri(request: Request, provider: str) -> str:
        if settings.public_url:
            return f"{settings.public_url.rstrip('/')}/auth/callback/{provider}"
        return str(request.url_for("auth_callback", provider=provider))

    @routes.get("/login/{provider}")
    async def login(provider: str, request: Request) -> Any:
        client = oauth.create_client(provider) if provider in settings.providers else None
        if client is None:
            return _page(
                "Unknown sign-in provider", f"<p>This studio has no provider {html.escape(provider)!r}.</p>", 404
            )
        return await client.authorize_redirect(request, redirect_uri(request, provider))

    @routes.get("/callback/{provider}", name="auth_callback")
    async def callback(provider: str, request: Request) -> Any:
        from authlib.integrations.starlette_client import OAuthError

        client = oauth.create_client(provider) if provider in settings.providers else None
        if client is None:
            return _page("Unknown sign-in provider", "", 404)
        try:
            token = await client.authorize_access_token(request)
            if provider == "github":
                response = await client.get("user", token=token)
                response.raise_for_status()
                profile = response.json()
                user_id = f"github:{profile['id']}"
                name, email = profile.get("name") or profile.get("login") or "", profile.get("email") or ""
            else:
                claims = token.get("userinfo") or await client.userinfo(token=token)
                user_id = f"oidc:{provider}:{claims['sub']}"
                name = claims.get("name") or claims.get("preferred_username") or claims.get("email") or claims["sub"]
                email = claims.get("email") or ""
        except OAuthError as exc:
            return _page(
                "Sign-in refused",
                f"<p id='auth-error'>The sign-in with {html.escape(provider_label(settings, provider))} was refused: "
                f"{html.escape(exc.error or '')} {html.escape(exc.description or '')}</p>"
                f"<p>{sign_in_links(settings)}</p>",
                400,
            )
        except Exception as exc:  # noqa: BLE001 - a provider that answered nonsense: refuse, say so
            return _page("Sign-in failed", f"<p id='auth-error'>{html.escape(str(exc))}</p>", 400)
        await run_in_threadpool(store.upsert_user, user_id, provider=provider, name=str(name), email=str(email))
        after = request.session.pop("next", "/")
        for key in [k for k in request.session if not k.startswith("_state_")]:
            request.session.pop(key, None)  # a new sign-in starts a new session (no workspace carried over)
        request.session[SESSION_USER] = {"id": user_id, "name": str(name), "provider": provider}
        return RedirectResponse(after if after.startswith("/") and not after.startswith("//") else "/", 303)

    @routes.get("/logout")
    async def logout(request: Request) -> Any:
        request.session.clear()
        return RedirectResponse("/", 303)

    @routes.get("/invite/{token}")
    async def invite(token: str, request: Request) -> Any:
        info = account(request.session)
        if info is None:
            request.session["next"] = f"/auth/invite/{quote(token)}"
            return _page(
                "Sign in to join", f"<p>Sign in to accept this invitation.</p><p>{sign_in_links(settings)}</p>", 401
            )
        try:
            org = await run_in_threadpool(store.accept, token, str(info["id"]))
        except AccessError as exc:
            return _page(
                "Invitation refused",
                f"<p id='auth-error'>{html.escape(exc.message)}; {html.escape(exc.hint)}.</p>",
                exc.status,
            )
        request.session[SESSION_WORKSPACE] = org.id
        return RedirectResponse("/", 303)

    @routes.get("/workspace")
    async def workspace(request: Request, org: str = "") -> Any:
        info = account(request.session)
        if info is None:
            return RedirectResponse("/", 303)
        if not org:
            request.session.pop(SESSION_WORKSPACE, None)
        elif await run_in_threadpool(store.role, org, str(info["id"])) is not None:
            request.session[SESSION_WORKSPACE] = org
        else:
            return _page("No such organization", "<p id='auth-error'>You are not a member of it.</p>", 404)
        return RedirectResponse("/", 303)

    return routes
