"""Every dev-set spec becomes a project that passes the verification gate.

SQLite for all twelve; PostgreSQL (a real server the suite starts) for four of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.generate import generate_project
from tests.devset import dev_specs

SPECS = dev_specs()
ON_POSTGRES = ["d01-blog", "d03-tasks", "d05-shop", "d08-rental"]


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SPECS))
def test_dev_spec_generates_and_verifies_on_sqlite(case: str, tmp_path: Path, runtime_cache: Path) -> None:
    result = generate_project(SPECS[case], tmp_path / case, cache_dir=runtime_cache)
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    ran = {c.name for c in report.checks if c.status == "pass"}
    assert {
        "compile",
        "imports",
        "ruff check",
        "ruff format",
        "pytest",
        "migrations",
        "migrations check",
        "boot",
    } <= ran
    assert (tmp_path / case / "trust_report.json").is_file()
    assert (tmp_path / case / "TRUST_REPORT.md").is_file()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("case", ON_POSTGRES)
def test_dev_spec_verifies_on_postgresql(case: str, tmp_path: Path, runtime_cache: Path, postgres_url: str) -> None:
    result = generate_project(SPECS[case], tmp_path / case, cache_dir=runtime_cache, postgres_url=postgres_url)
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    on_pg = [c for c in report.checks if c.database and "postgres" in c.database]
    assert on_pg and all(c.status == "pass" for c in on_pg), report.summary()
    assert {c.name for c in on_pg} >= {"pytest on postgresql", "migrations on postgresql"}
