"""The supervised model worker: the native model runtimes run in a process of their own.

llama.cpp and torch are native code; a segfault, an abort, the kernel's out-of-memory kill or a
hang in them would otherwise end the CLI or the studio process serving every visitor. Roles whose
``RoleConfig.in_worker()`` is true (the default for ``llamacpp`` and ``local``) are answered by a
``WorkerBackend``: a ``Backend`` that forwards each ``stream`` call over a pipe to one worker
process per host process (``supervisor()``; ``python -m codebegen.models.worker_process``), which holds
every such role's backend as the host did before (the four roles of the default share one
loaded model there). The worker streams the
text deltas back one message each.

Owns the worker's life: started lazily (a fresh interpreter, so no lock or thread of the host is
inherited) when the first role is opened (``WorkerBackend.open``, which loads the model there),
restarted on the next call after it died, stopped when a call passes its deadline
(``RoleConfig.deadline_s``; loading has ``LOAD_DEADLINE_S``). The pipe is a socket pair; the
worker exits when the host's end closes, so it never outlives its host for long. A death or a
hang ends the call with ``ModelCrashError`` ("the model runtime crashed (signal 11) while
decoding for the parser; the run was stopped"), which the pipeline turns into the run's failure
like any EngineError. Calls from several threads take turns (the runtimes serialise them
anyway). A consumer that stops iterating cancels the decode in the worker between two tokens.

``RoleConfig.fault`` is the test hook: the worker aborts, gets SIGSEGV, is SIGKILLed, hangs or
exits after N deltas of a call for that role, so the supervision is tested on a real process.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codebegen import errors
from codebegen.errors import EngineError, ModelCrashError, ModelError
from codebegen.models.base import Backend, Message, StreamStats, check_messages

if TYPE_CHECKING:
    from codebegen.models.profiles import ProfileConfig

LOAD_DEADLINE_S = 1800.0  # loading a big model from a slow disk takes minutes; a hang still ends
CANCEL_DEADLINE_S = 30.0  # a cancelled decode stops at its next token


class ModelWorker:
    """One worker process and the pipe to it. ``stream`` is the only way in; it is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._opened: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._ids = itertools.count(1)
        self.starts = 0  # how many worker processes this host has started (tests, doctor)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.alive() else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def open(self, backend: WorkerBackend) -> None:
        """Open ``backend``'s role in the worker (starting it if needed); errors are the backend's own."""
        with self._lock:
            self._open(backend)

    def _open(self, backend: WorkerBackend) -> None:
        if not self.alive():
            self._start()
        key = (backend.profile_key, backend.role)
        if key not in self._opened:
            call = next(self._ids)
            self._send(("open", call, backend.profile_key, backend.payload, backend.role), backend.role, "loading")
            reply = self._recv(call, time.monotonic() + LOAD_DEADLINE_S, backend.role, "loading", LOAD_DEADLINE_S)
            self._raise_if_error(reply)
            self._opened[key] = (reply[2], reply[3])
        backend.model_name, backend.adapter_name = self._opened[key]

    def stream(self, backend: WorkerBackend, messages: list[Message], options: dict[str, Any],
               stats: StreamStats | None) -> Iterator[str]:  # fmt: skip
        with self._lock:
            self._open(backend)  # again after a restart
            call = next(self._ids)
            self._send(("stream", call, backend.profile_key, backend.role, messages, options, backend.fault),
                       backend.role, "decoding")  # fmt: skip
            deadline = time.monotonic() + backend.deadline_s
            finished = False
            try:
                while True:
                    reply = self._recv(call, deadline, backend.role, "decoding", backend.deadline_s)
                    if reply[0] == "delta":
                        yield reply[2]
                        continue
                    finished = True
                    self._raise_if_error(reply)
                    if stats is not None:  # reply[0] == "end"
                        for name, value in reply[2].items():
                            setattr(stats, name, value)
                    return
            finally:
                if not finished and self.alive():
                    self._cancel(call, backend.role)

    def stop(self) -> None:
        """End the worker (it is started again on the next call)."""
        with self._lock:
            self._kill()

    # -- the process

    def _start(self) -> None:
        # its own interpreter (``python -m codebegen.models.worker_process FD``), not multiprocessing's spawn, which
        # re-runs the host's main script: a script without ``if __name__ == "__main__"`` would recurse
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        try:
            proc = subprocess.Popen([sys.executable, "-m", "codebegen.models.worker_process", str(theirs.fileno())],
                                    pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env)  # fmt: skip
        finally:
            theirs.close()
        self._proc, self._conn, self._opened = proc, Connection(ours.detach()), {}
        self.starts += 1

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            _reap(self._proc)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn, self._opened = None, None, {}

    def _send(self, message: tuple[Any, ...], role: str, phase: str) -> None:
        assert self._conn is not None
        try:
            self._conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ModelError(f"the {role} role's request cannot be sent to the model worker: {exc}",
                             hint="a scripted fake with a callable cannot run in the worker; set worker: false") from None  # fmt: skip
        except OSError:  # the worker died between two calls
            raise self._died(role, phase) from None

    def _recv(self, call: int, deadline: float, role: str, phase: str, limit: float) -> tuple[Any, ...]:
        """The next reply to ``call``; a dead or hung worker becomes ModelCrashError (and is gone)."""
        assert self._conn is not None and self._proc is not None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                raise ModelCrashError(
                    f"the model runtime did not answer within {limit:.0f} s while {_doing(phase)} for the {role}; "
                    "it was stopped and the run with it",
                    hint="the next run starts a fresh model worker; if the machine is only slow, raise deadline_s "
                    "in the profile",
                    role=role, phase=phase,
                )  # fmt: skip
            # a worker that dies closes its end of the socket: the wait returns and recv sees EOF
            if wait([self._conn], timeout=min(remaining, 1.0)):
                try:
                    reply = self._conn.recv()
                except (EOFError, OSError):
                    raise self._died(role, phase) from None
                if reply[1] == call:  # a late reply to a cancelled call is dropped
                    return reply
            elif self._proc.poll() is not None:
                raise self._died(role, phase)

    def _died(self, role: str, phase: str) -> ModelCrashError:
        assert self._proc is not None
        code = _reap(self._proc)
        self._kill()
        doing = _doing(phase)
        again = "the next run starts a fresh model worker; if it happens again, run `codebegen doctor`"
        if code is not None and code < 0:
            number = -code
            name = _signal_name(number)
            if number == signal.SIGKILL:
                return ModelCrashError(
                    f"the model runtime was killed (signal {number}, {name}: out of memory?) while {doing} for the "
                    f"{role}; the run was stopped",
                    hint=f"{again}; free memory or choose a smaller model", signal=number, role=role, phase=phase,
                )  # fmt: skip
            return ModelCrashError(
                f"the model runtime crashed (signal {number}, {name}) while {doing} for the {role}; the run was stopped",
                hint=f"{again} and report what it prints", signal=number, role=role, phase=phase,
            )  # fmt: skip
        return ModelCrashError(
            f"the model runtime exited (code {code}) while {doing} for the {role}; the run was stopped",
            hint=again,
            role=role,
            phase=phase,
        )

    def _cancel(self, call: int, role: str) -> None:
        """The consumer stopped early: stop the decode in the worker and wait for its end."""
        try:
            assert self._conn is not None
            self._conn.send(("cancel", call))
            deadline = time.monotonic() + CANCEL_DEADLINE_S
            while self._recv(call, deadline, role, "decoding", CANCEL_DEADLINE_S)[0] == "delta":
                pass
        except (EngineError, OSError):
            self._kill()

    @staticmethod
    def _raise_if_error(reply: tuple[Any, ...]) -> None:
        if reply[0] == "error":
            _, _, name, message, hint = reply
            cls = getattr(errors, name, None)
            if not (isinstance(cls, type) and issubclass(cls, EngineError)) or name in (
                "SpecError",
                "VerificationError",
            ):
                cls = ModelError
            raise cls(message, hint=hint)
        if reply[0] == "bug":  # not an EngineError: a bug, shown with the worker's traceback
            raise RuntimeError(f"the model worker failed:\n{reply[2]}")


def _reap(proc: subprocess.Popen[bytes]) -> int | None:
    """The exit status of an ending worker (negative: the signal that ended it)."""
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def _doing(phase: str) -> str:
    return "loading the model" if phase == "loading" else "decoding"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SUPERVISOR: ModelWorker | None = None
_SUPERVISOR_LOCK = threading.Lock()


def supervisor() -> ModelWorker:
    """This process's one model worker (not started until a call needs it)."""
    global _SUPERVISOR
    with _SUPERVISOR_LOCK:
        if _SUPERVISOR is None:
            _SUPERVISOR = ModelWorker()
        return _SUPERVISOR


@atexit.register
def _stop_at_exit() -> None:
    if _SUPERVISOR is not None:
        _SUPERVISOR._kill()


def profile_payload(profile: ProfileConfig) -> tuple[str, dict[str, Any]]:
    """A key and the picklable description of ``profile`` the worker rebuilds it from."""
    payload = {
        "name": profile.name,
        "cache_dir": str(profile.cache_dir),
        "roles": {role: cfg.model_dump() for role, cfg in profile.roles.items()},
    }
    key = hashlib.sha256(json.dumps(payload, sort_keys=True, default=repr).encode()).hexdigest()[:16]
    return key, payload


class WorkerBackend(Backend):
    """A role answered in the model worker; streams exactly what the backend there streams."""

    def __init__(self, role: str, profile: ProfileConfig, worker: ModelWorker) -> None:
        cfg = profile.roles[role]
        self.role = role
        self.model_name = cfg.model or cfg.backend  # the worker's names replace these once it opened the role
        self.adapter_name: str | None = None
        self.deadline_s = cfg.deadline_s
        self.fault = cfg.fault
        self.profile_key, self.payload = profile_payload(profile)
        self.worker = worker

    @classmethod
    def open(cls, role: str, profile: ProfileConfig) -> WorkerBackend:
        backend = cls(role, profile, supervisor())
        backend.worker.open(backend)  # loads now, as an in-process backend does; errors arrive as themselves
        return backend

    def stream(
        self,
        messages: Sequence[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        stats: StreamStats | None = None,
    ) -> Iterator[str]:
        options = {"schema": schema, "max_tokens": max_tokens, "temperature": temperature,
                   "stop": list(stop) if stop else None}  # fmt: skip
        return self.worker.stream(self, check_messages(messages), options, stats)


__all__ = ["LOAD_DEADLINE_S", "ModelWorker", "WorkerBackend", "profile_payload", "supervisor"]
