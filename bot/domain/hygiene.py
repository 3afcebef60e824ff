"""Token hygiene: which tracked credentials should not exist as they are, and why.

Pure rules over what the inventory knows of one credential. Each finding says why in one
sentence and what a narrower credential would be (the advisor's least-privilege choices:
reading instead of writing, Developer instead of Maintainer or Owner, a project token instead
of a token over a large group, a lifetime within the policy).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.credentials import NamespaceKind
from bot.domain.policy import LifetimePolicy
from bot.domain.reminders import TrackedToken
from bot.domain.request_policy import RequestPolicy
from bot.domain.tokens import AccessLevel, Scope, TokenType

DEFAULT_UNUSED_DAYS = 30
DEFAULT_LARGE_GROUP_PROJECTS = 20  # the seed: group tokens reach every project of the group

# What reading would do instead of each write scope.
READ_INSTEAD: Mapping[Scope, Scope] = {
    Scope.API: Scope.READ_API,
    Scope.WRITE_REPOSITORY: Scope.READ_REPOSITORY,
    Scope.WRITE_REGISTRY: Scope.READ_REGISTRY,
    Scope.WRITE_PACKAGE_REGISTRY: Scope.READ_PACKAGE_REGISTRY,
}
_READ_BY_NAME = {write.value: read for write, read in READ_INSTEAD.items()}
WRITE_SCOPES = frozenset(READ_INSTEAD) | {Scope.MANAGE_RUNNER, Scope.CREATE_RUNNER}
HIGH_ROLES = frozenset({AccessLevel.MAINTAINER, AccessLevel.OWNER})
# Credentials that reach every project of the group they belong to.
GROUP_WIDE = frozenset({TokenType.GROUP_ACCESS_TOKEN, TokenType.DEPLOY_TOKEN})
# Credentials whose GitLab record names the person behind them: a personal access token its
# user, a pipeline trigger its owner (GitLab shows no creator for the other kinds).
NAMED_CREATOR = frozenset({TokenType.PERSONAL_ACCESS_TOKEN, TokenType.PIPELINE_TRIGGER_TOKEN})
# Lifetimes the policy judges although people cannot request them through tokenbot.
_DATED = (
    TokenType.PROJECT_ACCESS_TOKEN,
    TokenType.GROUP_ACCESS_TOKEN,
    TokenType.SERVICE_ACCOUNT_PAT,
    TokenType.BOT_USER_PAT,
    TokenType.PERSONAL_ACCESS_TOKEN,
    TokenType.DEPLOY_TOKEN,
    TokenType.DEPLOY_KEY,
)


class FindingKind(StrEnum):
    """Stable ids (a public contract: reports, silences and the digest use them)."""

    UNUSED = "unused"
    BROAD_SCOPE = "broad_scope"
    HIGH_ROLE = "high_role"
    LARGE_GROUP = "large_group"
    LONG_LIFETIME = "long_lifetime"
    UNOWNED = "unowned"
    NEVER_EXPIRES = "never_expires"
    BEYOND_MAXIMUM = "beyond_maximum"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    why: str  # one sentence
    instead: str  # what the advisor would recommend instead


@dataclass(frozen=True, slots=True)
class HygieneRules:
    unused_days: int = DEFAULT_UNUSED_DAYS
    large_group_projects: int = DEFAULT_LARGE_GROUP_PROJECTS
    default_lifetime_days: Mapping[TokenType, int] = field(default_factory=dict)
    max_lifetime_days: Mapping[TokenType, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What the inventory knows of one credential beyond the tracked token itself."""

    token: TrackedToken
    created_at: datetime | None = None  # unknown: the unused rule waits for a known age
    group_projects: int | None = None  # projects of the group a group-wide token reaches
    creator_known: bool = False  # tokenbot made it, or GitLab names a creator still there


def hygiene_rules(
    policy: RequestPolicy,
    lifetime: LifetimePolicy,
    *,
    unused_days: int = DEFAULT_UNUSED_DAYS,
    large_group_projects: int = DEFAULT_LARGE_GROUP_PROJECTS,
) -> HygieneRules:
    """The rules from the request policy's lifetimes per type (the lifetime policy for types
    it has no rule for, such as people's own tokens and deploy keys) and the two settings."""
    default = dict.fromkeys(_DATED, lifetime.default_days)
    maximum = dict.fromkeys(_DATED, lifetime.max_days)
    for token_type, rule in policy.rules.items():
        default[token_type] = rule.lifetime_default
        maximum[token_type] = rule.max_lifetime_days
    return HygieneRules(unused_days, large_group_projects, default, maximum)


def creator_known(token: TrackedToken) -> bool:
    """tokenbot made it (a request), or GitLab still names the person behind it."""
    if token.request_id is not None:
        return True
    return token.token_type in NAMED_CREATOR and token.user_id is not None


def findings(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> tuple[Finding, ...]:
    """Every finding for one credential, in a stable order."""
    found: list[Finding] = []
    for check in _CHECKS:
        finding = check(facts, rules, now)
        if finding is not None:
            found.append(finding)
    return tuple(found)


def narrower_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    """The same scopes with each write scope replaced by its read counterpart."""
    narrowed: list[str] = []
    for name in scopes:
        read = _READ_BY_NAME.get(name)
        choice = read.value if read else name
        if choice not in narrowed:
            narrowed.append(choice)
    return tuple(narrowed)


# Each rule gives its finding or None. The sentences depend on few values (scopes, a role, a
# date, a number of days), so each is built once and shared: at 100,000 credentials the
# report spends its time on judging, not on formatting the same sentence again.


def _unused(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    threshold = now - timedelta(days=rules.unused_days)
    created = facts.created_at
    if created is None or created >= threshold:
        return None  # too young (or of unknown age) to call unused
    used = facts.token.last_used_at
    if used is not None and used >= threshold:
        return None
    return _unused_finding(used.date() if used else None, rules.unused_days)


@functools.lru_cache(maxsize=4096)
def _unused_finding(used_on: date | None, days: int) -> Finding:
    if used_on is None:
        why = f"It was never used, though it is more than {days} days old."
    else:
        why = f"It was last used on {used_on.isoformat()}, more than {days} days ago."
    return Finding(FindingKind.UNUSED, why, "Revoke it; request a new one when it is needed.")


@functools.lru_cache(maxsize=1024)
def _broad_scope_finding(scopes: tuple[str, ...]) -> Finding | None:
    writes = [s for s in scopes if s in WRITE_SCOPES]
    if not writes:
        return None
    narrower = ", ".join(narrower_scopes(scopes))
    why = f"It can write ({', '.join(writes)}); many consumers only read."
    return Finding(FindingKind.BROAD_SCOPE, why, f"If reading is enough: {narrower}.")


def _broad_scope(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    return _broad_scope_finding(facts.token.scopes)


def _high_role(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    role = facts.token.access_level
    return None if role is None else _HIGH_ROLE.get(role)


_HIGH_ROLE = {
    role: Finding(
        FindingKind.HIGH_ROLE,
        f"It acts as {role.label}, which can change settings and members.",
        "Developer, unless it must manage the project (then Maintainer, never Owner).",
    )
    for role in HIGH_ROLES
}


def _large_group(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    token, count = facts.token, facts.group_projects
    wide = token.token_type in GROUP_WIDE and token.namespace.kind is NamespaceKind.GROUP
    if not wide or count is None or count <= rules.large_group_projects:
        return None
    return _large_group_finding(count, token.namespace.path)


@functools.lru_cache(maxsize=4096)
def _large_group_finding(count: int, path: str) -> Finding:
    why = f"It reaches all {count} projects of {path}."
    instead = "A project access token (or deploy token) on each project that needs it."
    return Finding(FindingKind.LARGE_GROUP, why, instead)


def _unowned(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    if facts.token.owner is not None or facts.creator_known:
        return None
    return _UNOWNED


_UNOWNED = Finding(
    FindingKind.UNOWNED,
    "Nobody claimed it and its creator is unknown or gone, so reminders reach no one.",
    "Claim it from its reminder, or revoke it.",
)


def _lifetime(facts: CredentialFacts, rules: HygieneRules, now: datetime) -> Finding | None:
    token = facts.token
    if token.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        return None  # GitLab gives trigger tokens no expiry at all: nothing to shorten
    maximum = rules.max_lifetime_days.get(token.token_type)
    expires_on = token.expires_on
    if expires_on is None:
        return _never_finding(maximum)
    if maximum is not None and (expires_on - now.date()).days > maximum:
        return _beyond_finding(expires_on, maximum)
    default = rules.default_lifetime_days.get(token.token_type)
    created = facts.created_at
    if default is None or created is None:
        return None
    lifetime = (expires_on - created.date()).days
    return _long_finding(lifetime, default) if lifetime > default else None


@functools.lru_cache(maxsize=64)
def _never_finding(maximum: int | None) -> Finding:
    why = "It never expires, so a leak stays useful forever."
    return Finding(FindingKind.NEVER_EXPIRES, why, _within(maximum))


@functools.lru_cache(maxsize=4096)
def _beyond_finding(expires_on: date, maximum: int) -> Finding:
    why = f"It expires on {expires_on.isoformat()}, after the policy's {maximum} days."
    return Finding(FindingKind.BEYOND_MAXIMUM, why, _within(maximum))


@functools.lru_cache(maxsize=4096)
def _long_finding(lifetime: int, default: int) -> Finding:
    why = f"It lives {lifetime} days, longer than the policy's default of {default}."
    return Finding(FindingKind.LONG_LIFETIME, why, f"Renew it for {default} days at a time.")


_CHECKS = (_unused, _broad_scope, _high_role, _large_group, _unowned, _lifetime)


def _within(maximum: int | None) -> str:
    days = f"{maximum} days" if maximum is not None else "the policy's maximum"
    return f"Replace it with a token that expires within {days}."
