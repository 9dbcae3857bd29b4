"""Shares the model tests' session-wide conversion of the embedded model."""

from tests.models.conftest import model_cache  # noqa: F401
