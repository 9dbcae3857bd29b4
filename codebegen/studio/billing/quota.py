"""Usage this billing period and the admission of a run against the owner's plan.

Owns ``usage(...)`` (the runs an owner started this period, counted from the history's ledger
of starts, which deleting a run leaves alone; the period is the subscription's current one, or
the calendar month in UTC on the free plan) and ``check(...)``, which refuses a run before it
starts: a profile the plan does not include or the month's generations used up is
``QuotaExceeded`` (HTTP 402), as many runs going as the plan allows at once is
``ConcurrencyExceeded`` (HTTP 429, a ``RateLimited``). Each message names the limit, what was
used, when it resets and how to upgrade.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from codebegen.errors import EngineError
from codebegen.studio.billing.ledger import Account, Ledger
from codebegen.studio.billing.plans import FREE, Plan, plan, plans
from codebegen.studio.database import utc_now
from codebegen.studio.history import History
from codebegen.studio.rate_limited import RateLimited
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import ORG_PREFIX

UPGRADE_PATH = "/billing/checkout?plan="


class QuotaExceeded(EngineError):
    """A run the owner's plan does not cover (HTTP 402 Payment Required)."""

    status = 402


class ConcurrencyExceeded(RateLimited):
    """As many runs going as the plan allows at once (HTTP 429)."""


@dataclass(frozen=True)
class Usage:
    owner: str
    plan: Plan
    seats: int
    used: int
    quota: int
    running: int
    period_start: datetime
    period_end: datetime

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def month_of(now: datetime) -> tuple[datetime, datetime]:
    start = datetime(now.year, now.month, 1)
    return start, datetime(now.year + (now.month == 12), now.month % 12 + 1, 1)


def period(account: Account | None, now: datetime) -> tuple[datetime, datetime]:
    """The current billing period: the live subscription's, else the calendar month (UTC)."""
    if (
        account is not None and account.effective_plan(now) != FREE and account.period_start is not None
        and account.period_end is not None and account.period_start <= now < account.period_end
    ):  # fmt: skip
        return account.period_start, account.period_end
    return month_of(now)


def usage(history: History, ledger: Ledger, settings: StudioSettings, owner: str, now: datetime | None = None) -> Usage:
    now = now or utc_now()
    account = ledger.account(owner)
    name = account.effective_plan(now) if account else FREE
    seats = account.seats if account and name != FREE else 1
    the_plan = plan(settings, name)
    start, end = period(account, now)
    used = len(history.owner_starts_since(owner, start))
    return Usage(owner, the_plan, seats, used, the_plan.quota(seats), history.running(owner), start, end)


def daily(history: History, owner: str, start: datetime, end: datetime) -> list[tuple[date, int]]:
    """Runs started each day of the period up to today (the Account page's chart)."""
    counts = Counter(t.date() for t in history.owner_starts_since(owner, start) if t < end)
    last = min(end - timedelta(microseconds=1), utc_now()).date()
    days, day = [], start.date()
    while day <= last:
        days.append((day, counts.get(day, 0)))
        day += timedelta(days=1)
    return days


def upgrade_hint(settings: StudioSettings, current: Plan, owner: str) -> str:
    better = [p for p in plans(settings).values() if p.price_id and p.quota() > current.quota()]
    if owner.startswith(ORG_PREFIX):
        better = [p for p in better if p.per_seat] or better
    else:
        better = [p for p in better if not p.per_seat] or better
    if not better:
        return "ask the studio's operator for a larger plan"
    nxt = better[0]
    return (
        f"upgrade to {nxt.label} ({nxt.monthly_generations} generations a month"
        f"{' per seat' if nxt.per_seat else ''}) with the Upgrade button on the Account page "
        f"({UPGRADE_PATH}{nxt.name})"
    )


def check(
    history: History, ledger: Ledger, settings: StudioSettings, owner: str, profile: str | None,
    *, now: datetime | None = None,
) -> Usage:  # fmt: skip
    """The owner's usage when one more run (with ``profile``) is allowed now; else ``QuotaExceeded`` or
    ``ConcurrencyExceeded``."""
    now = now or utc_now()
    u = usage(history, ledger, settings, owner, now)
    who = "this organization" if owner.startswith(ORG_PREFIX) else "you"
    resets = f"{u.period_end:%Y-%m-%d %H:%M} UTC"
    if profile is not None and not u.plan.allows_profile(profile):
        raise QuotaExceeded(
            f"the {u.plan.label} plan does not include the {profile!r} model profile "
            f"(it includes {', '.join(u.plan.profiles)})",
            hint=upgrade_hint(settings, u.plan, owner),
        )
    if u.used >= u.quota:
        raise QuotaExceeded(
            f"{who} used {u.used} of the {u.quota} generations the {u.plan.label} plan allows this period "
            f"(since {u.period_start:%Y-%m-%d}); the quota resets on {resets}",
            hint=upgrade_hint(settings, u.plan, owner),
        )
    if u.running >= u.plan.concurrent_runs:
        raise ConcurrencyExceeded(
            f"{who} already {'has' if who != 'you' else 'have'} {u.running} run{'s' if u.running != 1 else ''} going; "
            f"the {u.plan.label} plan allows {u.plan.concurrent_runs} at once",
            hint=f"wait for a run to finish, or {upgrade_hint(settings, u.plan, owner)}",
            retry_after_s=30,
        )
    return u
