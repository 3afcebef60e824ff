"""Finding what tokenbot made: a request's marked credentials, a request's service account.

Used by the gateway when an earlier answer was lost (see bot/services/minting.py): these
reads decide whether a credential exists, so a failure to read raises; it never reads as
"none".
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gitlab
from gitlab.v4.objects import GroupServiceAccount

from bot.domain import provenance
from bot.domain.credentials import GitLabUser, Namespace, NamespaceKind, TokenRecord, TokenSpec
from bot.domain.tokens import TokenType
from bot.gitlab import mapping
from bot.gitlab.inventory import Caller
from bot.services.gitlab_errors import ValidationError

_RESOURCE_TOKENS = {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}


def marked_tokens(
    caller: Caller, gl: gitlab.Gitlab, ns: Namespace, spec: TokenSpec, request_id: str
) -> list[TokenRecord]:
    """Live credentials of `spec`'s type in `ns` whose mark names the request."""
    return [
        record
        for record in _listed(caller, gl, ns, spec)
        if record.active
        and not record.revoked
        and provenance.request_of(record.token_type, record.name, record.description) == request_id
    ]


def account_for(
    caller: Caller, gl: gitlab.Gitlab, ns: Namespace, username: str, request_id: str | None
) -> GroupServiceAccount:
    """A new service account for the token, never someone else's.

    An existing account may hold any role anywhere (it may be tokenbot's own account), and
    the approval was for a token of a fresh account: minting a token for it would hand its
    rights to the requester. The one exception is the account tokenbot made for this very
    request (its name bears the request's mark): an earlier attempt whose answer was lost.
    """
    group = gl.groups.get(ns.id, lazy=True)
    existing = existing_account(caller, gl, ns, username)
    if existing is not None:
        mark = provenance.request_in_name(str(existing.attributes.get("name") or ""))
        if request_id is not None and mark == request_id:
            return existing
        raise ValidationError(
            f"a service account '{username}' exists already in {ns.path}; tokenbot creates"
            " a new service account for each such token and never issues a token for an"
            " existing one: request it again under another name"
        )
    name = provenance.marked_name(username, request_id) if request_id else username
    created = caller.call(
        "service account",
        lambda: group.service_accounts.create({"name": name, "username": username}),
    )
    return GroupServiceAccount(group.service_accounts, created.attributes)


def account_by_id(gl: gitlab.Gitlab, ns: Namespace, account_id: int) -> GroupServiceAccount:
    """The group's service account `account_id`, unread: only its token managers are used."""
    group = gl.groups.get(ns.id, lazy=True)
    return GroupServiceAccount(group.service_accounts, {"id": account_id})


def existing_account(
    caller: Caller, gl: gitlab.Gitlab, ns: Namespace, username: str
) -> GroupServiceAccount | None:
    group = gl.groups.get(ns.id, lazy=True)
    accounts = caller.call("service accounts", lambda: group.service_accounts.list(iterator=True))
    for account in accounts:
        if account.attributes.get("username") == username:
            return GroupServiceAccount(group.service_accounts, account.attributes)
    return None


def user_by_email(caller: Caller, gl: gitlab.Gitlab, email: str) -> GitLabUser | None:
    """The one GitLab user with exactly this e-mail address, as far as the bot may see.

    GitLab's user search matches anyone's public e-mail exactly, and private addresses only
    for an administrator (its `User.search`: `with_public_email`, primary and secondary
    e-mails for admins); only an administrator's answer carries `email`. For anyone else each
    candidate is read again (`GET /users/:id` shows `public_email`) and compared exactly, so
    a fuzzy match on a name is never taken for the person.
    """
    found = caller.call("user", lambda: gl.users.list(search=email))
    wanted = email.strip().lower()
    exact = []
    for listed in found:
        attrs = dict(listed.attributes)
        if "email" not in attrs and "public_email" not in attrs:
            attrs = dict(caller.call("user", partial(gl.users.get, int(attrs["id"]))).attributes)
        addresses = {str(attrs.get(k) or "").strip().lower() for k in ("email", "public_email")}
        if wanted in addresses:
            exact.append(mapping.user(attrs))
    return exact[0] if len(exact) == 1 else None


def _listed(caller: Caller, gl: gitlab.Gitlab, ns: Namespace, spec: TokenSpec) -> list[TokenRecord]:
    kind = spec.token_type
    owner: Any = (
        gl.projects.get(ns.id, lazy=True)
        if ns.kind is NamespaceKind.PROJECT
        else gl.groups.get(ns.id, lazy=True)
    )
    what = f"tokens of {ns.path}"
    if kind in _RESOURCE_TOKENS:
        listed = caller.call(what, lambda: list(owner.access_tokens.list(iterator=True)))
        return [mapping.access_token(t.attributes, kind, ns) for t in listed]
    if kind is TokenType.SERVICE_ACCOUNT_PAT:
        account = (
            account_by_id(gl, ns, spec.account_id)
            if spec.account_id is not None
            else existing_account(caller, gl, ns, spec.service_account or spec.name)
        )
        if account is None:
            return []
        listed = caller.call(what, lambda: list(account.access_tokens.list(iterator=True)))
        return [mapping.access_token(t.attributes, kind, ns) for t in listed]
    if kind is TokenType.DEPLOY_TOKEN:
        listed = caller.call(what, lambda: list(owner.deploytokens.list(iterator=True)))
        return [mapping.deploy_token(t.attributes, ns) for t in listed]
    if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
        listed = caller.call(what, lambda: list(owner.triggers.list(iterator=True)))
        return [mapping.trigger_token(t.attributes, ns) for t in listed]
    return []
