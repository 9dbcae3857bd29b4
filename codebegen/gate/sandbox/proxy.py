"""A small HTTP proxy from a TCP port on 127.0.0.1 to a sandboxed server's Unix socket.

Owns forwarding each request (method, path, headers, body) to ``Sandbox.client()`` and the
answer back, in a thread of its own; tools that only speak TCP (schemathesis, a browser, the
preview's user) reach the sandbox through it. It listens on 127.0.0.1 only, never on another
interface, and forwards to nothing but the one socket. It does not start the sandbox.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from codebegen.gate.sandbox import Sandbox

_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length"}  # fmt: skip
MAX_BODY = 64 * 1024 * 1024


class SocketProxy:
    """``with SocketProxy(box) as proxy: proxy.url`` serves the sandbox on 127.0.0.1."""

    def __init__(self, box: Sandbox, *, port: int = 0, timeout: float = 60.0,
                 hold: threading.Event | None = None) -> None:  # fmt: skip
        """``hold``: requests wait until it is set (a client may start before the server is its turn)."""
        self.box = box
        client = box.client(timeout=timeout)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:  # the sandbox's own log has the lines
                pass

            def _forward(self) -> None:
                if hold is not None:
                    hold.wait()
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_BODY:
                    self.send_error(413, "request body too large for the proxy")
                    return
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                try:
                    answer = client.request(self.command, self.path, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    self.send_error(502, f"the sandboxed server did not answer: {type(exc).__name__}")
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in _HOP | {"content-encoding"}:
                        self.send_header(key, value)
                data = answer.content
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_TRACE = _forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._client = client
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-proxy", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SocketProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> SocketProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


__all__ = ["SocketProxy"]
