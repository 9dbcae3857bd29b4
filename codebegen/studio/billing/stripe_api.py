"""The Stripe calls the studio makes, and how their answers reach the ledger.

Owns ``StripeBilling``: one ``stripe.StripeClient`` (at ``stripe_api_base`` when set, e.g. a
localstripe in the tests) and the operations the pages and the webhook need: a customer per
run owner (``metadata.owner``), a Checkout Session for a plan (a team plan's quantity is the
organization's member count), a Customer Portal session (plan changes, cancellation,
invoices), ``refresh`` (fetch a subscription's own current state and apply it: how
out-of-order webhook events are resolved) and ``sync_seats`` (a team subscription's quantity
set to the organization's members, when they differ). Stripe errors become ``BillingError``.
"""

from __future__ import annotations

import time
from typing import Any

import stripe

from codebegen.errors import EngineError
from codebegen.studio.billing.ledger import Ledger, subscription_state
from codebegen.studio.billing.plans import FREE, plan_for_price, plans
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import ORG_PREFIX, Store


class BillingError(EngineError):
    """Stripe refused or could not be reached."""


def client(settings: StudioSettings) -> stripe.StripeClient:
    base = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key or "",
        base_addresses=base,
        max_network_retries=1,  # type: ignore[arg-type]
    )


class StripeBilling:
    def __init__(self, store: Store, settings: StudioSettings, ledger: Ledger | None = None) -> None:
        self.store, self.settings = store, settings
        self.ledger = ledger or Ledger.of(store.db)
        self.stripe = client(settings)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise BillingError(f"Stripe refused to {what}: {exc.user_message or exc}",
                               hint="try again; if it persists, the studio's Stripe settings need a look") from None  # fmt: skip

    def seats(self, owner: str) -> int:
        if not owner.startswith(ORG_PREFIX):
            return 1
        with self.store.db.tx() as cur:
            (n,) = cur.execute(
                "SELECT count(*) FROM memberships WHERE org_id = ?", [owner[len(ORG_PREFIX) :]]
            ).fetchone()
        return max(1, int(n))

    def customer(self, owner: str, email: str = "") -> str:
        """The Stripe customer of ``owner``, created on first use."""
        account = self.ledger.account(owner)
        if account is not None and account.customer_id:
            return account.customer_id
        params: dict[str, Any] = {"metadata": {"owner": owner}, "description": owner}
        if email:
            params["email"] = email
        created = self._call("create a customer", self.stripe.v1.customers.create, params)
        self.ledger.link_customer(owner, created.id)
        return str(created.id)

    def checkout_url(self, owner: str, plan_name: str, success_url: str, cancel_url: str, email: str = "") -> str:
        the_plan = plans(self.settings).get(plan_name)
        if the_plan is None or not the_plan.price_id:
            raise BillingError(f"there is no plan {plan_name!r} to buy here",
                               hint="the studio's operator sets CODEBEGEN_STUDIO_STRIPE_PRICE_PRO / _TEAM")  # fmt: skip
        quantity = self.seats(owner) if the_plan.per_seat else 1
        session = self._call(
            "start a checkout", self.stripe.v1.checkout.sessions.create,
            {
                "mode": "subscription", "customer": self.customer(owner, email), "client_reference_id": owner,
                "line_items": [{"price": the_plan.price_id, "quantity": quantity}],
                "subscription_data": {"metadata": {"owner": owner, "plan": the_plan.name}},
                "metadata": {"owner": owner, "plan": the_plan.name},
                "success_url": success_url, "cancel_url": cancel_url,
            },
        )  # fmt: skip
        return str(session.url)

    def portal_url(self, owner: str, return_url: str) -> str:
        session = self._call(
            "open the billing portal", self.stripe.v1.billing_portal.sessions.create,
            {"customer": self.customer(owner), "return_url": return_url},
        )  # fmt: skip
        return str(session.url)

    def refresh(self, subscription_id: str, owner: str | None = None) -> str | None:
        """Fetch the subscription's current state from Stripe and apply it; the owner it belongs to."""
        sub = self._call("read a subscription", self.stripe.v1.subscriptions.retrieve, subscription_id).to_dict()
        return self.apply(subscription_state(sub), owner, as_of=int(time.time()))

    def apply(self, state: dict[str, Any], owner: str | None, *, as_of: int) -> str | None:
        owner = owner or state["owner"] or self.ledger.owner_of_customer(state["customer"])
        if owner is None:
            return None
        name = plan_for_price(self.settings, state["price_id"]) or FREE
        self.ledger.apply_subscription(owner, state, name, as_of=as_of)
        return owner

    def sync_seats(self, owner: str) -> bool:
        """Set a per-seat subscription's quantity to the organization's members; True when it changed."""
        account = self.ledger.account(owner)
        if account is None or not account.subscription_id or account.status not in ("active", "trialing", "past_due"):
            return False
        the_plan = plans(self.settings).get(account.plan)
        wanted = self.seats(owner)
        if the_plan is None or not the_plan.per_seat or wanted == account.seats:
            return False
        sub = self._call("read a subscription", self.stripe.v1.subscriptions.retrieve, account.subscription_id)
        state = subscription_state(sub.to_dict())
        self._call(
            "change the number of seats", self.stripe.v1.subscriptions.update, account.subscription_id,
            {"items": [{"id": state["item_id"], "quantity": wanted}]},
        )  # fmt: skip
        self.refresh(account.subscription_id, owner)
        return True
