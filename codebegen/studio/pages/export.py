"""The "Push to git" control: a verified run's project pushed to a git remote or to GitHub.

Owns the control (an accordion under the History page's run picker: a remote or a GitHub
``OWNER/REPO`` with a token, a branch, a Push button, the result with its commit and pull
request link and the run's earlier pushes) and ``push_run``, which does the work: the run's
verified files from the history into a temp directory, ``codebegen.export``, and the push
recorded in the history. Only a run that passed the gate is pushed, and only by its owner.
With sign-in on (a shared studio), a remote must be an ssh or https URL: a path would write
into the server's own disk. The token is used for this push only and never stored.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from codebegen.errors import EngineError
from codebegen.export.git_remote import DEFAULT_BRANCH, export_project
from codebegen.export.github import export_to_github
from codebegen.studio.errors import user_error
from codebegen.studio.pages.generate import Studio
from codebegen.studio.users import current_user

_URL_REMOTE = re.compile(r"^(https://|ssh://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)")


def push_run(
    ctx: Studio, user: str, run_id: str | None, *, remote: str = "", github: str = "", token: str = "",
    branch: str = DEFAULT_BRANCH,
) -> str:  # fmt: skip
    """Push one of ``user``'s verified runs; the result as Markdown. EngineError when it cannot."""
    row = ctx.history.get(user, run_id) if run_id else None
    if row is None:
        raise EngineError("no run is selected", hint="pick a run in the list first")
    if row.status != "passed":
        raise EngineError(f"run {row.id} did not pass verification ({row.status})", hint="push a verified run")
    remote, github, branch = remote.strip(), github.strip(), branch.strip() or DEFAULT_BRANCH
    if bool(remote) == bool(github):
        raise EngineError("say where to push", hint="fill in a git remote or a GitHub OWNER/REPO, not both")
    if remote and ctx.settings.login and not _URL_REMOTE.match(remote):
        raise EngineError(
            "this studio pushes only to ssh or https remotes", hint="give a URL such as git@host:me/repo.git"
        )
    files = ctx.history.files(user, row.id)
    with tempfile.TemporaryDirectory(prefix="codebegen-push-") as tmp:
        project = Path(tmp) / (row.project_name or "project")
        for rel, data in files.items():
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if github:
            done = export_to_github(
                project, github, token.strip(), branch=branch, api_url=ctx.settings.github_api_url, run_id=row.id,
                findings=row.findings,
            )  # fmt: skip
            result, repo, pr_number, pr_url = (
                done.export,
                done.repository,
                done.pull_request_number,
                done.pull_request_url,
            )
        else:
            result, repo, pr_number, pr_url = (
                export_project(project, remote, branch=branch, run_id=row.id),
                None,
                None,
                None,
            )
    if result.pushed:
        ctx.history.record_export(
            user, row.id, remote=result.remote, branch=branch, version=result.version, commit=result.commit,
            repo=repo, pr_number=pr_number, pr_url=pr_url,
        )  # fmt: skip
    verb = f"Pushed version {result.version}" if result.pushed else "Nothing new to push"
    lines = [f"**{verb}** to `{branch}` of `{result.remote}`: commit `{result.commit[:12]}`."]
    if pr_url:
        lines.append(f"Pull request: [{repo}#{pr_number}]({pr_url})")
    lines += [f"- {n}" for n in result.notes]
    return "\n\n".join(lines) + "\n\n" + exports_markdown(ctx, user, row.id)


def exports_markdown(ctx: Studio, user: str, run_id: str) -> str:
    rows = ctx.history.exports(user, run_id)
    if not rows:
        return ""
    out = ["| pushed (UTC) | where | version | commit | pull request |", "|---|---|---|---|---|"]
    for r in rows:
        pr = f"[#{r['pr_number']}]({r['pr_url']}) {r['pr_state'] or ''}" if r["pr_url"] else ""
        out.append(f"| {r['exported_at']:%Y-%m-%d %H:%M} | `{r['remote']}` {r['branch']} | {r['version']} | "
                   f"`{r['commit'][:12]}` | {pr} |")  # fmt: skip
    return "\n".join(out)


def build(ctx: Studio, pick: Any) -> None:
    """The accordion, acting on the run ``pick`` (the History page's run dropdown) names."""
    with gr.Accordion("Push to git", open=False, elem_id="push-to-git"):
        with gr.Row():
            remote = gr.Textbox(label="Git remote (path, ssh or https URL)", scale=3, elem_id="push-remote")
            github = gr.Textbox(label="or GitHub OWNER/REPO", scale=2, elem_id="push-github")
            token = gr.Textbox(label="GitHub token", type="password", scale=2, elem_id="push-token")
            branch = gr.Textbox(DEFAULT_BRANCH, label="Branch", scale=1, elem_id="push-branch")
        push = gr.Button("Push", elem_id="push")
        result = gr.Markdown(elem_id="push-result")

    def on_push(run_id: str | None, remote: str, github: str, token: str, branch: str, request: gr.Request) -> str:
        user = current_user(request, ctx.settings, need="generate")  # viewers only look
        try:
            return push_run(ctx, user, run_id, remote=remote, github=github, token=token, branch=branch)
        except EngineError as exc:
            raise user_error(exc) from None

    push.click(on_push, [pick, remote, github, token, branch], [result], api_name="push_to_git")
