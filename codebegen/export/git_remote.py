"""A verified project as a new commit on a branch of any git remote (``codebegen export --git``).

Owns the git side of the export, done with the real ``git`` in a private scratch repository
(a bare one in a temp dir; the project directory's own ``.git``, if the user has one, is never
read or written: every call names ``--git-dir`` and the inherited ``GIT_*`` variables are
dropped). Two refs on the remote carry an exported project:

    refs/heads/<branch>       the user's branch: one new commit per exported version, each a
                              child of the branch's tip (linear; never a force-push)
    refs/codebegen/<branch>   the pristine chain: each version exactly as codebegen generated
                              it, each a child of the previous one

A new version's branch commit is a real three-way merge (git's own merge machinery, ``git
merge-tree``) of the branch's tip ("ours": codebegen's last export plus whatever the user
committed on the branch since) and the new pristine version ("theirs"), on the previous
pristine version as the base. So a hand edit on the branch that the new version does not touch
is kept, a file codebegen stopped generating is removed unless the user changed it, and the
user's own files stay. A conflict stops the export with the conflicting files listed, before
anything is pushed. Both refs move in one ``git push --atomic`` without ``+``: a branch that
moved meanwhile refuses it and nothing changes on the remote.

What is pushed is the project directory as git sees it with the project's ``.gitignore`` and
``NOT_PUSHED`` (secrets, databases, virtualenvs, caches, codebegen's own local state). It
does not talk to GitHub (``codebegen.export.github``) and writes no text (``codebegen.export.message``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codebegen.errors import ExportConflict, ExportError
from codebegen.export import message as msg
from codebegen.gate.trust_report import JSON_NAME, TrustReport

DEFAULT_BRANCH = "codebegen"
DEFAULT_AUTHOR = ("codebegen", "codebegen@localhost")
PRISTINE_PREFIX = "refs/codebegen/"
# Never pushed, whatever the project's own .gitignore says (it covers most of these already).
NOT_PUSHED = (
    ".env", "*.db", "*.db-journal", "*.sqlite", "*.sqlite3", ".venv/", "venv/", "__pycache__/", "*.py[cod]",
    ".pytest_cache/", ".ruff_cache/", ".mypy_cache/", ".coverage", "htmlcov/", "node_modules/", ".DS_Store",
    ".codebegen/",
)  # fmt: skip
GIT_TIMEOUT_S = 300
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def redact(text: str) -> str:
    """``text`` with the credentials of any URL in it replaced (tokens never reach a message)."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}***@", text)


@dataclass(frozen=True)
class ExportResult:
    """What one export did. ``commit`` is the branch's tip afterwards; ``pushed`` false: nothing new."""

    remote: str
    branch: str
    version: int
    commit: str
    pristine: str
    pushed: bool
    merged_edits: bool
    message: str
    spec_changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    report: TrustReport | None = None
    spec: dict[str, Any] = field(default_factory=dict)


def read_verified_project(project_dir: Path) -> tuple[dict[str, Any], TrustReport]:
    """The project's spec and trust report; ExportError unless the report says it passed."""
    spec_path, report_path = project_dir / "codebegen.json", project_dir / JSON_NAME
    if not spec_path.is_file():
        raise ExportError(
            f"{project_dir} is not a codebegen project (no codebegen.json)", hint="point at a generated project"
        )
    if not report_path.is_file():
        raise ExportError(
            f"{project_dir} has no {JSON_NAME}: only a verified project is exported",
            hint=f"run `codebegen verify {project_dir}` first",
        )
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        report = TrustReport.from_dict(json.loads(report_path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"{report_path.name} or codebegen.json of {project_dir} is unreadable: {exc}") from exc
    if not report.passed:
        failed = ", ".join(c.name for c in report.failed) or "no checks ran"
        raise ExportError(
            f"{project_dir} did not pass verification ({failed}): only a verified project is exported",
            hint=f"fix it and run `codebegen verify {project_dir}`",
        )
    return spec, report


class Git:
    """``git`` on one scratch repository, with a clean environment and fixed identity."""

    def __init__(self, git_dir: Path, *, config: Mapping[str, str] | None = None, author: tuple[str, str]) -> None:
        self.git_dir = git_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # HOME, ssh agent, PATH
        env.update(GIT_TERMINAL_PROMPT="0", GIT_DIR=str(git_dir), LC_ALL="C")
        # Settings given through the environment stay out of argv (an auth header is a secret).
        settings = {
            "user.name": author[0], "user.email": author[1], "core.hooksPath": os.devnull,
            "core.autocrlf": "false", "commit.gpgSign": "false", "init.defaultBranch": "main",
            "core.excludesFile": os.devnull,  # what is pushed must not depend on the user's global ignores
            **(config or {}),
        }  # fmt: skip
        env["GIT_CONFIG_COUNT"] = str(len(settings))
        for i, (key, value) in enumerate(settings.items()):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        self.env = env

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
    ) -> subprocess.CompletedProcess[str]:
        data = input.encode() if isinstance(input, str) else input
        name = next((a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1 : i] != ("-C",)), "")
        try:
            proc = subprocess.run(
                ["git", *args], input=data, capture_output=True, env={**self.env, **(env or {})},
                timeout=GIT_TIMEOUT_S, cwd=self.git_dir.parent,
            )  # fmt: skip
        except FileNotFoundError as exc:
            raise ExportError("git is not installed", hint="install git (apt-get install git)") from exc
        except subprocess.TimeoutExpired as exc:
            raise ExportError(f"git {name} took longer than {GIT_TIMEOUT_S} s", hint="check the remote") from exc
        out = subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
        )
        if proc.returncode not in ok:
            lines = [ln for ln in (out.stderr or out.stdout).strip().splitlines() if ln.strip()]
            raise ExportError(f"git {name} failed: {redact(' / '.join(lines[-3:]) or f'exit {proc.returncode}')}")
        return out

    def text(self, *args: str, **kw: Any) -> str:
        return self(*args, **kw).stdout.strip()

    def tree_of(self, commit: str) -> str:
        return self.text("rev-parse", f"{commit}^{{tree}}")

    def show(self, commit: str, path: str) -> str | None:
        proc = self("show", f"{commit}:{path}", ok=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def commit(self, tree: str, message: str, *parents: str) -> str:
        args = [a for p in parents for a in ("-p", p)]
        return self.text("commit-tree", "--no-gpg-sign", tree, *args, input=message)

    def tree_of_directory(self, directory: Path) -> str:
        """The tree of ``directory`` as ``git add -A`` sees it, through a private index."""
        index = self.git_dir / "codebegen-export.index"
        index.unlink(missing_ok=True)
        env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(directory)}
        self("-C", str(directory), "add", "-A", "--", ".", env=env)
        tree = self.text("write-tree", env=env)
        index.unlink(missing_ok=True)
        return tree

    def overlay(self, base_tree: str, top_tree: str) -> str:
        """``base_tree`` with every file of ``top_tree`` laid over it (top wins; base's others stay)."""
        index = self.git_dir / "codebegen-overlay.index"
        index.unlink(missing_ok=True)
        env = {"GIT_INDEX_FILE": str(index)}
        self("read-tree", base_tree, env=env)
        entries = self("ls-tree", "-r", "-z", "--full-tree", top_tree).stdout
        self("update-index", "-z", "--add", "--replace", "--index-info", input=entries, env=env)
        tree = self.text("write-tree", env=env)
        index.unlink(missing_ok=True)
        return tree

    def merge(self, base: str, ours_tree: str, theirs: str) -> tuple[str, list[str]]:
        """Three-way merge of ``ours_tree`` and commit ``theirs`` on commit ``base``: (tree, conflicts).

        git 2.39's merge-tree finds the base itself, so "ours" is presented as a throwaway child
        of ``base`` (never pushed); ``theirs`` is already one.
        """
        ours = self.commit(ours_tree, "codebegen: the branch as it is (scratch, never pushed)\n", base)
        proc = self("merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs, ok=(0, 1))
        lines = proc.stdout.splitlines()
        tree, conflicts = lines[0].strip(), sorted({ln.strip() for ln in lines[1:] if ln.strip()})
        return tree, (conflicts if proc.returncode == 1 else [])


def _remote_refs(git: Git, remote: str, *patterns: str) -> tuple[dict[str, str], str | None]:
    """The remote's refs matching ``patterns`` (ref -> sha) and the branch its HEAD names, if any."""
    refs, head = {}, None
    for line in git.text("ls-remote", "--symref", remote, *patterns).splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            head = left[5:].strip()
        else:
            refs[name.strip()] = left.strip()
    return refs, head


def _refuse_conflicts(conflicts: list[str], branch: str, shown: str) -> None:
    if conflicts:
        branch = branch.removeprefix("refs/heads/")
        raise ExportConflict(
            f"the new version conflicts with changes made on {branch} of {shown} in: {', '.join(conflicts)}; "
            "nothing was pushed",
            files=conflicts,
            hint=f"merge or revert those edits on {branch}, then export again",
        )


def export_project(
    project_dir: Path | str,
    remote: str,
    *,
    branch: str = DEFAULT_BRANCH,
    base_branch: str | None = None,
    run_id: str | None = None,
    author: tuple[str, str] = DEFAULT_AUTHOR,
    git_config: Mapping[str, str] | None = None,
    scratch_root: Path | None = None,
) -> ExportResult:
    """Push the verified project in ``project_dir`` to ``branch`` of ``remote`` as a new commit.

    ``base_branch``: where a branch that does not exist yet starts (default: the remote's HEAD);
    on an empty remote it is created too, with one empty commit, so a pull request can be opened
    from ``branch`` into it. ``git_config``: extra git settings for this export only (the GitHub
    export passes its auth header here). Raises ExportConflict (nothing pushed) when a hand edit
    on the branch conflicts with the new version, ExportError for everything else.
    """
    project = Path(project_dir).expanduser().resolve()
    if not project.is_dir():
        raise ExportError(f"{project} is not a directory", hint="point at a generated project")
    spec, report = read_verified_project(project)
    shown = redact(remote)
    with tempfile.TemporaryDirectory(prefix="codebegen-export-", dir=scratch_root) as tmp:
        git = Git(Path(tmp) / "scratch.git", config=git_config, author=author)
        git("init", "--bare", "-q", str(git.git_dir))
        if git("check-ref-format", "--branch", branch, ok=(0, 128)).returncode != 0 or branch.startswith("-"):
            raise ExportError(f"{branch!r} is not a valid branch name", hint="pass --branch NAME")
        (git.git_dir / "info").mkdir(exist_ok=True)
        (git.git_dir / "info" / "exclude").write_text("\n".join(NOT_PUSHED) + "\n", encoding="utf-8")

        head_ref, pristine_ref = f"refs/heads/{branch}", f"{PRISTINE_PREFIX}{branch}"
        wanted = [head_ref, pristine_ref, "HEAD"] + ([f"refs/heads/{base_branch}"] if base_branch else [])
        refs, remote_head = _remote_refs(git, remote, *wanted)
        base_ref = f"refs/heads/{base_branch}" if base_branch else remote_head
        if base_ref and base_ref == remote_head and base_ref not in refs and "HEAD" in refs:
            refs[base_ref] = refs["HEAD"]
        fetch = [f"+{r}:refs/fetched/{i}" for i, r in enumerate((head_ref, pristine_ref, base_ref)) if r and r in refs]
        if fetch:
            git("fetch", "-q", "--no-tags", remote, *fetch)
        tip = refs.get(head_ref)
        previous = refs.get(pristine_ref)
        base_tip = refs.get(base_ref) if base_ref and base_ref != head_ref else None

        new_tree = git.tree_of_directory(project)
        if previous is None and tip is None:
            version, old_spec = 1, None
        else:
            version = int(git.text("rev-list", "--count", previous)) + 1 if previous else 1
            text = git.show(previous or tip, "codebegen.json")  # type: ignore[arg-type]
            old_spec = json.loads(text) if text else None
        changes = msg.spec_changes(old_spec, spec) if version > 1 else []
        message = msg.commit_message(spec, report, version=version, changes=changes, run_id=run_id)
        notes: list[str] = []

        if previous is not None and tip is not None and git.tree_of(previous) == new_tree:
            return ExportResult(
                shown, branch, version - 1, tip or previous, previous, pushed=False, merged_edits=False,
                message=message, notes=["this version is already on the branch: nothing to push"],
                report=report, spec=spec,
            )  # fmt: skip
        pristine = git.commit(new_tree, message, *([previous] if previous else []))
        push = [f"{pristine}:{pristine_ref}"]
        merged_edits = False
        if tip is None:
            parent = base_tip
            if parent is None and base_branch:
                # An empty remote: start the base branch so a pull request has something to target.
                parent = git.commit(_EMPTY_TREE, "Initialize the repository\n")
                push.append(f"{parent}:refs/heads/{base_branch}")
            if parent and previous and git.show(parent, "codebegen.json") is not None:
                # The branch is gone but an earlier export was merged into the base (GitHub deletes a
                # merged PR's branch): merge on the previous version, keeping edits made there since.
                tree, conflicts = git.merge(previous, git.tree_of(parent), pristine)
                _refuse_conflicts(conflicts, base_ref or "", shown)
            else:
                tree = git.overlay(git.tree_of(parent), new_tree) if parent else new_tree
            commit = git.commit(tree, message, *([parent] if parent else []))
        else:
            if previous is None:
                notes.append(f"{branch} has no earlier export of this project: its files were laid over the branch")
                tree, conflicts = git.overlay(git.tree_of(tip), new_tree), []
            else:
                merged_edits = f"{msg.TRAILER_VERSION}:" not in git.text("log", "-1", "--format=%B", tip)
                tree, conflicts = git.merge(previous, git.tree_of(tip), pristine)
            _refuse_conflicts(conflicts, branch, shown)
            if tree == git.tree_of(tip):
                notes.append(f"{branch} already holds these changes: only the pristine version moved")
                commit = tip
            else:
                commit = git.commit(tree, message, tip)
        if commit != tip:
            push.insert(0, f"{commit}:{head_ref}")
        if merged_edits:
            notes.append(f"changes made on {branch} since the last export were merged and kept")
        proc = git("push", "--atomic", "--porcelain", "-q", remote, *push, ok=(0, 1))
        if proc.returncode != 0:
            why = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("!") or "rejected" in ln]
            raise ExportError(
                f"{shown} refused the push ({redact(' / '.join(why) or proc.stderr.strip()[-300:])}); nothing was changed there",
                hint="the branch may have moved while exporting: run the export again",
            )
        return ExportResult(
            shown, branch, version, commit, pristine, pushed=True, merged_edits=merged_edits, message=message,
            spec_changes=changes, notes=notes, report=report, spec=spec,
        )  # fmt: skip


__all__ = ["DEFAULT_BRANCH", "NOT_PUSHED", "ExportResult", "export_project", "read_verified_project", "redact"]
