"""Issuing and finding OAuth applications, codes, tokens and browser sessions (digests only)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from bot.sandbox.models import User
from bot.sandbox.oauth_models import (
    OAuthAccessToken,
    OAuthApplication,
    OAuthGrant,
    WebSession,
)
from bot.sandbox.state import SandboxState
from bot.sandbox.token_store import secret_digest

# `lib/gitlab/doorkeeper_secret_storing/token/unique_application_token.rb`: "gloas-" + hex(32).
APPLICATION_SECRET_PREFIX = "gloas-"  # noqa: S105 - a prefix, not a secret


def register_application(
    state: SandboxState,
    *,
    name: str,
    redirect_uris: Sequence[str],
    scopes: Sequence[str],
    confidential: bool = True,
    trusted: bool = False,
    uid: str | None = None,
    secret: str | None = None,
) -> tuple[OAuthApplication, str]:
    """Store an application; returns it and its one-time secret."""
    with state.lock:
        value = secret or f"{APPLICATION_SECRET_PREFIX}{secrets.token_hex(32)}"
        app = OAuthApplication(
            id=state.next_id("oauth_applications"),
            name=name,
            uid=uid or secrets.token_hex(32),
            secret_digest=secret_digest(value),
            redirect_uris=tuple(redirect_uris),
            scopes=tuple(scopes),
            created_at=state.now(),
            confidential=confidential,
            trusted=trusted,
        )
        state.oauth.applications[app.id] = app
        state.oauth.application_ids_by_uid[app.uid] = app.id
        return app, value


def authenticate_client(
    state: SandboxState, uid: str | None, secret: str | None
) -> OAuthApplication | None:
    """Doorkeeper's `by_uid_and_secret`: public apps need no secret, confidential ones do."""
    app = state.oauth.application_by_uid(uid)
    if app is None:
        return None
    if not secret:
        return None if app.confidential else app
    return app if secrets.compare_digest(secret_digest(secret), app.secret_digest) else None


def issue_grant(
    state: SandboxState,
    app: OAuthApplication,
    user: User,
    *,
    redirect_uri: str,
    scopes: Sequence[str],
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    """A new authorization code (hex, as GitLab's `default_generator_method :hex`)."""
    with state.lock:
        code = secrets.token_hex(32)
        grant = OAuthGrant(
            id=state.next_id("oauth_access_grants"),
            application_id=app.id,
            user_id=user.id,
            digest=secret_digest(code),
            redirect_uri=redirect_uri,
            scopes=tuple(scopes),
            created_at=state.now(),
            code_challenge=code_challenge or None,
            code_challenge_method=(code_challenge_method or None) if code_challenge else None,
        )
        state.oauth.grants_by_digest[grant.digest] = grant
        return code


def find_grant(state: SandboxState, code: str) -> OAuthGrant | None:
    return state.oauth.grants_by_digest.get(secret_digest(code))


def issue_access_token(
    state: SandboxState, *, application_id: int, user_id: int, scopes: Sequence[str]
) -> tuple[OAuthAccessToken, str, str]:
    """Returns the token record, the access token and the refresh token."""
    with state.lock:
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        token = OAuthAccessToken(
            id=state.next_id("oauth_access_tokens"),
            application_id=application_id,
            user_id=user_id,
            digest=secret_digest(access),
            refresh_digest=secret_digest(refresh),
            scopes=list(scopes),
            created_at=state.now(),
        )
        registry = state.oauth
        registry.tokens[token.id] = token
        registry.token_ids_by_digest[token.digest] = token.id
        registry.token_ids_by_refresh_digest[token.refresh_digest] = token.id
        return token, access, refresh


def find_access_token(state: SandboxState, secret: str) -> OAuthAccessToken | None:
    token_id = state.oauth.token_ids_by_digest.get(secret_digest(secret))
    return None if token_id is None else state.oauth.tokens.get(token_id)


def find_by_access_or_refresh(state: SandboxState, secret: str) -> OAuthAccessToken | None:
    """`/oauth/revoke` looks the value up as an access token, then as a refresh token."""
    found = find_access_token(state, secret)
    if found is not None:
        return found
    token_id = state.oauth.token_ids_by_refresh_digest.get(secret_digest(secret))
    return None if token_id is None else state.oauth.tokens.get(token_id)


def matching_token(
    state: SandboxState, app: OAuthApplication, user: User, scopes: Sequence[str]
) -> OAuthAccessToken | None:
    """An active token of this app for this user with the same scopes (`matching_token?`)."""
    now, wanted = state.now(), set(scopes)
    return next(
        (
            t
            for t in state.oauth.tokens.values()
            if t.application_id == app.id
            and t.user_id == user.id
            and set(t.scopes) == wanted
            and t.is_active(now)
        ),
        None,
    )


def start_session(state: SandboxState, user: User) -> str:
    """A signed-in browser: returns the cookie value (only its digest is kept)."""
    with state.lock:
        cookie = secrets.token_urlsafe(32)
        session = WebSession(user.id, secrets.token_urlsafe(32), state.now())
        state.oauth.sessions_by_digest[secret_digest(cookie)] = session
        return cookie


def find_session(state: SandboxState, cookie: str | None) -> WebSession | None:
    if not cookie:
        return None
    session = state.oauth.sessions_by_digest.get(secret_digest(cookie))
    if session is None or session.user_id not in state.users:
        return None
    return session


def end_session(state: SandboxState, cookie: str | None) -> None:
    if cookie:
        with state.lock:
            state.oauth.sessions_by_digest.pop(secret_digest(cookie), None)


def delete_application(state: SandboxState, app: OAuthApplication) -> None:
    """Doorkeeper's `has_many ... dependent: :delete_all`: its codes and tokens go with it."""
    with state.lock:
        registry = state.oauth
        registry.applications.pop(app.id, None)
        registry.application_ids_by_uid.pop(app.uid, None)
        grants = registry.grants_by_digest
        for digest in [d for d, g in grants.items() if g.application_id == app.id]:
            del grants[digest]
        for token in [t for t in registry.tokens.values() if t.application_id == app.id]:
            del registry.tokens[token.id]
            registry.token_ids_by_digest.pop(token.digest, None)
            registry.token_ids_by_refresh_digest.pop(token.refresh_digest, None)
