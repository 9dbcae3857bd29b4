"""The REST API (/api/v1, docs/studio.md) driven by httpx against the real studio server.

The studio runs as ``codebegen studio`` serves it (the FastAPI server with the Gradio app
mounted), with the shipped fake models (profile ``fake``) and the real gate. Keys are made in
the store the server uses, as ``codebegen keys create`` makes them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from codebegen.studio.database import utc_now
from codebegen.studio.runner import project_files
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import Store, open_store
from tests.helpers.studio import Served, serve_with

PROMPT = "A notes API: notes have a title and a body."
SPEC = {
    "name": "library",
    "description": "Books of a small library.",
    "entities": [{"name": "Book", "fields": [{"name": "title", "type": "str", "required": True}]}],
}


@pytest.fixture
def limited(studio_settings: StudioSettings) -> Iterator[Served]:
    """A studio allowing one API run an hour per key and two per user."""
    served = serve_with(studio_settings.model_copy(update={"api_runs_per_hour_per_key": 1, "runs_per_hour": 2}))
    try:
        yield served
    finally:
        served.app.close()  # type: ignore[attr-defined]


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_served(request: pytest.FixtureRequest, studio_settings: StudioSettings) -> Iterator[Served]:
    """The studio on its DuckDB store, and on a PostgreSQL one (the suite's server, a fresh database)."""
    url = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    served = serve_with(studio_settings.model_copy(update={"database_url": url}))
    try:
        yield served
    finally:
        served.app.close()  # type: ignore[attr-defined]


def store_of(served: Served) -> Store:
    return open_store(served.settings.database, served.settings.database_url)


def client(served: Served, secret: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.Client(base_url=f"{served.url}/api/v1", headers=headers, timeout=60)


def read_events(api: httpx.Client, run_id: str, timeout: float = 600) -> list[dict[str, Any]]:
    events = []
    with api.stream("GET", f"/generations/{run_id}/events", timeout=timeout) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


def test_every_route_needs_a_key_or_a_session(served: Served) -> None:
    anonymous = client(served)
    routes = [("POST", "/generations"), ("GET", "/generations/abc"), ("GET", "/generations/abc/events"),
              ("GET", "/generations/abc/archive"), ("DELETE", "/generations/abc"), ("GET", "/projects"),
              ("GET", "/projects/abc/versions")]  # fmt: skip
    for method, path in routes:
        response = anonymous.request(method, path, json={"prompt": PROMPT} if method == "POST" else None)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
    document = anonymous.get("/openapi.json").json()
    assert {"/generations", "/generations/{run_id}/events", "/projects/{project_id}/versions"} <= set(document["paths"])
    assert client(served, "not-a-key").get("/projects").status_code == 401
    assert anonymous.get("/projects", headers={"Authorization": "Basic abc"}).status_code == 401


def test_wrong_revoked_expired_and_underscoped_keys_are_refused(served: Served) -> None:
    store = store_of(served)
    _, good = store.create_key("local", "good", "read,generate")
    read_key, read_only = store.create_key("local", "reader", "read")
    _, expired = store.create_key("local", "old", "read", expires_at=utc_now() - timedelta(seconds=1))
    revoked_key, revoked = store.create_key("local", "gone", "read")
    store.revoke_key("local", revoked_key.id)
    assert client(served, good).get("/projects").status_code == 200
    assert client(served, good[:-2] + "xx").get("/projects").status_code == 401  # wrong
    assert client(served, revoked).get("/projects").json()["detail"] == "this API key is revoked"
    assert client(served, revoked).get("/projects").status_code == 401
    assert client(served, expired).get("/projects").status_code == 401
    reader = client(served, read_only)
    assert reader.get("/projects").status_code == 200
    refused = reader.post("/generations", json={"prompt": PROMPT, "profile": "fake"})
    assert refused.status_code == 403 and "generate" in refused.json()["detail"]
    assert store.history.list("local") == []  # refused before anything was recorded
    assert [k.last_used_at is not None for k in store.keys("local") if k.id == read_key.id] == [True]


def test_bad_requests_are_422(served: Served) -> None:
    _, secret = store_of(served).create_key("local", "ci")
    api = client(served, secret)
    assert api.post("/generations", json={}).status_code == 422  # neither prompt nor spec
    assert api.post("/generations", json={"prompt": PROMPT, "spec": SPEC}).status_code == 422
    assert api.post("/generations", json={"prompt": PROMPT, "profile": "nope"}).status_code == 422
    assert api.post("/generations", json={"prompt": PROMPT, "template": "nope"}).status_code == 422
    assert api.post("/generations", json={"spec": {"name": "x", "entities": "no"}}).status_code == 422
    assert api.post("/generations", json={"prompt": "x" * 5000}).status_code == 422
    assert api.get("/generations/nope").status_code == 404


def test_rate_limits_answer_429_with_retry_after(limited: Served) -> None:
    store = store_of(limited)
    _, first_key = store.create_key("local", "one")
    _, second_key = store.create_key("local", "two")
    one, two = client(limited, first_key), client(limited, second_key)
    started = one.post("/generations", json={"prompt": PROMPT, "profile": "fake"})
    assert started.status_code == 202, started.text
    over = one.post("/generations", json={"prompt": PROMPT, "profile": "fake"})
    assert over.status_code == 429 and "per key" in over.json()["detail"]
    assert 3000 <= int(over.headers["retry-after"]) <= 3600
    other = two.post("/generations", json={"prompt": PROMPT, "profile": "fake"})
    assert other.status_code == 202  # another key
    user_over = two.post("/generations", json={"prompt": PROMPT, "profile": "fake"})
    assert user_over.status_code == 429 and "per visitor" in user_over.json()["detail"]  # the user's two are spent
    for api, run_id in ((one, started.json()["id"]), (two, other.json()["id"])):
        cancelled = api.delete(f"/generations/{run_id}")
        assert cancelled.status_code in (202, 409)  # 409: it ended already
        assert read_events(api, run_id)[-1]["type"] == "Done"


def test_an_organization_viewer_reads_and_an_outsider_sees_nothing(any_served: Served) -> None:
    served = any_served
    store = store_of(served)
    store.create_org("alice", "acme")
    store.accept(store.invite("acme", "alice", "viewer"), "bob")
    run = store.history.start("org:acme", prompt="p", template="fastapi_basic", profile="fake", actor="alice")
    store.history.record_spec("org:acme", run, {"name": "notes"})
    store.history.finish("org:acme", run, status="passed", files={"app/main.py": b"x = 1\n"})
    _, alice = store.create_key("alice", "a")
    _, bob = store.create_key("bob", "b")
    _, carol = store.create_key("carol", "c")
    assert client(served, bob).get(f"/generations/{run}").json()["status"] == "verified"
    assert client(served, bob).get(f"/generations/{run}/archive").status_code == 200  # viewers download
    projects = client(served, bob).get("/projects").json()
    assert [(p["name"], p["owner"], p["versions"]) for p in projects] == [("notes", "org:acme", 1)]
    versions = client(served, bob).get(f"/projects/{projects[0]['id']}/versions").json()
    assert [v["id"] for v in versions] == [run]
    refused = client(served, bob).post("/generations", json={"prompt": PROMPT, "org": "acme", "profile": "fake"})
    assert refused.status_code == 403 and "viewer" in refused.json()["detail"]
    assert client(served, carol).get(f"/generations/{run}").status_code == 404
    assert client(served, carol).get(f"/generations/{run}/archive").status_code == 404
    assert client(served, carol).get("/projects").json() == []
    assert client(served, carol).get(f"/projects/{projects[0]['id']}/versions").status_code == 404
    outsider = client(served, carol).post("/generations", json={"prompt": PROMPT, "org": "acme", "profile": "fake"})
    assert outsider.status_code == 404
    assert client(served, alice).get("/projects").json()[0]["id"] == projects[0]["id"]


def _zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        top = {n.split("/", 1)[0] for n in names}
        assert len(top) == 1, top
        return {n.split("/", 1)[1]: archive.read(n) for n in names}


@pytest.mark.slow
def test_a_generation_from_a_prompt_streams_to_done_and_its_zip_is_what_the_gate_verified(served: Served) -> None:
    _, secret = store_of(served).create_key("local", "ci")
    api = client(served, secret)
    created = api.post("/generations", json={"prompt": PROMPT, "template": "fastapi_basic", "profile": "fake"})
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    assert api.get(f"/generations/{run_id}").json()["status"] in ("queued", "running")
    events = read_events(api, run_id)
    types = [e["type"] for e in events]
    assert types[0] == "StageStarted" and types[-1] == "Done" and "SpecArtifact" in types and "FileArtifact" in types
    assert events[-1]["ok"] is True, events[-1]
    status = api.get(f"/generations/{run_id}").json()
    assert status["status"] == "verified" and status["spec"]["name"] == "notes"
    assert status["trust_report"]["checks"] and all(c["status"] != "fail" for c in status["trust_report"]["checks"])
    archive = api.get(f"/generations/{run_id}/archive")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    verified = project_files(served.settings.runs_dir / run_id / "project")
    assert _zip_files(archive.content) == verified and "trust_report.json" in verified
    assert read_events(api, run_id) == events  # a late reader gets every event again
    assert api.delete(f"/generations/{run_id}").status_code == 409  # it ended


@pytest.mark.slow
def test_a_generation_from_a_spec_and_a_cancelled_one(served: Served) -> None:
    _, secret = store_of(served).create_key("local", "ci")
    api = client(served, secret)
    run_id = api.post("/generations", json={"spec": SPEC, "template": "fastapi_basic", "profile": "fake"}).json()["id"]
    events = read_events(api, run_id)
    assert "parse" not in {e.get("stage") for e in events if e["type"] == "StageStarted"}
    assert events[-1]["type"] == "Done" and events[-1]["ok"] is True
    files = _zip_files(api.get(f"/generations/{run_id}/archive").content)
    assert files == project_files(served.settings.runs_dir / run_id / "project")
    projects = api.get("/projects").json()
    assert [(p["name"], p["versions"]) for p in projects] == [("library", 1)]

    doomed = api.post("/generations", json={"prompt": PROMPT, "profile": "fake"}).json()["id"]
    assert api.delete(f"/generations/{doomed}").json() == {"id": doomed, "status": "cancelled"}
    events = read_events(api, doomed)
    assert events[-1]["type"] == "Done" and events[-1]["ok"] is False
    assert api.get(f"/generations/{doomed}").json()["status"] == "cancelled"
    assert api.get(f"/generations/{doomed}/archive").status_code == 409
    assert not Path(served.settings.runs_dir / doomed).exists()
