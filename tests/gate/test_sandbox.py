"""The sandbox (codebegen/gate/sandbox): what a server inside it cannot do, and its limits.

Each test runs a small Python program under bubblewrap with the suite's own interpreter (its
virtual environment and base prefix bound read-only), the way the gate runs a project's server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from codebegen.gate import sandbox
from codebegen.gate.sandbox import DEFAULT_LIMITS, Limits, Sandbox, SandboxError, available, runtime_binds
from codebegen.gate.sandbox.proxy import SocketProxy

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))
BINDS = runtime_binds(Path(sys.prefix))


def run_inside(
    tmp_path: Path, code: str, *, limits: Limits = DEFAULT_LIMITS, timeout: float = 60
) -> tuple[int | None, str]:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "main.py").write_text(textwrap.dedent(code))
    box = Sandbox.start([sys.executable, "main.py"], project=project, ro_binds=BINDS, env={},
                        state=tmp_path / "state", limits=limits)  # fmt: skip
    code_ = box.wait(timeout)
    box.stop()
    return code_, box.log()


def test_no_outbound_connection_not_even_to_the_hosts_loopback(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=lambda: listener.accept(), daemon=True).start()
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the host itself can connect
    code, log = run_inside(
        tmp_path,
        f"""
        import socket
        for host, port in (("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)):
            try:
                socket.create_connection((host, port), timeout=2)
                print("CONNECTED", host)
            except OSError as exc:
                print("refused", host, exc.errno)
        try:
            socket.getaddrinfo("pypi.org", 443)
            print("RESOLVED")
        except OSError:
            print("no dns")
    """,
    )
    listener.close()
    assert code == 0, log
    assert "CONNECTED" not in log and "RESOLVED" not in log and log.count("refused") == 3


def test_cannot_read_a_file_planted_in_the_hosts_home(tmp_path: Path) -> None:
    secret = Path.home() / f"codebegen-planted-{uuid.uuid4().hex}.txt"
    secret.write_text("the host's secret")
    try:
        code, log = run_inside(
            tmp_path,
            f"""
            import os
            for path in ({str(secret)!r}, "/etc/passwd", "/etc/shadow", {str(Path.cwd())!r}):
                try:
                    print("READ", path, open(path).read()[:20] if os.path.isfile(path) else os.listdir(path))
                except OSError as exc:
                    print("hidden", path, type(exc).__name__)
            print("home:", sorted(os.listdir({str(Path.home())!r})))
        """,
        )
    finally:
        secret.unlink()
    assert code == 0, log
    # the working folder is visible only as far as the runtime's read-only binds reach into it
    # (a clone whose .venv lies inside it shows that .venv and nothing else)
    bound = {b.relative_to(Path.cwd()).parts[0] for b in BINDS if b.is_relative_to(Path.cwd())}
    cwd_line = next((line for line in log.splitlines() if line.startswith(f"READ {Path.cwd()} ")), None)
    if cwd_line is not None:
        assert set(eval(cwd_line.split(" ", 2)[2])) <= bound, log  # noqa: S307 (the test's own print of a list)
        log = log.replace(cwd_line, f"hidden {Path.cwd()} (only the runtime's binds)")
    assert "READ" not in log and "the host's secret" not in log and log.count("hidden") == 4, log
    home = next(line for line in log.splitlines() if line.startswith("home:"))
    assert secret.name not in home  # the home folder holds only the interpreter's read-only prefix


def test_cannot_write_outside_its_data_dir(tmp_path: Path) -> None:
    code, log = run_inside(
        tmp_path,
        """
        for path in ("/project/x.txt", "/usr/x.txt", "/x.txt", "/etc/x.txt", __import__("sys").prefix + "/x.txt"):
            try:
                open(path, "w").write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        open("/data/ok.txt", "w").write("kept")
        open("/tmp/scratch.txt", "w").write("private")
    """,
    )
    assert code == 0, log
    assert "WROTE" not in log and log.count("refused") == 5, log
    assert (tmp_path / "state" / "data" / "ok.txt").read_text() == "kept"
    assert not (tmp_path / "project" / "x.txt").exists() and not Path(sys.prefix, "x.txt").exists()
    assert not Path("/tmp/scratch.txt").exists()  # its /tmp is a tmpfs of its own


def test_killed_at_its_memory_limit(tmp_path: Path) -> None:
    code, log = run_inside(
        tmp_path,
        """
        chunks = []
        for i in range(64):
            chunks.append(bytearray(64 * 1024 * 1024))  # 4 GiB in the end
            print("allocated", (i + 1) * 64, "MiB", flush=True)
        print("SURVIVED")
    """,
        limits=Limits(memory_mb=512),
    )
    assert code not in (0, None) and "SURVIVED" not in log, log
    assert "MemoryError" in log


def test_held_to_its_process_count_and_the_host_survives_a_fork_storm(tmp_path: Path) -> None:
    code, log = run_inside(
        tmp_path,
        """
        import os, time
        made = refused = 0
        for i in range(300):
            try:
                pid = os.fork()
            except OSError:
                refused += 1
                continue
            if pid == 0:
                time.sleep(5)
                os._exit(0)
            made += 1
        print("made", made, "refused", refused, flush=True)
    """,
        limits=Limits(processes=32),
    )
    made, refused = (int(n) for n in re.search(r"made (\d+) refused (\d+)", log).groups())
    assert made < 32 and refused > 250, log
    # the host (the studio, the gate) is unharmed: it starts processes, and nothing of the sandbox is left
    assert subprocess.run([sys.executable, "-c", "print('alive')"], capture_output=True, text=True).stdout == "alive\n"
    assert not [c for c in Path("/sys/fs/cgroup/pids").glob(f"codebegen-sandbox-{os.getpid()}-*")], "a cgroup was left"


def test_killed_at_its_cpu_time_limit(tmp_path: Path) -> None:
    start = time.monotonic()
    code, log = run_inside(tmp_path, "while True:\n    pass\n", limits=Limits(cpu_seconds=1), timeout=60)
    assert code is not None and code != 0, log
    assert time.monotonic() - start < 30


def test_stopped_at_its_wall_clock_lifetime(tmp_path: Path) -> None:
    start = time.monotonic()
    code, log = run_inside(tmp_path, "import time\ntime.sleep(120)\n", limits=Limits(lifetime_s=1.0), timeout=30)
    assert code is not None and time.monotonic() - start < 15, log


SERVER = """
    import uvicorn
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"status": "ok"}

    uvicorn.run(app, uds="/sock/app.sock", log_level="info")
"""


def test_server_answers_over_its_socket_and_the_proxy_and_stops_when_idle(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(SERVER))
    box = Sandbox.start([sys.executable, "main.py"], project=project, ro_binds=BINDS, env={},
                        state=tmp_path / "state", limits=Limits(idle_s=3.0))  # fmt: skip
    try:
        box.wait_ready(timeout=60)
        with box.client() as client:
            assert client.get("/health").json() == {"status": "ok"}
        with SocketProxy(box) as proxy:
            assert httpx.get(f"{proxy.url}/health").json() == {"status": "ok"}
        assert box.wait(30) is not None  # nobody asked for 3 s: the watchdog stopped it
        assert "idle" in box.stopped_because
        assert '"GET /health HTTP/1.1" 200' in box.log()
    finally:
        box.stop()


def test_without_bubblewrap_it_refuses_instead_of_running_unsandboxed(tmp_path: Path, monkeypatch) -> None:
    real = sandbox.shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None if name == "bwrap" else real(name))
    sandbox.available.cache_clear()
    try:
        assert "bubblewrap is not installed" in (available() or "")
        with pytest.raises(SandboxError, match="refusing to run the project unsandboxed"):
            Sandbox.start([sys.executable, "-c", "print(1)"], project=tmp_path, ro_binds=BINDS, env={},
                          state=tmp_path / "state")  # fmt: skip
        assert not (tmp_path / "state").exists()
    finally:
        sandbox.available.cache_clear()


def test_a_process_limit_it_cannot_enforce_is_said_not_hidden(tmp_path: Path, monkeypatch) -> None:
    code = "import time\ntime.sleep(30)\n"
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "main.py").write_text(code)
    box = Sandbox.start([sys.executable, "main.py"], project=tmp_path / "project", ro_binds=BINDS, env={},
                        state=tmp_path / "state")  # fmt: skip
    try:  # where it could make a pids cgroup (or the host is not root), nothing to say
        assert box.process_limit_holds == (box.cgroup is not None or os.geteuid() != 0)
        assert (box.limit_caveat() == "") == box.process_limit_holds
    finally:
        box.stop()
    # a root host where no pids cgroup can be made: the limit does not hold, and the sandbox says so
    monkeypatch.setattr(sandbox, "_CGROUP_ROOTS", (tmp_path / "no-cgroup-here",))
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    box = Sandbox.start([sys.executable, "main.py"], project=tmp_path / "project", ro_binds=BINDS, env={},
                        state=tmp_path / "state2")  # fmt: skip
    try:
        assert box.cgroup is None and not box.process_limit_holds
        assert "process-count limit does not hold" in box.limit_caveat()
    finally:
        box.stop()
