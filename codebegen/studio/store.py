"""The studio's one store: runs (``codebegen.studio.history``), users, organizations, memberships, invitations, API keys.

Owns the account tables and the rules that go with their rows: ``open_store(settings)`` opens
the process's one store on the DuckDB file in ``data_dir`` or, when ``database_url`` is set,
on a PostgreSQL server (several studio processes may share it); the run history lives in the
same database, and the ledger of run starts that the limits count is the history's.

Who owns what. A run belongs to an *owner*: a user's id (``local``, ``hf:alice``,
``github:12345``, ``oidc:keycloak:sub``) or an organization's, ``org:<slug>``; the history
already keeps one owner's rows from another's. A user belongs to organizations with a role,
``viewer`` < ``member`` < ``admin`` < ``owner``: viewers look and download, members generate,
admins invite and manage members below admin, owners manage everything, including admins and
other owners (an organization always keeps one owner). Invitations are links with a random
token, stored as its hash, expiring, usable once. API keys are shown once and stored as the
sha256 of the key (a random 256-bit secret; nothing slower is needed for a key nobody chose),
with scopes (``read``, ``generate``), an optional expiry, the time of last use and a revocation
time. Users and organizations carry a ``plan`` (``free``): the seam billing builds on.

It knows neither Gradio nor HTTP: refusals are ``AccessError`` with the HTTP status they mean.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from codebegen.errors import EngineError
from codebegen.studio.database import Database, utc_now
from codebegen.studio.history import History, open_history

ROLES = ("viewer", "member", "admin", "owner")
SCOPES = ("read", "generate")
ORG_PREFIX = "org:"
LAST_USED_EVERY = timedelta(seconds=30)  # a key's last use is written at most this often
KEY_PREFIX = "cbg_"
# what each action needs, at least
NEEDS = {"read": "viewer", "generate": "member", "manage_members": "admin", "manage_org": "owner"}

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "accounts_0001_users_orgs_keys",
        """
        CREATE TABLE users (
            id VARCHAR PRIMARY KEY,
            provider VARCHAR NOT NULL,
            name VARCHAR NOT NULL DEFAULT '',
            email VARCHAR NOT NULL DEFAULT '',
            plan VARCHAR NOT NULL DEFAULT 'free',
            created_at TIMESTAMP NOT NULL,
            last_seen_at TIMESTAMP
        );
        CREATE TABLE orgs (
            id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            plan VARCHAR NOT NULL DEFAULT 'free',
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE memberships (
            org_id VARCHAR NOT NULL,
            user_id VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (org_id, user_id)
        );
        CREATE TABLE invitations (
            id VARCHAR PRIMARY KEY,
            token_hash VARCHAR NOT NULL UNIQUE,
            org_id VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL,
            used_at TIMESTAMP,
            used_by VARCHAR
        );
        CREATE TABLE api_keys (
            id VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            key_hash VARCHAR NOT NULL UNIQUE,
            scopes VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP,
            last_used_at TIMESTAMP,
            revoked_at TIMESTAMP
        );
        CREATE INDEX api_keys_by_user ON api_keys (user_id);
        """,
    ),
)


class AccessError(EngineError):
    """A refusal of the store: ``status`` is the HTTP status it means (400, 401, 403, 404, 409)."""

    def __init__(self, message: str, *, status: int = 403, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass(frozen=True)
class User:
    id: str
    provider: str
    name: str
    email: str
    plan: str
    created_at: datetime


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    plan: str
    role: str | None = None  # the asking user's role, where a call names one

    @property
    def owner_id(self) -> str:
        return ORG_PREFIX + self.id


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    role: str


@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utc_now()):
            return "expired"
        return "active"


def rank(role: str | None) -> int:
    return ROLES.index(role) if role in ROLES else -1


def allows(role: str | None, action: str) -> bool:
    """Whether an organization role may do ``action`` (read, generate, manage_members, manage_org)."""
    return rank(role) >= rank(NEEDS[action])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    unknown = [s for s in items if s not in SCOPES]
    if unknown or not items:
        raise AccessError(
            f"unknown scope {', '.join(unknown) or '(none given)'}", status=400,
            hint=f"scopes are {', '.join(SCOPES)}, comma-separated, e.g. --scope read,generate",
        )  # fmt: skip
    return tuple(s for s in SCOPES if s in items)


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


class Store:
    """The studio's data. Use ``open_store(settings)``; ``history`` is the runs of the same database."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.db: Database = history.db
        self.db.migrate(MIGRATIONS)

    # --- users --------------------------------------------------------------------------------

    def upsert_user(self, user_id: str, *, provider: str, name: str = "", email: str = "") -> User:
        now = utc_now()
        with self.db.tx() as cur:
            found = cur.execute("SELECT count(*) FROM users WHERE id = ?", [user_id]).fetchone()[0]
            if found:
                cur.execute(
                    "UPDATE users SET name = ?, email = ?, last_seen_at = ? WHERE id = ?", [name, email, now, user_id]
                )
            else:
                cur.execute(
                    "INSERT INTO users (id, provider, name, email, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [user_id, provider, name, email, now, now],
                )
        user = self.user(user_id)
        assert user is not None
        return user

    def user(self, user_id: str) -> User | None:
        with self.db.tx() as cur:
            row = cur.execute(
                "SELECT id, provider, name, email, plan, created_at FROM users WHERE id = ?", [user_id]
            ).fetchone()
        return User(*row) if row else None

    # --- organizations ------------------------------------------------------------------------

    def create_org(self, user_id: str, slug: str, name: str = "") -> Org:
        slug = slug.strip().lower()
        if not _SLUG.match(slug):
            raise AccessError(
                f"{slug!r} is not a usable organization id", status=400,
                hint="use 3-40 lowercase letters, digits and dashes, e.g. acme-backend",
            )  # fmt: skip
        now = utc_now()
        with self.db.tx() as cur:
            if cur.execute("SELECT count(*) FROM orgs WHERE id = ?", [slug]).fetchone()[0]:
                raise AccessError(f"the organization {slug!r} exists already", status=409, hint="pick another id")
            cur.execute(
                "INSERT INTO orgs (id, name, created_by, created_at) VALUES (?, ?, ?, ?)",
                [slug, name.strip() or slug, user_id, now],
            )
            cur.execute("INSERT INTO memberships VALUES (?, ?, 'owner', ?)", [slug, user_id, now])
        return Org(slug, name.strip() or slug, "free", "owner")

    def org(self, org_id: str) -> Org | None:
        with self.db.tx() as cur:
            row = cur.execute("SELECT id, name, plan FROM orgs WHERE id = ?", [org_id]).fetchone()
        return Org(*row) if row else None

    def orgs_of(self, user_id: str) -> list[Org]:
        with self.db.tx() as cur:
            rows = cur.execute(
                "SELECT o.id, o.name, o.plan, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id "
                "WHERE m.user_id = ? ORDER BY o.id",
                [user_id],
            ).fetchall()
        return [Org(*r) for r in rows]

    def role(self, org_id: str, user_id: str) -> str | None:
        with self.db.tx() as cur:
            row = cur.execute(
                "SELECT role FROM memberships WHERE org_id = ? AND user_id = ?", [org_id, user_id]
            ).fetchone()
        return row[0] if row else None

    def owner_role(self, owner: str, user_id: str) -> str | None:
        """``user_id``'s role over the runs of ``owner``: ``owner`` of their own, their org role, else None."""
        if owner == user_id:
            return "owner"
        if owner.startswith(ORG_PREFIX):
            return self.role(owner[len(ORG_PREFIX) :], user_id)
        return None

    def owners_of(self, user_id: str) -> list[str]:
        """Whose runs ``user_id`` may read: their own, then each of their organizations'."""
        return [user_id, *(o.owner_id for o in self.orgs_of(user_id))]

    def require(self, org_id: str, user_id: str, action: str) -> str:
        """The user's role in the org when it allows ``action``; else ``AccessError`` (404 to outsiders)."""
        role = self.role(org_id, user_id)
        if role is None:
            raise AccessError(f"no organization {org_id!r}", status=404)
        if not allows(role, action):
            raise AccessError(
                f"a {role} of {org_id!r} may not {action.replace('_', ' ')}",
                hint=f"ask an {'owner' if NEEDS[action] == 'owner' else 'admin'} of the organization for the "
                f"{NEEDS[action]} role",
            )
        return role

    def members(self, org_id: str, user_id: str) -> list[Member]:
        self.require(org_id, user_id, "read")
        with self.db.tx() as cur:
            rows = cur.execute(
                "SELECT m.user_id, coalesce(u.name, ''), m.role FROM memberships m LEFT JOIN users u ON u.id = m.user_id "
                "WHERE m.org_id = ? ORDER BY m.created_at, m.user_id",
                [org_id],
            ).fetchall()
        return [Member(*r) for r in rows]

    def _may_manage(self, org_id: str, actor: str, role: str) -> None:
        """Admins manage viewers and members; owners manage everyone."""
        actor_role = self.require(org_id, actor, "manage_members")
        if rank(role) >= rank("admin") and actor_role != "owner":
            raise AccessError(f"only an owner of {org_id!r} may grant or change the {role} role")

    def set_role(self, org_id: str, actor: str, user_id: str, role: str) -> None:
        if role not in ROLES:
            raise AccessError(f"unknown role {role!r}", status=400, hint=f"roles are {', '.join(ROLES)}")
        current = self.role(org_id, user_id)
        if current is None:
            raise AccessError(f"{user_id} is not a member of {org_id!r}", status=404)
        self._may_manage(org_id, actor, max(role, current, key=rank))
        with self.db.tx() as cur:
            self._keep_an_owner(cur, org_id, user_id, role)
            cur.execute("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?", [role, org_id, user_id])

    def remove_member(self, org_id: str, actor: str, user_id: str) -> None:
        current = self.role(org_id, user_id)
        if current is None:
            raise AccessError(f"{user_id} is not a member of {org_id!r}", status=404)
        if actor != user_id:  # anyone may leave
            self._may_manage(org_id, actor, current)
        with self.db.tx() as cur:
            self._keep_an_owner(cur, org_id, user_id, None)
            cur.execute("DELETE FROM memberships WHERE org_id = ? AND user_id = ?", [org_id, user_id])

    @staticmethod
    def _keep_an_owner(cur: Any, org_id: str, user_id: str, new_role: str | None) -> None:
        owners = [u for (u,) in cur.execute(
            "SELECT user_id FROM memberships WHERE org_id = ? AND role = 'owner'", [org_id]
        ).fetchall()]  # fmt: skip
        if owners == [user_id] and new_role != "owner":
            raise AccessError(
                f"{org_id!r} would be left without an owner", status=409, hint="make someone else owner first"
            )

    # --- invitations --------------------------------------------------------------------------

    def invite(self, org_id: str, actor: str, role: str = "member", *, ttl: timedelta = timedelta(days=7)) -> str:
        """A new invitation's token (shown once; the link is ``/auth/invite/<token>``)."""
        if role not in ROLES:
            raise AccessError(f"unknown role {role!r}", status=400, hint=f"roles are {', '.join(ROLES)}")
        self._may_manage(org_id, actor, role)
        token, now = secrets.token_urlsafe(24), utc_now()
        with self.db.tx() as cur:
            cur.execute(
                "INSERT INTO invitations (id, token_hash, org_id, role, created_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [secrets.token_hex(6), hash_secret(token), org_id, role, actor, now, now + ttl],
            )
        return token

    def accept(self, token: str, user_id: str, *, now: datetime | None = None) -> Org:
        """Join the invitation's organization with its role; the token is spent."""
        now = now or utc_now()
        with self.db.tx() as cur:
            row = cur.execute(
                "SELECT id, org_id, role, expires_at, used_at FROM invitations WHERE token_hash = ?",
                [hash_secret(token)],
            ).fetchone()
            if row is None:
                raise AccessError("this invitation link is not valid", status=404, hint="ask for a new link")
            inv_id, org_id, role, expires_at, used_at = row
            if used_at is not None:
                raise AccessError("this invitation link was used already", status=410, hint="ask for a new link")
            if expires_at <= now:
                raise AccessError("this invitation link has expired", status=410, hint="ask for a new link")
            cur.execute("UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ?", [now, user_id, inv_id])
            current = cur.execute(
                "SELECT role FROM memberships WHERE org_id = ? AND user_id = ?", [org_id, user_id]
            ).fetchone()
            if current is None:
                cur.execute("INSERT INTO memberships VALUES (?, ?, ?, ?)", [org_id, user_id, role, now])
            elif rank(role) > rank(current[0]):
                cur.execute("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?", [role, org_id, user_id])
        org = self.org(org_id)
        assert org is not None
        return Org(org.id, org.name, org.plan, self.role(org_id, user_id))

    # --- API keys -----------------------------------------------------------------------------

    def create_key(
        self, user_id: str, name: str, scopes: str | tuple[str, ...] = ("read", "generate"),
        *, expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:  # fmt: skip
        """A new key of ``user_id``: its row and the key itself (returned once, never stored)."""
        if not name.strip():
            raise AccessError("an API key needs a name", status=400, hint="name it after what uses it, e.g. ci")
        wanted = parse_scopes(scopes)
        key_id = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = utc_now()
        with self.db.tx() as cur:
            cur.execute(
                "INSERT INTO api_keys (id, user_id, name, key_hash, scopes, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [key_id, user_id, name.strip(), hash_secret(secret), ",".join(wanted), now, expires_at],
            )
        return ApiKey(key_id, user_id, name.strip(), wanted, now, expires_at, None, None), secret

    _KEY_COLUMNS = "id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at"

    @staticmethod
    def _key(row: tuple[Any, ...]) -> ApiKey:
        key_id, user_id, name, scopes, *times = row
        return ApiKey(key_id, user_id, name, tuple(scopes.split(",")), *times)

    def keys(self, user_id: str) -> list[ApiKey]:
        with self.db.tx() as cur:
            rows = cur.execute(
                f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at, id", [user_id]
            ).fetchall()
        return [self._key(r) for r in rows]

    def revoke_key(self, user_id: str, key_id: str) -> bool:
        with self.db.tx() as cur:
            found = cur.execute(
                "SELECT count(*) FROM api_keys WHERE id = ? AND user_id = ? AND revoked_at IS NULL", [key_id, user_id]
            ).fetchone()[0]
            if found:
                cur.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [utc_now(), key_id])
        return bool(found)

    def authenticate(self, secret: str, *, now: datetime | None = None) -> ApiKey:
        """The key ``secret`` is, when it is usable now (its last use recorded); else ``AccessError`` 401."""
        now = now or utc_now()
        if not secret.startswith(KEY_PREFIX):
            raise AccessError("not a codebegen API key", status=401, hint="send Authorization: Bearer cbg_...")
        with self.db.tx() as cur:
            row = cur.execute(
                f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", [hash_secret(secret)]
            ).fetchone()
            if row is None:
                raise AccessError("unknown API key", status=401, hint="create one with `codebegen keys create NAME`")
            key = self._key(row)
            state = key.state(now)
            if state != "active":
                raise AccessError(f"this API key is {state}", status=401, hint="create a new key")
            if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
                cur.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now, key.id])
        return key

    # --- billing's seam -----------------------------------------------------------------------

    def plan(self, owner: str) -> str:
        """The plan of a run owner (a user or ``org:<slug>``); ``free`` for anyone the store does not know."""
        with self.db.tx() as cur:
            if owner.startswith(ORG_PREFIX):
                row = cur.execute("SELECT plan FROM orgs WHERE id = ?", [owner[len(ORG_PREFIX) :]]).fetchone()
            else:
                row = cur.execute("SELECT plan FROM users WHERE id = ?", [owner]).fetchone()
        return row[0] if row else "free"

    def close(self) -> None:
        self.history.close()


_open: dict[str, Store] = {}
_open_lock = threading.Lock()


def open_store(database: Path, database_url: str | None = None) -> Store:
    """The process's one store: on PostgreSQL at ``database_url`` when given, else the DuckDB file ``database``."""
    key = database_url or str(Path(database).absolute())
    with _open_lock:
        store = _open.get(key)
        if store is None or store.db._closed:
            history = History(database=Database(url=database_url)) if database_url else open_history(database)
            store = _open[key] = Store(history)
        return store


def close_store(database: Path, database_url: str | None = None) -> None:
    from codebegen.studio.history import close_history

    key = database_url or str(Path(database).absolute())
    with _open_lock:
        store = _open.pop(key, None)
    if database_url is None:
        close_history(database)
    elif store is not None:
        store.close()
