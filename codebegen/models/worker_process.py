"""The model worker process itself: ``python -m codebegen.models.worker_process FD``.

Started by the host's ``codebegen.models.worker.ModelWorker`` with its end of a socket pair.
Owns the worker's side of the pipe: each "open" rebuilds the host's profile from its payload
(every role in process here: ``worker`` off) and opens the role's backend through the registry
(``codebegen.models.registry``), each "stream" sends the backend's text deltas back one message
each, then the call's stats; an error goes back as itself (an ``EngineError``) or as a bug with
its traceback. ``RoleConfig.fault``, the test hook, makes this process abort, get SIGSEGV, be
SIGKILLed, hang or exit after N deltas. It exits when the host's end closes.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from codebegen.errors import EngineError
from codebegen.models.base import Backend, Message, StreamStats
from codebegen.models.profiles import RoleConfig
from codebegen.models.registry import Profile


def serve(conn: Connection) -> None:
    """The worker's loop: open backends, stream calls, until the host's end of the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the host's to handle; it stops us
    profiles: dict[str, Any] = {}
    while True:
        try:
            _handle(conn, profiles, conn.recv())
        except (EOFError, OSError):  # the host's end closed (it exited, or killed us): nothing to answer
            return


def _handle(conn: Connection, profiles: dict[str, Any], message: tuple[Any, ...]) -> None:
    kind, call = message[0], message[1]
    if kind == "open":
        _, _, key, payload, role = message
        try:
            if key not in profiles:
                roles = {r: RoleConfig(**{**d, "worker": False, "fault": None}) for r, d in payload["roles"].items()}
                profiles[key] = Profile(payload["name"], roles, cache_dir=Path(payload["cache_dir"]))
            backend = profiles[key].backend(role)
            conn.send(("opened", call, backend.model_name, backend.adapter_name))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the host
            _send_error(conn, call, exc)
    elif kind == "stream":
        _, _, key, role, messages, options, fault = message
        _stream(conn, call, profiles[key].backend(role), messages, options, fault)
    # a "cancel" for a call that already ended needs nothing


def _stream(conn: Connection, call: int, backend: Backend, messages: list[Message], options: dict[str, Any],
            fault: str | None) -> None:  # fmt: skip
    stats = StreamStats()
    kind, _, after = (fault or "").partition("@")
    after_n = int(after or 1)
    deltas = backend.stream(messages, stats=stats, **options)
    n = 0
    try:
        for delta in deltas:
            conn.send(("delta", call, delta))
            n += 1
            if kind and n >= after_n:
                _fault(kind)
            if conn.poll() and conn.recv()[0] == "cancel":
                break
    except BaseException as exc:  # noqa: BLE001
        _send_error(conn, call, exc)
        return
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()
    if kind:  # the call ended before the N-th delta: fault at its end
        _fault(kind)
    conn.send(("end", call, {"tokens_in": stats.tokens_in, "tokens_out": stats.tokens_out,
                             "finish_reason": stats.finish_reason, "first_token_s": stats.first_token_s,
                             "extra": stats.extra}))  # fmt: skip


def _send_error(conn: Connection, call: int, exc: BaseException) -> None:
    if isinstance(exc, EngineError):
        conn.send(("error", call, type(exc).__name__, exc.message, exc.hint))
    else:
        conn.send(("bug", call, "".join(traceback.format_exception(exc))))


def _fault(kind: str) -> None:
    """The test hook's ways for a native runtime to go wrong."""
    if kind == "abort":
        os.abort()
    elif kind == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "exit":
        os._exit(3)
    elif kind == "hang":
        while True:
            time.sleep(3600)
    time.sleep(5)  # a signal is delivered at once; never go on decoding after a fault


__all__ = ["serve"]

if __name__ == "__main__":  # started by ModelWorker._start with the socket's file descriptor
    serve(Connection(int(sys.argv[1])))
