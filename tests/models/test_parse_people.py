"""The parse stage with the real default parser (embedded SmolLM2-135M + the shipped LoRA) on a
prompt as people write it: nine entities, each with its fields, which the old 900-token cap
refused as "found nothing to build"."""

from __future__ import annotations

import pytest

from codebegen.events import Coverage, SpecArtifact
from codebegen.models import load_profile
from codebegen.stages.parse import parse_stage
from tests.helpers.examples import NINE

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_the_nine_entity_prompt_becomes_nine_entities(model_cache) -> None:
    parser = load_profile("default", {"*": {"threads": 2}}, cache_dir=model_cache).backend("parser")
    events = list(parse_stage(NINE, parser))
    spec = next(e.spec for e in events if isinstance(e, SpecArtifact))
    cov = next(e.report for e in events if isinstance(e, Coverage))
    assert {e.name for e in spec.entities} >= {
        "Student", "Teacher", "Course", "Classroom", "Term", "Enrollment", "Assignment", "Submission", "Guardian",
    }  # fmt: skip
    assert spec.auth
    assert cov.complete, [i.line() for i in cov.missing]
