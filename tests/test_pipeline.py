"""The pipeline end to end with scripted model replies: event order, files, and bad model output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codebegen import events as ev
from codebegen.models import FakeBackend
from codebegen.pipeline import run
from tests.helpers.devset import dev_specs, load_gold

SHOP = {
    "name": "shop",
    "description": "A small shop",
    "auth": True,
    "entities": [
        {"name": "Order", "owned": True, "fields": [
            {"name": "quantity", "type": "int", "required": True, "unique": False, "values": None},
            {"name": "unit_price", "type": "decimal", "required": True, "unique": False, "values": None},
            {"name": "total", "type": "decimal", "required": False, "unique": False, "values": None},
        ]},
    ],
    "relationships": [],
}  # fmt: skip
SHOP_PROMPT = (
    "A shop API where users log in. Orders have a quantity and a unit price. "
    "The order total is computed as quantity times unit price."
)
REVIEW = "Solid start: ownership is enforced and every check passed; add indexes as data grows."
INTRO = "This API keeps the orders of a small shop, and each signed-in user sees only their own orders."


def backends(parser: str = "", generator: tuple[str, ...] = (), reviewer: str = REVIEW, docs: str = INTRO) -> dict:
    """The fake profile's backends with one scripted reply per expected call."""
    return {
        "parser": FakeBackend([parser], role="parser"),
        "generator": FakeBackend(list(generator), role="generator"),
        "reviewer": FakeBackend([reviewer], role="reviewer"),
        "docs": FakeBackend([docs], role="docs"),
    }


def kinds(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events if not isinstance(e, ev.TokenDelta | ev.FileArtifact | ev.Finding)]


def finished(events: list[Any]) -> ev.Done:
    done = events[-1]
    assert isinstance(done, ev.Done)
    return done


@pytest.mark.slow
def test_prompt_to_verified_project(tmp_path: Path, runtime_cache: Path) -> None:
    roles = backends(json.dumps(SHOP), generator=("row.total = Decimal(row.quantity) * row.unit_price",))
    out = tmp_path / "shop"
    events = list(run(SHOP_PROMPT, backends=roles, out_dir=out, cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    stages = [e.stage for e in events if isinstance(e, ev.StageStarted)]
    assert stages == ["parse", "generate", "verify", "review", "docs"]
    assert [e.stage for e in events if isinstance(e, ev.StageFinished)] == stages
    assert any(isinstance(e, ev.TokenDelta) and e.stage == "parse" for e in events)
    spec = next(e.spec for e in events if isinstance(e, ev.SpecArtifact))
    assert spec.rules and spec.rules[0].entity == "Order"
    assert "1 of 1 business rules" in done.summary
    rules = (out / "app/rules/order_rules.py").read_text()
    assert "row.total = Decimal(row.quantity) * row.unit_price" in rules and "COMPUTED" in rules
    readme = (out / "README.md").read_text()
    assert INTRO in readme and "/api/v1/orders/" in readme and "curl" in readme and "Trust report" in readme
    assert "POST /api/v1/auth/login" in (out / "docs/API.md").read_text()
    assert json.loads((out / "trust_report.json").read_text())["checks"]
    assert any(isinstance(e, ev.DocumentArtifact) and e.text == REVIEW for e in events)
    files = {e.path for e in events if isinstance(e, ev.FileArtifact)}
    assert "app/main.py" in files and "app/rules/order_rules.py" in files
    assert done.report.passed and done.timings["verify"] > 0
    secret = next(x for x in (out / ".env").read_text().splitlines() if x.startswith("SECRET_KEY="))
    assert len(secret) > len("SECRET_KEY=") + 40 and ".env" not in files  # written for the user, not codebegen's


@pytest.mark.slow
@pytest.mark.parametrize("case", ["d02-bookstore", "d06-habits"])
def test_dev_prompts_with_their_gold_specs(case: str, tmp_path: Path, runtime_cache: Path) -> None:
    gold = next(g for g in load_gold() if g["id"] == case)
    reply = dev_specs()[case].model_dump_json()
    events = list(
        run(gold["prompt"], backends=backends(reply), out_dir=tmp_path / case, cache_dir=runtime_cache.parent)
    )
    done = finished(events)
    assert done.ok, done.summary
    assert kinds(events)[:3] == ["StageStarted", "SpecArtifact", "StageFinished"]


@pytest.mark.slow
def test_generator_code_that_does_not_compile_is_dropped(tmp_path: Path, runtime_cache: Path) -> None:
    roles = backends(json.dumps(SHOP), generator=("row.total = = 3", "this is not python either"))
    out = tmp_path / "shop"
    events = list(run(SHOP_PROMPT, backends=roles, out_dir=out, cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    warnings = [e.message for e in events if isinstance(e, ev.Warning)]
    assert any("dropped rule for Order" in w and "does not parse" in w for w in warnings), warnings
    assert len(roles["generator"].calls) == 2, "one repair attempt"
    assert "does not parse" in roles["generator"].calls[1]["messages"][-1]["content"]
    assert "0 of 1 business rules" in done.summary
    assert any("dropped rule" in note for note in done.report.notes)
    assert "COMPUTED: tuple[str, ...] = ()" in (out / "app/rules/order_rules.py").read_text()


@pytest.mark.slow
def test_generator_code_that_breaks_the_tests_is_repaired_once_then_dropped(
    tmp_path: Path, runtime_cache: Path
) -> None:
    breaking = "row.total = row.quantity\nraise RuleViolation(None, 'every order is refused')"
    roles = backends(json.dumps(SHOP), generator=(breaking, breaking))
    events = list(run(SHOP_PROMPT, backends=roles, out_dir=tmp_path / "shop", cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    assert len(roles["generator"].calls) == 2
    assert "fails" in roles["generator"].calls[1]["messages"][-1]["content"]
    warnings = [e.message for e in events if isinstance(e, ev.Warning)]
    assert any("asking for a repair" in w for w in warnings)
    assert any("dropped 1 rule(s) for Order" in w for w in warnings)


@pytest.mark.slow
def test_empty_review_and_docs_text_fall_back_with_warnings(tmp_path: Path, runtime_cache: Path) -> None:
    spec = dev_specs()["d11-pharmacy"]
    roles = backends(reviewer="   ", docs="```")
    events = list(run(spec=spec, backends=roles, out_dir=tmp_path / "p", cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    warnings = [e for e in events if isinstance(e, ev.Warning)]
    assert {w.stage for w in warnings} >= {"review", "docs"}
    summary = next(e.text for e in events if isinstance(e, ev.DocumentArtifact) and e.name == "review summary")
    assert "/100" in summary
    assert "Medicine" in (tmp_path / "p" / "README.md").read_text()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("I am a small model and I like cats.", "did not return a JSON object"),
        ('{"name": "x", "entities": []}', "nothing to build"),
        ('{"entities": [{"name": "???"}]}', "nothing to build"),
        ('{"entities": [{"name": "Thing", "fields": [{"name": "x", "type": "enum", "values": ["", " "]}]}]}', ""),
    ],
)
def test_bad_parser_output_is_a_failure_not_a_crash(reply: str, expected: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    events = list(run("A small API for things with names and sizes.", backends=backends(reply), out_dir=out))
    done = finished(events)
    if not expected:  # an enum without usable values is read as str, with a warning: still buildable
        assert any(isinstance(e, ev.Warning) and "enum without values" in e.message for e in events)
        return
    assert not done.ok and expected in done.summary
    failure = next(e for e in events if isinstance(e, ev.Failure))
    assert failure.stage == "parse" and failure.hint
    assert not out.exists()


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("", "the prompt is empty"),
        ("   ", "the prompt is empty"),
        ("blog", "too short"),
        ("x " * 3000, "the limit is 4000"),
    ],
)
def test_prompts_with_nothing_to_build_are_refused(prompt: str, expected: str) -> None:
    events = list(run(prompt, backends=backends("{}")))
    done = finished(events)
    assert not done.ok and expected in done.summary


def test_a_non_empty_output_dir_is_refused_before_any_model_runs(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    roles = backends(json.dumps(SHOP))
    done = finished(list(run(SHOP_PROMPT, backends=roles, out_dir=tmp_path)))
    assert not done.ok and "is not empty" in done.summary
    assert roles["parser"].calls == []


def test_stopping_the_iteration_cancels_cleanly(tmp_path: Path, runtime_cache: Path) -> None:
    out = tmp_path / "shop"
    events = run(SHOP_PROMPT, backends=backends(json.dumps(SHOP)), out_dir=out, cache_dir=runtime_cache.parent)
    for event in events:
        if isinstance(event, ev.FileArtifact):
            break
    events.close()
    assert not out.exists()
    assert not list(tmp_path.glob(".codebegen-*")), "the scratch directory was removed"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("template", "body"),
    [
        ("fastapi_basic", 'row["total"] = Decimal(row["quantity"]) * Decimal(row["unit_price"])'),
        ("fastapi_mongo", "row.total = Decimal(row.quantity) * Decimal(row.unit_price)"),
    ],
)
def test_rules_land_in_each_templates_own_rules_module(
    template: str, body: str, tmp_path: Path, runtime_cache: Path
) -> None:
    roles = backends(json.dumps(SHOP), generator=(body,))
    out = tmp_path / "shop"
    events = list(run(SHOP_PROMPT, template=template, backends=roles, out_dir=out, cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    assert "1 of 1 business rules" in done.summary, [e for e in events if isinstance(e, ev.Warning)]
    rules = (out / "app/rules/order_rules.py").read_text()
    assert body.split(" = ")[0] in rules and 'COMPUTED: tuple[str, ...] = ("total",)' in rules
    assert template in (out / "trust_report.json").read_text()


@pytest.mark.slow
def test_a_project_that_fails_the_gate_is_reviewed_then_refused(tmp_path: Path, runtime_cache: Path) -> None:
    # a project the gate refuses: a failing test slipped in just before verification
    from codebegen import pipeline

    real_verify = pipeline.verify

    def broken_verify(project: Path, **kwargs: Any) -> Any:
        (project / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
        return real_verify(project, **kwargs)

    pipeline.verify = broken_verify
    try:
        out = tmp_path / "p"
        roles = backends(reviewer="The broken test must be fixed first.")
        events = list(
            run(spec=dev_specs()["d11-pharmacy"], backends=roles, out_dir=out, cache_dir=runtime_cache.parent)
        )
    finally:
        pipeline.verify = real_verify
    done = finished(events)
    assert not done.ok and "failed verification: pytest" in done.summary
    assert any(isinstance(e, ev.Finding) and e.source == "gate" and e.severity == "error" for e in events)
    assert [e.stage for e in events if isinstance(e, ev.StageStarted)] == ["generate", "verify", "review"]
    assert not out.exists() and "kept in" in done.summary


@pytest.mark.slow
def test_one_failing_rule_does_not_cost_the_others(tmp_path: Path, runtime_cache: Path) -> None:
    good = "row.total = Decimal(row.quantity) * row.unit_price"
    spoiled = "row.total = row.quantity.strip()"  # the repair, asked because of the other rule, breaks it
    breaking = "raise RuleViolation(None, 'every order is refused')"
    roles = backends(json.dumps(SHOP), generator=(good, breaking, spoiled, breaking))
    prompt = SHOP_PROMPT + " The quantity must be at least 1."
    out = tmp_path / "shop"
    events = list(run(prompt, backends=roles, out_dir=out, cache_dir=runtime_cache.parent))
    done = finished(events)
    assert done.ok, done.summary
    assert len(roles["generator"].calls) == 4, "two rules, one repair round, no more model calls"
    assert "1 of 2 business rules" in done.summary
    warnings = [e.message for e in events if isinstance(e, ev.Warning)]
    assert any("dropped rule for Order ('The quantity must be at least 1.')" in w for w in warnings), warnings
    rules = (out / "app/rules/order_rules.py").read_text()
    assert good in rules and "every order is refused" not in rules and "strip" not in rules
