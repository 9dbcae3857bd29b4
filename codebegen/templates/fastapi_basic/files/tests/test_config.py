"""Settings refuse unsafe production defaults."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_default_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(ENVIRONMENT="production", SECRET_KEY="changethis")


def test_real_secret_is_accepted_in_production() -> None:
    assert Settings(ENVIRONMENT="production", SECRET_KEY="x" * 40).ENVIRONMENT == "production"


@pytest.mark.parametrize("environment", ["local", "development", "staging", "test"])
def test_every_environment_name_is_accepted(environment: str) -> None:
    # Only production enforces the secret (and refuses the placeholder).
    assert Settings(ENVIRONMENT=environment, SECRET_KEY="x" * 40).ENVIRONMENT == environment


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError, match="ENVIRONMENT"):
        Settings(ENVIRONMENT="prod", SECRET_KEY="x" * 40)


def test_database_url_names_a_sqlite_file() -> None:
    assert str(Settings(DATABASE_URL="sqlite:////data/app.db").database_path) == "/data/app.db"
    assert str(Settings(DATABASE_URL="sqlite:///./app.db").database_path) == "app.db"
    for url in ("postgresql://u:p@localhost/db", "sqlite:///:memory:"):
        with pytest.raises(ValidationError, match="DATABASE_URL"):
            Settings(DATABASE_URL=url)
