"""A local HTTP server that answers as api.github.com does for the calls the GitHub export makes.

The shapes are GitHub's REST API v3 (2022-11-28) answers, trimmed to the keys a client reads:
``GET /user``, ``GET /repos/{o}/{r}``, ``POST /user/repos``, ``GET /orgs/{org}``,
``POST /orgs/{org}/repos``, ``GET /repos/{o}/{r}/pulls``, ``POST /repos/{o}/{r}/pulls``,
``PATCH /repos/{o}/{r}/pulls/{n}``; errors as GitHub words them (401 "Bad credentials",
404 "Not Found", 422 "Repository creation failed." / "Validation Failed" with ``errors``,
403 rate limit with ``X-RateLimit-*`` headers, 429 with ``Retry-After``). A repository's
``clone_url`` is a local bare repository (created with an initial commit, as ``auto_init``
does), so the export's real ``git push`` lands somewhere the test can read.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCS = "https://docs.github.com/rest"


@dataclass
class FakeGitHub:
    root: Path
    token: str = "ghp_test_token"
    login: str = "octocat"
    orgs: set[str] = field(default_factory=lambda: {"acme"})
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    # the next answers forced, whatever the request: (status, body, headers)
    forced: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    # a repository that exists on GitHub but is invisible to this token (404 on GET, 422 on create)
    hidden: set[str] = field(default_factory=set)
    url: str = ""

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    # --- the shapes --------------------------------------------------------------------------

    def _user(self, login: str, kind: str = "User") -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**7, "node_id": "MDQ6VXNlcjE=", "type": kind,
                "url": f"{self.url}/{'orgs' if kind == 'Organization' else 'users'}/{login}", "html_url": f"https://github.com/{login}", "site_admin": False}  # fmt: skip

    def add_repo(
        self, full_name: str, *, default_branch: str = "main", private: bool = True, init: bool = True
    ) -> dict[str, Any]:
        owner, name = full_name.split("/")
        bare = self.root / f"{owner}__{name}.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", default_branch, str(bare)], check=True)
        if init:  # auto_init: one commit with a README on the default branch
            env = {"GIT_DIR": str(bare), "GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com",
                   "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com", "PATH": "/usr/bin:/bin"}  # fmt: skip
            blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], input=f"# {name}\n", capture_output=True,
                                  text=True, env=env, check=True).stdout.strip()  # fmt: skip
            tree = subprocess.run(["git", "mktree"], input=f"100644 blob {blob}\tREADME.md\n", capture_output=True,
                                  text=True, env=env, check=True).stdout.strip()  # fmt: skip
            commit = subprocess.run(["git", "commit-tree", tree, "-m", "Initial commit"], capture_output=True,
                                    text=True, env=env, check=True).stdout.strip()  # fmt: skip
            subprocess.run(["git", "update-ref", f"refs/heads/{default_branch}", commit], env=env, check=True)
        kind = "Organization" if owner in self.orgs else "User"
        repo = {
            "id": len(self.repos) + 1, "node_id": "R_kgDOtest", "name": name, "full_name": full_name,
            "private": private, "owner": self._user(owner, kind), "html_url": f"https://github.com/{full_name}",
            "description": None, "fork": False, "url": f"{self.url}/repos/{full_name}",
            "pulls_url": f"{self.url}/repos/{full_name}/pulls{{/number}}",
            "git_url": f"git://github.com/{full_name}.git", "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": str(bare), "default_branch": default_branch, "visibility": "private" if private else "public",
            "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z", "pushed_at": None,
        }  # fmt: skip
        self.repos[full_name] = repo
        self.pulls[full_name] = []
        return repo

    def bare(self, full_name: str) -> Path:
        return Path(self.repos[full_name]["clone_url"])

    def _pull(self, full_name: str, number: int, head: str, base: str, title: str, body: str) -> dict[str, Any]:
        repo = self.repos[full_name]
        sha = subprocess.run(["git", "--git-dir", repo["clone_url"], "rev-parse", f"refs/heads/{head}"],
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
        side = lambda ref, s: {"label": f"{repo['owner']['login']}:{ref}", "ref": ref, "sha": s,  # noqa: E731
                               "user": repo["owner"], "repo": repo}  # fmt: skip
        return {
            "url": f"{self.url}/repos/{full_name}/pulls/{number}", "id": 1000 + number, "node_id": "PR_kwDOtest",
            "html_url": f"https://github.com/{full_name}/pull/{number}", "number": number, "state": "open",
            "locked": False, "title": title, "user": self._user(self.login), "body": body,
            "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z", "closed_at": None,
            "merged_at": None, "draft": False, "head": side(head, sha), "base": side(base, ""), "merged": False,
        }  # fmt: skip

    # --- the routes --------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        self.calls.append((method, path))
        if self.forced:
            return self.forced.pop(0)
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return 401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, {}
        not_found = (404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {})
        if method == "GET" and path == "/user":
            return 200, self._user(self.login), {}
        if m := re.fullmatch(r"/orgs/([^/]+)", path):
            return (200, self._user(m[1], "Organization"), {}) if m[1] in self.orgs else not_found
        if method == "POST" and (m := re.fullmatch(r"/user/repos|/orgs/([^/]+)/repos", path)):
            owner = m[1] or self.login
            full = f"{owner}/{body['name']}"
            if full in self.repos or full in self.hidden:
                return 422, {"message": "Repository creation failed.", "documentation_url": DOCS, "status": "422",
                             "errors": [{"resource": "Repository", "code": "custom", "field": "name",
                                         "message": "name already exists on this account"}]}, {}  # fmt: skip
            repo = self.add_repo(full, private=bool(body.get("private")), init=bool(body.get("auto_init")))
            repo["description"] = body.get("description")
            return 201, repo, {}
        if m := re.fullmatch(r"/repos/([^/]+/[^/]+)", path):
            return (200, self.repos[m[1]], {}) if m[1] in self.repos else not_found
        if m := re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls", path):
            full = m[1]
            if full not in self.repos:
                return not_found
            if method == "GET":
                state, head, base = (query.get(k, [""])[0] for k in ("state", "head", "base"))
                found = [p for p in self.pulls[full] if (not state or state == "all" or p["state"] == state)
                         and (not head or p["head"]["label"] == head) and (not base or p["base"]["ref"] == base)]  # fmt: skip
                return 200, found, {}
            if any(p["state"] == "open" and p["head"]["ref"] == body["head"] for p in self.pulls[full]):
                owner = self.repos[full]["owner"]["login"]
                return 422, {"message": "Validation Failed", "documentation_url": DOCS, "status": "422",
                             "errors": [{"resource": "PullRequest", "code": "custom",
                                         "message": f"A pull request already exists for {owner}:{body['head']}."}]}, {}  # fmt: skip
            pull = self._pull(
                full, len(self.pulls[full]) + 1, body["head"], body["base"], body["title"], body.get("body", "")
            )
            self.pulls[full].append(pull)
            return 201, pull, {}
        if method == "PATCH" and (m := re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls/(\d+)", path)):
            for pull in self.pulls.get(m[1], []):
                if pull["number"] == int(m[2]):
                    pull.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
                    return 200, pull, {}
            return not_found
        return not_found

    def rate_limited(self, *, status: int = 403) -> None:
        reset = int(time.time()) + 600
        if status == 429:
            self.forced.append((429, {"message": "You have exceeded a secondary rate limit.", "documentation_url": DOCS},
                                {"Retry-After": "60"}))  # fmt: skip
        else:
            self.forced.append((403, {"message": "API rate limit exceeded for user ID 1.", "documentation_url": DOCS},
                                {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                                 "X-RateLimit-Reset": str(reset), "X-RateLimit-Resource": "core"}))  # fmt: skip


def serve(fake: FakeGitHub) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, data, headers = fake.answer(
                self.command, parts.path, parse_qs(parts.query), self.headers.get("Authorization", ""), body
            )
            out = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(out)))
            self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
            for key, value in {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PATCH = _handle

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
