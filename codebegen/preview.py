"""Live previews: a generated project served from the sandbox, reachable on 127.0.0.1.

Owns starting one preview (the project's runtime environment, its server in
``codebegen.gate.sandbox`` on the manifest's database in a private data directory with a fresh
SECRET_KEY, and a ``SocketProxy`` from a local TCP port to the server's Unix socket), following
its log, and stopping it. The project folder is bound read-only: a preview never changes it,
and its data is gone when it stops. Without bubblewrap a preview is refused (SandboxError),
never run unsandboxed. ``codebegen preview`` and the studio's Preview tab drive it.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codebegen.errors import VerificationError
from codebegen.gate.live_checks import server_argv
from codebegen.gate.runtime import ensure_runtime
from codebegen.gate.sandbox import Limits, Sandbox, SandboxError, available, runtime_binds, uds_argv
from codebegen.gate.sandbox.proxy import SocketProxy
from codebegen.gate.verify import project_template
from codebegen.templates import TEMPLATES_ROOT, load_template

PREVIEW_LIMITS = Limits(cpu_seconds=600, memory_mb=2048, processes=256, file_mb=256, lifetime_s=None, idle_s=None)


@dataclass
class Preview:
    """A running preview: ``url`` is the proxy, ``box`` the sandbox behind it."""

    project: Path
    box: Sandbox
    proxy: SocketProxy
    startup_s: float
    _state: Path

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def running(self) -> bool:
        return self.box.running

    def follow_log(self, poll: float = 0.2) -> Iterator[str]:
        """The server's log lines as they come, until the sandbox stops."""
        offset = 0
        while True:
            text = self.box.log()
            if len(text) > offset:
                chunk, offset = text[offset:], len(text)
                yield from chunk.splitlines()
            if not self.box.running:
                return
            time.sleep(poll)

    def stop(self, reason: str = "stopped") -> None:
        self.proxy.close()
        self.box.stop(reason)
        shutil.rmtree(self._state, ignore_errors=True)


def start_preview(
    project_dir: Path, *, cache_dir: Path, port: int = 0, limits: Limits = PREVIEW_LIMITS,
    templates_root: Path = TEMPLATES_ROOT, timeout: float = 120.0,
) -> Preview:  # fmt: skip
    """Serve the project in DIR from the sandbox on 127.0.0.1:``port`` (0: a free one)."""
    why = available()
    if why:
        raise SandboxError(f"preview refused: {why}", hint="install bubblewrap (make system-deps)")
    project_dir = Path(project_dir).resolve()
    settings = load_template(project_template(project_dir), templates_root).manifest.verify
    if uds_argv(settings.boot) is None:
        raise VerificationError(f"preview refused: the template's boot command {settings.boot} is not uvicorn")
    runtime = ensure_runtime(project_dir / settings.requirements, cache_dir=cache_dir)
    argv = server_argv(settings, runtime)
    env = {k: v.replace("{workdir}", "/data") for k, v in settings.env.items()}
    env |= {"SECRET_KEY": secrets.token_urlsafe(32), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    state = Path(tempfile.mkdtemp(prefix="codebegen-preview-"))
    box = Sandbox.start(argv, project=project_dir, ro_binds=runtime_binds(runtime.path),
                        env=env, state=state, limits=limits)  # fmt: skip
    try:
        seconds = box.wait_ready(settings.health_path, timeout=timeout)
        proxy = SocketProxy(box, port=port).start()
    except BaseException:
        box.stop("did not start")
        shutil.rmtree(state, ignore_errors=True)
        raise
    return Preview(project_dir, box, proxy, seconds, state)


__all__ = ["PREVIEW_LIMITS", "Preview", "start_preview"]
