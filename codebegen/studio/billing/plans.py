"""The plans a studio sells: free, pro and team, each with its limits and its Stripe price.

Owns ``Plan`` and ``plans(settings)``: the built-in limits (``BUILTIN``) changed by
``settings.billing_plans`` (JSON) and joined to the price ids ``stripe_price_pro`` and
``stripe_price_team``. The team plan is priced per seat: its generation quota is per seat and
its subscription's quantity follows the organization's members (``codebegen.studio.billing.ledger``).
``plan_for_price`` reads a Stripe price id back to a plan's name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from codebegen.studio.settings import StudioSettings

FREE = "free"


@dataclass(frozen=True)
class Plan:
    name: str
    label: str
    monthly_generations: int  # per seat for a per-seat plan
    concurrent_runs: int
    preview_minutes: int
    profiles: tuple[str, ...]  # the model profiles it may use; () = every profile the studio offers
    price_id: str = ""
    per_seat: bool = False

    def quota(self, seats: int = 1) -> int:
        return self.monthly_generations * (max(1, seats) if self.per_seat else 1)

    def allows_profile(self, profile: str) -> bool:
        return not self.profiles or profile in self.profiles


BUILTIN: dict[str, Plan] = {
    "free": Plan("free", "Free", 20, 1, 0, ("default", "fake")),
    "pro": Plan("pro", "Pro", 500, 3, 600, ()),
    "team": Plan("team", "Team", 1000, 6, 3000, (), per_seat=True),
}


def plans(settings: StudioSettings) -> dict[str, Plan]:
    """The plans of this studio, free first."""
    prices = {"pro": settings.stripe_price_pro, "team": settings.stripe_price_team}
    out = {}
    for name, plan in BUILTIN.items():
        changes: dict[str, Any] = dict(settings.billing_plans.get(name, {}))
        if "profiles" in changes:
            changes["profiles"] = tuple(changes["profiles"])
        out[name] = replace(plan, **changes, price_id=prices.get(name, ""))
    return out


def plan(settings: StudioSettings, name: str) -> Plan:
    found = plans(settings)
    return found.get(name, found[FREE])


def plan_for_price(settings: StudioSettings, price_id: str | None) -> str | None:
    """The plan sold at Stripe price ``price_id``, or None for a price this studio does not sell."""
    for p in plans(settings).values():
        if p.price_id and p.price_id == price_id:
            return p.name
    return None
