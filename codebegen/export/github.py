"""A verified project on GitHub: the repository, the codebegen branch, one pull request per project.

Owns the GitHub side of the export, through PyGithub (the maintained client of GitHub's REST
API): find the repository ``OWNER/REPO`` or create it (under the token's user, or under the
organization ``OWNER``; with an initial commit, so it has a default branch to open the pull
request into), push the version with ``codebegen.export.git_remote`` over HTTPS with the token
as an auth header scoped to the clone URL (never in a URL, argv or a message), then open the
pull request from the codebegen branch into the default branch, or update the open one, with
the trust report and the spec diff as its body.

Every error of the API becomes one ``GitHubError`` naming the call and what to do: 401 (the
token), 403/429 rate limits (when the limit resets), 403 (permissions), 404, 422 (GitHub's own
validation messages). The API base URL is a parameter (GitHub Enterprise, and the tests' local
server that answers as api.github.com does). The token is a parameter: the engine reads no
environment; the CLI passes ``GITHUB_TOKEN`` or ``--github-token``.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from codebegen.errors import GitHubError
from codebegen.export import message as msg
from codebegen.export.git_remote import DEFAULT_BRANCH, ExportResult, export_project, read_verified_project

DEFAULT_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100})$")
T = TypeVar("T")


@dataclass(frozen=True)
class GitHubExport:
    """What the GitHub export did: the push, the repository, the pull request."""

    export: ExportResult
    repository: str
    repository_url: str
    created_repository: bool
    pull_request_number: int | None
    pull_request_url: str | None
    pull_request_created: bool


def _reset_text(headers: Mapping[str, Any]) -> str:
    lower = {str(k).lower(): v for k, v in (headers or {}).items()}
    if lower.get("retry-after"):
        return f"retry after {lower['retry-after']} s"
    reset = lower.get("x-ratelimit-reset")
    if reset and str(reset).isdigit():
        wait = max(0, int(reset) - int(time.time()))
        return f"it resets at {time.strftime('%H:%M:%S UTC', time.gmtime(int(reset)))} (in {wait} s)"
    return "wait a while"


def api_error(what: str, status: int, data: Any, headers: Mapping[str, Any] | None) -> GitHubError:
    """The one GitHubError for an API error answer to ``what`` (e.g. "creating repository o/r")."""
    data = data if isinstance(data, dict) else {}
    text = str(data.get("message") or "").strip()
    details = [str(e.get("message") or e.get("code")) for e in data.get("errors") or [] if isinstance(e, dict)]
    said = "; ".join(x for x in [text, *details] if x) or "no message"
    lower = {str(k).lower(): v for k, v in (headers or {}).items()}
    if status == 429 or (
        status == 403 and (str(lower.get("x-ratelimit-remaining")) == "0" or "rate limit" in said.lower())
    ):
        return GitHubError(
            f"GitHub's API rate limit is exhausted while {what} ({status}: {said})",
            status=status,
            hint=_reset_text(lower),
        )
    if status == 401:
        return GitHubError(
            f"GitHub refused the token while {what} (401: {said})", status=status,
            hint="check GITHUB_TOKEN or --github-token: it must be valid and have the repo scope",
        )  # fmt: skip
    if status == 403:
        return GitHubError(
            f"GitHub forbade {what} (403: {said})", status=status,
            hint="the token lacks a permission this needs (repo scope; organization rights to create repositories)",
        )  # fmt: skip
    if status == 404:
        return GitHubError(f"GitHub found nothing while {what} (404: {said})", status=status,
                           hint="check OWNER/REPO and that the token can see it")  # fmt: skip
    if status == 422:
        return GitHubError(f"GitHub refused {what} (422: {said})", status=status)
    return GitHubError(f"GitHub answered {status} while {what}: {said}", status=status)


@contextmanager
def _calling(what: str) -> Iterator[None]:
    from github import GithubException
    from requests import RequestException

    try:
        yield
    except GithubException as exc:
        raise api_error(what, exc.status, exc.data, exc.headers) from exc
    except RequestException as exc:
        raise GitHubError(f"could not reach the GitHub API while {what}: {exc.__class__.__name__}",
                          hint="check the network and the API URL") from exc  # fmt: skip


def _call(what: str, fn: Callable[[], T]) -> T:
    with _calling(what):
        return fn()


def client(token: str, api_url: str = DEFAULT_API_URL, timeout_s: int = 30) -> Any:
    """A PyGithub client: no automatic retries or sleeps (errors are reported, not waited out)."""
    from github import Auth, Github

    return Github(
        auth=Auth.Token(token), base_url=api_url.rstrip("/"), timeout=timeout_s, retry=None,
        seconds_between_requests=None, seconds_between_writes=None, user_agent="codebegen",
    )  # fmt: skip


def _find_or_create(gh: Any, owner: str, name: str, *, private: bool, description: str) -> tuple[Any, bool]:
    from github import UnknownObjectException

    full = f"{owner}/{name}"
    try:
        with _calling(f"looking up repository {full}"):
            return gh.get_repo(full), False
    except GitHubError as exc:
        if not isinstance(exc.__cause__, UnknownObjectException):
            raise
    login = _call("reading the token's user", lambda: gh.get_user().login)
    options = {"private": private, "auto_init": True, "description": description[:350]}
    if login.lower() == owner.lower():
        what = f"creating repository {full} for user {login}"
        return _call(what, lambda: gh.get_user().create_repo(name, **options)), True
    org = _call(f"looking up organization {owner}", lambda: gh.get_organization(owner))
    return _call(f"creating repository {full} in organization {owner}", lambda: org.create_repo(name, **options)), True


def _auth_config(clone_url: str, token: str) -> dict[str, str]:
    parts = urlsplit(clone_url)
    if parts.scheme not in ("http", "https"):
        return {}  # a path or ssh clone URL (GitHub Enterprise over ssh, the tests' local repository)
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {f"http.{parts.scheme}://{parts.netloc}/.extraHeader": f"Authorization: Basic {basic}"}


def export_to_github(
    project_dir: Path | str,
    repository: str,
    token: str,
    *,
    branch: str = DEFAULT_BRANCH,
    api_url: str = DEFAULT_API_URL,
    private: bool = True,
    run_id: str | None = None,
    findings: list[Mapping[str, Any]] | None = None,
    scratch_root: Path | None = None,
) -> GitHubExport:
    """Push the verified project to ``branch`` of GitHub repository ``OWNER/REPO`` and open its PR.

    ``findings``: the review stage's findings (the studio has them; a project on disk does not
    carry them). Raises GitHubError for an API error, ExportConflict / ExportError as the git export.
    """
    match = _REPOSITORY.match(repository or "")
    if not match:
        raise GitHubError(f"{repository!r} is not a GitHub repository name", hint="write it as OWNER/REPO")
    if not token:
        raise GitHubError("no GitHub token was given", hint="set GITHUB_TOKEN or pass --github-token")
    spec, _ = read_verified_project(Path(project_dir).expanduser().resolve())  # refuse before any API call
    gh = client(token, api_url)
    owner, name = match["owner"], match["name"]
    repo, created = _find_or_create(gh, owner, name, private=private, description=str(spec.get("description", "")))
    default = repo.default_branch or "main"
    if branch == default:
        raise GitHubError(f"the codebegen branch cannot be {default}, the default branch of {repo.full_name}",
                          hint="pass another --branch")  # fmt: skip
    result = export_project(
        project_dir, repo.clone_url, branch=branch, base_branch=default, run_id=run_id,
        git_config=_auth_config(repo.clone_url, token), scratch_root=scratch_root,
    )  # fmt: skip
    title = msg.subject(result.spec, result.version, result.report)  # type: ignore[arg-type]
    body = msg.pull_request_body(
        result.spec, result.report, version=result.version, changes=result.spec_changes,  # type: ignore[arg-type]
        run_id=run_id, findings=findings,
    )  # fmt: skip
    head = f"{repo.owner.login}:{branch}"
    with _calling(f"listing the pull requests of {repo.full_name}"):
        open_prs = list(repo.get_pulls(state="open", head=head, base=default))
    pr, pr_created = None, False
    if open_prs:
        pr = open_prs[0]
        _call(f"updating pull request #{pr.number}", lambda: pr.edit(title=title, body=body))
    elif result.pushed:
        what = f"opening a pull request from {branch} into {default}"
        pr = _call(what, lambda: repo.create_pull(base=default, head=branch, title=title, body=body))
        pr_created = True
    return GitHubExport(
        result, repo.full_name, repo.html_url, created, pr.number if pr else None, pr.html_url if pr else None,
        pr_created,
    )  # fmt: skip


__all__ = ["DEFAULT_API_URL", "GitHubExport", "api_error", "client", "export_to_github"]
