"""Creating a credential of each kind in one call, with the request's mark (TokenSpec)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import gitlab
import gitlab.exceptions as gle

from bot.domain.credentials import (
    IssuedToken,
    Namespace,
    NamespaceKind,
    Secret,
    TokenRecord,
    TokenSpec,
)
from bot.domain.tokens import AccessLevel, TokenType
from bot.gitlab import lookup, mapping
from bot.services.gitlab_errors import GitLabError, ValidationError

T = TypeVar("T")
_RESOURCE_TOKENS = {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}


class ChangeCaller(Protocol):
    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T: ...


def create(caller: ChangeCaller, gl: gitlab.Gitlab, ns: Namespace, spec: TokenSpec) -> IssuedToken:
    """One create call; OutcomeUnknownError when its answer was lost (it may exist now)."""
    data = _token_data(spec)
    change = f"the new token '{spec.name}'"
    kind = spec.token_type
    if kind in _RESOURCE_TOKENS:
        expect(
            ns,
            NamespaceKind.PROJECT
            if kind is TokenType.PROJECT_ACCESS_TOKEN
            else NamespaceKind.GROUP,
            kind,
        )
        made = caller.call(
            spec.where, lambda: _owner(gl, ns).access_tokens.create(data), change=change
        )
        record = mapping.access_token(made.attributes, kind, ns)
        return _issued(replace(record, account=_bot_username(caller, gl, record.user_id)), made)
    if kind is TokenType.SERVICE_ACCOUNT_PAT:
        expect(ns, NamespaceKind.GROUP, kind)
        data.pop("access_level", None)  # the account's role is its membership
        if spec.account_id is not None:  # a hand-off successor: the old token's account
            account = lookup.account_by_id(gl, ns, spec.account_id)
        else:
            username = spec.service_account or spec.name
            account = lookup.account_for(caller, gl, ns, username, spec.request_id)
            if spec.access_level is not None:
                _make_member(caller, gl, ns, int(account.attributes["id"]), spec.access_level)
        made = caller.call(spec.where, lambda: account.access_tokens.create(data), change=change)
        record = mapping.access_token(made.attributes, kind, ns)
        username = str(account.attributes.get("username") or "")
        return _issued(replace(record, account=username), made)
    if kind is TokenType.DEPLOY_TOKEN:
        data.pop("access_level", None)
        data.pop("description", None)
        if spec.deploy_username:
            data["username"] = spec.deploy_username
        made = caller.call(
            spec.where,
            lambda: _owner(gl, ns).deploytokens.create(data),
            change=f"the new deploy token '{spec.name}'",
        )
        return _issued(mapping.deploy_token(made.attributes, ns), made)
    if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
        expect(ns, NamespaceKind.PROJECT, kind)
        made = caller.call(
            spec.where,
            lambda: gl.projects.get(ns.id, lazy=True).triggers.create({"description": spec.name}),
            change=f"the new trigger token '{spec.name}'",
        )
        return _issued(mapping.trigger_token(made.attributes, ns), made)
    raise ValidationError(f"tokenbot cannot create a {kind.value} through the API")


def _bot_username(caller: ChangeCaller, gl: gitlab.Gitlab, user_id: int | None) -> str:
    """The username of a project or group token's bot user, to show with the secret. GitLab's
    create answer names only its id; a failed read costs the name, never the token."""
    if user_id is None:
        return ""
    try:
        user = caller.call("the token's bot user", lambda: gl.users.get(user_id))
    except GitLabError:
        return ""
    return str(user.attributes.get("username") or "")


def _make_member(
    caller: ChangeCaller, gl: gitlab.Gitlab, ns: Namespace, user_id: int, role: AccessLevel
) -> None:
    """Give a new service account the approved role in its group: GitLab makes it a member of
    nothing, so without this its token is refused everywhere (404). Run again after a lost
    answer, it finds the membership made and leaves it."""
    members = gl.groups.get(ns.id, lazy=True).members

    def add() -> None:
        try:
            members.create({"user_id": user_id, "access_level": int(role)})
        except gle.GitlabCreateError as exc:
            if exc.response_code != 409:  # 409: "Member already exists" (an earlier try)
                raise

    caller.call(f"the membership of the service account in {ns.path}", add)


def expect(ns: Namespace, kind: NamespaceKind, token_type: TokenType) -> None:
    if ns.kind is not kind:
        raise ValidationError(
            f"a {token_type.value} belongs to a {kind.value}, and '{ns.path}' is a {ns.kind.value}"
        )


def _owner(gl: gitlab.Gitlab, ns: Namespace) -> Any:
    if ns.kind is NamespaceKind.PROJECT:
        return gl.projects.get(ns.id, lazy=True)
    return gl.groups.get(ns.id, lazy=True)


def _token_data(spec: TokenSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "scopes": [str(s) for s in spec.scopes]}
    if spec.access_level is not None:
        data["access_level"] = int(spec.access_level)
    if spec.expires_on is not None:
        data["expires_at"] = spec.expires_on.isoformat()
    if spec.description:
        data["description"] = spec.description
    return data


def _issued(record: TokenRecord, made: Any) -> IssuedToken:
    return IssuedToken(record, Secret(str(made.attributes["token"])))
