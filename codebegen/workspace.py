"""A scratch directory where a project is built, and the all-or-nothing move into the target.

Owns the output directory's safety for ``generate`` and the pipeline: the target is checked
first (empty or new, writable), the project is built in a scratch directory beside it, and it
is moved into place only by ``place()``. Nothing the user owns is ever removed: a non-empty
directory is taken only when it is a codebegen project and ``force`` is given, and then only
the files codebegen wrote there (``.codebegen/base``) are replaced; ``.git``, ``.env``,
databases and the user's own files stay, and so does the directory's mode. The pristine
output is kept in ``.codebegen/base`` as the merge base of ``codebegen iterate``. Closing the workspace without placing it removes
the scratch (a cancelled or failed run leaves the target as it was); ``keep_failed()`` moves a
failed project to a temp directory whose path can be shown to the user, so nothing is lost.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from codebegen.errors import OutputError
from codebegen.merge_base import is_codebegen_project, project_files, read_base, write_base


def check_output_dir(out_dir: Path, *, force: bool) -> None:
    """Refuse a non-empty directory (unless force) or one that cannot be written."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a directory", hint="choose another -o DIR")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not is_codebegen_project(out_dir):
            raise OutputError(
                f"{out_dir} is not empty and is not a codebegen project",
                hint="choose an empty or new directory; to change a codebegen project use `codebegen iterate DIR`",
            )
        if not force:
            raise OutputError(
                f"{out_dir} is not empty: it is a codebegen project",
                hint=f'change it with `codebegen iterate {out_dir} "CHANGE"` (keeps your edits), '
                "or pass --force to regenerate it (files codebegen did not write are kept)",
            )
    parent = out_dir.parent if not out_dir.exists() else out_dir
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create {out_dir}: {parent} is a file", hint="choose another -o DIR")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {parent}", hint="choose a directory you can write to")
    try:  # permissions can say yes where the file system says no (read-only mounts, /proc)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise OutputError(
            f"cannot write to {parent}: {exc.strerror}", hint="choose a directory you can write to"
        ) from None


class Workspace:
    """``with Workspace(out_dir, force=...) as ws:`` build in ``ws.path``, then ``ws.place()``."""

    def __init__(self, out_dir: str | Path, *, force: bool = False) -> None:
        self.out_dir = Path(out_dir).expanduser().absolute()
        check_output_dir(self.out_dir, force=force)
        parent = self.out_dir.parent if self.out_dir.parent.exists() else Path(tempfile.gettempdir())
        try:
            self.path = Path(tempfile.mkdtemp(prefix=f".codebegen-{self.out_dir.name}-", dir=parent))
        except OSError as exc:
            raise OutputError(
                f"cannot write next to {self.out_dir}: {exc.strerror}", hint="choose a writable -o DIR"
            ) from None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()

    def discard(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def keep_failed(self) -> Path:
        """Move the scratch project to a temp dir (for inspection) and return its new path."""
        kept = Path(tempfile.mkdtemp(prefix="codebegen-failed-")) / self.out_dir.name
        shutil.move(str(self.path), kept)
        return kept

    def place(self) -> Path:
        """Move the finished project into out_dir (kept pristine in ``.codebegen/base``).

        A new or empty out_dir receives the project by a rename; an existing codebegen project
        (``--force``) gets codebegen's files written over in place and the files codebegen wrote
        before and no longer writes removed (only where the user left them unchanged).
        """
        out_dir = self.out_dir
        files = project_files(self.path)
        write_base(self.path, files)
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            if out_dir.is_dir() and any(out_dir.iterdir()):
                _overlay(self.path, out_dir, files)
                shutil.rmtree(self.path, ignore_errors=True)
                return out_dir
            mode = out_dir.stat().st_mode & 0o7777 if out_dir.is_dir() else 0o777 & ~_umask()
            if out_dir.is_dir():
                out_dir.rmdir()
            shutil.move(str(self.path), out_dir)  # a rename when both sit on one file system
            out_dir.chmod(mode)  # mkdtemp made it 0700
        except OSError as exc:
            raise OutputError(f"cannot move the project into {out_dir}: {exc.strerror}") from None
        return out_dir


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _overlay(scratch: Path, out_dir: Path, files: dict[str, bytes]) -> None:
    """Write codebegen's files over ``out_dir``; remove its old files the new output lacks, if untouched."""
    old = read_base(out_dir) or {}
    for rel, data in files.items():
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    for rel, data in old.items():
        dest = out_dir / rel
        if rel not in files and dest.is_file() and dest.read_bytes() == data:
            dest.unlink()
    for name in ("trust_report.json", "TRUST_REPORT.md"):
        if (scratch / name).is_file():
            shutil.copyfile(scratch / name, out_dir / name)
    write_base(out_dir, files)
