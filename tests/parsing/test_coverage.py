"""The prompt reader, the prompt-coverage check and its second pass (codebegen/parsing/reading.py, coverage.py).

Each check is shown failing on a spec that deserves it: the specs below are deliberately
incomplete the way a 135M parser's are (a described thing missing, its attributes on a
neighbour, a stated link, uniqueness, ownership or the login left out).
"""

from __future__ import annotations

import json

import pytest

from codebegen.evaluation import agreement
from codebegen.events import Coverage, SpecArtifact, Warning
from codebegen.gate.trust_report import Check, TrustReport
from codebegen.models.fake import FakeBackend
from codebegen.parsing import coverage
from codebegen.parsing.reading import read_prompt, type_from_words
from codebegen.parsing.repair import complete
from codebegen.stages.parse import MAX_SPEC_TOKENS, parse_stage, spec_token_budget
from codebegen.studio.schema_table import coverage_markdown
from tests.helpers import REPO
from tests.helpers.examples import NINE

WALKS = (
    "A dog walking service. Walkers have a name and a phone number. Dogs have a name, a breed and an owner name. "
    "Walks link a walker and a dog with a start time and a duration in minutes."
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
    warnings = complete(spec, read_prompt(WALKS))
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
    got = agreement(gold, {"a": lacking})
    assert got["coverage_gap"] == 1 + 2 + 2  # phone_number, Dog, Walk, two links
    assert got["coverage_flag_rate"] == 1.0 and got["coverage_false_alarms"] == 0
    full = {"entities": [{"name": n, "fields": [{"name": f, "type": t} for f, t in fs.items()]}
                         for n, fs in gold[0]["entities"].items()],
            "relationships": [{"source": s, "target": t, "kind": k} for s, t, k in gold[0]["relationships"]]}  # fmt: skip
    assert agreement(gold, {"a": full})["coverage_gap"] == 0


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
    complete(before, read_prompt(request))
    assert coverage.check(request, before).complete


def test_no_training_code_reads_the_evaluation_sets() -> None:
    import re

    training = REPO / "codebegen" / "training"
    for path in training.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "people_specs" not in text, path  # never named at all
        assert not re.search(r"[\"'][^\"'\s]*dev_specs\.jsonl[\"']", text), path  # named in prose only


# --- the reading's English rules, each shown both ways: the gap flagged, the covered spec not -----


def _spec(entities: dict[str, list[str]], links: list[tuple[str, str, str]] = (), auth: bool = False) -> dict:
    return {"name": "x", "auth": auth,
            "entities": [{"name": n, "fields": [{"name": f, "type": "str"} for f in fs]} for n, fs in entities.items()],
            "relationships": [{"source": s, "target": t, "kind": k} for s, t, k in links]}  # fmt: skip


def _missing(prompt: str, spec: dict) -> list[str]:
    return [i.line() for i in coverage.check(prompt, spec).missing]


RULES = [
    # (rule, prompt, a spec carrying all of it, a spec lacking the rule's item, the line that must be flagged)
    (
        "a relative clause describes the noun before it: 'tickets with replies that have ...'",
        "A helpdesk: agents answer tickets with replies that have a body and a sent time. Tickets have a subject.",
        _spec({"Ticket": ["subject"], "Reply": ["body", "sent_time"]}, [("Reply", "Ticket", "many_to_one")]),
        _spec({"Ticket": ["subject"]}),
        'not in the spec: entity Reply ("replies")',
    ),
    (
        "'Xs, each with ...' describes the Xs",
        "Recipes have a title and are made up of steps, each with a position and an instruction.",
        _spec({"Recipe": ["title"], "Step": ["position", "instruction"]}, [("Step", "Recipe", "many_to_one")]),
        _spec({"Recipe": ["title"], "Step": ["position", "instruction"]}),
        "not in the spec: link Step -> Recipe",
    ),
    (
        "a subject's second verb phrase: 'a ticket is issued at a gate, has an entry time and ...'",
        "A parking app. A ticket is issued at the gate, has an entry time and a plate number, and is paid later.",
        _spec({"Ticket": ["entry_time", "plate_number"]}),
        _spec({"Ticket": ["entry_time"]}),
        'not in the spec: Ticket.plate_number ("a plate number")',
    ),
    (
        "a moment said as 'the date it was published'",
        "Posts have a title and the date it was published.",
        _spec({"Post": ["title", "published_on"]}),
        _spec({"Post": ["title"]}),
        'not in the spec: Post.published_on ("the date it was published")',
    ),
    (
        "a moment said as 'when it happened'",
        "Songs have a title. Each vote records when it happened and belongs to a song.",
        _spec({"Song": ["title"], "Vote": ["happened_at"]}, [("Vote", "Song", "many_to_one")]),
        _spec({"Song": ["title"], "Vote": []}, [("Vote", "Song", "many_to_one")]),
        'not in the spec: Vote.happened_at ("when it happened")',
    ),
    (
        "'a review is for one product by one customer': both ends are the review's",
        "Reviews have a rating and a comment. A review is for one product by one customer. Products have a name. "
        "Customers have an email.",
        _spec(
            {"Review": ["rating", "comment"], "Product": ["name"], "Customer": ["email"]},
            [("Review", "Product", "many_to_one"), ("Review", "Customer", "many_to_one")],
        ),
        _spec(
            {"Review": ["rating", "comment"], "Product": ["name"], "Customer": ["email"]},
            [("Review", "Product", "many_to_one")],
        ),
        "not in the spec: link Review -> Customer",
    ),
    (
        "'songs can be rated' beside a Rating: the rating is of a song",
        "Songs have a title and a length. Songs can be rated by listeners and each rating records a score.",
        _spec({"Song": ["title", "length"], "Rating": ["score"]}, [("Rating", "Song", "many_to_one")]),
        _spec({"Song": ["title", "length"], "Rating": ["score"]}),
        "not in the spec: link Rating -> Song",
    ),
    (
        "', it is made by ...' is said of the thing that opens the clause",
        "Vans have a plate. Drivers have a name. A trip has a start time and a distance, it is made by one driver "
        "in one van.",
        _spec(
            {"Van": ["plate"], "Driver": ["name"], "Trip": ["start_time", "distance"]},
            [("Trip", "Driver", "many_to_one"), ("Trip", "Van", "many_to_one")],
        ),
        _spec(
            {"Van": ["plate"], "Driver": ["name"], "Trip": ["start_time", "distance"]},
            [("Trip", "Driver", "many_to_one")],
        ),
        "not in the spec: link Trip -> Van",
    ),
    (
        "a misspelt 'have' still describes",
        "plants hav a name and a watering interval in days",
        _spec({"Plant": ["name", "watering_interval_days"]}),
        _spec({}),
        'not in the spec: entity Plant ("plants")',
    ),
]


def test_a_clause_of_the_present_tense_is_no_moment() -> None:
    recipe = _thing(read_prompt("Recipes have a title and the time it takes."), "Recipe")
    assert "takes_at" not in recipe and "title" in recipe
    assert "written_on" in _thing(read_prompt("Entries have a body and the date it was written."), "Entry")


@pytest.mark.parametrize(("rule", "prompt", "full", "lacking", "flagged"), RULES, ids=[r[0][:40] for r in RULES])
def test_each_english_rule_flags_its_gap_and_not_a_covered_spec(rule, prompt, full, lacking, flagged) -> None:
    assert _missing(prompt, full) == [], rule
    assert any(line.startswith(flagged) for line in _missing(prompt, lacking)), (rule, _missing(prompt, lacking))


NOT_THINGS = [
    # (rule, prompt, the spec a person expects, a line the check must not raise, the same words where it is one)
    (
        "a possessive opening the prompt as its title is no thing",
        "A bakery's orders: orders have a pickup date and a total.",
        _spec({"Order": ["pickup_date", "total"]}),
        "entity Bakery",
        ("Each bakery's name and city are kept.", _spec({}), "not in the spec: entity Bakery"),
    ),
    (
        "'needs to manage ...' is an infinitive, not a list of attributes",
        "A school needs to track pupils and classes. Pupils have a name. Classes have a room.",
        _spec({"Pupil": ["name"], "Class": ["room"]}),
        "School",
        ("Schools need a name and an address.", _spec({}), "not in the spec: entity School"),
    ),
    (
        "'a species (salmon, trout)' is one field, not a thing",
        "Fish have a name and a species (salmon, trout or carp).",
        _spec({"Fish": ["name", "species"]}),
        "entity Species",
        (
            "Species (latin name, family) and sightings (date, count).",
            _spec({"Sighting": ["date", "count"]}),
            "not in the spec: entity Species",
        ),
    ),
    (
        "', and players can ...' starts a new clause, not an attribute",
        "Players have a nickname and a level, and players can chat with friends.",
        _spec({"Player": ["nickname", "level"]}),
        "Player.players",
        ("Players have a nickname and a level.", _spec({"Player": ["nickname"]}), "not in the spec: Player.level"),
    ),
    (
        "'customers rent cars' beside a Rental: the link is the rental's",
        "Customers rent cars: a rental has a start date and an end date. Customers have a name. Cars have a plate.",
        _spec({"Rental": ["start_date", "end_date"], "Customer": ["name"], "Car": ["plate"]}),
        "link ",
        (
            "Customers rent one car each. Customers have a name. Cars have a plate.",
            _spec({"Customer": ["name"], "Car": ["plate"]}),
            "not in the spec: link Customer -> Car",
        ),
    ),
    (
        "'a loan is of one book to one member' links the loan, not the book to the member",
        "Books have a title. Members have a name. Loans have a due date. A loan is of one book to one member.",
        _spec(
            {"Book": ["title"], "Member": ["name"], "Loan": ["due_date"]},
            [("Loan", "Book", "many_to_one"), ("Loan", "Member", "many_to_one")],
        ),
        "link Book -> Member",
        (
            "Books have a title. Members have a name. Each book belongs to one member.",
            _spec({"Book": ["title"], "Member": ["name"]}),
            "not in the spec: link Book -> Member",
        ),
    ),
]


@pytest.mark.parametrize(
    ("rule", "prompt", "expected", "never", "contrast"), NOT_THINGS, ids=[r[0][:40] for r in NOT_THINGS]
)
def test_words_that_describe_nothing_raise_no_false_alarm(rule, prompt, expected, never, contrast) -> None:
    assert not any(never in line for line in _missing(prompt, expected)), (rule, _missing(prompt, expected))
    assert _missing(prompt, expected) == [], rule
    words, spec, flagged = contrast  # the same words where they do describe it are still flagged
    assert any(line.startswith(flagged) for line in _missing(words, spec)), (rule, _missing(words, spec))


def test_agreement_judges_the_spec_by_the_scorers_matching_and_the_right_gold_entity() -> None:
    gold = [{"id": "a", "prompt": "Doctors (name) and hospitals (name). For each doctor at a hospital we keep the "
             "start date. Assignments have a title and a maximum score.",
             "entities": {"Doctor": {"name": "str"}, "Hospital": {"name": "str"},
                          "DoctorHospital": {"start_date": "date"}, "Assignment": {"title": "str", "maximum_score": "int"}},
             "relationships": [["DoctorHospital", "Doctor", "many_to_one"], ["DoctorHospital", "Hospital", "many_to_one"]]}]  # fmt: skip
    spec = _spec({"Doctor": ["name"], "Hospital": ["name"], "Assignment": ["title", "max_score"]})
    details: list[str] = []
    got = agreement(gold, {"a": spec}, details)
    assert "a: not flagged: Assignment.maximum_score" not in details  # max_score is it, as the scorer says
    assert not any("false alarm" in d and "DoctorHospital" in d for d in details), details  # not the Hospital's
    assert got["coverage_false_alarms"] == 0 and got["coverage_flag_rate"] == 1.0, details


# --- the verdict ----------------------------------------------------------------------------------


def test_a_pass_whose_spec_lacks_what_the_prompt_asks_for_has_its_own_verdict() -> None:
    from codebegen.gate.trust_report import verdict
    from codebegen.studio.run_view import RunView

    report = TrustReport("t", "p", "0", "now", checks=[Check("compile", "pass")])
    assert report.verdict == "✓ Verified"
    report.prompt_coverage = coverage.check(PROMPT, _without(x=lambda s: s["entities"].pop(1))).to_dict()
    n = len(report.prompt_gaps)
    assert report.verdict == f"✓ Verified — ⚠ {n} things from the prompt are not in the spec"
    assert report.headline().startswith(f"verification PASSED — ⚠ {n} things from the prompt are not in the spec")
    assert f"Verification passed — **⚠ {n} things from the prompt are not in the spec**" in report.to_markdown()
    assert verdict(True, 1) == "✓ Verified — ⚠ 1 thing from the prompt is not in the spec"
    assert verdict(False, 3) == "✗ Failed"

    view = RunView(run_id="r")
    view.ended, view.status, view.summary = True, "passed", "verified project 'x'"
    assert "**✓ Verified**: verified project" in view.progress_markdown()
    view.coverage = report.prompt_coverage
    assert f"**✓ Verified — ⚠ {n} things from the prompt are not in the spec**" in view.progress_markdown()


def test_the_review_tab_and_the_readme_carry_the_distinct_verdict() -> None:
    from codebegen.spec import parse_spec
    from codebegen.stages.docs import readme
    from codebegen.studio.pages.generate import review_markdown
    from codebegen.studio.run_view import RunView

    report = TrustReport("t", "p", "0", "now", checks=[Check("compile", "pass")])
    view = RunView(run_id="r")
    view.report = report.to_dict()
    assert "**✓ Verification passed** —" in review_markdown(view)
    spec = parse_spec(FULL)
    assert "Verified by codebegen 0:" in readme(spec, "", "# x\n", {"paths": {}}, report)
    report.prompt_coverage = coverage.check(PROMPT, _without(x=lambda s: s["entities"][0]["fields"].pop(1))).to_dict()
    view.report = report.to_dict()
    assert "**✓ Verification passed — ⚠ 1 thing from the prompt is not in the spec** —" in review_markdown(view)
    assert "Verified by codebegen 0 — ⚠ 1 thing from the prompt is not in the spec:" in readme(
        spec, "", "# x\n", {"paths": {}}, report
    )
