"""Push to git: a verified run of the history pushed to a bare repository or to (a local stand-in for) GitHub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codebegen.errors import EngineError
from codebegen.studio.backends import SharedBackends
from codebegen.studio.history import History
from codebegen.studio.pages.export import push_run
from codebegen.studio.pages.generate import Studio
from codebegen.studio.runner import project_files
from codebegen.studio.settings import StudioSettings
from tests.helpers.export import git
from tests.helpers.github_server import FakeGitHub, serve


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    settings = StudioSettings(data_dir=tmp_path / "data", login=False)
    history = History(settings.database)
    yield Studio(settings=settings, history=history, backends=SharedBackends())
    history.close()


def verified_run(studio: Studio, project: Path, user: str = "alice", status: str = "passed") -> str:
    run_id = studio.history.start(user, prompt="a library", template="fastapi_sqlalchemy", profile="fake")
    studio.history.finish(user, run_id, status=status, files=project_files(project) if status == "passed" else None,
                          findings=[{"severity": "info", "source": "ruff", "file": "app/main.py", "line": 1,
                                     "message": "fine"}])  # fmt: skip
    return run_id


def test_a_verified_run_is_pushed_and_the_push_is_recorded(studio, make_project, bare_remote) -> None:  # noqa: F811
    run_id = verified_run(studio, make_project())
    shown = push_run(studio, "alice", run_id, remote=str(bare_remote))
    tip = git(bare_remote, "rev-parse", "codebegen")
    assert f"**Pushed version 1** to `codebegen` of `{bare_remote}`: commit `{tip[:12]}`" in shown
    assert f"Codebegen-Run: {run_id}" in git(bare_remote, "log", "-1", "--format=%B", "codebegen")
    assert [(e["version"], e["commit"]) for e in studio.history.exports("alice", run_id)] == [(1, tip)]


def test_only_the_owners_verified_run_and_only_one_destination(studio, make_project, bare_remote) -> None:  # noqa: F811
    run_id = verified_run(studio, make_project())
    failed = verified_run(studio, make_project(), status="failed")
    cases = [("bob", run_id, {"remote": str(bare_remote)}, "no run is selected"),
             ("alice", failed, {"remote": str(bare_remote)}, "did not pass verification"),
             ("alice", run_id, {}, "say where to push"),
             ("alice", run_id, {"remote": str(bare_remote), "github": "o/r"}, "say where to push")]  # fmt: skip
    for user, run, where, needle in cases:
        with pytest.raises(EngineError, match=needle):
            push_run(studio, user, run, **where)
    studio.settings.login = True  # a shared studio: no paths on the server's disk
    with pytest.raises(EngineError, match="only to ssh or https remotes"):
        push_run(studio, "alice", run_id, remote=str(bare_remote))
    assert git(bare_remote, "for-each-ref") == ""


def test_push_to_github_shows_the_pull_request_link(studio, make_project, tmp_path) -> None:  # noqa: F811
    fake = FakeGitHub(tmp_path / "gh")
    server, _ = serve(fake)
    try:
        studio.settings.github_api_url = fake.url
        run_id = verified_run(studio, make_project())
        shown = push_run(studio, "alice", run_id, github="octocat/library", token=fake.token)
    finally:
        server.shutdown()
    assert "Pull request: [octocat/library#1](https://github.com/octocat/library/pull/1)" in shown
    assert "| info | ruff | app/main.py:1 | fine |" in fake.pulls["octocat/library"][0]["body"]
    assert studio.history.exports("alice", run_id)[0]["pr_state"] == "open"


def test_the_served_studio_pushes_through_its_api(served, make_project, bare_remote) -> None:  # noqa: F811
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    ctx = served.app.studio
    run_id = verified_run(ctx, make_project(), user=served.settings.local_user)
    client = Client(served.url, verbose=False)
    client.predict(api_name="/list_runs")  # the History page's list: the run becomes a choice of the picker
    shown = client.predict(run_id, str(bare_remote), "", "", "codebegen", api_name="/push_to_git")
    assert "**Pushed version 1**" in shown and git(bare_remote, "rev-parse", "codebegen")[:12] in shown
    with pytest.raises(AppError, match="No run is selected"):
        client.predict(None, str(bare_remote), "", "", "codebegen", api_name="/push_to_git")
