"""GitLab webhook deliveries read as untrusted JSON: which place in GitLab an event names.

tokenbot takes only *where* from a delivery, never *what*: the credentials named are read
again from GitLab's API, so a forged or stale payload can at worst cause one extra read.
Everything here is bounded: the body's size is checked by the caller, nesting is not followed,
strings are clipped, wrong types make the event `ignored` rather than raise.

The events and their fields, as GitLab documents them in `doc/user/project/integrations/
webhook_events.md` (gitlab-org/gitlab):

- `X-Gitlab-Event: Resource Access Token Hook`, `object_kind: access_token`, `event_name:
  expiring_access_token`; a `project` object (`path_with_namespace`) or a `group` object
  (`full_path`, since GitLab 17.4, else `group_path`), and `object_attributes` with `id`,
  `user_id`, `name`, `expires_at` (a date), `created_at`, `last_used_at` (newer versions).
- `X-Gitlab-Event: Resource Deploy Token Hook`, `object_kind: deploy_token`, `event_name:
  expiring_deploy_token`; `project` or `group`, `object_attributes` with `id`, `name`,
  `expires_at` (a time), `revoked`, `deploy_token_type`.
- `Member Hook` (group hooks, `member_events`): `event_name` `user_add_to_group`,
  `user_update_for_group`, `user_remove_from_group`, ...; top-level `group_path`, `user_id`.
- `Project Hook` (group hooks, `project_events`): `event_name` `project_create`,
  `project_destroy`, `project_rename`, `project_transfer`; `path_with_namespace` and, for a
  rename or transfer, `old_path_with_namespace`.
- `Subgroup Hook` (group hooks, `subgroup_events`): `event_name` `subgroup_create`,
  `subgroup_destroy`; `full_path`, `parent_full_path`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass

MAX_PATH = 512  # GitLab's full paths are far shorter; anything longer is not a path
MAX_NAME = 255
MAX_PATHS = 4


class EventKind(enum.StrEnum):
    EXPIRING_ACCESS_TOKEN = "expiring_access_token"  # noqa: S105 - an event name
    EXPIRING_DEPLOY_TOKEN = "expiring_deploy_token"  # noqa: S105 - an event name
    MEMBER = "member"
    PROJECT = "project"
    SUBGROUP = "subgroup"
    IGNORED = "ignored"  # unknown, malformed, or not about credentials


# X-Gitlab-Event values tokenbot acts on, and the object_kind or event_name each must carry.
HOOK_HEADERS: Mapping[str, EventKind] = {
    "Resource Access Token Hook": EventKind.EXPIRING_ACCESS_TOKEN,
    "Resource Deploy Token Hook": EventKind.EXPIRING_DEPLOY_TOKEN,
    "Member Hook": EventKind.MEMBER,
    "Project Hook": EventKind.PROJECT,
    "Subgroup Hook": EventKind.SUBGROUP,
}
_EVENT_NAMES: Mapping[EventKind, frozenset[str]] = {
    EventKind.EXPIRING_ACCESS_TOKEN: frozenset({"expiring_access_token"}),
    EventKind.EXPIRING_DEPLOY_TOKEN: frozenset({"expiring_deploy_token"}),
    EventKind.MEMBER: frozenset(
        {
            "user_add_to_group",
            "user_update_for_group",
            "user_remove_from_group",
            "user_access_request_to_group",
            "user_access_request_denied_for_group",
        }
    ),
    EventKind.PROJECT: frozenset(
        {"project_create", "project_destroy", "project_rename", "project_transfer"}
    ),
    EventKind.SUBGROUP: frozenset({"subgroup_create", "subgroup_destroy"}),
}


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    kind: EventKind
    event_name: str = ""
    paths: tuple[str, ...] = ()  # the GitLab places it names (full paths), clipped
    credential_id: int | None = None  # the token's id, for the log line only
    credential_name: str = ""

    @property
    def acts(self) -> bool:
        return self.kind is not EventKind.IGNORED and bool(self.paths)


IGNORED = WebhookEvent(EventKind.IGNORED)


def parse_event(hook_header: str, body: bytes) -> WebhookEvent:
    """The event in one delivery; `IGNORED` for anything tokenbot does not act on."""
    kind = HOOK_HEADERS.get(hook_header.strip()[:100])
    if kind is None:
        return IGNORED
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return IGNORED
    if not isinstance(payload, dict):
        return IGNORED
    name = _text(payload.get("event_name"), 100)
    if name not in _EVENT_NAMES[kind]:
        return IGNORED
    paths = _paths(kind, payload)
    attributes = payload.get("object_attributes")
    attrs = attributes if isinstance(attributes, dict) else {}
    return WebhookEvent(
        kind,
        name,
        paths,
        _integer(attrs.get("id")),
        _text(attrs.get("name"), MAX_NAME),
    )


def _paths(kind: EventKind, payload: dict[str, object]) -> tuple[str, ...]:
    if kind in (EventKind.EXPIRING_ACCESS_TOKEN, EventKind.EXPIRING_DEPLOY_TOKEN):
        project, group = payload.get("project"), payload.get("group")
        found = [
            _field(project, "path_with_namespace"),
            _field(group, "full_path") or _field(group, "group_path"),
        ]
    elif kind is EventKind.MEMBER:
        found = [_field(payload, "group_path")]
    elif kind is EventKind.PROJECT:
        found = [
            _field(payload, "path_with_namespace"),
            _field(payload, "old_path_with_namespace"),
        ]
    else:
        found = [_field(payload, "full_path"), _field(payload, "parent_full_path")]
    unique = dict.fromkeys(p for p in found if _is_path(p))
    return tuple(unique)[:MAX_PATHS]


def _field(container: object, key: str) -> str:
    if not isinstance(container, dict):
        return ""
    return _text(container.get(key), MAX_PATH + 1)


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _integer(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value < 2**63 else None


def _is_path(text: str) -> bool:
    """A full path as GitLab writes them: segments of letters, digits, `_`, `-`, `.`."""
    if not text or len(text) > MAX_PATH or text.startswith("/") or text.endswith("/"):
        return False
    return all(_segment_ok(s) for s in text.split("/"))


def _segment_ok(segment: str) -> bool:
    # GitLab's path rule: starts with a letter, digit or `_` (so never `.` or `..`).
    if not segment or not (segment[0].isascii() and (segment[0].isalnum() or segment[0] == "_")):
        return False
    return all(c.isascii() and (c.isalnum() or c in "_-.") for c in segment)


def under_watched(path: str, watched: tuple[str, ...]) -> tuple[str, ...]:
    """The watched groups that contain `path` (or are it), compared case-insensitively."""
    lowered = path.lower()
    return tuple(
        group
        for group in watched
        if lowered == group.lower() or lowered.startswith(group.lower() + "/")
    )


def groups_to_refresh(event: WebhookEvent, watched: tuple[str, ...]) -> tuple[str, ...]:
    """The watched groups whose credentials an event may have changed, each once."""
    if not event.acts:
        return ()
    found = dict.fromkeys(g for path in event.paths for g in under_watched(path, watched))
    if not found and event.kind is EventKind.MEMBER:
        # A member event names its group by `group_path`, the group's own path, not its full
        # path: one in a subgroup cannot be placed, so every watched group is read again.
        return watched
    return tuple(found)
