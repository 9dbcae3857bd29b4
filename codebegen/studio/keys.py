"""The ``codebegen keys`` command: create, list and revoke API keys of the studio's store (docs/cli.md).

Owns what the command does and prints (``codebegen.cli`` declares its arguments); the keys themselves are ``codebegen.studio.store``'s. The store
is the one the studio would open with the same environment (``CODEBEGEN_STUDIO_DATA_DIR``'s
DuckDB file, or ``CODEBEGEN_STUDIO_DATABASE_URL``); a key belongs to ``--user`` (default: the
studio's local user). ``create`` prints the key alone on its last line, once: only its hash
is stored. A DuckDB file is opened by one process at a time, so run these while the studio is
stopped (or configure PostgreSQL).
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from codebegen.errors import EngineError
from codebegen.studio.database import utc_now
from codebegen.studio.settings import StudioSettings
from codebegen.studio.store import AccessError, Store, open_store


def _store(settings: StudioSettings) -> Store:
    try:
        return open_store(settings.database, settings.database_url)
    except Exception as exc:  # the database's own message (locked file, server down) as one line
        if isinstance(exc, EngineError):
            raise
        raise EngineError(
            f"cannot open the studio's store at {settings.database_url and '(database URL)' or settings.database}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            hint="stop the studio first (a DuckDB file has one writer process), or check CODEBEGEN_STUDIO_DATABASE_URL",
        ) from None


def run(args: argparse.Namespace, settings: StudioSettings | None = None) -> int:
    settings = settings or StudioSettings()
    user = args.user or settings.local_user
    store = _store(settings)
    try:
        if args.keys_command == "create":
            if args.expires_days is not None and args.expires_days < 1:
                raise EngineError(
                    "--expires-days must be 1 or more", hint="leave it out for a key that does not expire"
                )
            expires = utc_now() + timedelta(days=args.expires_days) if args.expires_days else None
            key, secret = store.create_key(user, args.name, args.scope, expires_at=expires)
            print(f"created key {key.id} ({key.name}) for {user}, scopes {','.join(key.scopes)}"
                  + (f", expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else ""))  # fmt: skip
            print("copy it now: it is shown only this once")
            print(secret)
        elif args.keys_command == "list":
            keys = store.keys(user)
            if not keys:
                print(f"no API keys for {user}")
            for k in keys:
                last = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
                expires = f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "never"
                print(
                    f"{k.id}  {k.name:<20} {','.join(k.scopes):<14} {k.state():<8} last used {last}, expires {expires}"
                )
        else:
            if not store.revoke_key(user, args.id):
                raise EngineError(f"{user} has no active key {args.id!r}", hint="`codebegen keys list` shows the ids")
            print(f"revoked key {args.id}")
    except AccessError as exc:
        raise EngineError(exc.message, hint=exc.hint) from None
    finally:
        store.close()
    return 0
