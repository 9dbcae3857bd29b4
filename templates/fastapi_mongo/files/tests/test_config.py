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


def test_the_in_process_stand_in_is_refused_in_production() -> None:
    assert Settings(MONGODB_URL="mongomock://").uses_standin
    with pytest.raises(ValidationError, match="mongomock"):
        Settings(ENVIRONMENT="production", SECRET_KEY="x" * 40, MONGODB_URL="mongomock://")


def test_mongodb_url_must_name_mongodb() -> None:
    assert not Settings(MONGODB_URL="mongodb://db.example:27017/app").uses_standin
    with pytest.raises(ValidationError, match="MONGODB_URL"):
        Settings(MONGODB_URL="postgresql://u:p@localhost/db")
