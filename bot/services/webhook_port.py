"""Group webhooks as tokenbot registers them, and the port through which it does.

The hook's fields are those of GitLab's group hooks API (`doc/api/group_webhooks.md`,
`lib/api/group_hooks.rb` in gitlab-org/gitlab): `url`, `token` (the secret GitLab sends back
as `X-Gitlab-Token`; write-only), one boolean per event family, `enable_ssl_verification`.
python-gitlab reaches it as `group.hooks.list/create/update` (`GroupHookManager`,
`gitlab/v4/objects/hooks.py`); `bot.gitlab.group_hooks` implements the port with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.credentials import Secret

# What tokenbot follows, each flag set explicitly: GitLab turns push_events on unless told.
# `resource_deploy_token_events` exists from GitLab 18.10; older versions ignore it (Grape
# drops undeclared parameters), and deploy tokens then follow at the next sync.
TOKENBOT_HOOK_EVENTS: Mapping[str, bool] = {
    "resource_access_token_events": True,
    "resource_deploy_token_events": True,
    "member_events": True,
    "project_events": True,
    "subgroup_events": True,
    "push_events": False,
    "tag_push_events": False,
    "merge_requests_events": False,
    "issues_events": False,
    "note_events": False,
    "pipeline_events": False,
    "job_events": False,
}
# Without this one the hook is of no use to tokenbot: `tokenbot check` says so.
ESSENTIAL_EVENT = "resource_access_token_events"


@dataclass(frozen=True, slots=True)
class GroupHookInfo:
    """A group hook as GitLab lists it: never its secret."""

    id: int
    url: str
    events_on: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class HookSpec:
    url: str
    secret: Secret
    events: Mapping[str, bool] = field(default_factory=lambda: dict(TOKENBOT_HOOK_EVENTS))
    enable_ssl_verification: bool = True


class GroupHookGateway(Protocol):
    def group_hooks(self, group: str) -> list[GroupHookInfo]:
        """`GET /groups/:id/hooks`, every page (Owners only: PermissionDeniedError else)."""

    def create_group_hook(self, group: str, spec: HookSpec) -> GroupHookInfo:
        """`POST /groups/:id/hooks`."""

    def update_group_hook(self, group: str, hook_id: int, spec: HookSpec) -> GroupHookInfo:
        """`PUT /groups/:id/hooks/:hook_id`: url, secret and events as `spec` says."""
