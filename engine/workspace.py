"""A scratch directory where a project is built, and the all-or-nothing move into the target.

Owns the output directory's safety for ``generate`` and the pipeline: the target is checked
first (empty or new, writable), the project is built in a scratch directory beside it, and it
is moved into place only by ``place()``. Closing the workspace without placing it removes
the scratch (a cancelled or failed run leaves the target as it was); ``keep_failed()`` moves a
failed project to a temp directory whose path can be shown to the user, so nothing is lost.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from engine.errors import OutputError


def check_output_dir(out_dir: Path, *, force: bool) -> None:
    """Refuse a non-empty directory (unless force) or one that cannot be written."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a directory", hint="choose another -o DIR")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputError(f"{out_dir} is not empty", hint="choose an empty or new directory, or pass --force")
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
        raise OutputError(f"cannot write to {parent}: {exc.strerror}", hint="choose a directory you can write to") from None


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
        """Move the finished project into out_dir, replacing what --force allowed to replace."""
        out_dir = self.out_dir
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            backup = None
            if out_dir.exists():
                backup = out_dir.with_name(f".{out_dir.name}.replaced-{os.getpid()}")
                out_dir.rename(backup)
            try:
                shutil.move(str(self.path), out_dir)  # a rename when both sit on one file system
            except OSError:
                if backup is not None:
                    backup.rename(out_dir)
                raise
            if backup is not None:
                shutil.rmtree(backup, ignore_errors=True)
        except OSError as exc:
            raise OutputError(f"cannot move the project into {out_dir}: {exc.strerror}") from None
        return out_dir
