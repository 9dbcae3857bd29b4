"""What the test modules share: paths, example specs and prompts, stand-in servers, the studio's
and the browser's steps, the public dev set. Test modules import from here (or get a fixture from a
conftest.py), never from one another: tests/test_test_layout.py checks it."""

from __future__ import annotations

import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
ALL_FEATURES = FIXTURES / "all_features.json"  # every field type and relationship kind
ROLES = FIXTURES / "roles.json"  # the login user's own fields, references to User
# The shipped templates, the flagship first: what a test of "every template" is parametrized over
# (tests/templates/test_templates.py checks it names every template there is).
TEMPLATES = ("fastapi_sqlalchemy", "fastapi_basic", "fastapi_mongo")


def free_port() -> int:
    """A loopback port nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
