"""codebegen/studio/preview.py: a verified run's preview opened through the studio's per-run path, only by
its owner; Swagger UI's page (its files served by the studio, no CDN) and the OpenAPI document
point under that path; what the project answers is fenced off the studio's origin; at most N at once."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from codebegen.gate.sandbox import available
from codebegen.studio.preview import Previews, preview_router

pytestmark = [pytest.mark.slow, pytest.mark.skipif(available() is not None, reason=str(available()))]


@pytest.fixture
def studio(pristine: Path, runtime_cache: Path):
    previews = Previews(cache_dir=runtime_cache, max_previews=1, idle_s=60)
    runs = {("alice", "run1"): pristine, ("alice", "run2"): pristine}

    def user_of(request: Request) -> str | None:  # the session cookie's user, in the real studio
        return request.headers.get("x-test-user")

    app = FastAPI()
    app.include_router(preview_router(previews, user_of, lambda user, run: runs.get((user, run))))
    with TestClient(app) as client:
        yield client, previews
    previews.stop_all()


def test_owner_opens_swagger_and_calls_an_endpoint_another_user_cannot(studio) -> None:
    client, previews = studio
    alice, bob = {"x-test-user": "alice"}, {"x-test-user": "bob"}
    assert client.post("/preview/run1/start", headers=bob).status_code == 404  # not bob's run
    started = client.post("/preview/run1/start", headers=alice)
    assert started.status_code == 200, started.text
    assert started.json()["docs"] == "/preview/run1/docs"

    docs = client.get("/preview/run1/docs", headers=alice)
    assert docs.status_code == 200 and "'/preview/run1/openapi.json'" in docs.text
    assert "cdn." not in docs.text and "https://" not in docs.text  # works offline
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/preview/assets/{asset}" in docs.text
        served = client.get(f"/preview/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000, asset
    assert client.get("/preview/assets/..%2F__init__.py").status_code in (401, 404)  # never a file outside
    assert client.get("/preview/assets/__init__.py").status_code == 404
    answer = client.get("/preview/run1/openapi.json", headers=alice, cookies={"codebegen_session": "secret"})
    assert answer.headers["content-security-policy"] == "sandbox"  # never runs as the studio's origin
    doc = answer.json()
    assert doc["servers"] == [{"url": "/preview/run1"}]
    assert doc["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/preview/run1/api/v1/auth/login"
    )
    # what Swagger UI's "Try it out" sends: the server under the prefix
    r = client.post("/preview/run1/api/v1/auth/register", headers=alice,
                    json={"email": "swagger@example.com", "password": "password123"})  # fmt: skip
    assert r.status_code == 201, r.text
    log = client.get("/preview/run1/log", headers=alice).json()
    assert '"POST /api/v1/auth/register HTTP/1.1" 201' in log["text"] and log["running"]

    for path in ("/preview/run1/docs", "/preview/run1/openapi.json", "/preview/run1/log", "/preview/run1/health"):
        assert client.get(path, headers=bob).status_code == 404, path
        assert client.get(path).status_code == 401, path
    assert client.post("/preview/run1/stop", headers=bob).json() == {"stopped": False}

    # at most max_previews at once
    assert client.post("/preview/run2/start", headers=alice).status_code == 429
    assert client.post("/preview/run1/stop", headers=alice).json() == {"stopped": True}
    assert previews.running() == 0
    assert client.get("/preview/run1/docs", headers=alice).status_code == 404


def test_an_idle_preview_stops_frees_its_slot_and_says_why_to_its_owner_only(
    pristine: Path,
    runtime_cache: Path,
) -> None:
    previews = Previews(cache_dir=runtime_cache, max_previews=1, idle_s=2)
    try:
        preview = previews.start("alice", "run1", pristine)
        with preview.box.client() as client:
            assert client.get("/health").status_code == 200
        deadline = time.monotonic() + 30
        while previews.get("alice", "run1") is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert previews.get("alice", "run1") is None, "the idle preview is still running"
        assert "idle for 2 s" in previews.ended("alice", "run1")
        assert previews.ended("bob", "run1") == ""
        assert previews.start("alice", "run2", pristine).running  # its slot is free again
    finally:
        previews.stop_all()


HOG_AND_DIE = """

@app.get("/hog")
def hog() -> dict[str, int]:  # 4 GiB, past the preview's memory limit
    chunks = [bytearray(64 * 1024 * 1024) for _ in range(64)]
    return {"chunks": len(chunks)}


@app.get("/die")
def die() -> None:  # what the kernel's OOM killer or a crashed native library does to a server
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_preview_at_its_memory_limit_or_killed_leaves_the_studio_serving(
    pristine: Path,
    runtime_cache: Path,
    tmp_path: Path,
) -> None:
    import shutil

    project = tmp_path / "hog"
    shutil.copytree(pristine, project)
    main = project / "app" / "main.py"
    main.write_text(main.read_text() + HOG_AND_DIE)
    previews = Previews(cache_dir=runtime_cache, max_previews=1, idle_s=60)
    previews.limits = dataclasses.replace(previews.limits, memory_mb=1024)
    app = FastAPI()
    app.include_router(
        preview_router(previews, lambda r: r.headers.get("x-test-user"), lambda user, run: project if user else None)
    )
    alice = {"x-test-user": "alice"}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.post("/preview/run1/start", headers=alice).status_code == 200
            hog = client.get("/preview/run1/hog", headers=alice)
            assert hog.status_code == 500, hog.text  # MemoryError inside the sandbox, not on the host
            assert client.get("/preview/run1/health", headers=alice).status_code == 200  # and it still serves
            died = client.get("/preview/run1/die", headers=alice)
            assert died.status_code == 502 and "did not answer" in died.text
            deadline = time.monotonic() + 10
            while previews.get("alice", "run1") is not None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert previews.get("alice", "run1") is None
            assert "killed by signal 9 (SIGKILL)" in previews.ended("alice", "run1")
            # the studio goes on: its slot is free, a new preview starts and answers
            assert client.post("/preview/run1/start", headers=alice).status_code == 200
            assert client.get("/preview/run1/health", headers=alice).status_code == 200
    finally:
        previews.stop_all()
