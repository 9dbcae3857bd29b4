"""The studio's store on both of its databases: DuckDB (the default) and PostgreSQL (a real server).

Users, organizations and their roles, invitations, API keys, and the history in the same
database; a process killed right after a commit loses nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from codebegen.studio.database import utc_now
from codebegen.studio.store import AccessError, Store, allows, close_store, open_store
from tests.helpers import REPO


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str | None]]:
    path = tmp_path / "studio" / "history.duckdb"
    if request.param == "duckdb":
        yield path, None
        close_store(path)
    else:
        yield path, request.getfixturevalue("pg_database")


@pytest.fixture
def store(backend: tuple[Path, str | None]) -> Store:
    return open_store(*backend)


def test_the_history_and_the_accounts_share_one_database(store: Store, backend: tuple[Path, str | None]) -> None:
    applied = store.db.applied_migrations()
    assert "0001_runs" in applied and "accounts_0001_users_orgs_keys" in applied
    assert store.db.postgres == (backend[1] is not None)
    run = store.history.start("org:acme", prompt="notes", template="fastapi_basic", profile="fake", actor="alice")
    store.history.finish("org:acme", run, status="passed", files={"app/main.py": b"print(1)\n"})
    assert store.history.files("org:acme", run) == {"app/main.py": b"print(1)\n"}
    assert store.history.list("alice") == []  # the run is the organization's
    assert len(store.history.starts_since("alice", utc_now() - timedelta(minutes=1))) == 1  # the ledger counts alice


def test_roles_decide_what_a_member_may_do(store: Store) -> None:
    for user in ("alice", "bob", "carol"):
        store.upsert_user(user, provider="test", name=user.title())
    org = store.create_org("alice", "acme")
    assert org.role == "owner" and [o.id for o in store.orgs_of("alice")] == ["acme"]
    store.accept(store.invite("acme", "alice", "viewer"), "bob")
    assert store.role("acme", "bob") == "viewer" and store.owners_of("bob") == ["bob", "org:acme"]
    assert store.owners_of("carol") == ["carol"]
    assert [m.role for m in store.members("acme", "bob")] == ["owner", "viewer"]
    with pytest.raises(AccessError) as outsider:
        store.members("acme", "carol")
    assert outsider.value.status == 404  # an outsider learns nothing, not even that it exists
    with pytest.raises(AccessError, match="may not manage members"):
        store.invite("acme", "bob", "member")  # a viewer cannot invite
    with pytest.raises(AccessError) as spent:
        store.accept("not-a-token", "carol")
    assert spent.value.status == 404
    store.set_role("acme", "alice", "bob", "admin")
    with pytest.raises(AccessError, match="only an owner"):
        store.invite("acme", "bob", "owner")  # admins manage members below admin
    with pytest.raises(AccessError, match="without an owner"):
        store.set_role("acme", "alice", "alice", "member")
    assert allows("viewer", "read") and not allows("viewer", "generate") and allows("member", "generate")
    assert not allows("member", "manage_members") and allows("admin", "manage_members") and not allows(None, "read")


def test_an_invitation_is_single_use_and_expires(store: Store) -> None:
    store.create_org("alice", "acme")
    token = store.invite("acme", "alice", "member")
    store.accept(token, "bob")
    with pytest.raises(AccessError, match="used already"):
        store.accept(token, "carol")
    late = store.invite("acme", "alice", "member", ttl=timedelta(minutes=5))
    with pytest.raises(AccessError, match="expired"):
        store.accept(late, "carol", now=utc_now() + timedelta(minutes=6))
    assert store.role("acme", "carol") is None


def test_api_keys_are_stored_as_hashes_scoped_expiring_and_revocable(store: Store) -> None:
    key, secret = store.create_key("alice", "ci", "read")
    assert secret.startswith(f"cbg_{key.id}_") and len(secret) > 40
    with store.db.tx() as cur:
        (stored,) = cur.execute("SELECT key_hash FROM api_keys WHERE id = ?", [key.id]).fetchone()
        dump = repr(cur.execute("SELECT * FROM api_keys").fetchall())
    assert secret not in dump and len(stored) == 64  # only the sha256
    used = store.authenticate(secret)
    assert used.scopes == ("read",) and store.keys("alice")[0].last_used_at is not None
    with pytest.raises(AccessError, match="unknown API key"):
        store.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    soon, soon_secret = store.create_key("alice", "short", "read,generate", expires_at=utc_now() + timedelta(hours=1))
    assert store.authenticate(soon_secret).id == soon.id
    with pytest.raises(AccessError, match="expired"):
        store.authenticate(soon_secret, now=utc_now() + timedelta(hours=2))
    assert store.revoke_key("alice", key.id) and not store.revoke_key("alice", key.id)
    assert not store.revoke_key("bob", soon.id)  # one user cannot revoke another's key
    with pytest.raises(AccessError, match="revoked") as revoked:
        store.authenticate(secret)
    assert revoked.value.status == 401
    with pytest.raises(AccessError, match="unknown scope"):
        store.create_key("alice", "bad", "read,admin")
    assert [k.state() for k in store.keys("alice")] == ["revoked", "active"]


def test_the_plan_is_the_seam_billing_builds_on(store: Store) -> None:
    store.upsert_user("alice", provider="test")
    store.create_org("alice", "acme")
    assert store.plan("alice") == store.plan("org:acme") == store.plan("nobody") == "free"


KILLED_WRITER = """
import sys, time
from pathlib import Path
from codebegen.studio.store import open_store
store = open_store(Path(sys.argv[1]), sys.argv[2] or None)
key, secret = store.create_key("alice", "survivor", "read")
run = store.history.start("alice", prompt="p", template="fastapi_basic", profile="fake")
print(key.id, run, secret, flush=True)
time.sleep(600)
"""


def test_a_killed_studio_loses_no_committed_row(backend: tuple[Path, str | None], tmp_path: Path) -> None:
    path, url = backend
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path), url or ""], stdout=subprocess.PIPE, text=True, cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, "the writer process died before committing"
        key_id, run_id, secret = line.split()
    finally:
        proc.send_signal(signal.SIGKILL)  # no close, no checkpoint: what a crash leaves
        proc.wait(timeout=30)
    store = open_store(path, url)
    assert [k.id for k in store.keys("alice")] == [key_id]
    assert store.authenticate(secret).id == key_id
    row = store.history.get("alice", run_id)
    assert row is not None
    # DuckDB: this process is the only one, so the running row is swept as interrupted; PostgreSQL
    # leaves it (another studio process may still be running it)
    assert row.status == ("running" if url else "interrupted")
