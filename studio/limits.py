"""Per-visitor limits on a shared studio (the public Space): prompt size and runs per hour.

Owns the admission of a run: ``admission(history, settings, user, prompt)`` refuses, with an
``EngineError`` that says what to do, a prompt longer than ``max_prompt_chars`` or a user who
already started ``runs_per_hour`` runs in the last hour (0: no limit, the local default), and
otherwise lets the caller start the run while it holds the lock, so two clicks of one visitor
cannot both slip under the limit. Runs are counted from the history's ledger of starts, which
outlives deleted runs and restarts. It knows neither Gradio nor who the user is: the handlers
pass the id ``studio.users`` gave them and turn the error into ``gr.Error``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from engine.errors import EngineError, PromptError
from studio.history import History, utc_now
from studio.settings import StudioSettings

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
    starts = history.starts_since(user, now - WINDOW)
    if len(starts) >= limit:
        free_at = starts[len(starts) - limit] + WINDOW  # when enough of them leave the window
        minutes = max(1, round((free_at - now).total_seconds() / 60))
        raise EngineError(
            f"you have started {len(starts)} run{'s' if len(starts) != 1 else ''} in the last hour; "
            f"this studio allows {limit} an hour per visitor",
            hint=f"try again in about {minutes} minute{'s' if minutes != 1 else ''} "
            f"(at {free_at:%H:%M} UTC); past runs stay on the History page",
        )


@contextmanager
def admission(history: History, settings: StudioSettings, user: str, prompt: str | None = None) -> Iterator[None]:
    """``check``, then hold the admission lock while the caller records the run's start."""
    with _admitting:
        check(history, settings, user, prompt)
        yield
