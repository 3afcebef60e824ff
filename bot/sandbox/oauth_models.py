"""Records for GitLab as an OAuth 2 provider (Doorkeeper): applications, grants, tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Doorkeeper's `authorization_code_expires_in` default (GitLab leaves it commented out).
CODE_LIFETIME_S = 600
# `access_token_expires_in 7200` in GitLab's config/initializers/doorkeeper.rb.
TOKEN_LIFETIME_S = 7200


@dataclass
class OAuthApplication:
    """An `oauth_applications` row; the secret is kept only as a digest."""

    id: int
    name: str
    uid: str
    secret_digest: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    confidential: bool = True
    # Trusted applications skip the consent page (`skip_authorization`).
    trusted: bool = False


@dataclass
class OAuthGrant:
    """An authorization code (`oauth_access_grants`), single use, bound to PKCE and a URI."""

    id: int
    application_id: int
    user_id: int
    digest: str
    redirect_uri: str
    scopes: tuple[str, ...]
    created_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    revoked_at: datetime | None = None

    def is_accessible(self, now: datetime) -> bool:
        """Doorkeeper's `accessible?`: neither revoked nor expired."""
        expired = now > self.created_at + timedelta(seconds=CODE_LIFETIME_S)
        return self.revoked_at is None and not expired


@dataclass
class OAuthAccessToken:
    """An `oauth_access_tokens` row with its refresh token, both kept as digests."""

    id: int
    application_id: int
    user_id: int
    digest: str
    refresh_digest: str
    scopes: list[str]
    created_at: datetime
    expires_in: int = TOKEN_LIFETIME_S
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        """Doorkeeper's `Expirable#expired?`: strictly after `created_at + expires_in`."""
        return now > self.created_at + timedelta(seconds=self.expires_in)

    def is_active(self, now: datetime) -> bool:
        return not self.revoked and not self.is_expired(now)


@dataclass
class WebSession:
    """A signed-in browser (the `_gitlab_session` cookie), kept by the cookie's digest."""

    user_id: int
    csrf_token: str
    created_at: datetime


@dataclass
class OAuthRegistry:
    """Everything OAuth in one place, indexed by id and by secret digest."""

    applications: dict[int, OAuthApplication] = field(default_factory=dict)
    application_ids_by_uid: dict[str, int] = field(default_factory=dict)
    grants_by_digest: dict[str, OAuthGrant] = field(default_factory=dict)
    tokens: dict[int, OAuthAccessToken] = field(default_factory=dict)
    token_ids_by_digest: dict[str, int] = field(default_factory=dict)
    token_ids_by_refresh_digest: dict[str, int] = field(default_factory=dict)
    sessions_by_digest: dict[str, WebSession] = field(default_factory=dict)

    def application_by_uid(self, uid: str | None) -> OAuthApplication | None:
        app_id = self.application_ids_by_uid.get(uid or "")
        return None if app_id is None else self.applications.get(app_id)
