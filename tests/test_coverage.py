"""The prompt reader, the prompt-coverage check and its second pass (engine/parsing/reading.py, coverage.py).

Each check is shown failing on a spec that deserves it: the specs below are deliberately
incomplete the way a 135M parser's are (a described thing missing, its attributes on a
neighbour, a stated link, uniqueness, ownership or the login left out).
"""

from __future__ import annotations

import json

import pytest

from engine.events import Coverage, SpecArtifact, Warning
from engine.gate.trust_report import Check, TrustReport
from engine.models.fake import FakeBackend
from engine.parsing import coverage
from engine.parsing.reading import read_prompt, type_from_words
from engine.stages.parse import MAX_SPEC_TOKENS, parse_stage, spec_token_budget
from studio.schema_table import coverage_markdown

WALKS = (
    "A dog walking service. Walkers have a name and a phone number. Dogs have a name, a breed and an owner name. "
    "Walks link a walker and a dog with a start time and a duration in minutes."
)
NINE = (
    "A school management system. Students have a first name, a last name and a date of birth. Teachers have a "
    "name and an email. Courses have a title and a credit count. Classrooms have a room number and a capacity. "
    "Terms have a name, a start date and an end date. Enrollments link a student and a course with a grade. "
    "Assignments have a title, a due date and a maximum score and belong to a course. Submissions have a "
    "submitted time and a score; each submission is for one assignment by one student. Guardians have a name "
    "and a phone number and each guardian belongs to a student. Teachers log in."
)


def _thing(reading, name):
    thing = reading.thing(name)
    assert thing is not None, [t.name for t in reading.things]
    return {a.name: a for a in thing.attributes}


def test_the_reader_finds_a_thing_known_only_as_the_link_of_two_others() -> None:
    r = read_prompt(WALKS)
    assert [t.name for t in r.things] == ["Walker", "Dog", "Walk"]
    walk = _thing(r, "Walk")
    assert walk["start_time"].type == "datetime" and walk["duration_minutes"].type == "int"
    assert "start_time" not in _thing(r, "Walker")
    assert {(lk.source, lk.target, lk.kind) for lk in r.links} == {
        ("Walk", "Walker", "many_to_one"),
        ("Walk", "Dog", "many_to_one"),
    }


@pytest.mark.parametrize(
    ("prompt", "entity", "field", "check"),
    [
        ("Wildlife app: species have a common name and a latin name.", "Species", "common_name", lambda a: a.type == "str"),
        ("Links have a short code that must be unique and an optional expiry date.", "Link", "short_code", lambda a: a.unique),
        ("Links have a short code that must be unique and an optional expiry date.", "Link", "expiry_date",
         lambda a: a.required is False and a.type == "date"),
        ("Vehicles with a registration, a fuel type which is petrol, diesel or electric, and a mileage in kilometres.",
         "Vehicle", "fuel_type", lambda a: a.type == "enum" and a.values == ("petrol", "diesel", "electric")),
        ("Vehicles with a registration, a fuel type which is petrol, diesel or electric, and a mileage in kilometres.",
         "Vehicle", "mileage_km", lambda a: a.type == "int"),
        ("Devices with a serial number (unique) and a settings object as JSON.", "Device", "serial_number",
         lambda a: a.unique and a.type == "str"),
        ("Devices with a serial number (unique) and a settings object as JSON.", "Device", "settings", lambda a: a.type == "json"),
        ("Track a band's gigs: a band's name and genre, and a gig's date and ticket price.", "Gig", "ticket_price",
         lambda a: a.type == "decimal"),
        ("Library system. Loan: due date, returned (yes/no).", "Loan", "returned", lambda a: a.type == "bool"),
        ("Recipes (title, difficulty easy/medium/hard) can be in many categories.", "Recipe", "difficulty",
         lambda a: a.values == ("easy", "medium", "hard")),
    ],
)  # fmt: skip
def test_the_reader_types_attributes_from_their_words(prompt, entity, field, check) -> None:
    attributes = _thing(read_prompt(prompt), entity)
    assert field in attributes, attributes
    assert check(attributes[field]), attributes[field]


def test_the_reader_invents_nothing_from_login_words_titles_or_chatter() -> None:
    r = read_prompt("Sports club API. Coaches log in. Teams have a name; players have a name and a shirt number.")
    assert [t.name for t in r.things] == ["Team", "Player"]
    assert r.login == "log in"
    assert read_prompt("Hi there! Hope you are well. Thanks a lot, you're a star!").things == []
    r = read_prompt("Online bookstore: books (title, isbn), authors (name, bio). Each book has one author.")
    assert [t.name for t in r.things] == ["Book", "Author"]  # the title line is no table


def test_the_reader_reads_self_references_and_ownership() -> None:
    r = read_prompt(
        "HR directory: employees have a full name and an email (unique); each employee reports to a manager, "
        "who is another employee. Notes have a text and are private to their author."
    )
    assert ("Employee", "Employee", "many_to_one") in {(lk.source, lk.target, lk.kind) for lk in r.links}
    assert r.thing("Note").owned
    r = read_prompt("A social reading app: readers have a username and a bio, and readers can follow other readers.")
    assert ("Reader", "Reader", "many_to_many") in {(lk.source, lk.target, lk.kind) for lk in r.links}


def test_types_from_words() -> None:
    assert type_from_words("due_date") == "date"
    assert type_from_words("starts_at") == "datetime"
    assert type_from_words("phone_number") == "str"
    assert type_from_words("room_number") == "str"
    assert type_from_words("capacity") == "int"
    assert type_from_words("unit_price") == "decimal"
    assert type_from_words("email") == "email"
    assert type_from_words("website") == "url"
    assert type_from_words("bio") == "text"
    assert type_from_words("title") == "str"


# --- the check on deliberately incomplete specs ---------------------------------------------------

PROMPT = (
    "A URL shortener with login: links have a short code that must be unique, a target URL and a click count, "
    "and are private to their owner. Each click records the time and the country, and belongs to a link."
)
FULL = {
    "name": "shortener", "auth": True,
    "entities": [
        {"name": "Link", "owned": True, "fields": [
            {"name": "short_code", "type": "str", "unique": True}, {"name": "target_url", "type": "url"},
            {"name": "click_count", "type": "int"}]},
        {"name": "Click", "fields": [{"name": "time", "type": "datetime"}, {"name": "country", "type": "str"}]},
    ],
    "relationships": [{"source": "Click", "target": "Link", "kind": "many_to_one"}],
}  # fmt: skip


def _without(**changes):
    spec = json.loads(json.dumps(FULL))
    for fn in changes.values():
        fn(spec)
    return spec


def test_a_complete_spec_is_covered_item_by_item() -> None:
    cov = coverage.check(PROMPT, FULL)
    assert cov.complete, cov.lines()
    kinds = {i.kind for i in cov.items}
    assert kinds == {"thing", "attribute", "unique", "owned", "link", "login"}
    assert "all" in cov.headline()


@pytest.mark.parametrize(
    ("remove", "kind", "words"),
    [
        (lambda s: s["entities"].pop(1), "thing", "click"),
        (lambda s: s["entities"][0]["fields"].pop(1), "attribute", "a target url"),
        (lambda s: s["relationships"].clear(), "link", "belongs to a link"),
        (lambda s: s["entities"][0]["fields"][0].update(unique=False), "unique", "must be unique"),
        (lambda s: s["entities"][0].update(owned=False), "owned", "private"),
        (lambda s: s.update(auth=False), "login", "login"),
    ],
)
def test_each_kind_of_gap_is_flagged_with_the_prompts_words(remove, kind, words) -> None:
    cov = coverage.check(PROMPT, _without(x=remove))
    assert not cov.complete
    missing = cov.missing
    assert [i.kind for i in missing if i.kind == kind], cov.lines()
    item = next(i for i in missing if i.kind == kind)
    assert words in item.words.lower() or (kind == "unique" and "(unique)" in item.words)
    assert item.line().startswith("not in the spec: ")
    assert "NOT in the spec" in cov.headline()


def test_the_second_pass_adds_what_a_model_left_out_and_moves_nothing_wrongly() -> None:
    spec = {"name": "x", "auth": False, "entities": [{"name": "Walker", "owned": False, "fields": [
        {"name": "name", "type": "str"}, {"name": "start_time", "type": "int"}]}], "relationships": []}  # fmt: skip
    warnings = coverage.complete(spec, read_prompt(WALKS))
    assert coverage.check(WALKS, spec).complete
    walker = next(e for e in spec["entities"] if e["name"] == "Walker")
    assert [f["name"] for f in walker["fields"]] == ["name", "phone_number"]  # start_time belongs to Walk
    dog = next(e for e in spec["entities"] if e["name"] == "Dog")
    assert {f["name"] for f in dog["fields"]} == {"name", "breed", "owner_name"}  # "owner name" is not "name"
    assert any("Walk' added" in w for w in warnings)


def test_agreement_counts_flags_and_false_alarms() -> None:
    gold = [{"id": "a", "prompt": WALKS, "entities": {"Walker": {"name": "str", "phone_number": "str"},
             "Dog": {"name": "str", "breed": "str", "owner_name": "str"},
             "Walk": {"start_time": "datetime", "duration_minutes": "int"}},
             "relationships": [["Walk", "Walker", "many_to_one"], ["Walk", "Dog", "many_to_one"]]}]  # fmt: skip
    lacking = {"entities": [{"name": "Walker", "fields": [{"name": "name", "type": "str"}]}], "relationships": []}
    got = coverage.agreement(gold, {"a": lacking})
    assert got["coverage_gap"] == 1 + 2 + 2  # phone_number, Dog, Walk, two links
    assert got["coverage_flag_rate"] == 1.0 and got["coverage_false_alarms"] == 0
    full = {"entities": [{"name": n, "fields": [{"name": f, "type": t} for f, t in fs.items()]}
                         for n, fs in gold[0]["entities"].items()],
            "relationships": [{"source": s, "target": t, "kind": k} for s, t, k in gold[0]["relationships"]]}  # fmt: skip
    assert coverage.agreement(gold, {"a": full})["coverage_gap"] == 0


# --- where the check is shown ---------------------------------------------------------------------


def test_the_trust_report_never_says_only_passed_when_the_prompt_asks_for_more() -> None:
    report = TrustReport("t", "p", "0", "now", checks=[Check("compile", "pass")])
    assert "but" not in report.headline()
    report.prompt_coverage = coverage.check(PROMPT, _without(x=lambda s: s["entities"].pop(1))).to_dict()
    assert report.passed  # the code still matches its spec ...
    assert "not in the spec" in report.headline()  # ... but the spec does not match the prompt
    assert "not in the spec: entity Click" in report.summary()
    assert "## Prompt coverage" in report.to_markdown() and "**not in the spec: entity Click" in report.to_markdown()
    again = TrustReport.from_dict(json.loads(report.to_json()))
    assert again.prompt_gaps == report.prompt_gaps


def test_the_schema_tab_marks_what_is_not_covered() -> None:
    md = coverage_markdown(coverage.check(PROMPT, _without(x=lambda s: s["entities"][0]["fields"].pop(1))).to_dict())
    assert 'class="not-covered"' in md and "not in the spec: Link.target_url" in md and "a target URL" in md
    assert "⚠" not in coverage_markdown(coverage.check(PROMPT, FULL).to_dict())
    assert coverage_markdown(None) == ""


# --- the parse stage ------------------------------------------------------------------------------


def _spec_events(prompt, reply):
    events = list(parse_stage(prompt, FakeBackend([reply])))
    spec = next(e.spec for e in events if isinstance(e, SpecArtifact))
    cov = next(e.report for e in events if isinstance(e, Coverage))
    return spec, cov, [e.message for e in events if isinstance(e, Warning)]


def test_a_nine_entity_prompt_gets_a_token_budget_and_all_nine_entities() -> None:
    assert spec_token_budget("tasks with a title and a due date") == MAX_SPEC_TOKENS
    assert spec_token_budget(NINE) > 1200  # 900 stopped the decode mid-spec
    # what a decode cut off after two entities returns (the old cap): not even valid JSON
    truncated = '{"name": "school", "description": "", "auth": true, "entities": [{"name": "Student", "owned"'
    spec, cov, warnings = _spec_events(NINE, truncated)
    assert [e.name for e in spec.entities] == [
        "Student", "Teacher", "Course", "Classroom", "Term", "Enrollment", "Assignment", "Submission", "Guardian",
    ]  # fmt: skip
    assert spec.auth and cov.complete, cov.lines()
    assert any("no JSON object" in w for w in warnings)
    rels = {(r.source, r.target) for r in spec.relationships}
    assert {
        ("Enrollment", "Student"),
        ("Enrollment", "Course"),
        ("Submission", "Assignment"),
        ("Guardian", "Student"),
    } <= rels


def test_the_project_name_comes_from_the_prompts_own_words() -> None:
    reply = json.dumps({"name": "gaming", "description": "Gaming platform API", "auth": False, "entities": [
        {"name": "Todo", "owned": False, "fields": [{"name": "title", "type": "str"}]}], "relationships": []})  # fmt: skip
    spec, _, _ = _spec_events("Simple todo API: todos have a title and a due date.", reply)
    assert spec.name == "simple_todo" and "gaming" not in spec.description.lower()
    assert spec.description == "Simple todo API: todos have a title and a due date."


def test_a_change_request_is_read_and_checked_the_same_way() -> None:
    request = "add a priority (low, medium, high) to tasks"
    task = _thing(read_prompt(request), "Task")
    assert task["priority"].type == "enum" and task["priority"].values == ("low", "medium", "high")
    before = {"entities": [{"name": "Task", "fields": [{"name": "title", "type": "str"}]}], "relationships": []}
    cov = coverage.check(request, before)
    assert [i.line() for i in cov.missing] == ['not in the spec: Task.priority ("a priority (low, medium, high)")']
    coverage.complete(before, read_prompt(request))
    assert coverage.check(request, before).complete


def test_no_training_code_reads_the_evaluation_sets() -> None:
    import re
    from pathlib import Path

    training = Path(__file__).resolve().parents[1] / "engine" / "training"
    for path in training.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "people_specs" not in text, path  # never named at all
        assert not re.search(r"[\"'][^\"'\s]*dev_specs\.jsonl[\"']", text), path  # named in prose only
