"""Throwaway PostgreSQL databases for the verification gate.

Owns one thing: given the URL of a PostgreSQL server the caller names, create a fresh, uniquely
named database for one check and drop it afterwards, so concurrent gate runs on the same server
never see each other's tables. The project is handed a URL for that database in the scheme its
template expects (``postgresql+psycopg://...``). It does not start servers (the test suite's
fixture or the user does) and talks to the server with psycopg, imported only when needed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from codebegen.errors import RuntimeEnvError


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise RuntimeEnvError(
            "the PostgreSQL checks need psycopg in codebegen's own environment",
            hint="pip install 'psycopg[binary]', or verify without a PostgreSQL server",
        ) from None
    return psycopg


def server_label(url: str) -> str:
    """``host:port`` of a database URL, without credentials, for reports."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def _admin_conninfo(server_url: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path or "/postgres", parts.query, ""))


def database_url(server_url: str, database: str, scheme: str) -> str:
    """``server_url`` pointed at ``database``, in the URL ``scheme`` the project's driver wants."""
    parts = urlsplit(server_url)
    return urlunsplit((scheme, parts.netloc, f"/{database}", parts.query, ""))


@contextmanager
def scratch_database(server_url: str, *, scheme: str, purpose: str) -> Iterator[str]:
    """Create ``codebegen_<purpose>_<random>`` on the server, yield its URL, drop it on exit.

    Raises RuntimeEnvError when the server cannot be reached or refuses CREATE DATABASE.
    """
    psycopg = _psycopg()
    name = f"codebegen_{purpose}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(_admin_conninfo(server_url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise RuntimeEnvError(
            f"cannot create a scratch database on PostgreSQL at {server_label(server_url)}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
            hint="check that the server runs and the URL's user may CREATE DATABASE",
        ) from None
    try:
        yield database_url(server_url, name, scheme)
    finally:
        _drop(psycopg, server_url, name)


def _drop(psycopg: Any, server_url: str, name: str) -> None:
    # FORCE (PostgreSQL 13+) ends sessions a killed test process may have left behind.
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP DATABASE IF EXISTS "{name}"'):
        try:
            with psycopg.connect(_admin_conninfo(server_url), autocommit=True, connect_timeout=10) as conn:
                conn.execute(statement)
            return
        except psycopg.Error:
            continue


__all__ = ["database_url", "scratch_database", "server_label"]
