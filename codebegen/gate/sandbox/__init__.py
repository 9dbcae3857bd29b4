"""The sandbox a generated project's server runs in: bubblewrap, no network, a Unix socket.

Owns starting a project's server (or any command) under ``bwrap`` with its own user, PID, IPC,
UTS, cgroup and network namespaces (``--unshare-all``: no network at all), the project on a
read-only bind at ``/project``, the runtime environment and its base interpreter read-only, a
private writable data directory at ``/data``, a tmpfs ``/tmp`` and nothing else of the host
(``/usr`` and the loader paths read-only; no home directory, no studio data, no ``/etc``).
Limits: CPU time, address space, processes and file size through ``prlimit`` (processes also
through a pids cgroup where the host can make one: a root host is exempt from RLIMIT_NPROC); a
wall-clock lifetime and an idle timeout through a watchdog thread. The server listens on a Unix socket in
a directory shared with the host (``/sock/app.sock`` inside); ``Sandbox.client()`` talks HTTP
over it with httpx, so there is no TCP port to guard. The one thing a sandbox may reach is a
relayed PostgreSQL socket its caller asks for (``sandboxed_server(relay=...)``, at ``RELAY_DIR``;
``codebegen.gate.sandbox.relay``).

Without bubblewrap (or where the kernel refuses user namespaces) ``available()`` says why and
``Sandbox.start`` raises ``SandboxError``: a project is never run unsandboxed by this module.
It does not decide what to run (``codebegen.gate.verify``, ``codebegen.gate.exploits`` and
``codebegen.preview`` do) nor proxy TCP to the socket (``codebegen.gate.sandbox.proxy`` does).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from codebegen.errors import EngineError
from codebegen.gate import process_group

INSIDE_PROJECT = "/project"
INSIDE_DATA = "/data"
INSIDE_SOCKET_DIR = "/sock"
SOCKET_NAME = "app.sock"
RELAY_DIR = f"{INSIDE_SOCKET_DIR}/pg"  # where a relayed PostgreSQL's socket is, inside
_UID = 1000  # the server's user inside; outside it is the caller's user


class SandboxError(EngineError):
    """The sandbox cannot run here, or the sandboxed server did not come up."""


@dataclass(frozen=True)
class Limits:
    """What a sandboxed process may use. ``None`` turns a limit off."""

    cpu_seconds: int | None = 120  # CPU time of each process (SIGXCPU, then SIGKILL)
    memory_mb: int | None = 2048  # address space of each process
    processes: int | None = 256  # tasks of the sandbox's user
    file_mb: int | None = 256  # largest file it may write
    lifetime_s: float | None = 900.0  # wall clock from start to stop
    idle_s: float | None = None  # stop when no request came through the host side for this long


DEFAULT_LIMITS = Limits()


@functools.cache
def available() -> str | None:
    """None when bubblewrap can build a sandbox here, else the reason it cannot."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (apt-get install bubblewrap); refusing to run the project unsandboxed"
    if shutil.which("prlimit") is None:
        return "prlimit (util-linux) is not installed; refusing to run the project without limits"
    probe = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/usr", "/usr", *_loader_binds(), "--proc", "/proc",
                            "--dev", "/dev", "true"], capture_output=True, text=True, timeout=30)  # fmt: skip
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip() or probe.returncode}"
    return None


def runtime_binds(venv: Path) -> list[Path]:
    """The read-only paths a virtual environment needs: itself and its base interpreter's prefix."""
    venv = Path(venv).resolve()
    paths = [venv]
    cfg = venv / "pyvenv.cfg"
    if cfg.is_file():
        for line in cfg.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                home = Path(value.strip()).resolve()
                prefix = home.parent if home.name == "bin" else home
                if not str(prefix).startswith("/usr"):
                    paths.append(prefix)
    return paths


@dataclass
class Sandbox:
    """One sandboxed process tree; ``socket_path`` is where the host reaches its server."""

    state: Path  # host folder: data/, sock/, output.log
    proc: subprocess.Popen[bytes]
    limits: Limits
    started: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    stopped_because: str = ""
    ready: bool = False  # the server answered once; the idle clock runs from then on
    _watchdog: threading.Thread | None = None
    cgroup: Path | None = None  # its pids cgroup, where the host can make one
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def process_limit_holds(self) -> bool:
        """False on a root host without a pids cgroup: the kernel exempts root from RLIMIT_NPROC."""
        return self.limits.processes is None or self.cgroup is not None or os.geteuid() != 0

    def limit_caveat(self) -> str:
        """What the sandbox could not enforce on this host, in words ('' when everything holds)."""
        if self.process_limit_holds:
            return ""
        return (
            "; the process-count limit does not hold on this host (running as root without a writable pids cgroup: "
            "root is exempt from RLIMIT_NPROC)"
        )

    @property
    def data_dir(self) -> Path:
        return self.state / "data"

    @property
    def socket_path(self) -> Path:
        return self.state / "sock" / SOCKET_NAME

    @property
    def log_path(self) -> Path:
        return self.state / "output.log"

    @classmethod
    def start(
        cls,
        argv: list[str],
        *,
        project: Path,
        ro_binds: list[Path],
        env: dict[str, str],
        state: Path,
        limits: Limits = Limits(),
    ) -> Sandbox:
        """Start argv inside a new sandbox; ``/project`` is ``project`` read-only, ``state`` holds the rest."""
        why = available()
        if why:
            raise SandboxError(why, hint="install bubblewrap (make system-deps) and try again")
        state = Path(state)
        for sub in ("data", "sock"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        argv = _command(argv, project=Path(project).resolve(), ro_binds=ro_binds, env=env, state=state, limits=limits)
        cgroup = _pids_cgroup(limits.processes)
        if cgroup is not None:  # bwrap starts inside it, so every process of the sandbox counts
            argv = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup), *argv]
        proc = process_group.start(argv, cwd=state, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                                   log=state / "output.log")  # fmt: skip
        box = cls(state, proc, limits, cgroup=cgroup)
        box._watchdog = threading.Thread(target=box._watch, name="sandbox-watchdog", daemon=True)
        box._watchdog.start()
        return box

    # -- the host side ---------------------------------------------------------------------

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """An httpx client whose requests go to the server's Unix socket (and count as activity)."""
        transport = httpx.HTTPTransport(uds=str(self.socket_path))
        return httpx.Client(transport=transport, base_url="http://sandbox", timeout=timeout,
                            event_hooks={"request": [lambda _r: self.touch()]})  # fmt: skip

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def wait_ready(self, path: str = "/health", timeout: float = 60.0, *, expect: object = None) -> float:
        """Seconds until GET ``path`` answered 200 (with the JSON body ``expect``, if given).

        The first answer is the verdict (a server that answers 500 will not get better);
        SandboxError, with the log's tail as its hint, when it is wrong, the server exits or
        ``timeout`` passes. The messages are the unsandboxed boot check's (codebegen.gate.health_probe)."""
        begin = time.monotonic()
        deadline = begin + timeout
        with self.client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SandboxError(f"the server exited with code {self.proc.returncode} before answering "
                                       f"GET {path}", hint=self.log_tail())  # fmt: skip
                if self.socket_path.exists():
                    try:
                        answer = client.get(path)
                    except httpx.TransportError:
                        time.sleep(0.05)
                        continue
                    try:
                        body_ok = expect is None or answer.json() == expect
                    except ValueError:
                        body_ok = False
                    if answer.status_code == 200 and body_ok:
                        self.ready = True
                        return time.monotonic() - begin
                    wanted = f"200 {expect!r}" if expect is not None else "200"
                    raise SandboxError(f"GET {path} answered {answer.status_code} {answer.text[:200]!r}, "
                                       f"expected {wanted}", hint=self.log_tail())  # fmt: skip
                time.sleep(0.05)
        raise SandboxError(f"timed out after {timeout:.0f} s waiting for GET {path}", hint=self.log_tail())

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, reason: str = "stopped") -> None:
        """End everything in the sandbox (bwrap's PID namespace dies with its first process)."""
        if not self.stopped_because:
            self.stopped_because = reason
        self._done.set()
        process_group.stop(self.proc, grace=2.0 if self.proc.poll() is None else 0.0)
        if self.cgroup is not None:
            _remove_cgroup(self.cgroup)

    def log(self) -> str:
        return process_group.read_log(self.log_path) if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def _watch(self) -> None:
        lim = self.limits
        while not self._done.wait(0.2):
            if self.proc.poll() is not None:
                return
            now = time.monotonic()
            if lim.lifetime_s is not None and now - self.started > lim.lifetime_s:
                self.stop(f"wall-clock lifetime of {lim.lifetime_s:g} s reached")
            elif self.ready and lim.idle_s is not None and now - self.last_used > lim.idle_s:
                self.stop(f"idle for {lim.idle_s:g} s")

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextmanager
def sandboxed_server(
    argv: list[str],
    *,
    project: Path,
    ro_binds: list[Path],
    env: dict[str, str],
    limits: Limits = Limits(),
    health_path: str = "/health",
    timeout: float = 60.0,
    expect: object = None,
    relay: tuple[str, int] | None = None,
) -> Iterator[tuple[Sandbox, float]]:
    """A started sandbox whose server answered ``health_path``, with its startup seconds; stopped after.

    ``relay``: a TCP address (the gate's PostgreSQL) the sandbox reaches through the Unix socket
    ``RELAY_DIR/.s.PGSQL.5432`` (``codebegen.gate.sandbox.relay``); nothing else is reachable."""
    from codebegen.gate.sandbox.relay import PG_SOCKET, UnixRelay

    with tempfile.TemporaryDirectory(prefix="codebegen-sandbox-") as tmp, contextlib.ExitStack() as stack:
        if relay is not None:
            stack.enter_context(UnixRelay(Path(tmp) / "sock" / "pg" / PG_SOCKET, relay))
        box = Sandbox.start(argv, project=project, ro_binds=ro_binds, env=env, state=Path(tmp), limits=limits)
        try:
            seconds = box.wait_ready(health_path, timeout=timeout, expect=expect)
            yield box, seconds
        finally:
            box.stop()


def uds_argv(boot: list[str]) -> list[str] | None:
    """A uvicorn boot command with ``--host``/``--port`` replaced by the sandbox's socket, or None."""
    if "uvicorn" not in boot:
        return None
    out: list[str] = []
    skip = False
    for arg in boot:
        if skip:
            skip = False
            continue
        if arg in ("--host", "--port", "--uds"):
            skip = True
            continue
        if arg.startswith(("--host=", "--port=", "--uds=")):
            continue
        out.append(arg)
    return [*out, "--uds", f"{INSIDE_SOCKET_DIR}/{SOCKET_NAME}"]


# -- the process-count limit ---------------------------------------------------------------------

_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def _pids_cgroup(processes: int | None) -> Path | None:
    """A fresh pids cgroup capped at ``processes``, where the host may make one (root, cgroup v1 pids or
    a delegated v2 tree), else None. RLIMIT_NPROC alone does not hold for a host running as root: the
    sandbox's user is root outside its namespace, and the kernel exempts root from that limit."""
    if processes is None:
        return None
    for root in _CGROUP_ROOTS:
        if not os.access(root, os.W_OK):
            continue
        _reap_stale_cgroups(root)
        path = root / f"codebegen-sandbox-{os.getpid()}-{time.monotonic_ns()}"
        try:
            path.mkdir()
        except OSError:
            continue
        try:
            (path / "pids.max").write_text(str(processes))
            return path
        except OSError:
            _remove_cgroup(path)
    return None


def _reap_stale_cgroups(root: Path) -> None:
    """Remove the pids cgroups that hosts which died before their stop() left behind (named by host pid)."""
    for path in root.glob("codebegen-sandbox-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        with contextlib.suppress(OSError):
            if not (path / "cgroup.procs").read_text().split():
                path.rmdir()


def _remove_cgroup(path: Path) -> None:
    for _ in range(50):  # its processes are being killed; the folder goes once they are gone
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), 9)
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


# -- the bwrap command line ---------------------------------------------------------------------


def _loader_binds() -> list[str]:
    """/bin, /lib, /lib64, /sbin as the host has them (symlinks into /usr, or read-only dirs)."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _command(argv: list[str], *, project: Path, ro_binds: list[Path], env: dict[str, str], state: Path,
             limits: Limits) -> list[str]:  # fmt: skip
    bwrap = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--uid", str(_UID), "--gid", str(_UID),
             "--cap-drop", "ALL", "--hostname", "sandbox",
             "--ro-bind", "/usr", "/usr", *_loader_binds(),
             "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
             "--dir", "/etc", "--ro-bind-try", "/etc/localtime", "/etc/localtime"]  # fmt: skip
    for path in dict.fromkeys(Path(p).resolve() for p in ro_binds):
        bwrap += ["--ro-bind", str(path), str(path)]
    bwrap += ["--ro-bind", str(project), INSIDE_PROJECT,
              "--bind", str(state / "data"), INSIDE_DATA,
              "--bind", str(state / "sock"), INSIDE_SOCKET_DIR,
              "--remount-ro", "/",  # the root bwrap builds is read-only too: /data and /tmp are all it can write
              "--chdir", INSIDE_PROJECT, "--clearenv"]  # fmt: skip
    inside = {"HOME": INSIDE_DATA, "TMPDIR": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"} | env
    for key, value in inside.items():
        bwrap += ["--setenv", key, value]
    rlimits = []
    if limits.cpu_seconds is not None:
        rlimits.append(f"--cpu={limits.cpu_seconds}")
    if limits.memory_mb is not None:
        rlimits.append(f"--as={limits.memory_mb * 1024 * 1024}")
    if limits.processes is not None:
        rlimits.append(f"--nproc={limits.processes}")
    if limits.file_mb is not None:
        rlimits.append(f"--fsize={limits.file_mb * 1024 * 1024}")
    # prlimit runs inside, so bwrap itself (which needs to map memory freely) is not limited
    return [*bwrap, "--", "/usr/bin/prlimit", *rlimits, "--", *argv]


__all__ = [
    "DEFAULT_LIMITS",
    "RELAY_DIR",
    "Limits",
    "Sandbox",
    "SandboxError",
    "available",
    "runtime_binds",
    "sandboxed_server",
    "uds_argv",
]
