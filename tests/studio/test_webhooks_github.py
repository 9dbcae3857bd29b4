"""The GitHub webhook: signatures (valid, wrong secret, tampered, missing), closed and merged PRs recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codebegen.studio.history import History
from codebegen.studio.webhooks_github import github_webhooks, signature

SECRET = "It's a Secret to Everybody"


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    history = History(tmp_path / "h.duckdb")
    yield history
    history.close()


@pytest.fixture
def client(history: History) -> TestClient:
    app = FastAPI()
    app.include_router(github_webhooks(secret=SECRET, history=history))
    return TestClient(app)


def closed_event(
    *, merged: bool, number: int = 7, body: str = "...\n<!-- codebegen: run=abc123 version=2 -->\n"
) -> bytes:
    # The keys GitHub's pull_request event carries that the handler reads (and a few it does not).
    return json.dumps({
        "action": "closed", "number": number,
        "pull_request": {
            "url": "https://api.github.com/repos/octocat/library/pulls/7", "number": number, "state": "closed",
            "html_url": f"https://github.com/octocat/library/pull/{number}", "title": "codebegen: library version 2",
            "body": body, "merged": merged, "merged_at": "2026-12-01T21:00:00Z" if merged else None,
            "closed_at": "2026-12-01T21:00:00Z", "head": {"ref": "codebegen", "sha": "0" * 40}, "base": {"ref": "main"},
        },
        "repository": {"full_name": "octocat/library", "name": "library"},
        "sender": {"login": "octocat"},
    }).encode()  # fmt: skip


def deliver(client: TestClient, body: bytes, *, event: str = "pull_request", sig: str | None = "auto"):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e", "Content-Type": "application/json"}
    if sig == "auto":
        sig = signature(SECRET, body)
    if sig is not None:
        headers["X-Hub-Signature-256"] = sig
    return client.post("/webhooks/github", content=body, headers=headers)


def test_githubs_documented_example_signature_is_reproduced() -> None:
    # docs.github.com "Validating webhook deliveries": this secret and payload give this signature.
    assert signature(SECRET, b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_a_merged_pull_request_is_recorded_on_its_run_and_version(client, history) -> None:
    answer = deliver(client, closed_event(merged=True))
    assert answer.status_code == 200, answer.text
    assert answer.json()["recorded"]["state"] == "merged"
    row = history.pull_request("octocat/library", 7)
    assert row is not None and (row["state"], row["run_id"], row["version"]) == ("merged", "abc123", 2)
    assert row["url"] == "https://github.com/octocat/library/pull/7" and row["closed_at"] is not None


def test_a_closed_pull_request_is_recorded_as_closed_and_keeps_the_known_run(client, history) -> None:
    history.record_export("alice", "run9", remote="https://github.com/octocat/library.git", branch="codebegen",
                          version=1, commit="1" * 40, repo="octocat/library", pr_number=8, pr_url="u")  # fmt: skip
    assert deliver(client, closed_event(merged=False, number=8, body="edited by hand")).status_code == 200
    row = history.pull_request("octocat/library", 8)
    assert row is not None and (row["state"], row["run_id"]) == ("closed", "run9")
    assert history.exports("alice", "run9")[0]["pr_state"] == "closed"
    assert history.exports("bob", "run9") == []  # another user's run shows nothing


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "tampered body", "missing header", "sha1 header", "empty header"],
)
def test_a_delivery_without_the_right_signature_is_refused_and_records_nothing(case, client, history) -> None:
    body = closed_event(merged=True)
    sig = {
        "wrong secret": signature("not the secret", body),
        "tampered body": signature(SECRET, body),
        "missing header": None,
        "sha1 header": "sha1=" + signature(SECRET, body)[7:],
        "empty header": "",
    }[case]
    if case == "tampered body":
        body = body.replace(b'"merged": true', b'"merged": false')
    answer = deliver(client, body, sig=sig)
    assert answer.status_code == 401 and "X-Hub-Signature-256" in answer.json()["detail"]
    assert history.pull_request("octocat/library", 7) is None


def test_no_configured_secret_refuses_everything(history) -> None:
    app = FastAPI()
    app.include_router(github_webhooks(secret="", history=history))
    body = closed_event(merged=True)
    answer = deliver(TestClient(app), body, sig=signature("", body))
    assert answer.status_code == 503
    assert history.pull_request("octocat/library", 7) is None


def test_ping_other_events_and_bad_payloads(client, history) -> None:
    assert deliver(client, b'{"zen": "Keep it logically awesome."}', event="ping").json() == {"ok": True}
    opened = closed_event(merged=False).replace(b'"action": "closed"', b'"action": "opened"')
    assert deliver(client, opened).status_code == 202
    assert deliver(client, b'{"action": "closed"}').status_code == 400
    assert history.pull_request("octocat/library", 7) is None
