"""What the studio knows of its customers' subscriptions, in the studio's own database.

Owns two tables: ``billing_accounts`` (per run owner, a user or ``org:<slug>``: the Stripe
customer, the subscription, its plan, status, seats, current period, a grace deadline after a
failed payment, and the Stripe ``created`` time of the newest state applied) and
``stripe_events`` (every webhook event id processed, so a replay is acknowledged and ignored).
``Account.effective_plan`` is the plan the quotas use: the subscription's while it is active
(or past due within the grace period), else ``free``. Applying a subscription also writes the
plan into the store's ``users.plan`` / ``orgs.plan`` column, which other pages read.
``subscription_state`` reads a subscription as Stripe or localstripe return it (price or
plan on the item; period on the subscription or on its item) into one flat dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codebegen.studio.billing.plans import FREE
from codebegen.studio.database import Database, utc_now
from codebegen.studio.store import ORG_PREFIX

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "billing_0001_accounts_events",
        """
        CREATE TABLE billing_accounts (
            owner VARCHAR PRIMARY KEY,
            customer_id VARCHAR,
            subscription_id VARCHAR,
            plan VARCHAR NOT NULL DEFAULT 'free',
            status VARCHAR NOT NULL DEFAULT '',
            seats INTEGER NOT NULL DEFAULT 1,
            period_start TIMESTAMP,
            period_end TIMESTAMP,
            grace_until TIMESTAMP,
            state_at BIGINT NOT NULL DEFAULT 0,
            updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE stripe_events (
            id VARCHAR PRIMARY KEY,
            type VARCHAR NOT NULL,
            created BIGINT NOT NULL,
            received_at TIMESTAMP NOT NULL
        );
        """,
    ),
)

LIVE = ("active", "trialing", "past_due")  # statuses that keep the plan (past_due: until the grace ends)
_COLUMNS = "owner, customer_id, subscription_id, plan, status, seats, period_start, period_end, grace_until, state_at"


@dataclass(frozen=True)
class Account:
    owner: str
    customer_id: str | None
    subscription_id: str | None
    plan: str
    status: str
    seats: int
    period_start: datetime | None
    period_end: datetime | None
    grace_until: datetime | None
    state_at: int

    def effective_plan(self, now: datetime | None = None) -> str:
        now = now or utc_now()
        if self.status not in LIVE:
            return FREE
        if self.grace_until is not None and now >= self.grace_until:
            return FREE
        return self.plan


def _time(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None) if epoch else None


def subscription_state(sub: dict[str, Any]) -> dict[str, Any]:
    """The fields of a subscription the studio keeps, from Stripe's JSON or localstripe's."""
    items = ((sub.get("items") or {}).get("data")) or [{}]
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    return {
        "id": sub.get("id"),
        "customer": sub.get("customer")
        if isinstance(sub.get("customer"), str)
        else (sub.get("customer") or {}).get("id"),
        "status": sub.get("status") or "",
        "price_id": price.get("id") if isinstance(price, dict) else price,
        "item_id": item.get("id"),
        "quantity": int(item.get("quantity") or sub.get("quantity") or 1),
        "period_start": _time(sub.get("current_period_start") or item.get("current_period_start")),
        "period_end": _time(sub.get("current_period_end") or item.get("current_period_end")),
        "owner": (sub.get("metadata") or {}).get("owner"),
    }


class Ledger:
    """The billing tables of one studio database (``Ledger(store.db)``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.migrate(MIGRATIONS)

    @classmethod
    def of(cls, db: Database) -> Ledger:
        """The ledger of ``db``, migrated once per process."""
        ledger = getattr(db, "_billing_ledger", None)
        if ledger is None:
            ledger = db._billing_ledger = cls(db)  # type: ignore[attr-defined]
        return ledger

    def account(self, owner: str) -> Account | None:
        with self.db.tx() as cur:
            row = cur.execute(f"SELECT {_COLUMNS} FROM billing_accounts WHERE owner = ?", [owner]).fetchone()
        return Account(*row) if row else None

    def owner_of_customer(self, customer_id: str | None) -> str | None:
        if not customer_id:
            return None
        with self.db.tx() as cur:
            row = cur.execute("SELECT owner FROM billing_accounts WHERE customer_id = ?", [customer_id]).fetchone()
        return row[0] if row else None

    def _ensure(self, cur: Any, owner: str) -> None:
        if not cur.execute("SELECT count(*) FROM billing_accounts WHERE owner = ?", [owner]).fetchone()[0]:
            cur.execute("INSERT INTO billing_accounts (owner, updated_at) VALUES (?, ?)", [owner, utc_now()])

    def link_customer(self, owner: str, customer_id: str) -> None:
        with self.db.tx() as cur:
            self._ensure(cur, owner)
            cur.execute(
                "UPDATE billing_accounts SET customer_id = ?, updated_at = ? WHERE owner = ?",
                [customer_id, utc_now(), owner],
            )

    def apply_subscription(self, owner: str, state: dict[str, Any], plan: str, *, as_of: int) -> bool:
        """Record a subscription's state seen at Stripe time ``as_of``; an older state than the one kept is ignored."""
        with self.db.tx() as cur:
            self._ensure(cur, owner)
            (kept,) = cur.execute("SELECT state_at FROM billing_accounts WHERE owner = ?", [owner]).fetchone()
            if as_of < kept:
                return False
            cur.execute(
                "UPDATE billing_accounts SET customer_id = coalesce(?, customer_id), subscription_id = ?, plan = ?, "
                "status = ?, seats = ?, period_start = ?, period_end = ?, state_at = ?, updated_at = ?, "
                "grace_until = CASE WHEN ? = 'active' THEN NULL ELSE grace_until END WHERE owner = ?",
                [state["customer"], state["id"], plan, state["status"], state["quantity"], state["period_start"],
                 state["period_end"], as_of, utc_now(), state["status"], owner],
            )  # fmt: skip
            effective = plan if state["status"] in LIVE else FREE
            if owner.startswith(ORG_PREFIX):
                cur.execute("UPDATE orgs SET plan = ? WHERE id = ?", [effective, owner[len(ORG_PREFIX) :]])
            else:
                cur.execute("UPDATE users SET plan = ? WHERE id = ?", [effective, owner])
        return True

    def set_grace(self, owner: str, until: datetime | None) -> None:
        """Start (or, with None, end) the grace period after a failed payment; a running one is kept."""
        with self.db.tx() as cur:
            self._ensure(cur, owner)
            if until is None:
                cur.execute("UPDATE billing_accounts SET grace_until = NULL WHERE owner = ?", [owner])
            else:
                cur.execute(
                    "UPDATE billing_accounts SET grace_until = coalesce(grace_until, ?) WHERE owner = ?", [until, owner]
                )

    def seen(self, event_id: str) -> bool:
        with self.db.tx() as cur:
            return bool(cur.execute("SELECT count(*) FROM stripe_events WHERE id = ?", [event_id]).fetchone()[0])

    def record_event(self, event_id: str, event_type: str, created: int) -> bool:
        """Mark an event processed; False when it was already (a concurrent replay)."""
        with self.db.tx() as cur:
            if cur.execute("SELECT count(*) FROM stripe_events WHERE id = ?", [event_id]).fetchone()[0]:
                return False
            cur.execute("INSERT INTO stripe_events VALUES (?, ?, ?, ?)", [event_id, event_type, created, utc_now()])
        return True

    def events(self) -> list[tuple[str, str]]:
        with self.db.tx() as cur:
            return [tuple(r) for r in cur.execute("SELECT id, type FROM stripe_events ORDER BY received_at").fetchall()]
