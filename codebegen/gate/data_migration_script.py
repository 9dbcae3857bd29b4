"""Run inside a generated project's runtime: the newest migration keeps every stored row and value.

Standalone on purpose (only alembic and SQLAlchemy). On the database ``DATABASE_URL`` (empty):
upgrade to the revision before head, fill every table with rows (three each, foreign keys
pointing at rows that exist, unique values distinct), upgrade to head and check that every row
is there with every value, under the new name for a column the revision renames (its
``codebegen_renames``); columns and tables the revision drops are reported, not failed. Then
downgrade back to the previous revision and check the rows again. Prints one JSON line and
exits 1 when a row or a value was lost.
"""

import json
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from importlib import util

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def _value(column: sa.Column, i: int):
    t = column.type
    if column.foreign_keys or column.primary_key:
        return i
    for kind, make in (
        (sa.Boolean, lambda: i % 2 == 0),
        (sa.Float, lambda: i + 0.5),
        (sa.Numeric, lambda: Decimal(f"{i}.25")),
        (sa.Integer, lambda: 100 + i),
        (sa.DateTime, lambda: datetime(2020, 1, i, 12, 30)),
        (sa.Date, lambda: date(2020, 1, i)),
        (sa.Uuid, lambda: uuid.UUID(int=i)),
        (sa.JSON, lambda: {"row": i}),
    ):
        if isinstance(t, kind):
            return make()
    length = getattr(t, "length", None) or 64
    return f"{column.name[:8]}-{i}@example.com"[:length]


def _snapshot(engine: sa.Engine) -> dict:
    meta = sa.MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).mappings().all()
            out[table.name] = [dict(r) for r in rows]
    return out


def _fill(engine: sa.Engine) -> int:
    meta = sa.MetaData()
    meta.reflect(engine)
    count = 0
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [{c.name: _value(c, i) for c in table.columns} for i in (1, 2, 3)]
            conn.execute(table.insert(), rows)
            count += len(rows)
    return count


def _compare(before: dict, after: dict, renames: dict, lost: list, dropped: list, direction: str) -> None:
    for table, rows in before.items():
        if table not in after:
            if direction == "upgrade":
                dropped.append(f"table {table} ({len(rows)} rows)")
            else:
                lost.append(f"downgrade: table {table} is missing")
            continue
        mapping = renames.get(table, {})
        if len(after[table]) != len(rows):
            lost.append(f"{direction}: {table} has {len(after[table])} rows, had {len(rows)}")
            continue
        new_rows = after[table]
        for old, new in zip(rows, new_rows, strict=True):
            for column, value in old.items():
                name = mapping.get(column, column)
                entry = f"column {table}.{column}"
                if name not in new:
                    if direction == "upgrade" and entry not in dropped:
                        dropped.append(entry)
                    elif direction != "upgrade":
                        lost.append(f"downgrade: {entry} is missing")
                    continue
                if direction != "upgrade" and entry in dropped:
                    continue  # the upgrade dropped its values; the downgrade brings the column back empty
                if new[name] != value and not (isinstance(value, float) and abs(new[name] - value) < 1e-9):
                    lost.append(f"{direction}: {table}.{name} row {old.get('id', '?')}: {new[name]!r}, was {value!r}")


def main() -> None:
    cfg = Config("alembic.ini")
    script = ScriptDirectory.from_config(cfg)
    head = script.get_revision(script.get_current_head())
    previous = head.down_revision
    if previous is None:
        print(json.dumps({"skipped": "only one revision"}))
        return
    spec = util.spec_from_file_location("head_revision", head.path)
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    renames = getattr(module, "codebegen_renames", {}) or {}
    import os

    engine = sa.create_engine(os.environ["DATABASE_URL"])
    command.upgrade(cfg, previous)
    rows = _fill(engine)
    before = _snapshot(engine)
    command.upgrade(cfg, head.revision)
    after = _snapshot(engine)
    lost, dropped = [], []
    _compare(before, after, renames, lost, dropped, "upgrade")
    command.downgrade(cfg, previous)
    again = _snapshot(engine)
    _compare({t: rs for t, rs in before.items() if t in after}, again, {}, lost, dropped, "downgrade")
    print(
        json.dumps({"rows": rows, "from": previous, "to": head.revision, "lost": lost, "dropped": dropped}, default=str)
    )
    engine.dispose()
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
