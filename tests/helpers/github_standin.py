"""A small OAuth2 server standing in for github.com and api.github.com in tests (not GitHub itself).

It implements what the studio's GitHub login uses, the way GitHub documents it: the authorize
endpoint (``/login/oauth/authorize``: approves at once for the one user it knows and redirects
back with ``code`` and the client's ``state``), the token endpoint
(``/login/oauth/access_token``: checks the client secret, the redirect URI, the PKCE verifier
against the S256 challenge, and spends the code: a second use is ``bad_verification_code``,
as on GitHub), and ``GET /user`` for the access token. It is strict where GitHub is, so a
client that skips PKCE or reuses a code fails here too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse

USER = {"id": 583231, "login": "octocat", "name": "The Octocat", "email": "octocat@example.com"}


@dataclass
class GitHubStandIn:
    client_id: str
    client_secret: str
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/login/oauth/authorize")
        def authorize(request: Request) -> Any:
            q = request.query_params
            if q.get("client_id") != self.client_id:
                return JSONResponse({"error": "unknown client"}, 404)
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                return JSONResponse({"error": "PKCE (S256) required by this stand-in"}, 400)
            code = secrets.token_hex(10)
            self.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": q.get("redirect_uri")}
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}", 302
            )

        @app.post("/login/oauth/access_token")
        def access_token(
            request: Request, code: str = Form(""), code_verifier: str = Form(""), redirect_uri: str = Form(""),
            client_id: str = Form(""), client_secret: str = Form(""), authorization: str = Header(""),
        ) -> Any:  # fmt: skip
            if authorization.lower().startswith("basic "):
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            self.token_requests.append({"code": code, "code_verifier": code_verifier})
            if (client_id, client_secret) != (self.client_id, self.client_secret):
                return JSONResponse({"error": "incorrect_client_credentials"})
            grant = self.codes.pop(code, None)  # single use
            if grant is None:
                return JSONResponse(
                    {"error": "bad_verification_code", "error_description": "The code is incorrect or expired."}
                )
            digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant["challenge"]:
                return JSONResponse({"error": "bad_verification_code", "error_description": "PKCE verification failed"})
            if redirect_uri and redirect_uri != grant["redirect_uri"]:
                return JSONResponse({"error": "redirect_uri_mismatch"})
            token = "gho_" + secrets.token_hex(16)
            self.tokens.add(token)
            return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

        @app.get("/user")
        def user(authorization: str = Header("")) -> Any:
            token = authorization.split(" ", 1)[-1]
            if token not in self.tokens:
                return JSONResponse({"message": "Bad credentials"}, 401)
            return USER

        return app


def serve(standin: GitHubStandIn, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(standin.app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        threading.Event().wait(0.02)
    return server
