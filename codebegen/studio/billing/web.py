"""The billing routes of the studio's server: ``/webhooks/stripe`` and ``/billing/{checkout,portal}``.

Owns the webhook: the ``Stripe-Signature`` header checked on the raw body with
``stripe.Webhook.construct_event`` (tolerance 300 s; a bad or stale signature is ``400`` and
changes nothing), each event processed once (its id stored after it was applied; a replay is
answered ``200`` with ``"replay"`` and ignored), and the handled types:
``checkout.session.completed`` (links the customer to the run owner in ``client_reference_id``
and applies the new subscription), ``customer.subscription.created/updated/deleted`` and
``invoice.paid`` (and its older name ``invoice.payment_succeeded``; the subscription is fetched from the API and its *current* state applied,
so events arriving out of order cannot leave an old state behind; without a reachable API the
event's own object is applied unless a newer one was), ``invoice.payment_failed`` (a grace
period of ``billing_grace_days`` starts; when it ends the owner is back on free). Other types
are acknowledged. The ``/billing`` routes need the browser's signed-in session and redirect
to Stripe's Checkout or Customer Portal for the session's workspace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import stripe
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from codebegen.errors import EngineError
from codebegen.studio.billing.ledger import subscription_state
from codebegen.studio.billing.stripe_api import BillingError, StripeBilling
from codebegen.studio.database import utc_now
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import ORG_PREFIX, Store, allows
from codebegen.studio.users import account, person, signed_in

log = logging.getLogger(__name__)
TOLERANCE_S = 300
SUBSCRIPTION_EVENTS = ("customer.subscription.created", "customer.subscription.updated",
                       "customer.subscription.deleted")  # fmt: skip


def process(billing: StripeBilling, event: dict[str, Any]) -> str:
    """Apply one verified event; what was done, in a word or two."""
    kind, obj = event["type"], event["data"]["object"]
    created = int(event.get("created") or 0)
    ledger = billing.ledger
    if kind == "checkout.session.completed":
        owner = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("owner")
        if owner and obj.get("customer"):
            ledger.link_customer(owner, obj["customer"])
        if obj.get("subscription"):
            return _refresh(billing, obj["subscription"], owner, None, created)
        return "linked"
    if kind in SUBSCRIPTION_EVENTS:
        return _refresh(billing, obj["id"], None, obj, created)
    if kind in ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"):
        owner = ledger.owner_of_customer(obj.get("customer"))
        if owner is None:
            return "unknown customer"
        if kind == "invoice.payment_failed":
            ledger.set_grace(owner, utc_now() + timedelta(days=billing.settings.billing_grace_days))
        else:
            ledger.set_grace(owner, None)
        sub_id = obj.get("subscription") or ((obj.get("parent") or {}).get("subscription_details") or {}).get(
            "subscription"
        )
        if sub_id:
            _refresh(billing, sub_id, owner, None, created)
        return "grace started" if kind == "invoice.payment_failed" else "paid"
    return "ignored type"


def _refresh(billing: StripeBilling, sub_id: str, owner: str | None, obj: dict[str, Any] | None, created: int) -> str:
    try:
        return "applied " + str(billing.refresh(sub_id, owner))
    except BillingError as exc:
        if obj is None:
            raise
        log.warning("could not fetch subscription %s (%s); applying the event's own object", sub_id, exc.message)
        found = billing.apply(subscription_state(obj), owner, as_of=created)
        return f"applied event object {found}"


def webhook_router(store: Store, settings: StudioSettings) -> APIRouter:
    routes = APIRouter()
    billing = StripeBilling(store, settings)

    @routes.post("/webhooks/stripe", include_in_schema=False)
    async def stripe_webhook(request: Request) -> JSONResponse:
        payload = await request.body()
        try:
            stripe.Webhook.construct_event(
                payload, request.headers.get("stripe-signature"), settings.stripe_webhook_secret, tolerance=TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            return JSONResponse({"detail": f"bad signature: {exc.user_message or exc}"}, status_code=400)
        except ValueError:
            return JSONResponse({"detail": "the body is not a Stripe event"}, status_code=400)
        event = json.loads(payload)
        if await asyncio.to_thread(billing.ledger.seen, event["id"]):
            return JSONResponse({"received": True, "replay": True})
        try:
            done = await asyncio.to_thread(process, billing, event)
        except EngineError as exc:  # Stripe will retry; nothing is recorded
            return JSONResponse({"detail": exc.message}, status_code=503)
        billing.ledger.record_event(event["id"], event["type"], int(event.get("created") or 0))
        return JSONResponse({"received": True, "result": done})

    return routes


def billing_router(store: Store, settings: StudioSettings) -> APIRouter:
    routes = APIRouter(prefix="/billing")
    billing = StripeBilling(store, settings)

    def owner_of(request: Request) -> tuple[str, str]:
        """The session's workspace (when its person may manage it) and the person's email."""
        as_gradio = SimpleNamespace(request=request)  # codebegen.studio.users reads a gr.Request's Starlette request
        user = person(as_gradio, settings)  # type: ignore[arg-type]
        if user is None:
            raise BillingError("sign in to buy a plan", hint="use a 'Sign in with' link at the top of the studio")
        owner = signed_in(as_gradio, settings) or user  # type: ignore[arg-type]
        if owner.startswith(ORG_PREFIX) and not allows(store.role(owner[len(ORG_PREFIX) :], user), "manage_org"):
            raise BillingError(f"only an owner of {owner[len(ORG_PREFIX) :]} may change its plan", hint="ask an owner")
        info = account(request.session) or {}
        return owner, str(info.get("email") or "")

    def base(request: Request) -> str:
        return (settings.public_url or str(request.base_url)).rstrip("/")

    def refused(exc: EngineError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=400)

    @routes.get("/checkout", include_in_schema=False)
    def checkout(request: Request, plan: str = "pro") -> Any:
        try:
            owner, email = owner_of(request)
            url = billing.checkout_url(owner, plan, f"{base(request)}/?billing=done", f"{base(request)}/", email)
        except EngineError as exc:
            return refused(exc)
        return RedirectResponse(url, status_code=303)

    @routes.get("/portal", include_in_schema=False)
    def portal(request: Request) -> Any:
        try:
            owner, _ = owner_of(request)
            url = billing.portal_url(owner, f"{base(request)}/")
        except EngineError as exc:
            return refused(exc)
        return RedirectResponse(url, status_code=303)

    return routes
