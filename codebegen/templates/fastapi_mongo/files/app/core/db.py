"""The MongoDB connection: one async client a process, Beanie initialised on it at start-up.

MONGODB_URL=mongomock:// selects an in-process stand-in (mongomock-motor) instead of a server:
what the test suite and codebegen's boot check use where no MongoDB server runs. It keeps data
in memory for one process (one stand-in "server" a process, shared by every client here) and
only imitates a server (see README, "Limits").
"""

import logging
from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.core.config import get_settings
from app.models import DOCUMENT_MODELS

logger = logging.getLogger(__name__)
_client: Any = None
_database: Any = None
_standin: Any = None


def standin_client() -> Any:
    """The process's in-memory stand-in server (mongomock-motor), made on first use."""
    global _standin
    if _standin is None:
        from mongomock_motor import AsyncMongoMockClient  # a test dependency, needed only here

        _standin = AsyncMongoMockClient(tz_aware=True, uuidRepresentation="standard")
    return _standin


def _server_database(url: str, default_name: str) -> AsyncDatabase[Any]:
    global _client
    # tz_aware: datetimes come back as aware UTC; standard: UUIDs are stored as BSON UUIDs.
    _client = AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard")
    return _client.get_default_database(default=default_name)


def _standin_database(name: str) -> Any:
    global _client
    logger.warning("MONGODB_URL=mongomock://: using an in-process MongoDB stand-in; data is lost at exit")
    _client = standin_client()
    database = _client[name]
    list_names = database.list_collection_names

    async def list_collection_names(filter: Any = None, session: Any = None, **_server_options: Any) -> Any:
        # Beanie 2 passes options only a server knows (authorizedCollections, nameOnly); mongomock refuses them.
        return await list_names(filter=filter, session=session)

    database.list_collection_names = list_collection_names
    return database


async def init_db() -> None:
    """Connect and let Beanie register the documents and create their indexes."""
    global _database
    settings = get_settings()
    if settings.uses_standin:
        _database = _standin_database(settings.MONGODB_DB)
    else:
        _database = _server_database(settings.MONGODB_URL, settings.MONGODB_DB)
    await init_beanie(database=_database, document_models=DOCUMENT_MODELS)


async def ping() -> None:
    """Raise unless the database answers (the readiness check)."""
    if _database is None:
        raise RuntimeError("the database is not connected")
    await _database.command("ping")


async def close_db() -> None:
    global _client, _database
    if isinstance(_client, AsyncMongoClient):
        await _client.close()
    _client = _database = None
