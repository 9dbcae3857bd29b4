"""Every dev-set spec becomes a project that passes the verification gate, on every template.

fastapi_sqlalchemy and fastapi_basic on SQLite, fastapi_mongo on its in-process stand-in, for all
twelve; PostgreSQL (a real server the suite starts) for four of them on fastapi_sqlalchemy. The mongo
gate never claims a real-server check it did not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import load_spec
from tests.helpers import ALL_FEATURES
from tests.helpers.devset import dev_specs

SPECS = dev_specs()
ON_POSTGRES = ["d01-blog", "d03-tasks", "d05-shop", "d08-rental"]
# The checks each template's report must pass, and those it must skip: fastapi_basic and
# fastapi_mongo have no migrations and do not run on PostgreSQL (reported as skipped, never as passed).
PASSED = {"spec", "compile", "imports", "ruff check", "ruff format", "pytest", "boot"}
CHECKS = {
    "fastapi_sqlalchemy": (PASSED | {"migrations", "migrations check"}, set()),
    "fastapi_basic": (PASSED, {"migrations", "migrations check", "pytest on postgresql"}),
    "fastapi_mongo": (PASSED, {"migrations", "migrations check", "pytest on postgresql"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SPECS))
@pytest.mark.parametrize("template", list(CHECKS))
def test_dev_spec_generates_and_verifies(template: str, case: str, tmp_path: Path, runtime_cache: Path) -> None:
    result = generate_project(SPECS[case], tmp_path / case, template=template, cache_dir=runtime_cache)
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    status = {c.name: c.status for c in report.checks}
    passed, skipped = CHECKS[template]
    assert {name: status.get(name) for name in passed} == dict.fromkeys(passed, "pass"), report.summary()
    assert {name: status.get(name) for name in skipped} == dict.fromkeys(skipped, "skip"), report.summary()
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


@pytest.mark.slow
def test_the_mongo_report_says_the_tests_ran_on_the_stand_in(tmp_path: Path, runtime_cache: Path) -> None:
    result = generate_project(
        load_spec(ALL_FEATURES), tmp_path / "p", template="fastapi_mongo", cache_dir=runtime_cache
    )
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    pytest_check = next(c for c in report.checks if c.name == "pytest")
    assert pytest_check.database == "mongomock"
    assert any("not a MongoDB server" in note for note in report.notes)
    readme = (tmp_path / "p" / "README.md").read_text()
    assert "not a MongoDB" in readme and "MONGODB_URL=mongomock://" in readme
