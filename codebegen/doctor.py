"""``codebegen doctor``: checks this install the way a user needs when something is off.

Owns the checks, one function each, every one returning a ``Check`` (✓ or ✗, what was found,
what to do). ``run_checks`` yields them in order so the CLI can print each as it lands; the CLI
only prints and picks the exit code (0 unless a required check failed). Required: Python, the
templates (package data), the llama.cpp build, the embedded model file, a short constrained decode with each shipped adapter
(in the supervised model worker, so a crash is reported, not suffered), the gate's runtime
environment, free disk, the studio's data directory. Optional (used when present): PostgreSQL,
Chromium, bubblewrap. Every check takes what it inspects as arguments, so each ✗ path is tested.
"""

from __future__ import annotations

import glob
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_PYTHON = (3, 11)
LLAMA_CPP_VERSION = "0.3.36"
MIN_FREE_GIB = 2.0  # a runtime environment is ~150 MB, converted weights ~600 MB, a run's project little
DECODE_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                 "additionalProperties": False}  # fmt: skip
DECODE_MESSAGES = [{"role": "user", "content": 'Answer with the JSON {"ok": true}.'}]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        optional = "" if self.required else " (optional)"
        fix = f" — {self.fix}" if self.fix and not self.ok else ""
        return f"{mark} {self.name}{optional}: {self.detail}{fix}"


def python_check(version: Sequence[int] = tuple(sys.version_info[:3])) -> Check:
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("Python", True, f"{shown} ({sys.executable})")
    need = ".".join(map(str, MIN_PYTHON))
    return Check(
        "Python", False, f"{shown} is too old", fix=f"install Python {need} or newer and run `make install` again"
    )


def cpu_features(system_info: str) -> list[str]:
    """The CPU features a llama.cpp build uses, from ``llama_print_system_info()``'s ``NAME = 1`` pairs."""
    return [name for name, value in re.findall(r"([A-Z0-9_]+) = (\d+)", system_info) if value != "0"]


def llama_cpp_check(importer: Callable[[str], Any] = importlib.import_module) -> Check:
    name = "llama.cpp build"
    try:
        llama_cpp = importer("llama_cpp")
        info = llama_cpp.llama_print_system_info().decode(errors="replace")
    except Exception as exc:  # noqa: BLE001 - ImportError, a broken shared library (OSError), ...
        return Check(name, False, f"llama-cpp-python cannot be loaded ({type(exc).__name__}: {exc})",
                     fix="install the models extra: `pip install 'codebegen[models]'` or, in a checkout, "
                         "`make install` (it compiles llama.cpp, minutes); if that does not compile see docs/models.md "
                         "\"When llama.cpp does not compile\"; until then the default runs on transformers, slower")  # fmt: skip
    version = getattr(llama_cpp, "__version__", "?")
    features = cpu_features(info)
    detail = f"llama-cpp-python {version}; CPU features used: {' '.join(features) or 'none reported'}"
    if any(f.startswith("AMX") for f in features):
        detail += " (AMX: codebegen loads the model without extra buffer types, where LoRA adapters would crash)"
    if version != LLAMA_CPP_VERSION:
        return Check(name, False, detail, fix=f"pyproject.toml pins {LLAMA_CPP_VERSION}; run `make install` again")
    return Check(name, True, detail)


def templates_check(root: Path | None = None) -> Check:
    """The templates are package data: an install without them cannot render a project."""
    from codebegen.templates import TEMPLATES_ROOT, list_templates

    root = TEMPLATES_ROOT if root is None else root
    found = list_templates(root) if root.is_dir() else []
    if not found:
        return Check("templates", False, f"no template in {root}",
                     fix="reinstall codebegen: the templates ship inside the package (codebegen/templates/)")  # fmt: skip
    return Check("templates", True, f"{', '.join(found)} ({root})")


def model_file_check(locate: Callable[[], Path] | None = None) -> Check:
    from codebegen.errors import EngineError

    if locate is None:
        from codebegen.models.embedded import embedded_gguf as locate
    try:
        path = locate()
    except EngineError as exc:
        return Check("embedded model", False, exc.message, fix=exc.hint)
    return Check("embedded model", True, f"{path.name}, {path.stat().st_size / 2**20:.0f} MiB ({path.parent})")


def decode_checks(profile: str = "default", cache_dir: Path | None = None) -> Iterator[Check]:
    """A short JSON-constrained decode per role, in the model worker; its adapter must be the role's."""
    from codebegen.errors import EngineError
    from codebegen.models import ROLES, load_profile

    try:
        loaded = load_profile(profile, cache_dir=cache_dir)
    except EngineError as exc:
        yield Check("model decode", False, exc.message, fix=exc.hint)
        return
    for role in ROLES:
        name = f"decode with the {role} adapter"
        cfg = loaded.roles[role]
        try:
            reply = loaded.backend(role).complete(DECODE_MESSAGES, schema=DECODE_SCHEMA, max_tokens=24)
            json.loads(reply.text)
        except EngineError as exc:
            yield Check(name, False, exc.message, fix=exc.hint)
            continue
        except json.JSONDecodeError:
            yield Check(name, False, f"the constrained answer is not JSON: {reply.text[:80]!r}",
                        fix="run `make install` again (llguidance); report it if that does not help")  # fmt: skip
            continue
        if cfg.adapter and reply.adapter is None and cfg.backend != "fake":
            yield Check(name, False, f"no adapter found at {cfg.adapter}; the role ran on the bare model",
                        fix="reinstall codebegen (the adapters ship inside the package, codebegen/adapters/); "
                            "in a checkout: git checkout codebegen/adapters")  # fmt: skip
            continue
        where = "in the model worker" if cfg.in_worker() else "in this process"
        yield Check(name, True, f"{reply.tokens_out} tokens of JSON, {reply.duration_s:.2f} s {where} "
                    f"({reply.model}{f' + {reply.adapter}' if reply.adapter else ''})")  # fmt: skip


def gate_runtime_check(cache_dir: Path, base_python: str = sys.executable) -> Check:
    """The gate builds its environments with ``BASE -m venv`` and this interpreter's pip."""
    name = "gate runtime environment"
    for cmd, what in (([base_python, "-m", "venv", "--help"], "create virtual environments"),
                      ([sys.executable, "-m", "pip", "--version"], "run pip")):  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return Check(name, False, f"{base_python} cannot {what}: {exc}",
                         fix="install Python's venv module (Debian: apt-get install python3-venv) and pip")  # fmt: skip
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
            return Check(name, False, f"{Path(cmd[0]).name} cannot {what}: {tail[0]}",
                         fix="install Python's venv module (Debian: apt-get install python3-venv) and pip")  # fmt: skip
    from codebegen.gate.runtime import FORMAT, STAMP

    current, stale = [], []
    for stamp in sorted(Path(cache_dir).glob(f"*/{STAMP}")):
        try:
            fmt = json.loads(stamp.read_text(encoding="utf-8")).get("format")
        except (OSError, ValueError):
            fmt = None
        (current if fmt == FORMAT else stale).append(stamp.parent)
    broken = [env.name for env in current if not all(_script_runs(p) for p in (env / "bin").glob("pytest"))]
    if broken:
        return Check(name, False, f"environment(s) with broken console scripts in {cache_dir}: {', '.join(broken)}",
                     fix=f"delete them (rm -rf {cache_dir}/<name>); the gate rebuilds them on the next run")  # fmt: skip
    note = f"; {len(stale)} from an older codebegen, unused (delete them to free space)" if stale else ""
    return Check(name, True, f"venv and pip work; {len(current)} environment(s) built in {cache_dir}{note}")


def _script_runs(script: Path) -> bool:
    first = script.read_bytes()[:256].split(b"\n", 1)[0]
    interpreter = first[2:].decode(errors="replace").strip() if first.startswith(b"#!") else ""
    return bool(interpreter) and Path(interpreter.split()[0]).exists()


def postgres_check(candidates: Sequence[str] | None = None) -> Check:
    found = _first_tool("pg_ctl", candidates, glob_pattern="/usr/lib/postgresql/*/bin/pg_ctl")
    if found is None:
        return Check("PostgreSQL", False, "pg_ctl not found", required=False,
                     fix="apt-get install postgresql (or `make system-deps`) to verify projects on PostgreSQL too")  # fmt: skip
    return Check("PostgreSQL", True, f"{_version(found)} ({found})", required=False)


def chromium_check(candidates: Sequence[str] | None = None) -> Check:
    found = _first_tool("chromium", candidates, extra=("/usr/bin/chromium", "chromium-browser"))
    if found is None:
        return Check("Chromium", False, "not found", required=False,
                     fix="apt-get install chromium (or `make system-deps`) for the studio's browser tests")  # fmt: skip
    return Check("Chromium", True, f"{_version(found)} ({found})", required=False)


def bubblewrap_check(candidates: Sequence[str] | None = None) -> Check:
    found = _first_tool("bwrap", candidates)
    if found is None:
        return Check("bubblewrap", False, "bwrap not found", required=False,
                     fix="apt-get install bubblewrap to run previews in a sandbox")  # fmt: skip
    probe = subprocess.run([found, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    if probe.returncode != 0:
        return Check("bubblewrap", False, f"{found} cannot create a sandbox here: {probe.stderr.strip()[:120]}",
                     required=False, fix="allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")  # fmt: skip
    return Check("bubblewrap", True, f"{_version(found)} ({found})", required=False)


def disk_check(path: Path, need_gib: float = MIN_FREE_GIB) -> Check:
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 2**30
    if free < need_gib:
        return Check("free disk", False, f"{free:.1f} GiB free at {probe}, {need_gib:.0f} GiB needed",
                     fix="free some space, or point CODEBEGEN_HOME at a larger disk")  # fmt: skip
    return Check("free disk", True, f"{free:.1f} GiB free at {probe}")


def data_dir_check(data_dir: Path) -> Check:
    name = "studio data directory"
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(name, False, f"{data_dir} is not writable ({exc.strerror or exc})",
                     fix="make it writable, or set CODEBEGEN_STUDIO_DATA_DIR to a writable directory")  # fmt: skip
    return Check(name, True, f"{data_dir} is writable")


def _first_tool(name: str, candidates: Sequence[str] | None, *, glob_pattern: str | None = None,
                extra: Sequence[str] = ()) -> str | None:  # fmt: skip
    if candidates is None:
        candidates = [name, *extra, *(sorted(glob.glob(glob_pattern)) if glob_pattern else [])]
    for candidate in candidates:
        found = candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found:
            return found
    return None


def _version(tool: str) -> str:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "version unknown"
    return ((out.stdout or out.stderr).strip().splitlines() or ["version unknown"])[0]


def run_checks(*, cache_dir: Path, data_dir: Path, profile: str = "default", decode: bool = True) -> Iterator[Check]:
    """Every check, in the order a user reads them; ``cache_dir`` is the engine's (CODEBEGEN_HOME)."""
    yield python_check()
    yield templates_check()
    yield llama_cpp_check()
    yield model_file_check()
    if decode:
        yield from decode_checks(profile)  # the model cache spec/generate use
    yield gate_runtime_check(cache_dir / "runtimes")
    yield postgres_check()
    yield chromium_check()
    yield bubblewrap_check()
    yield disk_check(cache_dir)
    yield data_dir_check(data_dir)


__all__ = ["Check", "cpu_features", "run_checks", "templates_check"]
