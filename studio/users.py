"""Who is using the studio: every handler asks ``current_user`` and stores per user.

Today there is one local user (``CODEBEGEN_STUDIO_LOCAL_USER``, default ``local``). When
login lands (Hugging Face OAuth on a Space), this is the only module that learns about it:
handlers already pass their ``gr.Request`` here and history is already kept per user.
"""

from __future__ import annotations

import gradio as gr

from studio.settings import get_settings


def current_user(request: gr.Request | None) -> str:
    """The id the request's history rows are stored under."""
    return get_settings().local_user
