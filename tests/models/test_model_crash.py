"""A model runtime that segfaults, aborts or hangs ends the run with one line, never the CLI.

The fake parser runs in the real supervised worker process (``worker: true``) and the test hook
``fault`` makes that process die mid-decode; everything else is the real ``codebegen`` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

PROMPT = "Parking garage API. Levels have a number and a name. Spots belong to a level."


def crash_profile(tmp_path: Path, fault: str, **parser) -> str:
    path = tmp_path / f"crash-{fault.replace('@', '-')}.json"
    path.write_text(json.dumps({"extends": "fake", "roles": {"parser": {"worker": True, "fault": fault, **parser}}}))
    return str(path)


def codebegen(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codebegen.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env={**__import__("os").environ, "CODEBEGEN_HOME": str(home)}, timeout=300)  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "extra", "says"),
    [
        (
            "segv@3",
            {},
            "the model runtime crashed (signal 11, SIGSEGV) while decoding for the parser; the run was stopped",
        ),
        (
            "abort@2",
            {},
            "the model runtime crashed (signal 6, SIGABRT) while decoding for the parser; the run was stopped",
        ),
        ("hang@2", {"deadline_s": 2}, "the model runtime did not answer within 2 s while decoding for the parser"),
    ],
)
def test_spec_with_a_crashing_model_runtime_is_one_line_and_exit_1(tmp_path, fault, extra, says):
    run = codebegen("spec", PROMPT, "--profile", crash_profile(tmp_path, fault, **extra), home=tmp_path)
    assert run.returncode == 1, (run.returncode, run.stderr)  # not 139 (SIGSEGV), not 134 (SIGABRT)
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"codebegen: error: {says}"), run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


@pytest.mark.slow
def test_generate_with_a_crashing_model_runtime_writes_nothing(tmp_path):
    out = tmp_path / "out"
    run = codebegen("generate", PROMPT, "-o", str(out), "--profile", crash_profile(tmp_path, "segv@3"), home=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "✗ parse: the model runtime crashed (signal 11, SIGSEGV) while decoding for the parser" in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("codebegen: error: the model runtime crashed (signal 11")
    assert not out.exists() or not any(out.iterdir())
