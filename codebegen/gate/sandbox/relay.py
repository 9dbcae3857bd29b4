"""The one way out of a sandbox: a Unix socket the host relays to one TCP address.

Owns ``UnixRelay``: the host listens on a Unix socket inside the sandbox's shared socket
directory and copies bytes both ways between each connection made there and one fixed TCP
address (the gate's PostgreSQL server). The sandbox still has no network namespace of its own
to reach anything with; it can talk to that one server and nothing else, the way a project on
PostgreSQL needs to. ``pg_socket_url`` rewrites a database URL to reach the relay as libpq
does (``host=`` a socket directory). It does not create databases (``codebegen.gate.scratch_database``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PG_SOCKET = ".s.PGSQL.5432"  # libpq's name for a server's socket in a socket directory (port 5432)


class UnixRelay:
    """``with UnixRelay(path, (host, port)):`` connections to ``path`` reach ``host:port``."""

    def __init__(self, path: Path, target: tuple[str, int]) -> None:
        self.path = Path(path)
        self.target = target
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self.path.chmod(0o777)  # the sandbox's user is another uid inside
        self._listener.listen(64)
        self._closed = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="sandbox-relay", daemon=True)

    def start(self) -> UnixRelay:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                inside, _ = self._listener.accept()
            except OSError:
                return
            try:
                outside = socket.create_connection(self.target, timeout=10)
                outside.settimeout(None)
            except OSError:
                inside.close()
                continue
            with self._lock:
                self._open |= {inside, outside}
            for a, b in ((inside, outside), (outside, inside)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, dest: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                dest.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, dest):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            left, self._open = self._open, set()
        for s in left:
            with contextlib.suppress(OSError):
                s.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> UnixRelay:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def pg_target(url: str) -> tuple[str, int]:
    """The TCP address of a PostgreSQL URL."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def pg_socket_url(url: str, socket_dir: str) -> str:
    """``url`` reaching its database through the socket directory ``socket_dir`` instead of TCP."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    query = "&".join(filter(None, [parts.query, f"host={socket_dir}"]))
    return urlunsplit((parts.scheme, auth, parts.path, query, ""))


__all__ = ["PG_SOCKET", "UnixRelay", "pg_socket_url", "pg_target"]
