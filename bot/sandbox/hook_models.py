"""Group webhooks as the simulator stores them, and what it sent to them.

The fields follow GitLab's group hooks API (`doc/api/group_webhooks.md`, `lib/api/group_hooks.rb`
in gitlab-org/gitlab): a `url`, an optional secret `token` (never returned), a flag per event
family, `enable_ssl_verification`. The simulator keeps the flags tokenbot cares about and a
few common ones; unknown parameters are ignored, as Grape ignores undeclared ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Event flags a group hook accepts here, with GitLab's defaults (only push_events is on).
EVENT_FLAGS: dict[str, bool] = {
    "push_events": True,
    "tag_push_events": False,
    "merge_requests_events": False,
    "issues_events": False,
    "note_events": False,
    "pipeline_events": False,
    "job_events": False,
    "releases_events": False,
    "member_events": False,
    "project_events": False,
    "subgroup_events": False,
    "resource_access_token_events": False,
    "resource_deploy_token_events": False,
}


@dataclass
class GroupHook:
    id: int
    group_id: int
    url: str
    created_at: datetime
    token: str = ""  # the secret sent as X-Gitlab-Token; never rendered
    enable_ssl_verification: bool = True
    name: str = ""
    description: str = ""
    events: dict[str, bool] = field(default_factory=lambda: dict(EVENT_FLAGS))


@dataclass(frozen=True)
class Delivery:
    """One POST the simulator made to a hook, as its log of recent events shows it."""

    hook_id: int
    url: str
    event: str  # the X-Gitlab-Event header
    event_name: str
    status: int  # the HTTP status answered, 0 when the connection failed
    at: datetime


@dataclass
class HookStore:
    hooks: dict[int, GroupHook] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    # GitLab marks each token once notified for an interval (e.g. `seven_days_notification_
    # sent_at`), so the daily worker sends each interval once: (kind, token id, days).
    notified: set[tuple[str, int, int]] = field(default_factory=set)
    # GitLab's per-project/group setting "Add additional webhook triggers for ... access
    # token expiration" (17.9+): 60- and 30-day triggers besides the 7-day one.
    extended_access_token_triggers: bool = False

    def of_group(self, group_id: int) -> list[GroupHook]:
        return sorted((h for h in self.hooks.values() if h.group_id == group_id), key=_id)


def _id(hook: GroupHook) -> int:
    return hook.id
