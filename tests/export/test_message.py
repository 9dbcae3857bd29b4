"""The spec diff, the commit message and the pull request body of an exported version."""

from __future__ import annotations

from codebegen.export import message
from tests.helpers.export import SPEC, passing_report, spec_with


def test_every_kind_of_spec_change_is_one_line() -> None:
    new = spec_with(
        description="A lending library",
        entities=[{"name": "Member", "fields": [{"name": "name", "type": "str"}]}],
        relationships=[{"source": "Book", "target": "Member", "kind": "many_to_one", "required": False}],
        rules=[{"entity": "Book", "description": "the isbn has 13 digits"}],
    )
    new["entities"][0]["fields"][1] = {"name": "isbn", "type": "str", "unique": False}  # no longer unique
    new["entities"][0]["fields"].append({"name": "status", "type": "enum", "values": ["in", "out"]})
    assert message.spec_changes(SPEC, new) == [
        "~ description: 'Lending library API' → 'A lending library'",
        "~ field Book.isbn: str, unique → str",
        "+ field Book.status (enum, in/out)",
        "+ entity Member (name)",
        "+ relationship Book → Member (many_to_one)",
        "+ rule on Book: the isbn has 13 digits",
    ]
    assert message.spec_changes(new, SPEC)[-3:] == [
        "- entity Member",
        "- relationship Book → Member (many_to_one)",
        "- rule on Book: the isbn has 13 digits",
    ]
    assert message.spec_changes(SPEC, SPEC) == []


def test_the_commit_message_and_the_pull_request_body_name_the_version_and_the_report() -> None:
    report = passing_report("library")
    text = message.commit_message(SPEC, report, version=2, changes=["+ entity Member"], run_id="r1")
    assert text.splitlines()[0] == "codebegen: library version 2 (verified)"
    assert "  + entity Member" in text and "Codebegen-Version: 2\nCodebegen-Run: r1" in text
    body = message.pull_request_body(SPEC, report, version=2, changes=["+ entity Member"], run_id="r1")
    assert "- `+ entity Member`" in body and "| ✓ | compile |" in body
    assert message.read_marker(body) == ("r1", 2)
    assert message.read_marker("a body someone wrote") == (None, None)
    assert message.read_marker(message.pull_request_body(SPEC, report, version=1, changes=[])) == (None, 1)


def test_a_huge_body_is_cut_below_githubs_limit_and_keeps_its_marker() -> None:
    findings = [{"severity": "info", "source": "ruff", "file": "x.py", "line": 1, "message": "y" * 5000}] * 30
    body = message.pull_request_body(
        SPEC, passing_report("library"), version=3, changes=[], run_id="r", findings=findings
    )
    assert len(body) < 65_536 and "(cut:" in body and message.read_marker(body) == ("r", 3)
