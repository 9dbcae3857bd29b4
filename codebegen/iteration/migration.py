"""The new Alembic revision of an iteration (SQL templates), made from the project's real models.

Owns calling ``autogenerate_script.py`` in the project's runtime environment (the gate's,
``codebegen.gate.runtime``) on a scratch SQLite database at the project's current head, with the
spec diff's renames (as ``table -> old column -> new column``) and the defaults that rows
already stored get for new required fields (an enum's first value; per type otherwise: see
the README). The revision is added beside the old ones (``0002_...``, ``down_revision`` the
previous head); an existing revision is never rewritten. It also says, for templates without
migrations (``fastapi_mongo``), what a change means for stored documents.
"""

from __future__ import annotations

import json
import os
import pprint
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codebegen import names
from codebegen.errors import MigrationError
from codebegen.gate.runtime import ensure_runtime
from codebegen.iteration.diff import SpecDiff
from codebegen.spec import ProjectSpec

_SCRIPT = Path(__file__).with_name("autogenerate_script.py")
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
# What a stored document / row gets for a new required field (SQL: the column's server default).
DOCUMENT_DEFAULTS = {
    "str": "unknown", "text": "", "int": 0, "float": 0.0, "decimal": "0", "bool": False, "date": "1970-01-01",
    "datetime": "1970-01-01T00:00:00Z", "email": "unknown@example.com", "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000", "json": {},
}  # fmt: skip


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
        raise MigrationError(
            f"making the new migration failed: {tail}", hint="the models and the old revisions disagree"
        )
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
            if before.field(f.name) is None and not any(
                c.field == f.name and c.what == "renamed" and c.entity == e.name for c in diff.fields
            ):
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


def document_steps(old: ProjectSpec, new: ProjectSpec, diff: SpecDiff) -> list[dict[str, object]]:
    """The changes to stored documents, as data: set a default, rename a key, unset a key."""
    steps: list[dict[str, object]] = []
    renamed = {(c.entity, c.field) for c in diff.fields if c.what == "renamed"}
    for entity, mapping in diff.renames().items():
        steps.append({"collection": names.table_name(entity), "rename": dict(mapping)})
    for e in new.entities:
        before = old.entity(e.name)
        if before is None:
            continue
        defaults = {}
        for f in e.fields:
            if before.field(f.name) is None and (e.name, f.name) not in renamed and f.required:
                defaults[f.name] = f.values[0] if f.type == "enum" and f.values else DOCUMENT_DEFAULTS[f.type]
        if defaults:
            steps.append({"collection": names.table_name(e.name), "set_default": defaults})
    for c in diff.fields:
        if c.what == "removed":
            steps.append({"collection": names.table_name(c.entity), "unset": [c.field]})
    return steps


_DOCUMENT_SCRIPT = '''"""Stored documents for: {message}

Written by codebegen iterate. The app does not run it: run it once against your database
(``MONGODB_URL`` and ``MONGODB_DB`` from the environment, as the app reads them):

    python {path}            # forward
    python {path} backward   # undo (a removed field's values cannot come back)
"""

import os
import sys
from typing import Any

STEPS: list[dict[str, Any]] = {steps}


def forward(db: Any) -> None:
    for step in STEPS:
        collection = db[step["collection"]]
        for old, new in step.get("rename", {{}}).items():
            collection.update_many({{old: {{"$exists": True}}}}, {{"$rename": {{old: new}}}})
        for key, value in step.get("set_default", {{}}).items():
            collection.update_many({{key: {{"$exists": False}}}}, {{"$set": {{key: value}}}})
        for key in step.get("unset", []):
            collection.update_many({{key: {{"$exists": True}}}}, {{"$unset": {{key: ""}}}})


def backward(db: Any) -> None:
    for step in reversed(STEPS):
        collection = db[step["collection"]]
        for key in step.get("set_default", {{}}):
            collection.update_many({{}}, {{"$unset": {{key: ""}}}})
        for old, new in step.get("rename", {{}}).items():
            collection.update_many({{new: {{"$exists": True}}}}, {{"$rename": {{new: old}}}})


if __name__ == "__main__":
    from pymongo import MongoClient

    database = MongoClient(os.environ["MONGODB_URL"])[os.environ.get("MONGODB_DB", "app")]
    (backward if sys.argv[1:] == ["backward"] else forward)(database)
'''


def write_document_migration(project: Path, old: ProjectSpec, new: ProjectSpec, diff: SpecDiff) -> str | None:
    """``migrations/NNNN_slug.py`` for the stored documents (None when documents need no change)."""
    steps = document_steps(old, new, diff)
    if not steps:
        return None
    folder = project / "migrations"
    number = len(list(folder.glob("[0-9][0-9][0-9][0-9]_*.py"))) + 2 if folder.is_dir() else 2
    rel = f"migrations/{number:04d}_{_slug(diff)}.py"
    message = "; ".join(diff.lines()[:6])
    text = _DOCUMENT_SCRIPT.format(message=message, path=rel, steps=pprint.pformat(steps, sort_dicts=False))
    (project / rel).parent.mkdir(parents=True, exist_ok=True)
    (project / rel).write_text(text, encoding="utf-8")
    _format(project / rel, project)
    return rel


__all__ = [
    "DOCUMENT_DEFAULTS",
    "document_steps",
    "write_document_migration",
    "MigrationError",
    "Revision",
    "document_changes",
    "new_revision",
    "row_defaults",
]
