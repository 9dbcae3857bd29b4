"""codebegen export --github against a local server that answers as api.github.com does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codebegen.errors import ExportError, GitHubError
from codebegen.export import export_project, message
from codebegen.export.github import export_to_github
from codebegen.gate.trust_report import Check
from tests.helpers.export import git, passing_report, spec_with
from tests.helpers.github_server import FakeGitHub, serve

TOKEN = "ghp_test_token"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(tmp_path / "github", token=TOKEN)
    server, thread = serve(fake)
    yield fake
    server.shutdown()
    thread.join(5)


def push(project: Path, github: FakeGitHub, repo: str = "octocat/library", token: str = TOKEN, **kw):
    return export_to_github(project, repo, token, api_url=github.url, **kw)


def test_a_new_repository_is_created_pushed_to_and_gets_a_pull_request(make_project, github) -> None:
    done = push(make_project(), github, run_id="run123", findings=[
        {"severity": "warning", "source": "bandit", "file": "app/core/security.py", "line": 7, "message": "B105"}])  # fmt: skip
    assert done.created_repository and done.repository == "octocat/library"
    assert ("POST", "/user/repos") in github.calls
    bare = github.bare("octocat/library")
    assert git(bare, "rev-parse", "codebegen^") == git(bare, "rev-parse", "main"), "the branch starts at main"
    assert done.pull_request_created and done.pull_request_number == 1
    assert done.pull_request_url == "https://github.com/octocat/library/pull/1"
    pull = github.pulls["octocat/library"][0]
    assert pull["head"]["ref"] == "codebegen" and pull["base"]["ref"] == "main"
    assert pull["title"] == "codebegen: library version 1 (verified)"
    assert "### Trust report" in pull["body"] and "| ✓ | pytest |" in pull["body"]
    assert "| warning | bandit | app/core/security.py:7 | B105 |" in pull["body"]
    assert message.read_marker(pull["body"]) == ("run123", 1)


def test_a_later_version_updates_the_open_pull_request(make_project, github) -> None:
    push(make_project(), github, run_id="run1")
    member = {"name": "Member", "fields": [{"name": "name", "type": "str"}]}
    done = push(make_project(spec_with(entities=[member])), github, run_id="run2")
    assert not done.created_repository and not done.pull_request_created and done.pull_request_number == 1
    assert len(github.pulls["octocat/library"]) == 1
    assert ("PATCH", "/repos/octocat/library/pulls/1") in github.calls
    body = github.pulls["octocat/library"][0]["body"]
    assert "- `+ entity Member (name)`" in body and message.read_marker(body) == ("run2", 2)
    assert git(github.bare("octocat/library"), "rev-list", "--count", "codebegen") == "3"  # README, v1, v2


def test_an_organization_repository_is_created_in_the_organization(make_project, github) -> None:
    done = push(make_project(), github, repo="acme/shop")
    assert done.created_repository and ("POST", "/orgs/acme/repos") in github.calls
    assert github.repos["acme/shop"]["private"] is True


def test_an_existing_repository_is_used_as_it_is(make_project, github) -> None:
    github.add_repo("octocat/existing", default_branch="trunk")
    done = push(make_project(), github, repo="octocat/existing")
    assert not done.created_repository and github.pulls["octocat/existing"][0]["base"]["ref"] == "trunk"
    assert not any(method == "POST" and "repos" in path and "pulls" not in path for method, path in github.calls)


@pytest.mark.parametrize(
    "case, needle",
    [
        ("401", "GitHub refused the token while looking up repository octocat/library (401: Bad credentials)"),
        ("404 owner", "GitHub found nothing while looking up organization nobody (404: Not Found)"),
        ("422 exists", "(422: Repository creation failed.; name already exists on this account)"),
        ("403 rate limit", "rate limit is exhausted while looking up repository octocat/library (403: API rate limit"),
        ("429", "rate limit is exhausted while looking up repository octocat/library (429"),
        ("422 pull exists", "(422: Validation Failed; A pull request already exists for octocat:codebegen.)"),
    ],
)
def test_api_errors_are_one_clear_error(case, needle, make_project, github) -> None:
    repo, token = "octocat/library", TOKEN
    if case == "401":
        token = "ghp_wrong"
    elif case == "404 owner":
        repo = "nobody/library"
    elif case == "422 exists":
        github.hidden.add(repo)
    elif case.startswith("403") or case == "429":
        github.rate_limited(status=int(case[:3]))
    elif case == "422 pull exists":
        github.add_repo(repo)
        github.pulls[repo].append({"state": "open", "head": {"ref": "codebegen", "label": "someone-else:codebegen"},
                                   "base": {"ref": "main"}, "number": 9})  # fmt: skip
    with pytest.raises(GitHubError) as caught:
        push(make_project(), github, repo=repo, token=token)
    assert needle in str(caught.value)
    assert token not in str(caught.value)
    if case.startswith("403"):
        assert caught.value.status == 403 and "it resets at" in caught.value.hint
    if case == "429":
        assert "retry after 60 s" in caught.value.hint


def test_an_unverified_project_makes_no_api_call(make_project, github) -> None:
    report = passing_report("library")
    report.checks.append(Check("boot", "fail"))
    with pytest.raises(Exception, match="did not pass verification"):
        push(make_project(report=report), github)
    assert github.calls == []


def test_bad_names_and_a_missing_token_are_refused_before_any_call(make_project, github) -> None:
    project = make_project()
    with pytest.raises(GitHubError, match="OWNER/REPO"):
        push(project, github, repo="just-a-name")
    with pytest.raises(GitHubError, match="no GitHub token"):
        push(project, github, token="")
    assert github.calls == []


def codebegen(*args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "CODEBEGEN_GITHUB_API_URL")}
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "codebegen.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_the_cli_reads_the_token_and_prints_the_pull_request(make_project, github) -> None:
    project = make_project()
    args = ("export", str(project), "--github", "octocat/library", "--github-api-url", github.url)
    done = codebegen(*args)
    assert done.returncode == 0, done.stderr
    assert "created repository octocat/library: https://github.com/octocat/library" in done.stdout
    assert "opened pull request #1: https://github.com/octocat/library/pull/1" in done.stdout

    for token, needle in [("ghp_wrong", "401: Bad credentials"), (None, "no GitHub token was given")]:
        proc = codebegen(*args, token=token)
        assert proc.returncode == 1
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("codebegen: error:")]
        assert len(errors) == 1 and needle in errors[0], proc.stderr
        assert "ghp_wrong" not in proc.stderr


def test_the_push_goes_over_http_with_the_token_as_a_header_only(make_project, github, tmp_path) -> None:
    from tests.helpers.git_http_server import serve_git

    repo = github.add_repo("octocat/over-http")
    server, base, seen = serve_git(github.root, TOKEN)
    try:
        repo["clone_url"] = f"{base}/{Path(repo['clone_url']).name}"  # as GitHub's https://github.com/o/r.git
        done = push(make_project(), github, repo="octocat/over-http")
        assert done.export.pushed and done.pull_request_number == 1
        assert seen and all(header.startswith("Basic ") for header in seen)
        assert TOKEN not in done.export.remote and TOKEN not in done.export.message

        with pytest.raises(ExportError, match="git ls-remote failed"):  # the same push without the header
            export_project(make_project(spec_with(description="changed")), repo["clone_url"])
    finally:
        server.shutdown()
    bare = tmp_path / "github" / "octocat__over-http.git"
    assert git(bare, "rev-list", "--count", "codebegen") == "2"  # the README commit and version 1


def test_an_empty_existing_repository_gets_its_default_branch_started(make_project, github) -> None:
    github.add_repo("octocat/empty", init=False)  # created on github.com without a README
    done = push(make_project(), github, repo="octocat/empty")
    bare = github.bare("octocat/empty")
    assert git(bare, "log", "--format=%s", "main") == "Initialize the repository"
    assert git(bare, "rev-parse", "codebegen^") == git(bare, "rev-parse", "main")
    assert done.pull_request_number == 1
