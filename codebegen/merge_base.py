"""The merge base: the pristine output codebegen last wrote into a project, kept in ``.codebegen/base/``.

Owns which files of a project count as codebegen's (everything it rendered, minus the trust
report it rewrites on every run), writing that snapshot and reading it back. The user never
edits it; ``iterate`` merges against it and replaces it with the new version's output, and
``generate --force`` uses it to know which files it may replace or remove (only its own).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from codebegen.gate.project_imports import is_skipped
from codebegen.gate.trust_report import JSON_NAME, MARKDOWN_NAME

STATE_DIR = ".codebegen"
BASE_DIR = f"{STATE_DIR}/base"
_NOT_GENERATED = frozenset({JSON_NAME, MARKDOWN_NAME})


def project_files(root: Path) -> dict[str, bytes]:
    """Every source file under ``root`` (posix path -> bytes), without caches, VCS, venvs or ``.codebegen``."""
    root = Path(root)
    out: dict[str, bytes] = {}

    def walk(folder: Path, rel: tuple[str, ...]) -> None:
        for child in sorted(folder.iterdir()):
            parts = (*rel, child.name)
            if child.is_symlink():
                continue
            if child.is_dir():
                if not is_skipped(parts, is_dir=True):
                    walk(child, parts)
            elif child.is_file() and not child.name.endswith((".pyc", ".pyo")):
                if len(parts) == 1 and child.name in _NOT_GENERATED:
                    continue
                out["/".join(parts)] = child.read_bytes()

    walk(root, ())
    return out


def write_base(project: Path, files: dict[str, bytes]) -> None:
    """Replace ``project/.codebegen/base`` with ``files``."""
    base = Path(project) / BASE_DIR
    if base.exists():
        shutil.rmtree(base)
    for rel, data in files.items():
        dest = base / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    (Path(project) / STATE_DIR / "README.md").write_text(
        "codebegen keeps the output it last generated here, as the merge base of `codebegen iterate`.\n"
        "Do not edit it; commit it with the project so anyone can iterate.\n",
        encoding="utf-8",
    )


def read_base(project: Path) -> dict[str, bytes] | None:
    """The kept snapshot, or None for a project made before codebegen kept one."""
    base = Path(project) / BASE_DIR
    if not base.is_dir():
        return None
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def is_codebegen_project(path: Path) -> bool:
    return (Path(path) / "codebegen.json").is_file()


__all__ = ["BASE_DIR", "STATE_DIR", "is_codebegen_project", "project_files", "read_base", "write_base"]
