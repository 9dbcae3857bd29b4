"""Waiting for a freshly started server to answer its health endpoint.

Owns one loop: poll ``GET url`` on loopback until the server answers, the process dies, or
the deadline passes, and judge the first answer (200 with the JSON body ``{"status": "ok"}`` is
healthy; anything else is not, at once — a server that answers 500 will not get better). It
never goes through a proxy. Starting and stopping the server is ``codebegen.gate.process_group``'s job.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

HEALTHY_BODY = {"status": "ok"}


@dataclass(frozen=True)
class Health:
    healthy: bool
    detail: str
    seconds: float  # from the start of the wait to the verdict


def await_health(proc: subprocess.Popen[bytes], url: str, *, path: str, timeout: float) -> Health:
    """Poll ``url`` until ``proc`` answers it, exits, or ``timeout`` seconds pass."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    start = time.perf_counter()
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            return Health(False, f"the server exited with code {proc.returncode} before answering GET {path}",
                          time.perf_counter() - start)  # fmt: skip
        try:
            with opener.open(url, timeout=5) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
            continue
        seconds = time.perf_counter() - start
        try:
            healthy = status == 200 and json.loads(body) == HEALTHY_BODY
        except ValueError:
            healthy = False
        if healthy:
            return Health(True, f'GET {path} answered 200 {{"status": "ok"}} {seconds:.2f} s after start', seconds)
        text = body.decode("utf-8", "replace")[:200]
        return Health(False, f"GET {path} answered {status} {text!r}, expected 200 {{'status': 'ok'}}", seconds)
    return Health(False, f"timed out after {timeout:.0f} s waiting for GET {path}", time.perf_counter() - start)


__all__ = ["Health", "await_health"]
