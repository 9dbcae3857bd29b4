"""Settings refuse unsafe production defaults."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_default_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(ENVIRONMENT="production", SECRET_KEY="changethis")


def test_real_secret_is_accepted_in_production() -> None:
    settings = Settings(ENVIRONMENT="production", SECRET_KEY="x" * 40, MONGODB_URL="mongodb://db:27017/app")
    assert settings.ENVIRONMENT == "production"


@pytest.mark.parametrize("environment", ["local", "development", "staging", "test"])
def test_every_environment_name_is_accepted(environment: str) -> None:
    # Only production enforces the secret (and refuses the placeholder).
    assert Settings(ENVIRONMENT=environment, SECRET_KEY="x" * 40).ENVIRONMENT == environment


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError, match="ENVIRONMENT"):
        Settings(ENVIRONMENT="prod", SECRET_KEY="x" * 40)


def test_the_in_process_stand_in_is_refused_in_production() -> None:
    assert Settings(MONGODB_URL="mongomock://").uses_standin
    with pytest.raises(ValidationError, match="mongomock"):
        Settings(ENVIRONMENT="production", SECRET_KEY="x" * 40, MONGODB_URL="mongomock://")


def test_mongodb_url_must_name_mongodb() -> None:
    assert not Settings(MONGODB_URL="mongodb://db.example:27017/app").uses_standin
    with pytest.raises(ValidationError, match="MONGODB_URL"):
        Settings(MONGODB_URL="postgresql://u:p@localhost/db")
