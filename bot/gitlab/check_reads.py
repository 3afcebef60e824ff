"""The reads `tokenbot check` makes: GitLab's version, the bot's account, a group role."""

from __future__ import annotations

from functools import partial
from typing import Any

import gitlab
import requests

from bot.domain.tokens import AccessLevel
from bot.gitlab import mapping
from bot.gitlab.inventory import Caller
from bot.services.checks import GitLabAccount, GitLabInstance
from bot.services.gitlab_errors import GitLabError, NotFoundError, UnavailableError


def instance_metadata(caller: Caller, gl: gitlab.Gitlab) -> GitLabInstance:
    """`GET /metadata` (any token that may read will do); says whether GITLAB_URL is a
    GitLab at all, and which version."""

    def fetch() -> Any:
        try:
            return gl.http_get("/metadata")
        except requests.exceptions.SSLError:
            raise UnavailableError(
                "GitLab's TLS certificate is not trusted: if it comes from a private CA,"
                " set TOKENBOT_GITLAB_CA_BUNDLE to that CA's PEM file."
            ) from None

    data = caller.call("GitLab's API at GITLAB_URL", fetch)
    if not isinstance(data, dict) or "version" not in data:
        raise GitLabError(
            "the answer to /api/v4/metadata is not GitLab's: GITLAB_URL may point elsewhere"
        )
    enterprise = data.get("enterprise")
    return GitLabInstance(
        version=str(data["version"]),
        revision=str(data.get("revision") or ""),
        enterprise=enterprise if isinstance(enterprise, bool) else None,
    )


def current_account(caller: Caller, gl: gitlab.Gitlab) -> GitLabAccount:
    data = caller.call("the bot's GitLab account", lambda: gl.http_get("/user"))
    if not isinstance(data, dict):
        raise GitLabError("GitLab's answer to /api/v4/user was not JSON")
    return GitLabAccount(
        int(data["id"]), str(data.get("username") or ""), bool(data.get("is_admin", False))
    )


def group_role(caller: Caller, gl: gitlab.Gitlab, group: str, user_id: int) -> AccessLevel | None:
    found = caller.call(f"group '{group}'", partial(gl.groups.get, group, with_projects=False))
    try:
        member = caller.call("membership", lambda: found.members_all.get(user_id))
    except NotFoundError:
        return None
    return mapping.role(member.attributes.get("access_level"))
