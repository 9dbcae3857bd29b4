"""One spec rendered in versions, a git helper and a passing trust report: the export tests' material
(tests/export/, and the studio's Export page in tests/studio/test_export_page.py)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

from codebegen.gate.trust_report import Check, TrustReport

SPEC: dict[str, Any] = {
    "name": "library",
    "description": "Lending library API",
    "auth": False,
    "entities": [
        {"name": "Book", "fields": [{"name": "title", "type": "str"}, {"name": "isbn", "type": "str", "unique": True}]},
    ],
    "relationships": [],
}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout.strip()


def spec_with(**changes: Any) -> dict[str, Any]:
    """SPEC with entities appended (``entities=[...]``) or keys replaced."""
    spec = copy.deepcopy(SPEC)
    spec["entities"] += changes.pop("entities", [])
    spec.update(changes)
    return spec


def passing_report(project: str) -> TrustReport:
    # The checks a real gate run writes (tests/export/test_export_generated.py runs the real gate).
    return TrustReport(
        template="fastapi_sqlalchemy", project=project, codebegen_version="test", started_at="2026-12-01T00:00:00Z",
        duration_s=1.0, checks=[Check("compile", "pass"), Check("pytest", "pass", detail="12 passed")],
    )  # fmt: skip
