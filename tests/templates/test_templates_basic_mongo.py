"""fastapi_basic and fastapi_mongo: every dev-set spec generates and passes the gate; features are
honoured or refused by name; the mongo gate never claims a real-server check it did not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from codebegen.errors import TemplateError
from codebegen.generate import generate_project
from codebegen.spec import load_spec
from codebegen.templates import Supports, Template, load_template, render
from tests.helpers import ALL_FEATURES
from tests.helpers.devset import dev_specs

SPECS = dev_specs()
TEMPLATES = ["fastapi_basic", "fastapi_mongo"]


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("case", list(SPECS))
def test_dev_spec_generates_and_verifies(case: str, template: str, tmp_path: Path, runtime_cache: Path) -> None:
    result = generate_project(SPECS[case], tmp_path / case, template=template, cache_dir=runtime_cache)
    report = result.report
    assert report is not None and report.passed, report.summary() if report else "no report"
    status = {c.name: c.status for c in report.checks}
    for name in ("spec", "compile", "imports", "ruff check", "ruff format", "pytest", "boot"):
        assert status.get(name) == "pass", report.summary()
    # Neither template has migrations or runs on PostgreSQL: reported as skipped, never as passed.
    for name in ("migrations", "migrations check", "pytest on postgresql"):
        assert status.get(name) == "skip", report.summary()


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


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_spec_feature_is_honoured(template: str) -> None:
    assert load_template(template).manifest.supports == Supports()


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_feature_the_template_cannot_honour_is_refused_by_name(template: str, tmp_path: Path) -> None:
    real = load_template(template)
    narrowed = real.manifest.model_copy(
        update={"supports": Supports(field_types=["str", "int", "bool"], relationships=["many_to_one"])}
    )
    with pytest.raises(TemplateError) as caught:
        render(load_spec(ALL_FEATURES), Template(real.name, real.root, narrowed), tmp_path / "out")
    message = str(caught.value)
    assert template in message
    assert "decimal field Book.price" in message and "many_to_many relationship Book -> Tag" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_project_passes_codebegens_own_review(template: str, tmp_path: Path) -> None:
    # fastapi_basic's SQL goes through one audited helper (quoted identifiers, bound values):
    # bandit finds no B608 in it, and nothing else either
    from codebegen.stages import review
    from codebegen.templates import format_python

    project = tmp_path / "p"
    render(load_spec(ALL_FEATURES), load_template(template), project)
    format_python(project)
    findings = review.bandit_findings(project) + review.ruff_findings(project)
    assert findings == [], [f.message for f in findings]
    assert review.score(findings) == 100
