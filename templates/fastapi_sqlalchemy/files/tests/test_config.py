"""Settings refuse unsafe production defaults."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_default_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(ENVIRONMENT="production", SECRET_KEY="changethis")


def test_real_secret_is_accepted_in_production() -> None:
    assert Settings(ENVIRONMENT="production", SECRET_KEY="x" * 40).ENVIRONMENT == "production"


def test_postgres_urls_use_psycopg3() -> None:
    settings = Settings(DATABASE_URL="postgresql://u:p@localhost/db")
    assert settings.DATABASE_URL == "postgresql+psycopg://u:p@localhost/db"
