"""The gate judges the project, not a linter's guess about the constants codebegen generated.

An enum value such as "day pass", "password", "secret" or "token" becomes a member whose name a
secret scanner (ruff's S105) takes for a hard-coded password. The templates mark such lines as
the spec's enum values, so a valid project is not refused; any other hard-coded secret still is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.names import looks_like_a_secret
from codebegen.spec import ProjectSpec, parse_spec
from codebegen.templates import render_project
from tests.helpers import TEMPLATES

WORDS = ["day pass", "password", "secret", "token", "api key", "passwd", "pass", "pwd", "passphrase", "secrete"]


def _spec() -> ProjectSpec:
    return parse_spec(
        {
            "name": "gym",
            "description": "a climbing gym",
            "auth": True,
            "entities": [
                {
                    "name": "Member",
                    "owned": True,
                    "fields": [
                        {"name": "name", "type": "str"},
                        {"name": "membership_type", "type": "enum", "values": WORDS},
                    ],
                },
                {"name": "User", "fields": [{"name": "tier", "type": "enum", "values": ["token", "secret_key"]}]},
            ],
            "relationships": [],
        }
    )


def _ruff(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )


def test_the_names_a_secret_scanner_flags() -> None:
    for name in ("day_pass", "password", "secret", "token", "passwd", "pass_", "pwd", "passphrase", "secret_key"):
        assert looks_like_a_secret(name), name
    for name in ("api_key", "passenger", "compass", "tokenizer_kind", "bypass", "secretary"):
        assert not looks_like_a_secret(name), name


@pytest.mark.parametrize("template", TEMPLATES)
def test_enum_values_named_like_credentials_lint_clean(template: str, tmp_path: Path) -> None:
    render_project(_spec(), template, tmp_path)  # rendered and formatted, as generate does
    done = _ruff(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_real_hard_coded_password_still_fails_lint(template: str, tmp_path: Path) -> None:
    render_project(_spec(), template, tmp_path)  # rendered and formatted, as generate does
    (tmp_path / "app" / "leak.py").write_text('"""A leaked credential."""\n\nADMIN_PASSWORD = "hunter2"\n')
    done = _ruff(tmp_path)
    assert done.returncode != 0 and "S105" in done.stdout, done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES)
def test_enum_values_named_like_credentials_verify(template: str, tmp_path: Path, runtime_cache: Path) -> None:
    result = generate_project(_spec(), tmp_path / "gym", template=template, cache_dir=runtime_cache)
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    assert {c.name for c in report.checks if c.status == "pass"} >= {"ruff check", "pytest", "boot"}
