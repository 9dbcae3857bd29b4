"""Billing with Stripe: plans, their quotas, subscriptions and the Stripe webhook.

``plans`` (what each plan allows, from the settings), ``ledger`` (the billing accounts and the
webhook events seen, in the studio's database), ``quota`` (usage this period and the admission
check), ``stripe_api`` (the few Stripe calls the studio makes), ``web`` (``/webhooks/stripe``,
``/billing/checkout``, ``/billing/portal``) and ``view`` (the HTML the Account and Generate pages
show). Billing is off while ``stripe_secret_key`` is unset: every run is admitted as before and
no billing UI shows.
"""

from __future__ import annotations

from codebegen.studio.settings import StudioSettings


def enabled(settings: StudioSettings) -> bool:
    """Whether this studio bills (a Stripe secret key is configured)."""
    return bool(settings.stripe_secret_key)
