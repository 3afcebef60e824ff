"""Issuing, rotating and revoking PAT-family tokens, and the expiry rules they follow."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from bot.sandbox.messages import bad_request, to_sentence, unprocessable
from bot.sandbox.models import AccessLevel, Group, Project, UserType
from bot.sandbox.models import User as UserRecord
from bot.sandbox.scopes import TokenPrefix
from bot.sandbox.state import SandboxState, source_ref
from bot.sandbox.token_models import AccessToken, DeployToken

MAX_LIFETIME_DAYS = 365
CREATE_DEFAULT_DAYS = 365
ROTATE_DEFAULT_DAYS = 7


def new_secret(prefix: TokenPrefix) -> str:
    return f"{prefix}{secrets.token_urlsafe(15)}"


def secret_digest(secret: str) -> str:
    """Secrets are only kept as digests, so the store never holds a usable token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def default_expiry(requested: date | None, today: date, *, default_days: int) -> date:
    return requested if requested is not None else today + timedelta(days=default_days)


def lifetime_error(expires: date, today: date) -> str | None:
    """`PersonalAccessToken#expires_at_before_instance_max_expiry_date`'s full message."""
    latest = today + timedelta(days=MAX_LIFETIME_DAYS)
    return f"Expires at must be before {latest.isoformat()}" if expires > latest else None


def resolve_expiry(requested: date | None, today: date, *, default_days: int) -> date:
    """Default lifetime, then the instance maximum, refused by `bad_request!` (400): what the
    access-token create and every rotate endpoint do with the service's message."""
    expires = default_expiry(requested, today, default_days=default_days)
    error = lifetime_error(expires, today)
    if error is not None:
        raise bad_request(error)
    return expires


def resolve_personal_token(name: str, requested: date | None, today: date) -> date:
    """`PersonalAccessTokens::CreateService` as lib/api/users.rb and
    ee/lib/api/group_service_accounts.rb render it: the model's errors joined by
    `to_sentence`, via `render_api_error!(message, :unprocessable_entity)` (422, no prefix)."""
    expires = default_expiry(requested, today, default_days=CREATE_DEFAULT_DAYS)
    errors = [] if name else ["Name can't be blank"]
    limit = lifetime_error(expires, today)
    if limit is not None:
        errors.append(limit)
    if errors:
        raise unprocessable(to_sentence(errors))
    return expires


def issue_token(
    state: SandboxState,
    user: UserRecord,
    *,
    name: str,
    scopes: list[str],
    expires_at: date | None,
    description: str | None = None,
    previous_id: int | None = None,
    secret: str | None = None,
) -> tuple[AccessToken, str]:
    """Store a new token for `user`; returns the record and its one-time secret."""
    with state.lock:
        value = secret or new_secret(TokenPrefix.PERSONAL)
        token = AccessToken(
            id=state.next_id("personal_access_tokens"),
            user_id=user.id,
            name=name,
            scopes=list(scopes),
            created_at=state.now(),
            expires_at=expires_at,
            digest=secret_digest(value),
            description=description,
            previous_id=previous_id,
        )
        state.store_token(token)
        return token, value


def create_bot_user(
    state: SandboxState, source: Project | Group, *, name: str, level: AccessLevel
) -> UserRecord:
    """The bot behind a project or group access token, a member at the token's level."""
    with state.lock:
        ref = source_ref(source)
        username = f"{ref.kind}_{source.id}_bot_{secrets.token_hex(16)}"
        bot = state.add_user(
            username,
            name=name,
            email=f"{username}@noreply.{state.host}",
            user_type=UserType.PROJECT_BOT,
        )
        state.store_bot(bot, ref)
        state.add_member(bot, source, level)
        return bot


def rotate_token(
    state: SandboxState, token: AccessToken, requested: date | None
) -> tuple[AccessToken, str]:
    """Revoke `token` and issue its successor (new id and secret, same name and scopes)."""
    with state.lock:
        if token.revoked:
            raise bad_request("Token already revoked")
        expires = resolve_expiry(requested, state.today(), default_days=ROTATE_DEFAULT_DAYS)
        token.revoked = True
        return issue_token(
            state,
            state.users[token.user_id],
            name=token.name,
            scopes=token.scopes,
            expires_at=expires,
            description=token.description,
            previous_id=token.id,
        )


def revoke_family(state: SandboxState, token: AccessToken) -> None:
    """Reuse detection: revoke every token descended from `token`'s rotation chain."""
    with state.lock:
        root = token
        while root.previous_id is not None and root.previous_id in state.tokens:
            root = state.tokens[root.previous_id]
        family = {root.id}
        grew = True
        while grew:
            successors = {
                t.id
                for t in state.tokens.values()
                if t.previous_id in family and t.id not in family
            }
            family |= successors
            grew = bool(successors)
        for token_id in family:
            state.tokens[token_id].revoked = True


def find_by_secret(state: SandboxState, secret: str) -> AccessToken | None:
    token_id = state.token_ids_by_digest.get(secret_digest(secret))
    return None if token_id is None else state.tokens.get(token_id)


def issue_deploy_token(
    state: SandboxState,
    resource: Project | Group,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    username: str | None = None,
) -> tuple[DeployToken, str]:
    """Store a deploy token; the default username embeds its id, as GitLab's does."""
    with state.lock:
        token_id = state.next_id("deploy_tokens")
        secret = new_secret(TokenPrefix.DEPLOY)
        token = DeployToken(
            id=token_id,
            source=source_ref(resource),
            name=name,
            username=username or f"gitlab+deploy-token-{token_id}",
            scopes=list(scopes),
            created_at=state.now(),
            expires_at=expires_at,
            digest=secret_digest(secret),
        )
        state.deploy_tokens[token.id] = token
        state.deploy_token_ids_by_digest[token.digest] = token.id
        return token, secret
