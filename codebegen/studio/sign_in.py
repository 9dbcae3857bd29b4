"""The sign-in widgets at the top of the studio's page.

Owns what a visitor sees about signing in: with Hugging Face login on (a Space), Gradio's
``gr.LoginButton`` and a line on who is signed in and the limits; with the studio's own login
providers (``codebegen.studio.auth``), the "Sign in with ..." links, or who is signed in, in
which workspace, and a sign-out link; with neither, nothing. Who is signed in is
``codebegen.studio.users``'s answer; the routes behind the links are ``codebegen.studio.auth``'s.
"""

from __future__ import annotations

import html

import gradio as gr

from codebegen.studio.auth import provider_label, sign_in_links
from codebegen.studio.settings import StudioSettings
from codebegen.studio.users import account, hf_username, request_session, signed_in


def login_controls(settings: StudioSettings) -> None:
    """With login on: the sign-in button and a line on who is signed in and the limits; else nothing."""
    if settings.accounts:
        account_controls(settings)
        return
    if not settings.login:
        return
    limits = f"prompts up to {settings.max_prompt_chars} characters"
    if settings.runs_per_hour:
        runs = settings.runs_per_hour
        limits += f", {runs} run{'s' if runs != 1 else ''} an hour"
    with gr.Row(equal_height=True):
        gr.LoginButton(elem_id="login", scale=0, min_width=260)
        status = gr.Markdown(elem_id="signed-in")

    def who(request: gr.Request) -> str:
        username = hf_username(request)
        if username is None:
            return f"**Sign in with Hugging Face to generate.** Each visitor sees only their own runs; {limits}."
        return f"Signed in as **{username}**. Your history is yours alone; {limits}."

    status.attach_load_event(who, None)


def account_controls(settings: StudioSettings) -> None:
    """The top of the page with login providers on: the sign-in links, or who is signed in, where, and sign-out."""
    bar = gr.HTML(elem_id="signed-in")

    def who(request: gr.Request) -> str:
        info = account(request_session(request))
        if info is None:
            return f"<p><b>Sign in to generate.</b> {sign_in_links(settings)}</p>"
        owner = signed_in(request, settings) or ""
        where = f"organization <b id='workspace'>{html.escape(owner[4:])}</b>" if owner.startswith("org:") else (
            "<b id='workspace'>your own workspace</b>"
        )  # fmt: skip
        return (
            f"<p>Signed in as <b id='signed-in-name'>{html.escape(str(info.get('name') or info['id']))}</b> "
            f"({html.escape(provider_label(settings, str(info.get('provider', ''))))}) · working in {where} · "
            f"<a id='sign-out' href='/auth/logout' target='_self'>Sign out</a></p>"
        )

    bar.attach_load_event(who, None)


__all__ = ["account_controls", "login_controls"]
