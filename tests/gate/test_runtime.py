"""The runtime environments of the verification gate: built once per requirements, reused, atomic."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from codebegen.errors import RuntimeEnvError
from codebegen.gate.runtime import STAMP, ensure_runtime, runtime_key

TINY = "iniconfig\n"  # one small pure-Python wheel: a real install in a few seconds


def test_key_depends_on_requirements_content_only() -> None:
    assert runtime_key("fastapi\nuvicorn\n") == runtime_key("fastapi  \nuvicorn")
    assert runtime_key("fastapi\n") != runtime_key("fastapi\nuvicorn\n")
    assert runtime_key("fastapi\n").startswith(f"py{sys.version_info.major}{sys.version_info.minor}-")


def test_missing_requirements_file_is_a_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeEnvError, match="cannot read the runtime requirements"):
        ensure_runtime(tmp_path / "requirements.txt", cache_dir=tmp_path / "cache")


def test_pip_failure_names_the_problem_and_leaves_nothing_half_built(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("this is not a requirement!!\n")
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeEnvError) as err:
        ensure_runtime(req, cache_dir=cache)
    assert "Invalid requirement" in str(err.value) or "invalid" in str(err.value).lower()
    assert "fix the requirements file" in err.value.hint
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.slow
def test_builds_once_then_reuses(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(TINY)
    first = ensure_runtime(req, cache_dir=tmp_path / "cache")
    assert first.built and (first.path / STAMP).is_file()
    probe = subprocess.run([first.python, "-c", "import iniconfig, sys; print(sys.prefix)"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert probe.stdout.strip() == str(first.path)  # the renamed venv still knows where it lives
    second = ensure_runtime(req, cache_dir=tmp_path / "cache")
    assert not second.built and second.path == first.path


@pytest.mark.slow
def test_concurrent_requests_build_one_environment(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(TINY)
    results = []

    def build() -> None:
        results.append(ensure_runtime(req, cache_dir=tmp_path / "cache"))

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.built for r in results) == [False, False, True]
    assert len({r.path for r in results}) == 1
    assert [p for p in (tmp_path / "cache").iterdir() if ".tmp-" in p.name] == []


@pytest.mark.slow
def test_unfinished_build_is_rebuilt(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(TINY)
    cache = tmp_path / "cache"
    key = runtime_key(TINY)
    (cache / key / "bin").mkdir(parents=True)  # a crashed build: no completion stamp
    (cache / f"{key}.tmp-999999").mkdir()
    env = ensure_runtime(req, cache_dir=cache)
    assert env.built and env.python.exists()
    assert not (cache / f"{key}.tmp-999999").exists()


@pytest.mark.slow
def test_console_scripts_of_a_built_environment_run(tmp_path: Path) -> None:
    """Built in a temp dir and renamed, the env's scripts must still name where it now lives."""
    req = tmp_path / "requirements.txt"
    req.write_text("pytest\n")
    env = ensure_runtime(req, cache_dir=tmp_path / "cache")
    run = subprocess.run([env.bin_dir / "pytest", "--version"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "pytest" in run.stdout + run.stderr
    assert f"#!{env.python}" == (env.bin_dir / "pytest").read_text().splitlines()[0]
    assert str(env.path) in (env.bin_dir / "activate").read_text()
    assert not [p.name for p in env.bin_dir.iterdir() if p.is_file() and b".tmp-" in p.read_bytes()]


def test_relocating_rewrites_text_scripts_only(tmp_path: Path) -> None:
    from codebegen.gate.runtime import relocate_scripts

    built, final = tmp_path / "env.tmp-1", tmp_path / "env"
    (built / "bin").mkdir(parents=True)
    (built / "bin" / "tool").write_text(f"#!{built}/bin/python\nprint(1)\n")
    (built / "bin" / "tool").chmod(0o755)
    (built / "bin" / "native").write_bytes(b"\x7fELF\0\0" + str(built).encode())
    (built / "bin" / "python").symlink_to("/usr/bin/python3")
    assert relocate_scripts(built, final) == [built / "bin" / "tool"]
    assert (built / "bin" / "tool").read_text().startswith(f"#!{final}/bin/python\n")
    assert (built / "bin" / "tool").stat().st_mode & 0o111
    assert str(built).encode() in (built / "bin" / "native").read_bytes()
