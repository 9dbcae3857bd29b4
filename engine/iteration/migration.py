"""The new Alembic revision of an iteration (SQL templates), made from the project's real models.

Owns calling ``autogenerate_script.py`` in the project's runtime environment (the gate's,
``engine.gate.runtime``) on a scratch SQLite database at the project's current head, with the
spec diff's renames (as ``table -> old column -> new column``) and the defaults that rows
already stored get for new required fields (an enum's first value; per type otherwise: see
the README). The revision is added beside the old ones (``0002_...``, ``down_revision`` the
previous head); an existing revision is never rewritten. It also says, for templates without
migrations (``fastapi_mongo``), what a change means for stored documents.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine import names
from engine.errors import EngineError
from engine.gate.runtime import ensure_runtime
from engine.iteration.diff import SpecDiff
from engine.spec import ProjectSpec

_SCRIPT = Path(__file__).with_name("autogenerate_script.py")
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
# What a stored document / row gets for a new required field (SQL: the column's server default).
DOCUMENT_DEFAULTS = {
    "str": "unknown", "text": "", "int": 0, "float": 0.0, "decimal": "0", "bool": False, "date": "1970-01-01",
    "datetime": "1970-01-01T00:00:00Z", "email": "unknown@example.com", "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000", "json": {},
}  # fmt: skip


class MigrationError(EngineError):
    """The new revision could not be made (a change existing rows cannot take, a failing autogenerate)."""


@dataclass(frozen=True)
class Revision:
    path: str | None  # relative to the project; None when the schema did not change
    revision: str
    down_revision: str | None
    operations: int


def table_renames(diff: SpecDiff) -> dict[str, dict[str, str]]:
    return {names.table_name(entity): mapping for entity, mapping in diff.renames().items()}


def row_defaults(old: ProjectSpec, new: ProjectSpec) -> dict[str, dict[str, object]]:
    """table -> column -> value for new required enum fields of entities that already had rows."""
    out: dict[str, dict[str, object]] = {}
    for e in new.entities:
        before = old.entity(e.name)
        if before is None:
            continue
        for f in e.fields:
            if f.type == "enum" and f.values and f.required:
                out.setdefault(names.table_name(e.name), {})[f.name] = f.values[0]
    return out


def _slug(diff: SpecDiff) -> str:
    first = diff.lines()[0] if diff.lines() else "iteration"
    slug = re.sub(r"[^a-z0-9]+", "_", first.lower().replace("renamed to", "to")).strip("_")
    return slug[:40].rstrip("_") or "iteration"


def new_revision(project: Path, old: ProjectSpec, new: ProjectSpec, diff: SpecDiff, *, cache_dir: Path,
                 timeout: float = 180.0) -> Revision:  # fmt: skip
    """Write the revision for old -> new into ``project/alembic/versions``; the schema is compared for real."""
    runtime = ensure_runtime(project / "requirements.txt", cache_dir=cache_dir)
    args = {"renames": table_renames(diff), "defaults": row_defaults(old, new), "slug": _slug(diff),
            "message": "; ".join(diff.lines()[:6]) or "iteration"}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="codebegen-autogenerate-") as tmp:
        env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
        env |= {"DATABASE_URL": f"sqlite:///{tmp}/previous_head.db", "ENVIRONMENT": "test", "PYTHONPATH": str(project),
                "PYTHONDONTWRITEBYTECODE": "1", "VIRTUAL_ENV": str(runtime.path), "TMPDIR": tmp}  # fmt: skip
        env["PATH"] = os.pathsep.join(filter(None, [str(runtime.bin_dir), env.get("PATH")]))
        try:
            proc = subprocess.run([str(runtime.python), str(_SCRIPT), json.dumps(args)], cwd=project, env=env,
                                  capture_output=True, text=True, timeout=timeout)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise MigrationError(f"making the new migration took more than {timeout:.0f} s") from None
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        data = json.loads(last)
    except ValueError:
        data = {}
    if proc.returncode != 0 or "revision" not in data:
        if data.get("problems"):
            raise MigrationError(f"the change cannot be applied to stored rows: {data['problems'][0]}")
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise MigrationError(f"making the new migration failed: {tail}", hint="the models and the old revisions disagree")
    path = None
    if data.get("path"):
        written = Path(data["path"])
        _format(written, project)
        path = written.relative_to(project).as_posix()
    return Revision(path, data["revision"], data.get("down_revision"), int(data.get("operations", 0)))


def _format(path: Path, project: Path) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    env = {**os.environ, "RUFF_NO_CACHE": "true"}
    for args in (["check", "--fix-only", "--quiet", "--select", "I,F401"], ["format", "--quiet"]):
        subprocess.run([*ruff, *args, str(path)], cwd=project, capture_output=True, text=True, env=env)


def document_changes(old: ProjectSpec, new: ProjectSpec, diff: SpecDiff) -> list[str]:
    """What a change means for documents already stored (templates without migrations)."""
    out = []
    for e in new.entities:
        before = old.entity(e.name)
        if before is None:
            continue
        for f in e.fields:
            if before.field(f.name) is None and not any(c.field == f.name and c.what == "renamed" and c.entity == e.name for c in diff.fields):
                if f.required:
                    value = f.values[0] if f.type == "enum" and f.values else DOCUMENT_DEFAULTS[f.type]
                    out.append(f"{e.name}.{f.name}: stored documents get {value!r} (a required new field)")
                else:
                    out.append(f"{e.name}.{f.name}: stored documents read it as null until written")
    for entity, mapping in diff.renames().items():
        out += [f"{entity}.{o}: stored documents have it renamed to {n!r} ($rename)" for o, n in mapping.items()]
    for c in diff.fields:
        if c.what == "removed":
            out.append(f"{c.entity}.{c.field}: removed from stored documents ($unset); its values are lost")
    out += [f"{e}: its collection is left in the database, no longer served" for e in diff.entities_removed]
    return out


__all__ = ["DOCUMENT_DEFAULTS", "MigrationError", "Revision", "document_changes", "new_revision", "row_defaults"]
