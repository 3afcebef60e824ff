"""People's personal access tokens under a watched group, read the way GitLab allows.

1. GitLab.com Ultimate, the bot an Owner of the top-level group:
   `GET /groups/:id/manage/personal_access_tokens`, the PATs of the group's enterprise users
   and service accounts (`ee/lib/api/manage/groups.rb`: `user_types: [:human,
   :service_account]`, entity `Entities::PersonalAccessToken`).
2. An administrator (self-managed, Dedicated): `GET /personal_access_tokens?user_id=` for
   each member of the group and of its subgroups (`lib/api/personal_access_tokens.rb`:
   administrators see every user's tokens, `PersonalAccessTokenWithLastUsedIps` with
   `last_used_ips`). People who are members of single projects only are not asked about.
3. Anyone else sees no one's PATs but their own: the part is reported unreadable, and what
   an earlier sync knew is kept.

The result is one place of its own (`PlaceTokens.part`), so its tokens are marked gone only
when this listing is read completely. Each PAT names its account (`account`) and carries the
person's role in the group. The bot's own account and tokens other listings already gave
(group bots and service accounts are members too) are left out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import partial
from typing import Any

import gitlab

from bot.domain.credentials import Namespace, PlaceTokens
from bot.gitlab import mapping
from bot.gitlab.caller import Caller
from bot.gitlab.inventory_reach import MANAGE_PERSONAL_TOKENS, Reach, manage_listing
from bot.services.gitlab_errors import NotFoundError, PermissionDeniedError

PART = "personal access tokens"
_REFUSED = (NotFoundError, PermissionDeniedError)
UNREADABLE = (
    "people's personal access tokens of {path}: GitLab shows them to administrators, or on"
    " GitLab.com Ultimate to the top-level group's Owners; skipped"
)


def personal_part(
    caller: Caller,
    gl: gitlab.Gitlab,
    root: Namespace,
    subgroups: Sequence[Namespace],
    *,
    reach: Reach,
    known_ids: Collection[int],
    errors: list[str],
) -> PlaceTokens:
    """The PATs of `root`'s people, or an unreadable place if GitLab shows them to no one."""
    listed: list[Any] | None = None
    if reach.covers_resource_tokens(root.id):
        try:
            listed = manage_listing(caller, gl, MANAGE_PERSONAL_TOKENS.format(id=root.id))
        except _REFUSED as exc:
            errors.append(f"people's personal access tokens of {root.path}: {exc}")
    if listed is None and not reach.admin:
        errors.append(UNREADABLE.format(path=root.path))
        return PlaceTokens(root, (), readable=False, part=PART)
    members = _members(caller, gl, root, subgroups if listed is None else ())
    if listed is None:
        listed = [t for user_id in sorted(members) for t in _tokens_of(caller, gl, user_id)]
    records = [
        mapping.personal_token(
            attrs, root, members.get(mapping.int_or_none(attrs.get("user_id")) or 0)
        )
        for attrs in listed
        if int(attrs["id"]) not in known_ids and attrs.get("user_id") != reach.user_id
    ]
    return PlaceTokens(root, tuple(records), part=PART)


def _tokens_of(caller: Caller, gl: gitlab.Gitlab, user_id: int) -> list[dict[str, Any]]:
    found = caller.call(
        f"personal access tokens of user {user_id}",
        lambda: list(gl.personal_access_tokens.list(user_id=user_id, iterator=True)),
    )
    return [t.attributes for t in found]


def _members(
    caller: Caller, gl: gitlab.Gitlab, root: Namespace, subgroups: Sequence[Namespace]
) -> dict[int, dict[str, Any]]:
    """user id -> membership (the highest role seen): the group's effective members, and
    the direct members of each subgroup."""
    found: dict[int, dict[str, Any]] = {}
    sources = [(root, "members_all"), *((g, "members") for g in subgroups)]
    for ns, manager in sources:
        group = gl.groups.get(ns.id, lazy=True)
        try:
            listed = caller.call(f"members of {ns.path}", partial(_all, getattr(group, manager)))
        except _REFUSED:
            continue
        for attrs in listed:
            user_id = mapping.int_or_none(attrs.get("id"))
            known = found.get(user_id or 0)
            if user_id is not None and (known is None or _level(attrs) > _level(known)):
                found[user_id] = attrs
    return found


def _all(manager: Any) -> list[dict[str, Any]]:
    return [m.attributes for m in manager.list(iterator=True)]


def _level(member: dict[str, Any]) -> int:
    return int(member.get("access_level") or 0)
