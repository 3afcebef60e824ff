"""Group member events (`X-Gitlab-Event: Member Hook`) for the simulator's member writes.

Payload as in gitlab-org/gitlab `doc/user/project/integrations/webhook_events.md` ("Group
member events"): flat, no `object_kind`; `group_name`, `group_path`, `group_id`, the user's
`user_username`, `user_name`, `user_email`, `user_id`, `group_access` (the role's name),
`expires_at`, `event_name` (`user_add_to_group`, `user_update_for_group`, ...). GitLab runs
the hooks of the group and of its parents (group hooks see their subgroups) from Sidekiq,
after the request; the simulator POSTs them from a short-lived thread, after the lock.
"""

from __future__ import annotations

import threading

from bot.sandbox.hook_sender import Outgoing, deliver
from bot.sandbox.models import Group, Membership
from bot.sandbox.state import SandboxState

MEMBER_HOOK = "Member Hook"


def _moment(state: SandboxState) -> str:
    return state.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def member_payload(
    state: SandboxState, group: Group, member: Membership, event_name: str
) -> dict[str, object]:
    user = state.users[member.user_id]
    return {
        "created_at": member.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": _moment(state),
        "group_name": group.name,
        "group_path": group.path,
        "group_id": group.id,
        "user_username": user.username,
        "user_name": user.name,
        "user_email": user.email,
        "user_id": user.id,
        "group_access": member.access_level.name.title(),
        "group_plan": None,
        "expires_at": (f"{member.expires_at.isoformat()}T00:00:00Z" if member.expires_at else None),
        "event_name": event_name,
    }


def send_member_hooks(
    state: SandboxState, group: Group, member: Membership, event_name: str
) -> None:
    """Queue the Member Hook for `group`'s hooks and its parents' (call under the lock)."""
    hooks = [
        hook
        for g in state.ancestors(group)
        for hook in state.group_hooks.of_group(g.id)
        if hook.events.get("member_events", False)
    ]
    if not hooks:
        return
    payload = member_payload(state, group, member, event_name)
    outgoing = [Outgoing(hook, MEMBER_HOOK, payload) for hook in hooks]
    threading.Thread(
        target=deliver, args=(state, outgoing), name="sandbox-member-hooks", daemon=True
    ).start()
