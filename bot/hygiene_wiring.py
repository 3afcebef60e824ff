"""Wiring of token hygiene: its rules from the settings and the policy, and what it needs."""

from __future__ import annotations

from bot.bootstrap import Container
from bot.config import Settings
from bot.domain.hygiene import HygieneRules, hygiene_rules
from bot.services.hygiene import HygieneDeps


def rules_of(settings: Settings) -> HygieneRules:
    """TOKENBOT_UNUSED_DAYS, TOKENBOT_LARGE_GROUP_PROJECTS and the policy's lifetimes."""
    return hygiene_rules(
        settings.request_policy,
        settings.lifetime_policy,
        unused_days=settings.tokenbot_unused_days,
        large_group_projects=settings.tokenbot_large_group_projects,
    )


def hygiene_deps(settings: Settings, container: Container, *, keep: bool = True) -> HygieneDeps:
    """The report's wiring; with `keep` (and GitLab set), the gate that decides on keeping."""
    can_keep = keep and settings.gitlab_url is not None and settings.gitlab_token is not None
    return HygieneDeps(
        uow=container.uow,
        clock=container.clock,
        rules=rules_of(settings),
        routes=settings.reminders_routes,
        gate=container.gate() if can_keep else None,
    )
