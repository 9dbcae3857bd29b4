"""The studio's settings: one ``StudioSettings`` read from the environment, lazily, once.

Owns every knob of the studio (where its data lives, which model profile a run uses by
default, how many runs may go at once, how long the queue may grow, the per-visitor limits,
whether visitors sign in with Hugging Face, the studio's own login providers, its database
URL and session secret, the REST API's limits). ``login`` defaults to on exactly when the process
runs on a Hugging Face Space (``SYSTEM=spaces``, the variable Spaces and Gradio use). Read
through ``get_settings()``, never at import time, so tests and the Space can set the
environment (``CODEBEGEN_STUDIO_*``) first. It does not hold engine settings: the engine takes
its cache directory and PostgreSQL URL as arguments, which the studio passes from here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_HOME = Path.home() / ".cache" / "codebegen"


def on_space() -> bool:
    """Whether this process runs on a Hugging Face Space (how Gradio itself decides it)."""
    return os.environ.get("SYSTEM") == "spaces"


class OidcProvider(BaseModel):
    """One OpenID Connect provider (Keycloak, Google, Auth0, ...), found by its discovery document."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,30}$", description="the provider's id in URLs and user ids")
    discovery_url: str = Field(description="its /.well-known/openid-configuration")
    client_id: str
    client_secret: str = ""
    label: str = ""
    scope: str = "openid email profile"


class StudioSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CODEBEGEN_STUDIO_", extra="ignore")

    data_dir: Path = Field(_HOME / "studio", description="the history database and each run's project")
    cache_dir: Path = Field(_HOME, description="the engine's cache (runtime environments, converted weights)")
    profile: str = Field("default", description="the model profile a run uses unless the visitor picks another")
    profiles: list[str] = Field(
        ["default", "gpu", "remote", "fake"], description="the profiles offered in the profile choice"
    )
    postgres_url: str | None = Field(None, description="a PostgreSQL server the gate also verifies against")
    # Two runs at once: a run is mostly the gate's subprocesses and one model call at a time,
    # so two overlap well on two cores; a third would only slow the other two down.
    max_concurrent_runs: int = Field(2, ge=1, description="pipeline runs executing at the same time")
    max_queue: int = Field(16, ge=1, description="events waiting in the queue before new ones are refused")
    max_prompt_chars: int = Field(4000, ge=100, description="longest prompt accepted")
    history_page_size: int = Field(50, ge=1, description="runs listed on the History page")
    runs_per_hour: int = Field(0, ge=0, description="runs one user may start in any hour; 0: no limit")
    local_user: str = Field("local", description="the user every run belongs to when login is off")
    github_webhook_secret: str = Field("", description="the secret GitHub signs /webhooks/github deliveries with")
    login: bool = Field(
        default_factory=on_space,
        description="visitors sign in with Hugging Face (Gradio's OAuth); on by default on a Space",
    )

    # --- accounts, teams and the REST API (codebegen.studio.auth, codebegen.studio.store, codebegen.studio.api) ---------------
    database_url: str | None = Field(
        None, description="a PostgreSQL URL for the studio's store (history, users, keys); default: DuckDB in data_dir"
    )
    session_secret: str | None = Field(
        None, description="signs the session cookie; required (and not a default) when a login provider is configured"
    )
    public_url: str | None = Field(
        None, description="the studio's address as browsers reach it (OAuth redirect URIs); default: the request's"
    )
    github_client_id: str | None = Field(None, description="a GitHub OAuth app's client id: turns on GitHub login")
    github_client_secret: str | None = Field(None, description="that OAuth app's client secret")
    github_url: str = Field("https://github.com", description="where GitHub's authorize and token endpoints live")
    github_api_url: str = Field(
        "https://api.github.com", description="GitHub's REST API: sign-in (/user) and Push to GitHub"
    )
    oidc_providers: list[OidcProvider] = Field(
        [], description='OpenID Connect providers, JSON: [{"name", "discovery_url", "client_id", "client_secret"}]'
    )
    api_runs_per_hour_per_key: int = Field(0, ge=0, description="generations one API key may start an hour; 0: none")
    api_max_concurrent_runs: int = Field(2, ge=1, description="REST API generations executing at the same time")
    max_previews: int = Field(2, ge=0, description="live previews (sandboxed servers) at once; 0 turns them off")
    preview_idle_s: float = Field(300.0, gt=0, description="a preview without a request for this long is stopped")
    preview_lifetime_s: float = Field(3600.0, gt=0, description="a preview is stopped this long after its start")

    # --- billing with Stripe (codebegen.studio.billing); off while no secret key is set ---------------------
    stripe_secret_key: str | None = Field(None, description="Stripe's secret API key (sk_...): turns billing on")
    stripe_webhook_secret: str | None = Field(
        None, description="the webhook endpoint's signing secret (whsec_...): turns on /webhooks/stripe"
    )
    stripe_api_base: str | None = Field(None, description="where Stripe's API lives (tests: localstripe)")
    stripe_price_pro: str = Field("", description="the Stripe price id of the pro plan (a monthly price)")
    stripe_price_team: str = Field("", description="the Stripe price id of the team plan (per seat, monthly)")
    billing_plans: dict[str, dict[str, object]] = Field(
        {}, description='changes to the built-in plans, JSON: {"free": {"monthly_generations": 50}, ...}'
    )
    billing_grace_days: float = Field(3, ge=0, description="days a failed payment keeps the paid plan")

    @property
    def providers(self) -> list[str]:
        """The login providers configured here (codebegen.studio.auth), GitHub first."""
        return (["github"] if self.github_client_id else []) + [p.name for p in self.oidc_providers]

    @property
    def accounts(self) -> bool:
        """Whether visitors sign in with a provider of this studio (off: one local user, or a Space's HF login)."""
        return bool(self.providers) and not self.login

    @property
    def database(self) -> Path:
        return self.data_dir / "history.duckdb"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"


@lru_cache(maxsize=1)
def get_settings() -> StudioSettings:
    return StudioSettings()
