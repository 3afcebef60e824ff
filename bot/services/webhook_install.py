"""`tokenbot webhooks install`: one tokenbot hook on each watched group, and its status.

Idempotent: a hook whose URL is tokenbot's is updated in place (URL, secret, events), never
added twice, so running the command again changes nothing but rewrites the secret (GitLab never
returns it, so tokenbot cannot tell whether it is current). Each change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import Secret
from bot.services.gitlab_errors import GitLabError
from bot.services.ports import Clock, UnitOfWorkFactory
from bot.services.webhook_port import ESSENTIAL_EVENT, GroupHookGateway, GroupHookInfo, HookSpec

WEBHOOK_PATH = "/gitlab/webhook"


class InstallChange(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class InstallResult:
    group: str
    change: InstallChange
    hook_id: int | None = None
    problem: str = ""  # why it failed (GitLab's error, never a secret)


@dataclass(frozen=True, slots=True)
class InstallDeps:
    gitlab: GroupHookGateway
    uow: UnitOfWorkFactory
    clock: Clock


def hook_url(public_url: str) -> str:
    """tokenbot's webhook address under its public URL."""
    return public_url.rstrip("/") + WEBHOOK_PATH


def tokenbot_hook(hooks: Sequence[GroupHookInfo], url: str) -> GroupHookInfo | None:
    """The group's hook that is tokenbot's (by URL, ignoring a trailing slash), if any."""
    wanted = url.rstrip("/")
    return next((h for h in hooks if h.url.rstrip("/") == wanted), None)


def install_webhooks(
    groups: Sequence[str], *, url: str, secret: Secret, deps: InstallDeps
) -> list[InstallResult]:
    """Create or update tokenbot's hook on each group; one group's failure stops no other."""
    spec = HookSpec(url=url, secret=secret)
    return [_install_one(group, spec, deps) for group in groups]


def _install_one(group: str, spec: HookSpec, deps: InstallDeps) -> InstallResult:
    try:
        existing = tokenbot_hook(deps.gitlab.group_hooks(group), spec.url)
        if existing is None:
            hook, change = deps.gitlab.create_group_hook(group, spec), InstallChange.CREATED
        else:
            hook = deps.gitlab.update_group_hook(group, existing.id, spec)
            change = InstallChange.UPDATED
    except GitLabError as exc:
        return InstallResult(group, InstallChange.FAILED, problem=str(exc))
    with deps.uow() as uow:
        uow.audit.append(
            AuditEvent(
                deps.clock(),
                AuditAction.WEBHOOK_INSTALLED,
                f"group:{group}",
                "tokenbot",
                {"hook_id": str(hook.id), "url": spec.url, "change": change.value},
            )
        )
        uow.commit()
    return InstallResult(group, change, hook.id)


class HookState(StrEnum):
    INSTALLED = "installed"
    MISSING = "missing"
    INCOMPLETE = "incomplete"  # tokenbot's URL, but the token events are off
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class HookStatus:
    group: str
    state: HookState
    hook_id: int | None = None
    problem: str = ""


def hook_status(group: str, *, url: str | None, gitlab: GroupHookGateway) -> HookStatus:
    """Has `group` tokenbot's hook? Without a known URL, any hook ending in /gitlab/webhook."""
    try:
        hooks = gitlab.group_hooks(group)
    except GitLabError as exc:
        return HookStatus(group, HookState.UNREADABLE, problem=str(exc))
    found = (
        tokenbot_hook(hooks, url)
        if url is not None
        else next((h for h in hooks if h.url.rstrip("/").endswith(WEBHOOK_PATH)), None)
    )
    if found is None:
        return HookStatus(group, HookState.MISSING)
    if ESSENTIAL_EVENT not in found.events_on:
        return HookStatus(group, HookState.INCOMPLETE, found.id)
    return HookStatus(group, HookState.INSTALLED, found.id)
