"""Direct state setup for demos and tests: tokens of every kind without going through HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.sandbox.models import AccessLevel, Group, Project, User, UserType
from bot.sandbox.oauth_models import OAuthApplication
from bot.sandbox.oauth_store import register_application
from bot.sandbox.passwords import hash_password
from bot.sandbox.scopes import TokenPrefix
from bot.sandbox.state import SandboxState
from bot.sandbox.token_models import AccessToken, CiVariable, DeployToken, TriggerToken
from bot.sandbox.token_store import create_bot_user, issue_deploy_token, issue_token, new_secret


def add_personal_token(
    state: SandboxState,
    user: User,
    *,
    name: str = "seeded",
    scopes: Sequence[str] = ("api",),
    expires_at: date | None = None,
    revoked: bool = False,
    secret: str | None = None,
) -> tuple[AccessToken, str]:
    """A PAT for `user` (also used for service accounts); no lifetime checks."""
    token, value = issue_token(
        state, user, name=name, scopes=list(scopes), expires_at=expires_at, secret=secret
    )
    token.revoked = revoked
    return token, value


def add_resource_token(
    state: SandboxState,
    resource: Project | Group,
    *,
    name: str,
    level: AccessLevel = AccessLevel.MAINTAINER,
    scopes: Sequence[str] = ("api",),
    expires_at: date | None = None,
    revoked: bool = False,
) -> tuple[AccessToken, str]:
    """A project or group access token with its bot user, as GitLab creates them."""
    bot = create_bot_user(state, resource, name=name, level=level)
    return add_personal_token(
        state, bot, name=name, scopes=scopes, expires_at=expires_at, revoked=revoked
    )


def add_service_account(state: SandboxState, group: Group, username: str, *, name: str) -> User:
    account = state.add_user(
        username,
        name=name,
        email=f"{username}@noreply.{state.host}",
        user_type=UserType.SERVICE_ACCOUNT,
    )
    account.provisioned_by_group_id = group.id
    return account


def add_project_service_account(
    state: SandboxState, project: Project, username: str, *, name: str
) -> User:
    """A project service account (GitLab 18.10+, `allow_projects_to_create_service_accounts`)."""
    account = state.add_user(
        username,
        name=name,
        email=f"{username}@noreply.{state.host}",
        user_type=UserType.SERVICE_ACCOUNT,
    )
    account.provisioned_by_project_id = project.id
    return account


def set_password(state: SandboxState, user: User, password: str) -> None:
    """Let `user` sign in on the OAuth pages (kept as a salted hash)."""
    with state.lock:
        user.password_hash = hash_password(password)


def add_oauth_application(
    state: SandboxState,
    *,
    name: str,
    redirect_uris: Sequence[str],
    scopes: Sequence[str] = ("read_user",),
    confidential: bool = True,
    trusted: bool = False,
    uid: str | None = None,
    secret: str | None = None,
) -> tuple[OAuthApplication, str]:
    """An OAuth application; returns it (`.uid` is the client id) and its client secret."""
    return register_application(
        state,
        name=name,
        redirect_uris=redirect_uris,
        scopes=scopes,
        confidential=confidential,
        trusted=trusted,
        uid=uid,
        secret=secret,
    )


def add_deploy_token(
    state: SandboxState,
    resource: Project | Group,
    *,
    name: str,
    scopes: Sequence[str] = ("read_repository",),
    expires_at: datetime | None = None,
) -> tuple[DeployToken, str]:
    return issue_deploy_token(
        state, resource, name=name, scopes=list(scopes), expires_at=expires_at
    )


def add_trigger(
    state: SandboxState, project: Project, owner: User, *, description: str
) -> TriggerToken:
    with state.lock:
        now = state.now()
        trigger = TriggerToken(
            id=state.next_id("ci_triggers"),
            project_id=project.id,
            owner_id=owner.id,
            description=description,
            token=new_secret(TokenPrefix.TRIGGER),
            created_at=now,
            updated_at=now,
        )
        state.triggers[trigger.id] = trigger
        return trigger


def add_variable(
    state: SandboxState,
    project: Project,
    key: str,
    value: str,
    *,
    masked: bool = False,
    protected: bool = False,
    environment_scope: str = "*",
) -> CiVariable:
    variable = CiVariable(
        project_id=project.id,
        key=key,
        value=value,
        masked=masked,
        protected=protected,
        environment_scope=environment_scope,
    )
    with state.lock:
        state.variables.append(variable)
    return variable
