"""The scripted FakeBackend: good replies, bad replies and failures, on demand."""

from __future__ import annotations

import pytest

from codebegen.models import (
    EMPTY,
    INVALID_JSON,
    NONSENSE,
    Completion,
    FakeBackend,
    ModelError,
    fake_profile,
    load_profile,
)
from codebegen.spec import parse_spec, spec_json_schema

USER = [{"role": "user", "content": "a library with books"}]


def test_replays_a_list_in_order_and_records_calls():
    fake = FakeBackend(["first", "second"], role="docs")
    assert fake.complete(USER).text == "first"
    reply = fake.complete(USER, schema={"type": "object"})
    assert reply.text == "second" and reply.role == "docs" and reply.model == "fake" and reply.adapter is None
    assert [c["schema"] for c in fake.calls] == [None, {"type": "object"}]
    with pytest.raises(ModelError, match="no scripted reply left"):
        fake.complete(USER)


def test_a_callable_script_sees_the_messages_and_schema():
    fake = FakeBackend(lambda messages, schema: f"{messages[-1]['content']}|{schema is not None}")
    assert fake.complete(USER, schema=spec_json_schema()).text == "a library with books|True"


@pytest.mark.parametrize("bad", [NONSENSE, EMPTY, INVALID_JSON])
def test_bad_replies_pass_through_unchecked_so_the_pipeline_can_be_tested(bad):
    assert FakeBackend([bad]).complete(USER, schema=spec_json_schema()).text == bad


def test_a_scripted_exception_is_raised():
    fake = FakeBackend([ModelError("server down", hint="start it")])
    with pytest.raises(ModelError, match="server down"):
        fake.complete(USER)


def test_stream_gives_several_deltas_that_join_to_the_reply():
    text = "Books are lent to members.\nLoans end."
    deltas = list(FakeBackend([text]).stream(USER))
    assert len(deltas) > 3 and "".join(deltas) == text


def test_stop_strings_and_max_tokens_apply():
    assert FakeBackend(["one two STOP three"]).complete(USER, stop=["STOP"]).text == "one two "
    reply = FakeBackend(["one two three four"]).complete(USER, max_tokens=2)
    assert reply.text == "one two" and reply.finish_reason == "length"


def test_a_completion_can_be_scripted_whole():
    fake = FakeBackend([Completion(text="hi", tokens_in=1, tokens_out=1, model="x")])
    assert fake.complete(USER).text == "hi"


def test_fake_profile_scripts_per_role_and_demo_replies_are_valid():
    profile = fake_profile({"parser": [INVALID_JSON]})
    assert profile.backend("parser").complete(USER).text == INVALID_JSON
    import json

    demo = load_profile("fake").backend("parser").complete(USER).text
    assert parse_spec(json.loads(demo)).entities[0].name == "Note"
    assert load_profile("fake").backend("docs").complete(USER).text


def test_profile_use_binds_a_ready_backend():
    fake = FakeBackend(["x"], role="reviewer")
    assert load_profile("fake").use("reviewer", fake).backend("reviewer") is fake


def test_malformed_messages_are_refused():
    with pytest.raises(ModelError, match="not a chat message"):
        FakeBackend(["x"]).complete([{"role": "user"}])
    with pytest.raises(ModelError, match="no messages"):
        FakeBackend(["x"]).complete([])
