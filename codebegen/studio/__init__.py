"""The studio: codebegen in the browser (Gradio pages, a REST API, accounts, billing) on one server.

Owns everything a web user of codebegen meets: the pages (``pages``), the app that lays them out
(``app``) and the web server around it (``server``: the REST API ``api``, sign-in ``auth``,
previews, webhooks), who is asking (``users``, ``sign_in``), what they may do (``limits``,
``billing``), and what is kept (``store``, ``history``, ``database``). It only consumes the
engine's events (``codebegen.pipeline``, ``codebegen.iteration``); nothing below the studio
imports it, or the web libraries it uses (Gradio, DuckDB, authlib, Stripe), which the import
contracts in ``pyproject.toml`` check.
"""
