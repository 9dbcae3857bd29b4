"""The runtime environments the verification gate runs generated projects in.

Owns building, caching and locating them: one virtual environment per hash of a project's
requirements file content (plus the Python version and platform), under a cache directory the
caller passes in (the CLI uses ``$CODEBEGEN_HOME/runtimes``). An environment is built once and
reused by every later project with the same requirements, so FastAPI is never reinstalled per
project.

A build is atomic: it happens in a temporary sibling directory under a file lock (two
processes asking for the same environment build it once), gets a completion stamp, and is then
renamed into place. Before the rename every script in ``bin/`` that names the temporary path
(the console scripts' shebangs, ``activate``) is rewritten to name the final one, so
``bin/pytest`` and an activated environment work; the gate itself runs tools as
``python -m tool``.

It does not decide what goes into an environment (the template's rendered requirements file
does) nor run anything in it (``codebegen.gate.verify`` does).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from codebegen.errors import RuntimeEnvError

STAMP = ".codebegen-runtime.json"
FORMAT = _FORMAT = 2  # bump when the layout of an environment changes, so old ones are not reused


@dataclass(frozen=True)
class RuntimeEnv:
    """A built environment: its directory, interpreter, and whether this call built it."""

    key: str
    path: Path
    built: bool
    build_seconds: float

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"


def runtime_key(requirements: str, *, base_python: str = sys.executable) -> str:
    """The cache key of an environment: requirements content, Python version, platform."""
    version = _python_version(base_python)
    text = "\n".join(line.strip() for line in requirements.strip().splitlines())
    digest = hashlib.sha256(f"{_FORMAT}\n{version}\n{platform.machine()}\n{text}".encode()).hexdigest()
    return f"py{version.replace('.', '')}-{digest[:16]}"


def ensure_runtime(
    requirements_file: Path,
    *,
    cache_dir: Path,
    base_python: str = sys.executable,
    install_timeout: float = 900.0,
    lock_timeout: float = 1200.0,
) -> RuntimeEnv:
    """Return the environment for ``requirements_file``, building it if it is not cached yet.

    Raises RuntimeEnvError when the requirements cannot be read, another build holds the lock
    for longer than ``lock_timeout``, or pip fails (with pip's last lines and what to do).
    """
    try:
        requirements = Path(requirements_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuntimeEnvError(
            f"cannot read the runtime requirements {requirements_file}: {exc.strerror}",
            hint="the template's verify.requirements must name a file it renders",
        ) from None
    key = runtime_key(requirements, base_python=base_python)
    cache_dir = Path(cache_dir).expanduser().resolve()
    final = cache_dir / key
    if _is_complete(final):
        return RuntimeEnv(key=key, path=final, built=False, build_seconds=0.0)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeEnvError(
            f"cannot create the runtime cache {cache_dir}: {exc.strerror}",
            hint="pass a writable cache directory (CODEBEGEN_HOME)",
        ) from None
    with _locked(cache_dir / f"{key}.lock", lock_timeout):
        if _is_complete(final):  # another process built it while we waited
            return RuntimeEnv(key=key, path=final, built=False, build_seconds=0.0)
        start = time.perf_counter()
        _remove_leftovers(cache_dir, key, final)
        tmp = cache_dir / f"{key}.tmp-{os.getpid()}"
        try:
            _build(tmp, requirements, Path(requirements_file), base_python, install_timeout)
            seconds = time.perf_counter() - start
            stamp = {"key": key, "format": _FORMAT, "python": _python_version(base_python), "seconds": round(seconds, 2),
                     "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "requirements": requirements}  # fmt: skip
            (tmp / STAMP).write_text(json.dumps(stamp, indent=2), encoding="utf-8")
            relocate_scripts(tmp, final)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return RuntimeEnv(key=key, path=final, built=True, build_seconds=seconds)


def _build(target: Path, requirements: str, req_path: Path, base_python: str, timeout: float) -> None:
    # --without-pip + `pip --python` saves the ensurepip step (seconds) and a pip copy per env.
    _run([base_python, "-m", "venv", "--without-pip", str(target)], "create the virtual environment", 120)
    req_copy = target / "requirements.txt"
    req_copy.write_text(requirements, encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
           "--disable-pip-version-check", "--no-input", "-r", str(req_copy)]  # fmt: skip
    # Relative `-r`/`-c` lines resolve against the original file's folder.
    _run(cmd, f"install {req_path.name}", timeout, cwd=req_path.parent)


def relocate_scripts(built: Path, final: Path) -> list[Path]:
    """Make the scripts in ``built/bin`` name ``final`` instead of ``built``; the files it changed."""
    pairs = [(str(built).encode(), str(final).encode()), (built.name.encode(), final.name.encode())]  # path, prompt
    changed = []
    for script in sorted((built / "bin").iterdir()):
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if any(old in data for old, _ in pairs) and b"\0" not in data[:1024]:  # text scripts only, never a binary
            mode = script.stat().st_mode
            for old, new in pairs:
                data = data.replace(old, new)
            script.write_bytes(data)
            script.chmod(mode)
            changed.append(script)
    return changed


def _run(cmd: list[str], what: str, timeout: float, cwd: Path | None = None) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise RuntimeEnvError(
            f"runtime environment: could not {what} within {timeout:.0f} s",
            hint="check the network or the package index, then run verify again",
        ) from None
    except OSError as exc:
        raise RuntimeEnvError(f"runtime environment: could not {what}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip() and "is ignored" not in ln]
        tail = "\n".join(lines[-12:])
        raise RuntimeEnvError(
            f"runtime environment: could not {what} (exit {proc.returncode}):\n{tail}",
            hint="fix the requirements file or make the packages reachable (network, index, "
            "find-links), then run verify again; nothing half-built was kept",
        )


def _is_complete(path: Path) -> bool:
    # A stamped env whose interpreter link broke (base Python removed) is treated as absent.
    return (path / STAMP).is_file() and (path / "bin" / "python").exists()


def _remove_leftovers(cache_dir: Path, key: str, final: Path) -> None:
    """Drop half-built temp dirs of crashed builds and an unstamped/broken final dir."""
    for old in cache_dir.glob(f"{key}.tmp-*"):
        shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)


@contextmanager
def _locked(lock_path: Path, timeout: float) -> Iterator[None]:
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeEnvError(
                        f"another process has been building the runtime environment for {timeout:.0f} s "
                        f"(lock {lock_path})",
                        hint="wait for it to finish, or remove the lock file if no codebegen is running",
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _python_version(python: str) -> str:
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeEnvError(f"cannot run the base Python {python}: {exc}") from None
    return out.stdout.strip()


__all__ = ["RuntimeEnv", "ensure_runtime", "relocate_scripts", "runtime_key"]
