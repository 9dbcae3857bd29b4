"""The three-way merge of every file of a project: base = previous generated, ours = the user's file now, theirs = new generated.

Owns the per-file decision and the real text merge (``git merge-file``, the same algorithm
git uses for a merge commit). A file nobody but codebegen changed takes the new version; a
file only the user changed keeps theirs; both changed is merged line by line; user files
codebegen never wrote and files the user deleted stay as they are. Whatever cannot be merged
cleanly is a ``Conflict`` with its hunks: it is never resolved by picking a side.
Alembic revisions are never merged: the user's ``alembic/versions`` stays as it is and the
iteration adds a new revision instead (``codebegen.iteration.migration``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codebegen.errors import EngineError

VERSIONS_DIR = "alembic/versions/"
# Migrations (Alembic revisions, document migrations) are history: never merged, never removed.
HISTORY_DIRS = (VERSIONS_DIR, "migrations/")


@dataclass(frozen=True)
class Conflict:
    path: str
    kind: str  # "content", "deleted by you, changed by codebegen", "changed by you, removed by codebegen", "added by both"
    hunks: str = ""  # the merged text with conflict markers, for content conflicts


@dataclass
class MergeResult:
    files: dict[str, bytes | None] = field(default_factory=dict)  # path -> new content, None: delete
    merged: list[str] = field(default_factory=list)  # both sides changed, merged cleanly
    kept: list[str] = field(default_factory=list)  # the user's version kept (only they changed it)
    updated: list[str] = field(default_factory=list)  # codebegen's new version taken
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.updated)} updated", f"{len(self.added)} added", f"{len(self.merged)} merged with your edits",
                 f"{len(self.kept)} kept as you edited them", f"{len(self.removed)} removed"]  # fmt: skip
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} in conflict")
        return ", ".join(parts)


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise EngineError("iterate needs git (for git merge-file)", hint="install git")
    return git


def merge_text(ours: bytes, base: bytes, theirs: bytes, *, path: str = "file") -> tuple[bytes, bool]:
    """``git merge-file -p`` of three versions: (merged text, clean)."""
    with tempfile.TemporaryDirectory(prefix="codebegen-merge-") as tmp:
        files = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = Path(tmp) / name
            p.write_bytes(data)
            files.append(str(p))
        labels = ["-L", f"{path} (yours)", "-L", f"{path} (last generated)", "-L", f"{path} (new version)"]
        proc = subprocess.run([_git(), "merge-file", "-p", "--diff3", *labels, *files], capture_output=True)
    if proc.returncode < 0 or proc.returncode > 127:
        raise EngineError(f"git merge-file failed on {path}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout, proc.returncode == 0


def _is_text(*blobs: bytes | None) -> bool:
    return all(b is None or b"\0" not in b[:8000] for b in blobs)


def merge_projects(base: dict[str, bytes], ours: dict[str, bytes], theirs: dict[str, bytes]) -> MergeResult:
    """Decide every path of base ∪ theirs (user-only files are not touched at all)."""
    result = MergeResult()
    for path in sorted(set(base) | set(theirs)):
        if path.startswith(HISTORY_DIRS) and path in ours:
            continue  # revisions are the user's history; a new one is added, none rewritten
        if path.startswith(HISTORY_DIRS) and path not in base:
            continue  # the new render's 0001 is not a revision of this project
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t:
            continue  # already what the new version wants (or gone on both sides)
        if b is None:  # new in the new version
            if o is None:
                result.files[path] = t
                result.added.append(path)
            else:
                _both(result, path, o, b"", t, "added by both")
            continue
        if t is None:  # the new version no longer has it
            if o == b:
                result.files[path] = None
                result.removed.append(path)
            elif o is not None:
                result.conflicts.append(Conflict(path, "changed by you, removed by the new version"))
            continue
        if o is None:  # the user deleted it
            if t != b:
                result.conflicts.append(Conflict(path, "deleted by you, changed by the new version"))
            continue
        if o == b:
            result.files[path] = t
            result.updated.append(path)
        elif t == b:
            result.kept.append(path)
        else:
            _both(result, path, o, b, t, "content")
    return result


def _both(result: MergeResult, path: str, o: bytes, b: bytes, t: bytes, kind: str) -> None:
    if not _is_text(o, b, t):
        result.conflicts.append(Conflict(path, f"{kind} (binary)"))
        return
    merged, clean = merge_text(o, b, t, path=path)
    if not clean:
        merged, clean = _keep_both_additions(merged)
    if clean:
        result.files[path] = merged
        result.merged.append(path)
    else:
        result.conflicts.append(Conflict(path, kind, merged.decode("utf-8", errors="replace")))
        result.files[path] = merged  # only written with --conflicts=markers


def _keep_both_additions(text: bytes) -> tuple[bytes, bool]:
    """Resolve the hunks where both sides only added lines at one place (the base part is empty).

    Both additions are kept, the user's first (a test or an endpoint appended at the end of a
    file while the new version also appends one). Nothing is dropped, so no side is picked;
    the gate still has to pass on the result. Other hunks stay conflicts.
    """
    out: list[bytes] = []
    lines = text.splitlines(keepends=True)
    clean = True
    i = 0
    while i < len(lines):
        if not lines[i].startswith(b"<<<<<<< "):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        parts: dict[str, list[bytes]] = {"ours": [], "base": [], "theirs": []}
        part = "ours"
        while j < len(lines) and not lines[j].startswith(b">>>>>>> "):
            if lines[j].startswith(b"||||||| "):
                part = "base"
            elif lines[j].rstrip(b"\r\n") == b"=======":
                part = "theirs"
            else:
                parts[part].append(lines[j])
            j += 1
        if j < len(lines) and not any(ln.strip() for ln in parts["base"]):
            ours, theirs = parts["ours"], parts["theirs"]
            out += ours + theirs
        else:
            clean = False
            out += lines[i : j + 1]
        i = j + 1
    return b"".join(out), clean


def conflict_hunks(conflict: Conflict, context: int = 2) -> list[str]:
    """The conflicting regions of a content conflict, with a little context, as printable blocks."""
    lines = conflict.hunks.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].startswith("<<<<<<< "):
            start = max(0, i - context)
            j = i
            while j < len(lines) and not lines[j].startswith(">>>>>>> "):
                j += 1
            blocks.append("\n".join(lines[start : min(len(lines), j + 1 + context)]))
            i = j + 1
        else:
            i += 1
    return blocks


__all__ = ["HISTORY_DIRS", "Conflict", "MergeResult", "conflict_hunks", "merge_projects", "merge_text"]
