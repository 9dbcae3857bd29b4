"""Run inside a generated project's runtime (``python autogenerate_script.py ARGS_JSON``): a new revision.

Standalone on purpose (only alembic and SQLAlchemy, which the project's runtime has): brings
a scratch database (``DATABASE_URL``) to the project's current head with its own revisions,
compares it with the project's models (Alembic autogenerate), turns each rename the spec diff
names into a column rename (instead of a drop and an add), gives each new NOT NULL column a
server default so existing rows get a value, fills NULLs before a column becomes NOT NULL,
and writes the revision file (batch operations, so it also runs on SQLite) with a downgrade.
Prints one JSON line: {"path": ..., "revision": ..., "down_revision": ..., "operations": n}.
"""

import json
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.config import Config
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

_DEFAULTS = [  # (type, server default SQL) in the order they are tried; Float is a Numeric
    (sa.Boolean, "false"),
    (sa.Float, "0"),
    (sa.Numeric, "0"),
    (sa.Integer, "0"),
    (sa.DateTime, "'1970-01-01 00:00:00'"),
    (sa.Date, "'1970-01-01'"),
    (sa.Uuid, "'00000000-0000-0000-0000-000000000000'"),
    (sa.JSON, "'{}'"),
    (sa.Text, "''"),
    (sa.String, "'unknown'"),
]


def _default(column: sa.Column, table: str, given: dict) -> str:
    if column.name in given.get(table, {}):
        value = given[table][column.name]
        return "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value).lower()
    for kind, sql in _DEFAULTS:
        if isinstance(column.type, kind):
            return sql
    return "''"


def _patch(upgrade: ops.UpgradeOps, renames: dict, defaults: dict) -> list[str]:
    """Renames as renames, defaults for new NOT NULL columns; returns the problems found."""
    problems = []
    out = []
    for op in upgrade.ops:
        if isinstance(op, ops.ModifyTableOps):
            table = op.table_name
            wanted = renames.get(table, {})
            drops = {o.column_name: o for o in op.ops if isinstance(o, ops.DropColumnOp)}
            adds = {o.column.name: o for o in op.ops if isinstance(o, ops.AddColumnOp)}
            kept = []
            for inner in op.ops:
                if (
                    isinstance(inner, ops.DropColumnOp)
                    and inner.column_name in wanted
                    and wanted[inner.column_name] in adds
                ):
                    new = adds[wanted[inner.column_name]].column
                    old = inner.to_column()
                    kept.append(ops.AlterColumnOp(
                        table, inner.column_name, modify_name=new.name, existing_type=old.type,
                        existing_nullable=old.nullable, existing_server_default=False,
                    ))  # fmt: skip
                    continue
                if isinstance(inner, ops.AddColumnOp) and inner.column.name in {wanted.get(d) for d in drops}:
                    continue
                if isinstance(inner, ops.AddColumnOp) and not inner.column.nullable:
                    if inner.column.foreign_keys:
                        problems.append(f"{table}.{inner.column.name}: a new required reference cannot be filled "
                                        "for the rows already stored; make it optional")  # fmt: skip
                    elif inner.column.server_default is None:
                        inner.column.server_default = sa.DefaultClause(sa.text(_default(inner.column, table, defaults)))
                if isinstance(inner, ops.AlterColumnOp) and inner.modify_nullable is False:
                    column = sa.Column(inner.column_name, inner.existing_type or sa.String())
                    out.append(ops.ExecuteSQLOp(
                        f"UPDATE {table} SET {inner.column_name} = {_default(column, table, defaults)} "
                        f"WHERE {inner.column_name} IS NULL"
                    ))  # fmt: skip
                kept.append(inner)
            op.ops = kept
        out.append(op)
    upgrade.ops = out
    return problems


def _pad_downgrade(downgrade: ops.DowngradeOps, defaults: dict, renames: dict) -> None:
    """Renames go back under their old names; a column the upgrade dropped comes back with a value."""
    for op in downgrade.ops:
        if isinstance(op, ops.ModifyTableOps):
            back = renames.get(op.table_name, {})
            for inner in op.ops:
                if isinstance(inner, ops.AlterColumnOp) and inner.column_name in back and inner.modify_name is None:
                    inner.modify_name = inner.column_name
                    inner.column_name = back[inner.column_name]
                if (
                    isinstance(inner, ops.AddColumnOp)
                    and not inner.column.nullable
                    and inner.column.server_default is None
                ):
                    inner.column.server_default = sa.DefaultClause(
                        sa.text(_default(inner.column, op.table_name, defaults))
                    )


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return "sa." + repr(obj.impl_instance)
    return False


def main() -> None:
    args = json.loads(sys.argv[1])
    cfg = Config("alembic.ini")
    script_dir = ScriptDirectory.from_config(cfg)
    previous = script_dir.get_current_head()
    command.upgrade(cfg, "head")
    from app.core.db import get_engine
    from app.models import Base

    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": Base.metadata})
        migration = produce_migrations(context, Base.metadata)
    upgrade = migration.upgrade_ops
    problems = _patch(upgrade, args.get("renames", {}), args.get("defaults", {}))
    if problems:
        print(json.dumps({"problems": problems}))
        sys.exit(3)
    if upgrade.is_empty():
        print(json.dumps({"path": None, "revision": previous, "down_revision": previous, "operations": 0}))
        return
    downgrade = upgrade.reverse()
    _pad_downgrade(downgrade, args.get("defaults", {}), args.get("renames", {}))
    number = len(list(script_dir.walk_revisions())) + 1
    revision = f"{number:04d}"
    render = dict(render_as_batch=True, render_item=_render_item)
    up = render_python_code(upgrade, **render).strip("\n")
    down = render_python_code(downgrade, **render).strip("\n")
    renames = {t: m for t, m in args.get("renames", {}).items() if m}
    text = f'''"""{args.get("message", "iteration")}

Revision ID: {revision}
Revises: {previous}
Written by codebegen iterate (Alembic autogenerate against a database at {previous}).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: str | None = {previous!r}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns this revision renames (table -> old -> new); the gate's data check reads it.
codebegen_renames: dict[str, dict[str, str]] = {json.dumps(renames)}


def upgrade() -> None:
{up}


def downgrade() -> None:
{down}
'''
    path = Path(script_dir.versions) / f"{revision}_{args.get('slug', 'iteration')}.py"
    path.write_text(text, encoding="utf-8")
    print(json.dumps({"path": str(path), "revision": revision, "down_revision": previous,
                      "operations": len(upgrade.ops)}))  # fmt: skip


if __name__ == "__main__":
    main()
