"""What the bot's account may list in one go, decided once per inventory walk.

Per-place listings cost a request per project and kind of credential. Where GitLab offers one
listing for many places, the walk reads it instead and the places skip that kind:

* `GET /groups/:id/manage/resource_access_tokens`: every group and project access token of a
  top-level group, each with `resource_type`, `resource_id` and `access_level`
  (`ee/lib/api/manage/groups.rb`, entity `lib/api/entities/resource_access_token.rb`). Only
  on GitLab.com (`Gitlab::Saas.feature_available?(:group_credentials_inventory)`, Ultimate)
  and only for the group's Owners (`authorize! :admin_group`): elsewhere it answers 404, to
  non-Owners 403 (`ee/spec/requests/api/manage/groups_spec.rb`). Docs:
  https://docs.gitlab.com/api/groups/#list-all-group-and-project-access-tokens-for-a-group
* `GET /deploy_keys` (administrators, not on GitLab.com): every deploy key with
  `projects_with_write_access` and `projects_with_readonly_access` (`lib/api/deploy_keys.rb`,
  entity `lib/api/entities/deploy_key.rb`). Docs: https://docs.gitlab.com/api/deploy_keys/

A listing GitLab refuses (403/404) is reported through progress and the places fall back to
their own listings; an outage stops the walk as any other read does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import gitlab

from bot.domain.credentials import Namespace, NamespaceKind, TokenRecord, place_key
from bot.domain.tokens import TokenType
from bot.gitlab import mapping
from bot.gitlab.caller import Caller
from bot.services.gitlab_errors import NotFoundError, PermissionDeniedError

_REFUSED = (NotFoundError, PermissionDeniedError)
MANAGE_RESOURCE_TOKENS = "/groups/{id}/manage/resource_access_tokens"
MANAGE_PERSONAL_TOKENS = "/groups/{id}/manage/personal_access_tokens"


@dataclass(slots=True)
class Reach:
    """The bot's account and the wide listings that answered."""

    admin: bool = False
    user_id: int | None = None
    # place key -> resource tokens, for places under a top group whose manage API answered
    resource_tokens: dict[str, list[TokenRecord]] = field(default_factory=dict)
    managed_roots: set[int] = field(default_factory=set)
    # project id -> its deploy keys, when the instance-wide listing answered (admins)
    deploy_keys: dict[int, list[TokenRecord]] | None = None

    def covers_resource_tokens(self, root_id: int) -> bool:
        return root_id in self.managed_roots


def account(caller: Caller, gl: gitlab.Gitlab) -> tuple[int | None, bool]:
    """The bot's user id and whether it is an administrator (`GET /user`: `is_admin` is
    shown to administrators only, `lib/api/entities/user_with_admin.rb`)."""
    data = caller.call("the bot's GitLab account", lambda: gl.http_get("/user"))
    if not isinstance(data, dict):
        return None, False
    return mapping.int_or_none(data.get("id")), bool(data.get("is_admin", False))


def manage_listing(caller: Caller, gl: gitlab.Gitlab, path: str) -> list[Any]:
    """Every page of a `manage/...` listing (NotFoundError/PermissionDeniedError if refused)."""
    return caller.call(path, lambda: list(gl.http_list(path, iterator=True)))


NO_MANAGE_API = (
    "{path}: no credentials inventory API ({why}; GitLab.com Ultimate top-level groups, for"
    " their Owners), so each place is read on its own"
)


def resource_tokens_of_root(
    caller: Caller,
    gl: gitlab.Gitlab,
    root: Namespace,
    places: Iterable[Namespace],
    *,
    reach: Reach,
    errors: list[str],
) -> None:
    """Fill `reach` with the manage API's resource tokens of `root`, if GitLab lists them."""
    try:
        listed = manage_listing(caller, gl, MANAGE_RESOURCE_TOKENS.format(id=root.id))
    except _REFUSED as exc:
        why = "403" if isinstance(exc, PermissionDeniedError) else "404"
        errors.append(NO_MANAGE_API.format(path=root.path, why=why))
        return
    by_key = {place_key(ns): ns for ns in places}
    reach.managed_roots.add(root.id)
    for attrs in listed:
        kind = (
            NamespaceKind.PROJECT
            if attrs.get("resource_type") == "project"
            else NamespaceKind.GROUP
        )
        ns = by_key.get(f"{kind.value}:{attrs.get('resource_id')}")
        if ns is None:
            continue  # a place outside the watched part of the hierarchy
        token_type = (
            TokenType.PROJECT_ACCESS_TOKEN
            if kind is NamespaceKind.PROJECT
            else TokenType.GROUP_ACCESS_TOKEN
        )
        reach.resource_tokens.setdefault(place_key(ns), []).append(
            mapping.access_token(attrs, token_type, ns)
        )


def instance_deploy_keys(
    caller: Caller, gl: gitlab.Gitlab, projects: Iterable[Namespace], errors: list[str]
) -> dict[int, list[TokenRecord]] | None:
    """Every watched project's deploy keys from the admin listing, or None if refused."""
    try:
        listed = caller.call("deploy keys", lambda: list(gl.deploykeys.list(iterator=True)))
    except _REFUSED as exc:
        errors.append(f"instance deploy keys: {exc}; read per project")
        return None
    wanted = {ns.id: ns for ns in projects}
    found: dict[int, list[TokenRecord]] = {pid: [] for pid in wanted}
    for key in listed:
        attrs = key.attributes
        for can_push, access in (
            (True, "projects_with_write_access"),
            (False, "projects_with_readonly_access"),
        ):
            for project in attrs.get(access) or ():
                ns = wanted.get(mapping.int_or_none(project.get("id")) or 0)
                if ns is not None:
                    record = mapping.deploy_key({**attrs, "can_push": can_push}, ns)
                    found[ns.id].append(record)
    return found
