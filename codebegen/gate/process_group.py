"""Child processes of the verification gate, each in its own process group under a time limit.

Owns starting a command with its output going to a file (no pipe to fill up, nothing lost
when it is killed), waiting for it with a deadline, stopping it together with everything it
started, and reading that output back bounded in size. It knows nothing about what the
commands are; ``codebegen.gate.verify`` decides that.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MAX_LOG = 512 * 1024


@dataclass
class Finished:
    """What one command did: exit code (None when it was killed at the time limit), output, time."""

    returncode: int | None
    output: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def start(argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start argv as the leader of a new process group, stdout and stderr into ``log``."""
    with open(log, "wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def run(argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float) -> Finished:
    """Run argv to the end or to ``timeout`` seconds, then stop whatever of its group is left."""
    begin = time.perf_counter()
    proc = start(argv, cwd=cwd, env=env, log=log)
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop(proc)  # also ends children a finished command left running
    return Finished(code, read_log(log), time.perf_counter() - begin)


def stop(proc: subprocess.Popen[bytes], *, grace: float = 0.0) -> None:
    """End the process and its whole group: SIGTERM and ``grace`` seconds first if asked, then SIGKILL."""
    if grace and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group id is the leader's pid (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def read_log(path: Path) -> str:
    """The output file as text; past MAX_LOG only its head (collection errors) and tail (summary)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= MAX_LOG:
            data = f.read()
        else:
            head = f.read(MAX_LOG // 8)
            f.seek(size - (MAX_LOG - len(head)))
            data = head + b"\n... (output cut) ...\n" + f.read()
    return data.decode("utf-8", "replace")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


__all__ = ["Finished", "free_port", "read_log", "run", "start", "stop"]
