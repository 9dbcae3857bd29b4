"""Per-visitor limits on a shared studio (the public Space): prompt size and runs per hour.

Owns the admission of a run: ``admission(history, settings, user, prompt)`` refuses, with an
``EngineError`` that says what to do, a prompt longer than ``max_prompt_chars`` or a user who
already started ``runs_per_hour`` runs in the last hour (0: no limit, the local default), and
otherwise lets the caller start the run while it holds the lock, so two clicks of one visitor
cannot both slip under the limit. Runs are counted from the history's ledger of starts, which
outlives deleted runs and restarts. The REST API adds ``check_key``: at most ``api_runs_per_hour_per_key`` runs an hour per API key,
from the same ledger. A refused run is ``RateLimited`` (``codebegen.studio.rate_limited``), with the seconds until one
more is allowed (the API's ``Retry-After``). It knows neither Gradio nor who the user is: the handlers
pass the id ``codebegen.studio.users`` gave them and turn the error into ``gr.Error``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from codebegen.errors import PromptError
from codebegen.studio.history import History, utc_now
from codebegen.studio.rate_limited import RateLimited
from codebegen.studio.settings import StudioSettings

WINDOW = timedelta(hours=1)
_admitting = threading.Lock()


def check(
    history: History, settings: StudioSettings, user: str, prompt: str | None = None, *, now: datetime | None = None
) -> None:
    """Raise ``EngineError`` (``PromptError`` for the prompt) when ``user`` may not start a run now (with ``prompt``, if one)."""
    if prompt is not None and len(prompt) > settings.max_prompt_chars:
        raise PromptError(
            f"the prompt is {len(prompt)} characters long; this studio takes at most {settings.max_prompt_chars}",
            hint="shorten the description to the entities, their fields and the rules",
        )
    limit = settings.runs_per_hour
    if not limit:
        return
    now = now or utc_now()
    _refuse_over(history.starts_since(user, now - WINDOW), limit, now, "you have", "per visitor")


def check_key(history: History, settings: StudioSettings, key_id: str, *, now: datetime | None = None) -> None:
    """Raise ``RateLimited`` when API key ``key_id`` started ``api_runs_per_hour_per_key`` runs in the last hour."""
    limit = settings.api_runs_per_hour_per_key
    if not limit:
        return
    now = now or utc_now()
    _refuse_over(history.key_starts_since(key_id, now - WINDOW), limit, now, "this API key has", "per key")


def _refuse_over(starts: list[datetime], limit: int, now: datetime, who: str, per: str) -> None:
    if len(starts) >= limit:
        free_at = starts[len(starts) - limit] + WINDOW  # when enough of them leave the window
        minutes = max(1, round((free_at - now).total_seconds() / 60))
        raise RateLimited(
            f"{who} started {len(starts)} run{'s' if len(starts) != 1 else ''} in the last hour; "
            f"this studio allows {limit} an hour {per}",
            hint=f"try again in about {minutes} minute{'s' if minutes != 1 else ''} "
            f"(at {free_at:%H:%M} UTC); past runs stay on the History page",
            retry_after_s=max(1, math.ceil((free_at - now).total_seconds())),
        )


@contextmanager
def admission(
    history: History, settings: StudioSettings, user: str, prompt: str | None = None, *, key_id: str | None = None,
    owner: str | None = None, profile: str | None = None,
) -> Iterator[None]:  # fmt: skip
    """``check`` (and ``check_key`` for a run started with an API key; and, when billing is on, the plan of the
    run's ``owner``: ``codebegen.studio.billing.quota``), then hold the admission lock while the caller records the run's start."""
    with _admitting:
        check(history, settings, user, prompt)
        if key_id is not None:
            check_key(history, settings, key_id)
        if owner is not None and settings.stripe_secret_key:
            from codebegen.studio.billing.ledger import Ledger
            from codebegen.studio.billing.quota import check as check_plan

            check_plan(history, Ledger.of(history.db), settings, owner, profile)
        yield
