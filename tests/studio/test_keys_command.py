"""``codebegen keys create/list/revoke`` (docs/cli.md) as a person runs it, against the studio's store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codebegen.studio.store import close_store, open_store
from tests.helpers import REPO


def keys(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEBEGEN_STUDIO_")}
    env |= {"CODEBEGEN_STUDIO_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "codebegen.cli", "keys", *args], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=120,
    )  # fmt: skip


def test_create_prints_the_key_once_list_never_shows_it_revoke_ends_it(tmp_path: Path) -> None:
    created = keys(tmp_path, "create", "ci", "--scope", "read")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("cbg_") and " " not in secret
    key_id = secret.split("_")[1]
    listed = keys(tmp_path, "list")
    assert listed.returncode == 0 and key_id in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout and secret.split("_", 2)[2] not in listed.stdout
    store = open_store(tmp_path / "history.duckdb")
    try:
        assert store.authenticate(secret).scopes == ("read",)
    finally:
        close_store(tmp_path / "history.duckdb")
    revoked = keys(tmp_path, "revoke", key_id)
    assert revoked.returncode == 0 and f"revoked key {key_id}" in revoked.stdout
    assert "revoked" in keys(tmp_path, "list").stdout
    again = keys(tmp_path, "revoke", key_id)
    assert again.returncode != 0 and again.stderr.startswith("codebegen: error: local has no active key")
    other = keys(tmp_path, "--user", "github:1", "list")
    assert other.returncode == 0 and "no API keys for github:1" in other.stdout


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    for args, says in [(("create", "ci", "--scope", "read,admin"), "unknown scope admin"),
                       (("create", "ci", "--expires-days", "0"), "--expires-days must be 1 or more"),
                       (("create", " "), "an API key needs a name")]:  # fmt: skip
        result = keys(tmp_path, *args)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
        assert result.stderr.startswith(f"codebegen: error: {says}"), result.stderr
    assert keys(tmp_path, "--help").returncode == 0 and "create" in keys(tmp_path, "--help").stdout
