"""Every dev-set spec becomes a project that passes the verification gate.

SQLite for all twelve; PostgreSQL (a real server the suite starts) for four of them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from tests.helpers.devset import dev_specs

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
    on_pg = [c for c in report.checks if c.name.endswith("on postgresql")]
    assert on_pg and not [c for c in on_pg if c.status == "fail"], report.summary()
    ran = {c.name for c in on_pg if c.status == "pass"}  # a skip says why (e.g. IDOR: no entity is owned)
    assert ran >= {"pytest on postgresql", "migrations on postgresql", "exploit sql injection on postgresql"}, ran


def test_a_rule_body_must_be_the_kind_of_code_its_sentence_asks_for() -> None:
    from codebegen.stages.codegen import _syntax_problem

    computes = "The total is computed as quantity times unit price."
    refuses = "The quantity must be at least 1."
    check = "value = row.total\nif value is not None and value < 0:\n    raise RuleViolation('total', 'negative')"
    assert _syntax_problem("    row.total = row.quantity * row.unit_price", computes) is None
    assert _syntax_problem('    row["total"] = row["quantity"] * row["unit_price"]', computes) is None
    assert "sets no field" in _syntax_problem(textwrap.indent(check, "    "), computes)
    assert _syntax_problem(textwrap.indent(check, "    "), refuses) is None
    assert "never raises" in _syntax_problem("    value = row.quantity", refuses)
    assert "does not parse" in _syntax_problem("    row.total = = 3", computes)
    assert _syntax_problem("    pass") is None  # no sentence given: only the syntax is checked
