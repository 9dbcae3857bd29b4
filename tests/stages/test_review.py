"""The review stage (codebegen/stages/review.py): a project rendered from the all-features spec passes
codebegen's own review (bandit and ruff find nothing) on every template."""

from __future__ import annotations

from pathlib import Path

import pytest

from codebegen.spec import load_spec
from codebegen.templates import load_template, render
from tests.helpers import ALL_FEATURES, TEMPLATES


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
