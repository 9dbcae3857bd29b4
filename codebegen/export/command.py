"""``codebegen export DIR --git REMOTE | --github OWNER/REPO``: its arguments and its output.

Owns the command's face only: the arguments, the lines it prints, and which of
``codebegen.export.git_remote`` / ``codebegen.export.github`` it calls. The CLI (``codebegen.cli``) reads
the environment (``GITHUB_TOKEN``, ``CODEBEGEN_GITHUB_API_URL``) and passes the values in.
"""

from __future__ import annotations

import argparse
import sys

from codebegen.errors import EngineError
from codebegen.export.git_remote import DEFAULT_BRANCH, ExportResult, export_project
from codebegen.export.github import DEFAULT_API_URL, export_to_github


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="a verified project (its trust_report.json says it passed)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--git", metavar="REMOTE", help="a git remote: a path, an ssh or an https URL")
    where.add_argument("--github", metavar="OWNER/REPO", help="a GitHub repository (created if it does not exist)")
    p.add_argument(
        "--branch", default=DEFAULT_BRANCH, help=f"the branch codebegen commits to (default {DEFAULT_BRANCH})"
    )
    p.add_argument("--github-token", help="a GitHub token with the repo scope (default: $GITHUB_TOKEN)")
    p.add_argument("--github-api-url", help=f"the GitHub API (default: $CODEBEGEN_GITHUB_API_URL or {DEFAULT_API_URL})")
    p.add_argument("--public", action="store_true", help="with --github: a repository created now is public")
    p.add_argument("--run-id", help="the studio run this version came from (recorded in the commit and the PR)")


def _print_push(result: ExportResult) -> None:
    for note in result.notes:
        print(f"  note: {note}", file=sys.stderr)
    if result.pushed:
        print(f"pushed version {result.version} of {result.spec.get('name')} to {result.branch} of {result.remote}: "
              f"commit {result.commit}")  # fmt: skip
    else:
        print(f"nothing new to push: {result.branch} of {result.remote} is at {result.commit}")
    for line in result.spec_changes:
        print(f"  {line}")


def run(args: argparse.Namespace) -> int:
    if not args.git and not args.github:
        raise EngineError("nowhere to export to", hint="pass --git REMOTE or --github OWNER/REPO")
    if args.git:
        _print_push(export_project(args.dir, args.git, branch=args.branch, run_id=args.run_id))
        return 0
    done = export_to_github(
        args.dir, args.github, args.github_token or "", branch=args.branch,
        api_url=args.github_api_url or DEFAULT_API_URL, private=not args.public, run_id=args.run_id,
    )  # fmt: skip
    if done.created_repository:
        print(f"created repository {done.repository}: {done.repository_url}")
    _print_push(done.export)
    if done.pull_request_url:
        verb = "opened" if done.pull_request_created else "updated"
        print(f"{verb} pull request #{done.pull_request_number}: {done.pull_request_url}")
    return 0
