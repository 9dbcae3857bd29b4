"""Billing: plans and quotas, the Stripe webhook with locally signed payloads, the lifecycle against localstripe.

The webhook is the real router (``codebegen.studio.billing.web``) in a FastAPI app, fed payloads signed
here the way Stripe signs them (``t=<time>,v1=<HMAC-SHA256 of "t.body">``). The lifecycle
runs against **localstripe** (PyPI), a local imitation of Stripe's API started as a
subprocess on a loopback port: it creates customers, plans and subscriptions, changes them,
and delivers its own signed webhooks to a served studio. localstripe has no
``/v1/checkout/sessions`` and no ``/v1/billing_portal/sessions`` (both answer 404), so the
lifecycle creates the subscription through the API the way a completed Checkout would, and
the ``checkout.session.completed`` handling is exercised with signed payloads only. Nor does
localstripe send ``customer.subscription.updated`` (it sends ``created``, ``deleted``,
``invoice.payment_succeeded``/``payment_failed``), so after an upgrade the test posts the
``updated`` event Stripe would send, signed here; the state still comes from localstripe. No live
Stripe account is involved anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import stripe
from fastapi import FastAPI
from fastapi.testclient import TestClient

from codebegen.studio.billing.ledger import Ledger
from codebegen.studio.billing.quota import ConcurrencyExceeded, QuotaExceeded, check, usage
from codebegen.studio.billing.stripe_api import BillingError, StripeBilling
from codebegen.studio.billing.web import webhook_router
from codebegen.studio.database import utc_now
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import Store, open_store
from tests.helpers.browser import enter_prompt, generate_and_wait, open_tab
from tests.helpers.studio import free_port, screenshot, serve_with

WHSEC = "whsec_test_0123456789abcdef"
PRICES = {"stripe_price_pro": "price_pro", "stripe_price_team": "price_team"}


def sign(payload: bytes, secret: str = WHSEC, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def subscription(
    sub_id: str = "sub_1", price: str = "price_pro", *, status: str = "active", quantity: int = 1,
    owner: str = "local", customer: str = "cus_1",
) -> dict[str, Any]:  # fmt: skip
    now = int(time.time())
    return {
        "id": sub_id, "object": "subscription", "customer": customer, "status": status,
        "metadata": {"owner": owner}, "current_period_start": now - 86400, "current_period_end": now + 29 * 86400,
        "items": {"data": [{"id": "si_1", "quantity": quantity, "price": {"id": price}}]},
    }  # fmt: skip


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None) -> bytes:
    body = {
        "id": event_id or f"evt_{kind}_{time.time_ns()}", "object": "event", "type": kind,
        "created": created or int(time.time()), "data": {"object": obj},
    }  # fmt: skip
    return json.dumps(body).encode()


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens: the API cannot be reached


def billing_settings(settings: StudioSettings, api_base: str, **changes: Any) -> StudioSettings:
    return settings.model_copy(
        update={
            "stripe_secret_key": "sk_test_local",
            "stripe_webhook_secret": WHSEC,
            "stripe_api_base": api_base,
            **PRICES,
            **changes,
        }  # fmt: skip
    )


@pytest.fixture
def hooked(studio_settings: StudioSettings) -> Iterator[tuple[TestClient, Store, StudioSettings]]:
    """The webhook router alone, with no Stripe API reachable (so each event's own object is applied)."""
    settings = billing_settings(studio_settings, closed_port_url())
    store = open_store(settings.database)
    app = FastAPI()
    app.include_router(webhook_router(store, settings))
    with TestClient(app) as client:
        yield client, store, settings


def post(client: TestClient, payload: bytes, signature: str | None = None) -> httpx.Response:
    headers = {"Stripe-Signature": signature if signature is not None else sign(payload)}
    return client.post("/webhooks/stripe", content=payload, headers=headers | {"Content-Type": "application/json"})


def plan_of(store: Store, owner: str = "local", now: Any = None) -> str:
    account = Ledger.of(store.db).account(owner)
    return account.effective_plan(now) if account else "free"


# --- plans and quotas ---------------------------------------------------------------------------


def test_the_quota_names_limit_usage_reset_and_upgrade(studio_settings: StudioSettings) -> None:
    settings = billing_settings(studio_settings, closed_port_url(), billing_plans={"free": {"monthly_generations": 2}})
    store = open_store(settings.database)
    ledger = Ledger.of(store.db)
    history = store.history
    assert check(history, ledger, settings, "local", "fake").used == 0
    for _ in range(2):
        run = history.start("local", prompt="p", template="fastapi-sqlalchemy", profile="fake")
        history.finish("local", run, status="passed")
    history.delete("local", run)  # a deleted run still counts
    with pytest.raises(QuotaExceeded) as refused:
        check(history, ledger, settings, "local", "fake")
    text = f"{refused.value.message}; {refused.value.hint}"
    assert "used 2 of the 2 generations the Free plan allows" in text
    assert "resets on" in text and "/billing/checkout?plan=pro" in text and "Upgrade" in text
    with pytest.raises(QuotaExceeded, match="does not include the 'gpu' model profile"):
        check(history, ledger, settings, "other", "gpu")
    # another owner's runs are not this one's
    assert usage(history, ledger, settings, "org:acme").used == 0


def test_concurrent_runs_of_the_plan(studio_settings: StudioSettings) -> None:
    settings = billing_settings(studio_settings, closed_port_url())
    store = open_store(settings.database)
    history, ledger = store.history, Ledger.of(store.db)
    run = history.start("local", prompt="p", template="fastapi-sqlalchemy", profile="fake")
    with pytest.raises(ConcurrencyExceeded, match="allows 1 at once"):
        check(history, ledger, settings, "local", "fake")
    history.finish("local", run, status="failed")
    check(history, ledger, settings, "local", "fake")


def test_billing_off_admits_everything(studio_settings: StudioSettings) -> None:
    from codebegen.studio.limits import admission

    store = open_store(studio_settings.database)
    for _ in range(25):  # more than the free plan's 20
        with admission(store.history, studio_settings, "local", owner="local", profile="gpu"):
            store.history.start("local", prompt="p", template="fastapi-sqlalchemy", profile="gpu")
    assert studio_settings.stripe_secret_key is None


# --- the webhook with locally signed payloads ---------------------------------------------------


def test_a_valid_event_changes_the_plan(hooked: tuple[TestClient, Store, StudioSettings]) -> None:
    client, store, _ = hooked
    assert plan_of(store) == "free"
    r = post(client, event("customer.subscription.created", subscription()))
    assert r.status_code == 200, r.text
    assert plan_of(store) == "pro"
    assert store.plan("local") == "free" or store.user("local") is None  # no users row for the local user


@pytest.mark.parametrize("case", ["wrong secret", "stale timestamp", "tampered body", "no signature", "not json"])
def test_a_bad_signature_is_400_and_changes_nothing(
    hooked: tuple[TestClient, Store, StudioSettings], case: str
) -> None:
    client, store, _ = hooked
    payload = event("customer.subscription.created", subscription())
    if case == "wrong secret":
        r = post(client, payload, sign(payload, "whsec_someone_else"))
    elif case == "stale timestamp":
        r = post(client, payload, sign(payload, at=int(time.time()) - 301))
    elif case == "tampered body":
        signature = sign(payload)
        r = post(client, payload.replace(b"price_pro", b"price_team"), signature)
    elif case == "no signature":
        r = post(client, payload, "")
    else:
        r = post(client, b"not json", sign(b"not json"))
    assert r.status_code == 400, r.text
    assert plan_of(store) == "free"
    assert Ledger.of(store.db).events() == []


def test_a_timestamp_inside_the_tolerance_is_accepted(hooked: tuple[TestClient, Store, StudioSettings]) -> None:
    client, store, _ = hooked
    payload = event("customer.subscription.created", subscription())
    assert post(client, payload, sign(payload, at=int(time.time()) - 250)).status_code == 200
    assert plan_of(store) == "pro"


def test_a_replayed_event_is_acknowledged_and_ignored(hooked: tuple[TestClient, Store, StudioSettings]) -> None:
    client, store, _ = hooked
    first = event("customer.subscription.created", subscription(), event_id="evt_once", created=1000)
    assert post(client, first).json()["result"].startswith("applied")
    later = event("customer.subscription.updated", subscription(price="price_team", quantity=3), created=2000)
    assert post(client, later).status_code == 200 and plan_of(store) == "team"
    again = post(client, first)
    assert again.status_code == 200 and again.json() == {"received": True, "replay": True}
    assert plan_of(store) == "team"  # the replay did not put pro back
    assert [e for e, _ in Ledger.of(store.db).events()].count("evt_once") == 1


def test_out_of_order_updates_keep_the_newest_state(hooked: tuple[TestClient, Store, StudioSettings]) -> None:
    client, store, _ = hooked
    newer = event("customer.subscription.updated", subscription(price="price_team", quantity=4), created=2000)
    older = event("customer.subscription.updated", subscription(price="price_pro"), created=1000)
    assert post(client, newer).status_code == 200
    assert post(client, older).status_code == 200  # acknowledged, so Stripe stops resending it
    account = Ledger.of(store.db).account("local")
    assert account is not None and account.plan == "team" and account.seats == 4
    deleted = event("customer.subscription.deleted", subscription(price="price_team", status="canceled"), created=3000)
    assert post(client, deleted).status_code == 200
    assert plan_of(store) == "free"


def test_checkout_completed_links_the_customer(hooked: tuple[TestClient, Store, StudioSettings]) -> None:
    client, store, _ = hooked
    session = {"id": "cs_1", "object": "checkout.session", "client_reference_id": "org:acme", "customer": "cus_9"}
    assert post(client, event("checkout.session.completed", session)).status_code == 200
    assert Ledger.of(store.db).owner_of_customer("cus_9") == "org:acme"
    # a later subscription event of that customer (no owner in its metadata) lands on the organization
    sub = subscription(price="price_team", quantity=2, customer="cus_9") | {"metadata": {}}
    assert post(client, event("customer.subscription.created", sub)).status_code == 200
    assert plan_of(store, "org:acme") == "team"


def test_a_failed_payment_keeps_the_plan_for_the_grace_period_then_free(
    hooked: tuple[TestClient, Store, StudioSettings],
) -> None:
    client, store, settings = hooked
    assert post(client, event("customer.subscription.created", subscription())).status_code == 200
    invoice = {"id": "in_1", "object": "invoice", "customer": "cus_1"}
    assert post(client, event("invoice.payment_failed", invoice)).status_code == 200
    account = Ledger.of(store.db).account("local")
    assert account is not None and account.grace_until is not None
    assert plan_of(store) == "pro"
    after = utc_now() + timedelta(days=settings.billing_grace_days, minutes=1)
    assert plan_of(store, now=after) == "free"
    assert post(client, event("invoice.paid", invoice)).status_code == 200
    assert plan_of(store, now=after) == "pro"


@pytest.mark.slow
def test_no_webhook_route_without_its_secret(studio_settings: StudioSettings) -> None:
    from codebegen.studio.app import create_app
    from codebegen.studio.server import create_server

    payload = event("customer.subscription.created", subscription())
    headers = {"Stripe-Signature": sign(payload)}
    off = TestClient(create_server(create_app(studio_settings)))
    assert off.post("/webhooks/stripe", content=payload, headers=headers).status_code in (404, 405)
    assert off.get("/billing/checkout?plan=pro", follow_redirects=False).status_code == 404
    on = TestClient(create_server(create_app(billing_settings(studio_settings, closed_port_url()))))
    assert on.post("/webhooks/stripe", content=payload, headers=headers).status_code == 200
    assert on.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400
    # the checkout route exists; the Stripe API is unreachable here, so it says so
    refused = on.get("/billing/checkout?plan=pro", follow_redirects=False)
    assert refused.status_code == 400 and "Stripe refused to start a checkout" in refused.json()["detail"]


# --- the subscription lifecycle against localstripe ---------------------------------------------


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    pytest.importorskip("localstripe")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/customers", headers={"Authorization": "Bearer sk_test_local"}, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise AssertionError("localstripe did not start") from None
                time.sleep(0.2)
        api = stripe.StripeClient("sk_test_local", base_addresses={"api": url})
        for price, amount in (("price_pro", 1500), ("price_team", 1200)):
            api.v1.plans.create(
                {"id": price, "amount": amount, "currency": "usd", "interval": "month", "product": {"name": price}}
            )
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for(predicate: Any, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def pay_by_card(api: stripe.StripeClient, customer: str) -> None:
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    pm = api.v1.payment_methods.create({"type": "card", "card": card})
    api.v1.payment_methods.attach(pm.id, {"customer": customer})
    api.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": pm.id}})


@pytest.mark.slow
def test_the_subscription_lifecycle_against_localstripe(studio_settings: StudioSettings, localstripe: str) -> None:
    settings = billing_settings(studio_settings, localstripe, billing_plans={"free": {"monthly_generations": 1}})
    served = serve_with(settings)
    try:
        api = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe})
        r = httpx.post(
            f"{localstripe}/_config/webhooks/studio", data={"url": f"{served.url}/webhooks/stripe", "secret": WHSEC}
        )
        assert r.status_code == 200, r.text
        store = open_store(settings.database)
        history, ledger = store.history, Ledger.of(store.db)
        alice, bob = "oidc:kc:alice", "oidc:kc:bob"
        store.upsert_user(alice, provider="oidc", name="Alice")
        store.upsert_user(bob, provider="oidc", name="Bob")
        store.create_org(alice, "acme")
        owner = "org:acme"
        billing = StripeBilling(store, settings)

        # free: one generation a month, then 402
        check(history, ledger, settings, owner, "fake")
        run = history.start(owner, prompt="p", template="fastapi-sqlalchemy", profile="fake", actor=alice)
        history.finish(owner, run, status="passed")
        with pytest.raises(QuotaExceeded, match="used 1 of the 1"):
            check(history, ledger, settings, owner, "fake")

        # the customer, then Checkout: localstripe has no Checkout Sessions, said plainly
        customer = billing.customer(owner, "alice@example.com")
        assert api.v1.customers.retrieve(customer).metadata["owner"] == owner
        with pytest.raises(BillingError, match="start a checkout"):
            billing.checkout_url(owner, "team", "http://x/ok", "http://x/no")
        pay_by_card(api, customer)

        # the subscription a completed Checkout would create: pro, one seat
        sub = api.v1.subscriptions.create(
            {"customer": customer, "items": [{"plan": "price_pro", "quantity": 1}], "metadata": {"owner": owner}}
        )
        wait_for(lambda: plan_of(store, owner) == "pro", "the created subscription's webhook")
        assert check(history, ledger, settings, owner, "gpu").quota == 500  # and pro may use every profile
        assert store.plan(owner) == "pro"

        # upgrade to team (per seat)
        item = sub.to_dict()["items"]["data"][0]["id"]
        api.v1.subscriptions.update(sub.id, {"items": [{"id": item, "plan": "price_team"}]})
        # localstripe sends no customer.subscription.updated: post the one Stripe would, signed here, with a
        # stale object (still pro); the studio fetches the subscription from localstripe and applies that
        stale = subscription(sub.id, "price_pro", customer=customer, owner=owner)
        payload = event("customer.subscription.updated", stale)
        r = httpx.post(f"{served.url}/webhooks/stripe", content=payload, headers={"Stripe-Signature": sign(payload)})
        assert r.status_code == 200, r.text
        assert plan_of(store, owner) == "team"
        assert usage(history, ledger, settings, owner).quota == 1000

        # a seat more: bob joins, the quantity follows the members
        store.accept(store.invite("acme", alice, "member"), bob)
        assert billing.sync_seats(owner) is True
        assert api.v1.subscriptions.retrieve(sub.id).to_dict()["items"]["data"][0]["quantity"] == 2
        account = ledger.account(owner)
        assert account is not None and account.seats == 2
        assert usage(history, ledger, settings, owner).quota == 2000
        assert billing.sync_seats(owner) is False  # in step: nothing to change
        # a third member: drawing the organization's Account page brings the quantity in step
        carol = "oidc:kc:carol"
        store.upsert_user(carol, provider="oidc", name="Carol")
        store.accept(store.invite("acme", alice, "viewer"), carol)
        from codebegen.studio.billing.view import account_html

        assert "3 seats" in account_html(store, settings, owner)
        assert api.v1.subscriptions.retrieve(sub.id).to_dict()["items"]["data"][0]["quantity"] == 3
        assert usage(history, ledger, settings, owner).quota == 3000

        # cancellation: back to free, and the free quota (used up) refuses again
        api.v1.subscriptions.cancel(sub.id)
        wait_for(lambda: plan_of(store, owner) == "free", "the cancellation's webhook")
        assert store.plan(owner) == "free"
        with pytest.raises(QuotaExceeded, match="used 1 of the 1"):
            check(history, ledger, settings, owner, "fake")
        kinds = {k for _, k in ledger.events()}  # localstripe's own deliveries and the one posted above
        assert {"customer.subscription.created", "customer.subscription.updated",
                "customer.subscription.deleted", "invoice.payment_succeeded"} <= kinds  # fmt: skip
    finally:
        served.app.close()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_out_of_order_events_are_resolved_by_the_api(studio_settings: StudioSettings, localstripe: str) -> None:
    """An old 'updated' event arriving last: the studio fetches the subscription and keeps its real state."""
    settings = billing_settings(studio_settings, localstripe)
    store = open_store(settings.database)
    app = FastAPI()
    app.include_router(webhook_router(store, settings))
    api = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe})
    customer = api.v1.customers.create({"metadata": {"owner": "local"}}).id
    pay_by_card(api, customer)
    sub = api.v1.subscriptions.create({"customer": customer, "items": [{"plan": "price_team", "quantity": 3}],
                                       "metadata": {"owner": "local"}}).to_dict()  # fmt: skip
    stale = subscription(sub["id"], "price_pro", customer=customer)  # what an old event said
    with TestClient(app) as client:
        r = post(client, event("customer.subscription.updated", stale, created=int(time.time()) + 3600))
    assert r.status_code == 200, r.text
    account = Ledger.of(store.db).account("local")
    assert account is not None and account.plan == "team" and account.seats == 3  # the API's state, not the event's
    api.v1.subscriptions.cancel(sub["id"])


# --- the REST API and the browser ---------------------------------------------------------------


@pytest.fixture
def billed(studio_settings: StudioSettings) -> Iterator[Any]:
    """A served studio (the local user, no login) billing with a two-generation free plan; no Stripe API reachable."""
    settings = billing_settings(studio_settings, closed_port_url(), billing_plans={"free": {"monthly_generations": 2}})
    served = serve_with(settings)
    try:
        yield served
    finally:
        served.app.close()


def use_up_free_generations(store: Store, n: int = 2, owner: str = "local") -> None:
    for _ in range(n):
        run = store.history.start(owner, prompt="an earlier run", template="fastapi-sqlalchemy", profile="fake")
        store.history.finish(owner, run, status="passed")


def test_the_rest_api_answers_402_over_the_quota_and_429_over_concurrency(billed: Any) -> None:
    store = open_store(billed.settings.database)
    _, secret = store.create_key("local", "ci")
    api = httpx.Client(base_url=f"{billed.url}/api/v1", headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    body = {"prompt": "A notes API: notes with a title and a body.", "profile": "fake"}
    gpu = api.post("/generations", json=body | {"profile": "gpu"})
    assert gpu.status_code == 402 and "does not include the 'gpu' model profile" in gpu.json()["detail"]
    running = store.history.start("local", prompt="still going", template="fastapi-sqlalchemy", profile="fake")
    busy = api.post("/generations", json=body)
    assert busy.status_code == 429 and "allows 1 at once" in busy.json()["detail"], busy.text
    assert busy.headers["Retry-After"] == "30"
    store.history.finish("local", running, status="passed")  # that one counted
    use_up_free_generations(store, 1)
    over = api.post("/generations", json=body)
    assert over.status_code == 402, over.text
    detail = over.json()
    assert "used 2 of the 2 generations the Free plan allows" in detail["detail"] and "resets on" in detail["detail"]
    assert "/billing/checkout?plan=pro" in detail["hint"]


@pytest.mark.slow
def test_a_free_user_at_the_quota_upgrades_and_runs_again(billed: Any, page: Any) -> None:
    store = open_store(billed.settings.database)
    use_up_free_generations(store)
    page.goto(billed.url)
    notice = page.locator("#billing-notice")
    notice.wait_for()
    assert "used 2 of the 2 generations" in notice.inner_text()
    upgrade = page.locator("#notice-upgrade")
    assert upgrade.is_visible() and upgrade.get_attribute("href") == "/billing/checkout?plan=pro"
    enter_prompt(page)
    page.locator("#generate").click()
    page.get_by_text("used 2 of the 2 generations the Free plan allows").first.wait_for()
    page.locator("#generate").wait_for(state="visible")
    assert page.locator("#cancel").is_hidden()  # the run did not start
    open_tab(page, "Account")
    page.locator("#billing-plan").wait_for()
    assert page.locator("#billing-plan").inner_text() == "Free"
    assert page.locator("#upgrade-pro").is_visible() and page.locator("#usage-chart").count() == 1
    screenshot(page, "billing-at-quota")

    payload = event("customer.subscription.created", subscription(customer="cus_local"))
    r = httpx.post(f"{billed.url}/webhooks/stripe", content=payload, headers={"Stripe-Signature": sign(payload)})
    assert r.status_code == 200, r.text

    page.reload()
    enter_prompt(page)
    generate_and_wait(page)
    assert page.locator("#billing-notice").count() == 0
    open_tab(page, "Account")
    page.locator("#billing-plan").filter(has_text="Pro").wait_for()
    assert "3 of 500" in page.locator("#billing-usage").inner_text()
    assert page.locator("#billing-portal").is_visible()  # the invoices link, now that there is a customer
    screenshot(page, "billing-after-upgrade")
