"""Bounds a prompt states in words, read into field constraints.

Owns reading "capacity is at least 1", "price cannot be negative", "rating between 1 and 5",
"at most 100 seats" into ``min``/``max`` of the numeric field the sentence names (its snake_case
name in words: "stock count" for ``stock_count``). Only int, float and decimal fields get
bounds; a bound the model already wrote is kept. Each bound read is reported as a warning line
by the caller's convention (information the spec did not have is made visible).
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_LINK = r"(?:,?\s+(?:which|that|is|are|must|should|has|have|can|cannot|can't|may|be|not|always|never|to|of|a|an|the))*"
# (regex template with {f} for the field words, which bound(s) it sets)
_PATTERNS: list[tuple[str, str]] = [
    (r"\b{f}\b" + _LINK + r"\s+between\s+" + _NUMBER + r"\s+and\s+" + _NUMBER, "between"),
    (r"\b{f}\b" + _LINK + r"\s+(?:at least|no less than|not less than|minimum(?: of)?|min\.?)\s+" + _NUMBER, "min"),
    (
        r"\b{f}\b" + _LINK + r"\s+(?:at most|no more than|not more than|maximum(?: of)?|max\.?|up to)\s+" + _NUMBER,
        "max",
    ),
    (r"\b{f}\b" + _LINK + r"\s+(?:negative)\b", "nonneg"),
    (
        r"\b(?:non-negative|nonnegative)\s+{f}\b|\b{f}\b" + _LINK + r"\s+(?:non-negative|nonnegative|zero or more)\b",
        "nonneg",
    ),
    (r"\b{f}\b" + _LINK + r"\s+positive\b|\bpositive\s+{f}\b", "positive"),
    (r"\b(?:at least|minimum(?: of)?)\s+" + _NUMBER + r"\s+{f}\b", "min"),
    (r"\b(?:at most|up to|maximum(?: of)?|no more than)\s+" + _NUMBER + r"\s+{f}\b", "max"),
]
_NEGATED = re.compile(r"\b(?:cannot|can't|must not|may not|should not|never)\b")


def stated_bounds(prompt: str, fields: list[dict[str, Any]]) -> list[str]:
    """Set ``min``/``max`` on the numeric fields (dicts) the prompt bounds; returns what was set."""
    text = " ".join(prompt.lower().split())
    said: list[str] = []
    for field in fields:
        if field.get("type") not in ("int", "float", "decimal"):
            continue
        words = re.escape(field["name"].replace("_", " ")).replace(r"\ ", r"[\s_-]+")
        found: dict[str, float] = {}
        for template, kind in _PATTERNS:
            for m in re.finditer(template.replace("{f}", f"(?:{words})s?"), text):
                if kind == "between":
                    low, high = sorted((float(m.group(1)), float(m.group(2))))
                    found.setdefault("min", low)
                    found.setdefault("max", high)
                elif kind in ("min", "max"):
                    found.setdefault(kind, float(m.group(1)))
                elif kind == "nonneg" and (_NEGATED.search(m.group(0)) or "negative" not in m.group(0).split()[-1:]):
                    found.setdefault("min", 0.0)
                elif kind == "positive" and not _NEGATED.search(m.group(0)):
                    found.setdefault("min", 1.0 if field["type"] == "int" else 0.0)
        if "min" in found and "max" in found and found["min"] > found["max"]:
            continue
        for key, value in found.items():
            if field.get(key) is None:
                field[key] = int(value) if field["type"] == "int" else value
                said.append(f"field {field['name']!r}: {key} {value:g} (the prompt states it)")
    return said
