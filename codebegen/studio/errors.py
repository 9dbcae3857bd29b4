"""The one edge where codebegen's errors become messages in the browser.

``user_error`` turns an ``EngineError`` (raised in a handler) or a pipeline ``Failure`` event
into ``gr.Error``: what happened, then what to do next. Handlers raise what it returns and
catch nothing else, so a bug still shows its traceback in the server log.
"""

from __future__ import annotations

import gradio as gr

from codebegen.errors import EngineError, SpecError
from codebegen.events import Failure


def user_error(error: EngineError | Failure) -> gr.Error:
    if isinstance(error, SpecError) and len(error.problems) > 1:
        message = "The schema has problems:\n" + "\n".join(f"- {p}" for p in error.problems)
    else:
        message = error.message[:1].upper() + error.message[1:]
    if isinstance(error, Failure):
        message = f"{error.stage.capitalize()} failed: {error.message}"
    if error.hint:
        message += f"\n\nWhat to do: {error.hint}."
    return gr.Error(message, title="codebegen")
