"""The model prompts, one YAML file per stage, rendered with Jinja2 (StrictUndefined).

Each file has a ``system`` and a ``user`` template; ``messages(stage, **values)`` returns the
chat messages. A misspelt variable raises instead of sending an empty string to a model.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
import yaml

_DIR = Path(__file__).parent
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


@functools.cache
def _load(stage: str) -> dict[str, jinja2.Template]:
    data = yaml.safe_load((_DIR / f"{stage}.yaml").read_text(encoding="utf-8"))
    return {role: _ENV.from_string(text) for role, text in data.items()}


def messages(stage: str, **values: Any) -> list[dict[str, str]]:
    templates = _load(stage)
    return [{"role": role, "content": templates[role].render(**values).strip()} for role in ("system", "user")]
