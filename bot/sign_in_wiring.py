"""Wiring GitLab sign-in (account linking) from the settings; part of the composition root."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.credentials import Secret
from bot.gitlab.oauth import GitLabOAuthClient, OAuthApp
from bot.services.linking import LinkDeps
from bot.services.ports import Clock, UnitOfWorkFactory


def link_deps(settings: Settings, uow: UnitOfWorkFactory, clock: Clock) -> LinkDeps | None:
    """GitLab sign-in (account linking), or None unless its settings are all set."""
    client_id = settings.tokenbot_gitlab_oauth_client_id
    secret = settings.tokenbot_gitlab_oauth_client_secret
    redirect = settings.oauth_redirect_uri
    key = settings.tokenbot_secret_key
    url = settings.gitlab_url
    if url is None or client_id is None or secret is None or redirect is None or key is None:
        return None
    app = OAuthApp(
        gitlab_url=url,
        client_id=client_id,
        client_secret=Secret(secret.get_secret_value()),
        redirect_uri=redirect,
        ca_bundle=str(settings.tokenbot_gitlab_ca_bundle or "") or None,
        timeout_seconds=settings.tokenbot_gitlab_timeout_seconds,
    )
    return LinkDeps(uow, GitLabOAuthClient(app), clock, key.get_secret_value().encode())
