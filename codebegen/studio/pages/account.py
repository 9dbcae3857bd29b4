"""The Account page: who is signed in, their organizations and members, their API keys.

Owns the page's components and handlers; every rule (who may invite, change a role, what a
key may do) is ``codebegen.studio.store``'s, and who is asking is ``codebegen.studio.users.person``'s. The
organization shown under Members is the one the session works in (the links under
Organizations switch it, through ``/auth/workspace``); creating organizations and inviting
need a login provider of the studio's own (``settings.accounts``), since an invitation is
accepted by signing in. A new API key or invitation link is shown once, in a box of its own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from codebegen.errors import EngineError
from codebegen.studio.billing.view import account_html, plan_name
from codebegen.studio.errors import user_error
from codebegen.studio.pages.generate import Studio
from codebegen.studio.store import ORG_PREFIX, ROLES, SCOPES, AccessError, Store, open_store
from codebegen.studio.users import person, signed_in

KEY_HEADERS = ["id", "name", "scopes", "created (UTC)", "expires (UTC)", "last used (UTC)", "state"]
MEMBER_HEADERS = ["user", "name", "role"]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


@dataclass
class AccountPage:
    profile: gr.HTML
    members: gr.Dataframe
    keys: gr.Dataframe


def build(ctx: Studio, tab: gr.Tab, app: gr.Blocks) -> AccountPage:
    settings = ctx.settings
    store: Store = open_store(settings.database, settings.database_url)
    profile = gr.HTML(elem_id="account-profile")
    with gr.Accordion("Organizations", open=True):
        with gr.Row():
            org_slug = gr.Textbox(label="New organization id", placeholder="acme-backend", scale=2, elem_id="org-slug")
            org_create = gr.Button("Create organization", scale=1, elem_id="org-create")
        members = gr.Dataframe(
            headers=MEMBER_HEADERS, type="array", interactive=False, label="Members", elem_id="members"
        )
        with gr.Row():
            member_user = gr.Textbox(label="Member (user id)", scale=2, elem_id="member-user")
            member_role = gr.Dropdown(list(ROLES), value="member", label="Role", scale=1, elem_id="member-role")
            set_role = gr.Button("Set role", scale=1, elem_id="member-set-role")
            remove = gr.Button("Remove", variant="stop", scale=1, elem_id="member-remove")
        with gr.Row():
            invite_role = gr.Dropdown(list(ROLES), value="member", label="Invite as", scale=1, elem_id="invite-role")
            invite = gr.Button("Create invitation link", scale=1, elem_id="invite-create")
            invite_link = gr.Textbox(label="Invitation link (single use, 7 days)", scale=3, interactive=False,
                                     elem_id="invite-link")  # fmt: skip
    with gr.Accordion("API keys", open=True):
        keys = gr.Dataframe(headers=KEY_HEADERS, type="array", interactive=False, label="Your API keys", elem_id="keys")
        with gr.Row():
            key_name = gr.Textbox(label="Key name", placeholder="ci", scale=2, elem_id="key-name")
            key_scopes = gr.CheckboxGroup(
                list(SCOPES), value=list(SCOPES), label="Scopes", scale=2, elem_id="key-scopes"
            )
            key_days = gr.Number(
                0, label="Expires in days (0: never)", precision=0, minimum=0, scale=1, elem_id="key-days"
            )
            key_create = gr.Button("Create key", scale=1, elem_id="key-create")
        new_key = gr.Textbox(label="The new key (shown once: copy it now)", interactive=False, elem_id="new-key")
        with gr.Row():
            revoke_id = gr.Textbox(label="Key id", scale=2, elem_id="revoke-id")
            revoke = gr.Button("Revoke", variant="stop", scale=1, elem_id="key-revoke")

    def who(request: gr.Request) -> str:
        user = person(request, settings)
        if user is None:
            raise user_error(EngineError("sign in to manage your account", hint="use a 'Sign in with' link at the top"))
        return user

    def org_of(request: gr.Request) -> str | None:
        owner = signed_in(request, settings) or ""
        return owner[len(ORG_PREFIX) :] if owner.startswith(ORG_PREFIX) else None

    def draw(request: gr.Request) -> dict[Any, Any]:
        user = person(request, settings)
        if user is None:
            return {profile: "<p>Sign in to see your account.</p>", members: [["", "", ""]], keys: [[""] * 7]}
        row = store.user(user)
        orgs = store.orgs_of(user)
        current = org_of(request)
        lines = [f"<p>Signed in as <b>{html.escape(row.name if row and row.name else user)}</b> "
                 f"(<code id='account-id'>{html.escape(user)}</code>), plan <b>{html.escape(plan_name(store, settings, user))}</b>.</p>"]  # fmt: skip
        if orgs:
            items = []
            for org in orgs:
                here = " (working here)" if org.id == current else ""
                link = (
                    f"<a href='/auth/workspace?org={html.escape(org.id)}' target='_self'>work here</a>"
                    if settings.accounts
                    else ""
                )
                items.append(
                    f"<li id='org-{html.escape(org.id)}'><b>{html.escape(org.name)}</b> — {org.role}{here} {link}</li>"
                )
            own = (
                "<li><a href='/auth/workspace?org=' target='_self'>your own workspace</a></li>"
                if settings.accounts
                else ""
            )
            lines.append(f"<p>Organizations:</p><ul id='orgs'>{''.join(items)}{own}</ul>")
        else:
            lines.append("<p id='orgs'>No organizations yet.</p>")
        lines.append(
            account_html(store, settings, signed_in(request, settings) or user)
        )  # codebegen.studio.billing; "" when off
        member_rows = [[m.user_id, m.name, m.role] for m in store.members(current, user)] if current else []
        key_rows = [
            [k.id, k.name, ",".join(k.scopes), _when(k.created_at), _when(k.expires_at), _when(k.last_used_at), k.state()]
            for k in store.keys(user)
        ]  # fmt: skip
        return {
            profile: "\n".join(lines),
            members: member_rows or [["", "work in an organization to see its members", ""]],
            keys: key_rows or [["", "no keys yet", "", "", "", "", ""]],
        }

    def refused(exc: AccessError) -> gr.Error:
        return user_error(exc)

    def create_org(slug: str, request: gr.Request) -> dict[Any, Any]:
        if not settings.accounts:
            raise user_error(EngineError("organizations need sign-in", hint="configure a login provider (README)"))
        try:
            org = store.create_org(who(request), slug)
        except AccessError as exc:
            raise refused(exc) from None
        gr.Info(f"Created {org.id}; use 'work here' to generate in it.")
        return draw(request)

    def change_role(user_id: str, role: str, request: gr.Request) -> dict[Any, Any]:
        org = org_of(request)
        if org is None:
            raise user_error(EngineError("work in an organization first", hint="pick 'work here' under Organizations"))
        try:
            store.set_role(org, who(request), user_id.strip(), role)
        except AccessError as exc:
            raise refused(exc) from None
        return draw(request)

    def remove_member(user_id: str, request: gr.Request) -> dict[Any, Any]:
        org = org_of(request)
        if org is None:
            raise user_error(EngineError("work in an organization first", hint="pick 'work here' under Organizations"))
        try:
            store.remove_member(org, who(request), user_id.strip())
        except AccessError as exc:
            raise refused(exc) from None
        return draw(request)

    def create_invite(role: str, request: gr.Request) -> str:
        org = org_of(request)
        if org is None:
            raise user_error(EngineError("work in an organization first", hint="pick 'work here' under Organizations"))
        try:
            token = store.invite(org, who(request), role)
        except AccessError as exc:
            raise refused(exc) from None
        raw = getattr(request, "request", None)
        base = (settings.public_url or (str(raw.base_url) if raw is not None else "")).rstrip("/")
        return f"{base}/auth/invite/{token}"

    def create_key(name: str, scopes: list[str], days: float | None, request: gr.Request) -> dict[Any, Any]:
        from datetime import timedelta

        from codebegen.studio.database import utc_now

        expires = utc_now() + timedelta(days=int(days)) if days else None
        try:
            _, secret = store.create_key(who(request), name or "", tuple(scopes or ()), expires_at=expires)
        except AccessError as exc:
            raise refused(exc) from None
        return {**draw(request), new_key: secret}

    def revoke_key(key_id: str, request: gr.Request) -> dict[Any, Any]:
        if not store.revoke_key(who(request), key_id.strip()):
            raise user_error(EngineError(f"you have no active key {key_id.strip()!r}", hint="copy an id from the list"))
        gr.Info(f"Revoked key {key_id.strip()}.")
        return draw(request)

    shown = [profile, members, keys]
    org_create.click(create_org, [org_slug], shown, api_name="create_org")
    set_role.click(change_role, [member_user, member_role], shown, api_name="set_member_role")
    remove.click(remove_member, [member_user], shown, api_name="remove_member")
    invite.click(create_invite, [invite_role], [invite_link], api_name="create_invitation")
    key_create.click(create_key, [key_name, key_scopes, key_days], [*shown, new_key], api_name="create_key")
    revoke.click(revoke_key, [revoke_id], shown, api_name="revoke_key")
    tab.select(draw, None, shown, api_name="account_on_open")
    return AccountPage(profile, members, keys)
