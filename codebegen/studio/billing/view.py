"""The billing parts of the pages: the Account page's plan, usage chart and buttons; the Generate page's notice.

Owns HTML only (escaped, no script): ``account_html`` (first bringing an organization's
per-seat subscription in step with its members; then the workspace's plan, its usage this
period as a small SVG bar chart of runs a day, the Upgrade buttons, which go to
``/billing/checkout``, and the invoices link to the Customer Portal) and ``notice_html`` (on
the Generate page, when the quota is used up: the same message a refused run gets and an
Upgrade button). Both are empty while billing is off.
"""

from __future__ import annotations

import html
import logging

import gradio as gr

from codebegen.errors import EngineError
from codebegen.studio.billing import enabled
from codebegen.studio.billing.ledger import Ledger
from codebegen.studio.billing.plans import plans
from codebegen.studio.billing.quota import UPGRADE_PATH, QuotaExceeded, check, daily, usage
from codebegen.studio.billing.stripe_api import StripeBilling
from codebegen.studio.rate_limited import RateLimited
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import ORG_PREFIX, Store

log = logging.getLogger(__name__)


def _chart(days: list[tuple[object, int]]) -> str:
    if not days:
        return ""
    top = max(1, max(n for _, n in days))
    w, h, bar = 6 * len(days), 40, 5
    bars = "".join(
        f"<rect x='{i * 6}' y='{h - round(h * n / top)}' width='{bar}' height='{round(h * n / top)}' fill='#6366f1'>"
        f"<title>{d}: {n}</title></rect>"
        for i, (d, n) in enumerate(days)
    )
    return (f"<svg id='usage-chart' role='img' aria-label='runs a day this period' width='{max(w, 60)}' height='{h}' "
            f"style='border-bottom:1px solid #999'>{bars}</svg>")  # fmt: skip


def plan_name(store: Store, settings: StudioSettings, owner: str) -> str:
    """The plan ``owner`` is on now: billing's effective plan when billing is on, else the store's column."""
    if not enabled(settings):
        return store.plan(owner)
    account = Ledger.of(store.db).account(owner)
    return account.effective_plan() if account else "free"


def account_html(store: Store, settings: StudioSettings, owner: str) -> str:
    if not enabled(settings):
        return ""
    ledger = Ledger.of(store.db)
    if owner.startswith(ORG_PREFIX):  # a per-seat subscription follows the organization's members
        try:
            StripeBilling(store, settings, ledger).sync_seats(owner)
        except EngineError as exc:
            log.warning("could not bring the seats of %s in step: %s", owner, exc.message)
    u = usage(store.history, ledger, settings, owner)
    account = ledger.account(owner)
    where = "this organization" if owner.startswith(ORG_PREFIX) else "your workspace"
    seats = f", {u.seats} seats" if u.plan.per_seat else ""
    grace = ""
    if account is not None and account.grace_until is not None and u.plan.name != "free":
        grace = f" <b>A payment failed</b>: the plan stays until {account.grace_until:%Y-%m-%d %H:%M} UTC."
    buttons = "".join(
        f"<a class='lg secondary' id='upgrade-{p.name}' href='{UPGRADE_PATH}{p.name}' target='_self' "
        f"style='margin-right:8px;padding:4px 10px;border:1px solid #6366f1;border-radius:6px'>Upgrade to {p.label}</a>"
        for p in plans(settings).values()
        if p.price_id and p.name != u.plan.name and p.quota() > u.plan.quota()
        and p.per_seat == owner.startswith(ORG_PREFIX)
    )  # fmt: skip
    invoices = (
        "<a id='billing-portal' href='/billing/portal' target='_self'>Invoices and subscription (Stripe)</a>"
        if account is not None and account.customer_id
        else ""
    )
    return (
        f"<div id='billing'><p>Plan of {where}: <b id='billing-plan'>{html.escape(u.plan.label)}</b>{seats}. "
        f"Usage this period: <b id='billing-usage'>{u.used} of {u.quota}</b> generations "
        f"({u.period_start:%Y-%m-%d} to {u.period_end:%Y-%m-%d}), {u.plan.concurrent_runs} at once, "
        f"{u.plan.preview_minutes} preview minutes.{grace}</p>"
        f"{_chart(daily(store.history, owner, u.period_start, u.period_end))}"
        f"<p>{buttons} {invoices}</p></div>"
    )


def notice_html(store: Store, settings: StudioSettings, owner: str | None) -> str:
    """The quota message and an Upgrade button when ``owner`` may not start a run now; else empty."""
    if not enabled(settings) or owner is None:
        return ""
    try:
        check(store.history, Ledger.of(store.db), settings, owner, None)
    except QuotaExceeded as exc:
        return _notice(exc.message, exc.hint)
    except RateLimited:
        return ""
    return ""


def _notice(message: str, hint: str) -> str:
    link = hint[hint.rfind(UPGRADE_PATH) :].rstrip(")") if UPGRADE_PATH in hint else ""
    button = (
        f" <a id='notice-upgrade' href='{html.escape(link)}' target='_self' "
        f"style='padding:4px 10px;border:1px solid #6366f1;border-radius:6px'>Upgrade</a>"
        if link
        else ""
    )
    return f"<div id='billing-notice'><p><b>{html.escape(message)}</b>: {html.escape(hint)}.{button}</p></div>"


def notice(ctx: object, page: object, app: object) -> None:
    """The Generate page's quota notice: drawn when the page loads and again when Generate is pressed."""
    settings: StudioSettings = ctx.settings  # type: ignore[attr-defined]
    if not enabled(settings):
        return
    from codebegen.studio.store import open_store
    from codebegen.studio.users import signed_in

    store = open_store(settings.database, settings.database_url)
    box = gr.HTML(elem_id="billing-notice-box")

    def draw(request: gr.Request) -> str:
        return notice_html(store, settings, signed_in(request, settings))

    app.load(draw, None, box, queue=False)  # type: ignore[attr-defined]
    page.generate.click(draw, None, box, queue=False)  # type: ignore[attr-defined]
