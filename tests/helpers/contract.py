"""A black-box client: drives a running generated app over HTTP only (its API: docs/generated-project.md).

It knows the ProjectSpec and the contract, nothing about the template that produced the app,
so the same checks run unchanged against every template. ``exercise(base_url, spec)`` walks
every entity through create/read/list/update/delete plus the contract's refusals (wrong types,
unknown and server-managed keys, references to missing rows, 401s, other users' rows).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from codebegen.context import build_context
from codebegen.spec import ProjectSpec
from codebegen.templates import code_names

API = "/api/v1"
PASSWORD = "a long enough password"
_counter = itertools.count(1)


def _same(sent: Any, got: Any) -> bool:
    if sent == got:
        return True
    if isinstance(sent, str) and isinstance(got, str):
        try:
            return datetime.fromisoformat(sent.replace("Z", "+00:00")) == datetime.fromisoformat(
                got.replace("Z", "+00:00")
            )
        except ValueError:
            pass
    try:
        return Decimal(str(sent)) == Decimal(str(got))
    except (InvalidOperation, ValueError):
        return False


def _assert_has(sent: dict[str, Any], got: dict[str, Any], what: str) -> None:
    for key, value in sent.items():
        assert key in got, f"{what}: key {key!r} missing from {got}"
        if isinstance(value, list) and isinstance(got[key], list):
            assert sorted(map(str, value)) == sorted(map(str, got[key])), f"{what}: {key} sent {value}, got {got[key]}"
        else:
            assert _same(value, got[key]), f"{what}: {key} sent {value!r}, got {got[key]!r}"


def _value(field: Any) -> Any:
    n = next(_counter)
    if not field.unique:
        return field.sample
    return {
        "str": f"{field.sample} {n}",
        "text": f"{field.sample} {n}",
        "email": f"u{n}@example.com",
        "url": f"https://example.com/{n}",
        "int": 1000 + n,
        "float": 1000.5 + n,
        "decimal": f"{1000 + n}.25",
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "date": f"20{10 + n % 80:02d}-01-{1 + n % 28:02d}",
        "datetime": f"2020-01-01T00:{n % 60:02d}:{n // 60 % 60:02d}Z",
    }.get(field.type, field.sample)


# The admin the server makes at startup (FIRST_SUPERUSER / FIRST_SUPERUSER_PASSWORD; roles: docs/spec.md).
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "an admin's long password"


def admin_env() -> dict[str, str]:
    """The environment a served project needs for the walk's admin."""
    return {"FIRST_SUPERUSER": ADMIN_EMAIL, "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD}


class ContractClient:
    def __init__(self, base_url: str, spec: ProjectSpec) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.spec = spec
        self.ctx = build_context(spec, **code_names())
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.headers: dict[str, str] = {}  # the admin's (with auth): writes every entity
        self.user: dict[str, str] = {}  # an ordinary signed-in user
        self.other: dict[str, str] = {}  # a second ordinary user
        self.openapi: dict[str, Any] | None = None

    # -- auth -------------------------------------------------------------------------------
    def user_fields(self) -> dict[str, Any]:
        """Values of the login user's own fields (a spec entity named User extends it)."""
        user = self.ctx["project"]["user"]
        return {f.name: _value(f) for f in user.fields} if user is not None else {}

    def log_in(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.http.post(f"{API}/auth/login", data={"username": email, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def sign_in(self, email: str) -> dict[str, str]:
        extra = self.user_fields()
        r = self.http.post(f"{API}/auth/register", json={"email": email, "password": PASSWORD} | extra)
        assert r.status_code == 201, r.text
        _assert_has(extra, r.json(), "registration with the user's own fields")
        assert r.json().get("is_superuser") is False, "a registered account is not an admin"
        again = self.http.post(f"{API}/auth/register", json={"email": email, "password": PASSWORD} | extra)
        assert again.status_code in (400, 409), again.text
        wrong = self.http.post(f"{API}/auth/login", data={"username": email, "password": "wrong password!"})
        assert wrong.status_code == 401, wrong.text
        r = self.http.post(f"{API}/auth/login", data={"username": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        token = r.json()
        assert token["token_type"].lower() == "bearer" and token["access_token"]
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = self.http.get(f"{API}/users/me", headers=headers)
        assert me.status_code == 200 and me.json()["email"] == email, me.text
        _assert_has(extra, me.json(), "/users/me with the user's own fields")
        assert self.http.get(f"{API}/users/me").status_code == 401
        self.rows.setdefault("User", []).append(me.json())  # what references to User point at
        return headers

    def accounts(self) -> None:
        """The admin from FIRST_SUPERUSER, an account's own changes, its deletion."""
        self.headers = self.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        me = self.http.get(f"{API}/users/me", headers=self.headers).json()
        assert me["is_superuser"] is True, f"FIRST_SUPERUSER did not make an admin: {me}"
        email = f"carol{next(_counter)}@example.com"
        carol = self.sign_in(email)
        self.rows["User"].pop()  # carol is deleted below
        user = self.ctx["project"]["user"]
        if user is not None and user.fields:
            f = user.fields[0]
            change = {f.name: f.values[-1] if f.type == "enum" else _value(f)}
            r = self.http.patch(f"{API}/users/me", json=change, headers=carol)
            assert r.status_code == 200, r.text
            _assert_has(change, r.json(), "PATCH /users/me")
        assert self.http.patch(f"{API}/users/me", json={"is_superuser": True}, headers=carol).status_code == 422
        url = f"{API}/users/me/password"
        wrong = {"current_password": "not it at all", "new_password": "a new long password"}
        assert self.http.post(url, json=wrong, headers=carol).status_code == 400
        good = {"current_password": PASSWORD, "new_password": "a new long password"}
        assert self.http.post(url, json=good, headers=carol).status_code == 204
        carol = self.log_in(email, "a new long password")
        assert self.http.delete(f"{API}/users/me", headers=carol).status_code == 204
        assert self.http.get(f"{API}/users/me", headers=carol).status_code == 401

    # -- payloads ---------------------------------------------------------------------------
    def payload(self, e: Any) -> dict[str, Any]:
        body: dict[str, Any] = {f.name: _value(f) for f in e.fields if f.required or next(_counter) % 2}
        for r in e.refs:
            targets = self.rows.get(r.target, [])
            # one_to_one: each row needs a target of its own (a shared one is a 409)
            index = len(self.rows.get(e.name, [])) if r.one_to_one else 0
            if index < len(targets):
                body[r.key] = targets[index]["id"]
            else:
                assert not r.required, f"{e.name}: no {r.target} row to reference"
        for link in e.links:
            body[link.key] = [row["id"] for row in self.rows.get(link.target, [])[:2]]
        return body

    def url(self, e: Any, row_id: Any = None) -> str:
        return f"{API}/{e.url}/" + ("" if row_id is None else str(row_id))

    # -- the walk ---------------------------------------------------------------------------
    def exercise(self) -> None:
        assert self.http.get("/health").json() == {"status": "ok"}
        assert self.http.get("/health").status_code == 200
        openapi = self.http.get("/openapi.json")
        assert openapi.status_code == 200 and openapi.json()["paths"]
        assert self.http.get("/docs").status_code == 200
        if self.spec.auth:
            self.user = self.sign_in(f"alice{next(_counter)}@example.com")
            self.other = self.sign_in(f"bob{next(_counter)}@example.com")
            self.accounts()
        for e in self.ctx["entities"]:
            self.exercise_entity(e)
        for e in reversed(self.ctx["entities"]):
            for row in self.rows.get(e.name, []):
                r = self.http.delete(self.url(e, row["id"]), headers=self.headers)
                assert r.status_code == 204, f"{e.name}: DELETE {r.status_code} {r.text}"
                assert self.http.get(self.url(e, row["id"]), headers=self.headers).status_code == 404

    def exercise_entity(self, e: Any) -> None:
        h, url = self.headers, self.url(e)
        if self.spec.auth:
            assert self.http.get(url).status_code == 401, f"{e.name}: list without a token"
            assert self.http.post(url, json=self.payload(e)).status_code == 401, f"{e.name}: create without a token"
        body = self.payload(e)
        r = self.http.post(url, json=body, headers=h)
        assert r.status_code == 201, f"{e.name}: POST {r.status_code} {r.text}"
        first = r.json()
        assert "id" in first and first["id"] is not None
        _assert_has(body, first, f"{e.name} create")
        self.rows.setdefault(e.name, []).append(first)
        self.refusals(e)
        r = self.http.get(self.url(e, first["id"]), headers=h)
        assert r.status_code == 200, r.text
        _assert_has(body, r.json(), f"{e.name} read")
        second = self.http.post(url, json=self.payload(e), headers=h)
        assert second.status_code == 201, second.text
        self.rows[e.name].append(second.json())
        page = self.http.get(url, params={"skip": 0, "limit": 1}, headers=h)
        assert page.status_code == 200, page.text
        assert len(page.json()["data"]) == 1 and page.json()["count"] == 2, page.text
        everything = self.http.get(url, headers=h).json()
        assert {str(row["id"]) for row in everything["data"]} == {str(first["id"]), str(second.json()["id"])}
        assert self.http.get(url, params={"skip": 2, "limit": 5}, headers=h).json()["data"] == []
        self.queries(e, first, second.json())
        self.update(e, first)
        missing = "999999" if isinstance(first["id"], int) else "0123456789abcdef01234567"
        assert self.http.get(self.url(e, missing), headers=h).status_code == 404
        if e.owned:
            r = self.http.get(self.url(e, first["id"]), headers=self.other)
            assert r.status_code == 404, f"{e.name}: another user read a private row: {r.status_code}"
            assert self.http.get(url, headers=self.other).json() == {"data": [], "count": 0}
            assert self.http.patch(self.url(e, first["id"]), json={}, headers=self.other).status_code == 404
            assert self.http.delete(self.url(e, first["id"]), headers=self.other).status_code == 404
            assert first.get(e.owner_key) is not None
        if self.spec.auth:
            self.roles(e, first)

    def roles(self, e: Any, row: dict[str, Any]) -> None:
        """Roles (docs/spec.md): admins see every row; shared entities are admin-written unless any_user."""
        url, row_url = self.url(e), self.url(e, row["id"])
        if e.owned:  # an ordinary user's row: theirs, and the admin's to see and manage
            mine = self.http.post(url, json=self.payload(e), headers=self.user)
            if mine.status_code == 422:  # it references rows only the admin sees
                return
            assert mine.status_code == 201, mine.text
            mine_url = self.url(e, mine.json()["id"])
            assert self.http.get(mine_url, headers=self.headers).status_code == 200, f"{e.name}: admin read"
            assert self.http.get(mine_url, headers=self.other).status_code == 404
            assert self.http.delete(mine_url, headers=self.headers).status_code == 204, f"{e.name}: admin delete"
        elif e.writable_by == "admin":
            assert self.http.get(row_url, headers=self.user).status_code == 200, f"{e.name}: shared read"
            for method, body in (("POST", self.payload(e)), ("PATCH", {}), ("DELETE", None)):
                target = url if method == "POST" else row_url
                r = self.http.request(method, target, json=body, headers=self.user)
                assert r.status_code == 403, f"{e.name}: an ordinary user's {method} answered {r.status_code}"
        else:
            r = self.http.post(url, json=self.payload(e), headers=self.user)
            assert r.status_code == 201, f"{e.name} (writable_by any_user): POST {r.status_code} {r.text}"
            assert self.http.delete(self.url(e, r.json()["id"]), headers=self.user).status_code == 204

    def list_parameters(self, e: Any) -> set[str]:
        if self.openapi is None:
            self.openapi = self.http.get("/openapi.json").json()
        op = self.openapi["paths"].get(self.url(e), {}).get("get", {})
        return {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}

    def queries(self, e: Any, first: dict[str, Any], second: dict[str, Any]) -> None:
        """Filters, ranges, search and sort over HTTP, where the list declares them (order_by)."""
        h, url, params = self.headers, self.url(e), self.list_parameters(e)
        if "order_by" not in params:
            return
        ids = [first["id"], second["id"]]
        down = self.http.get(url, params={"order_by": "-id"}, headers=h)
        assert down.status_code == 200, f"{e.name}: order_by=-id {down.text}"
        assert [row["id"] for row in down.json()["data"]] == sorted(ids, reverse=True), down.text
        unknown = self.http.get(url, params={"no_such_parameter": "1"}, headers=h)
        assert unknown.status_code == 422 and "order_by" in unknown.text, f"{e.name}: unknown parameter {unknown.text}"
        operator = self.http.get(url, params={"id[$ne]": "x", "$where": "1"}, headers=h)  # never a query operator
        assert operator.status_code == 422, f"{e.name}: an operator parameter answered {operator.status_code}"
        for f in e.fields:
            if f.name in params and first.get(f.name) is not None and f.type != "json":
                got = self.http.get(url, params={f.name: first[f.name]}, headers=h)
                assert got.status_code == 200, f"{e.name}: {f.name}= {got.text}"
                rows = got.json()["data"]
                assert first["id"] in [r["id"] for r in rows], f"{e.name}: {f.name}= misses the row"
                assert all(_same(first[f.name], r[f.name]) for r in rows), f"{e.name}: {f.name}= lets others through"
                assert got.json()["count"] == len(rows)
                break
        for f in e.fields:
            if f"{f.name}__gte" in params and first.get(f.name) is not None:
                value = first[f.name]
                inside = self.http.get(url, params={f"{f.name}__gte": value, f"{f.name}__lte": value}, headers=h).json()
                outside = self.http.get(url, params={f"{f.name}__gt": value}, headers=h).json()
                assert first["id"] in [r["id"] for r in inside["data"]], f"{e.name}: {f.name} range misses the row"
                assert first["id"] not in [r["id"] for r in outside["data"]], f"{e.name}: {f.name}__gt keeps the row"
                break
        text = next(
            (
                f
                for f in e.fields
                if f.type in ("str", "text") and isinstance(first.get(f.name), str) and len(first[f.name]) > 3
            ),
            None,
        )
        if "q" in params and text is not None:
            found = self.http.get(url, params={"q": first[text.name][1:4].upper()}, headers=h).json()
            assert first["id"] in [r["id"] for r in found["data"]], f"{e.name}: q misses {text.name}"
            literal = self.http.get(url, params={"q": ".*"}, headers=h).json()  # text, never a pattern
            assert all(".*" in str(r) for r in literal["data"]), f"{e.name}: q='.*' matched as a pattern"

    def update(self, e: Any, row: dict[str, Any]) -> None:
        h = self.headers
        change: dict[str, Any] = {}
        if e.fields:
            f = e.fields[0]
            change[f.name] = f.values[-1] if f.type == "enum" else _value(f) if f.unique else f.sample
            if f.type == "str":
                change[f.name] = f"changed {next(_counter)}"
        r = self.http.patch(self.url(e, row["id"]), json=change, headers=h)
        assert r.status_code == 200, f"{e.name}: PATCH {r.status_code} {r.text}"
        updated = r.json()
        _assert_has(change, updated, f"{e.name} update")
        untouched = {k: v for k, v in row.items() if k not in change and k not in ("updated_at",)}
        _assert_has(untouched, updated, f"{e.name} update kept other keys")
        row.update(updated)
        for link in e.links:
            r = self.http.patch(self.url(e, row["id"]), json={link.key: []}, headers=h)
            assert r.status_code == 200 and r.json()[link.key] == [], r.text

    def refusals(self, e: Any) -> None:
        h, url = self.headers, self.url(e)
        row_url = self.url(e, self.rows[e.name][0]["id"])

        def refused(body: dict[str, Any], why: str) -> None:
            r = self.http.post(url, json=body, headers=h)
            assert r.status_code == 422, f"{e.name}: POST with {why} answered {r.status_code} {r.text}"

        base = self.payload(e)
        refused(base | {"no_such_key": 1}, "an unknown key")
        for key in ("id", "created_at", "updated_at", e.owner_key if e.owned else "owner_id"):
            refused(base | {key: 1}, f"server-managed key {key}")
            r = self.http.patch(row_url, json={key: 1}, headers=h)
            assert r.status_code == 422, f"{e.name}: PATCH with {key} answered {r.status_code}"
        for f in e.fields:
            if f.invalid is not None:
                refused(base | {f.name: f.invalid}, f"invalid {f.type} {f.invalid!r} for {f.name}")
            if f.required:
                refused({k: v for k, v in base.items() if k != f.name}, f"required {f.name} missing")
        for r_ in e.refs:
            bad = self.http.post(url, json=base | {r_.key: 999999}, headers=h)
            assert bad.status_code in (404, 422), f"{e.name}: {r_.key} to a missing row answered {bad.status_code}"
        for link in e.links:
            bad = self.http.post(url, json=base | {link.key: [999999]}, headers=h)
            assert bad.status_code in (404, 422), f"{e.name}: {link.key} to missing rows answered {bad.status_code}"


def exercise(base_url: str, spec: ProjectSpec) -> None:
    ContractClient(base_url, spec).exercise()


__all__ = ["ADMIN_EMAIL", "ContractClient", "admin_env", "exercise"]
