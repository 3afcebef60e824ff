"""`tokenbot check`: has each watched group tokenbot's webhook? One line per group.

Webhooks are optional (the scheduled sync finds everything anyway), so a missing hook is a
warning, never a failure. Without TOKENBOT_GITLAB_WEBHOOK_SECRET webhooks are off and there is
no line at all: an installation that does not use them sees the report it always saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.checks_report import CheckResult, Status, skip
from bot.services.webhook_install import HookState, HookStatus, hook_status
from bot.services.webhook_port import ESSENTIAL_EVENT, GroupHookGateway

NAME = "gitlab.webhook"
INSTALL = "run `tokenbot webhooks install` (as an Owner of the group)"


@dataclass(frozen=True, slots=True)
class WebhookCheckDeps:
    gitlab: GroupHookGateway | None  # None when GITLAB_URL or GITLAB_TOKEN is not set
    secret_set: bool
    groups: tuple[str, ...]
    url: str | None = None  # tokenbot's hook URL from TOKENBOT_PUBLIC_URL, if set


def webhook_checks(deps: WebhookCheckDeps | None) -> list[CheckResult]:
    if deps is None or not deps.secret_set:
        return []
    if deps.gitlab is None:
        return [skip(NAME, "GitLab is not configured")]
    gitlab = deps.gitlab
    return [_result(hook_status(g, url=deps.url, gitlab=gitlab)) for g in deps.groups]


def _result(status: HookStatus) -> CheckResult:
    facts = {"state": status.state.value, "hook_id": status.hook_id}
    group = status.group
    if status.state is HookState.INSTALLED:
        detail = f"tokenbot's hook {status.hook_id} is registered"
        return CheckResult(NAME, Status.PASS, detail, target=group, facts=facts)
    if status.state is HookState.INCOMPLETE:
        detail = f"tokenbot's hook {status.hook_id} has {ESSENTIAL_EVENT} off"
        return CheckResult(NAME, Status.WARN, detail, INSTALL, group, facts)
    if status.state is HookState.MISSING:
        detail = "no tokenbot hook: changes wait for the next sync"
        return CheckResult(NAME, Status.WARN, detail, INSTALL, group, facts)
    detail = f"cannot list the group's hooks (Owners only): {status.problem[:200]}"
    fix = "give tokenbot's account Owner on the group, or check the hook in GitLab's settings"
    return CheckResult(NAME, Status.WARN, detail, fix, group, facts)
