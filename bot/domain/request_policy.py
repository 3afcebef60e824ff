"""Request policy: what may be requested, what counts as risky, who must approve."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType, valid_scopes

# Credentials tokenbot can create through the API on someone's behalf.
REQUESTABLE = (
    TokenType.PROJECT_ACCESS_TOKEN,
    TokenType.GROUP_ACCESS_TOKEN,
    TokenType.SERVICE_ACCOUNT_PAT,
    TokenType.DEPLOY_TOKEN,
    TokenType.PIPELINE_TRIGGER_TOKEN,
)
_WRITE_SCOPES = frozenset(
    {
        Scope.API,
        Scope.WRITE_REPOSITORY,
        Scope.WRITE_REGISTRY,
        Scope.WRITE_PACKAGE_REGISTRY,
        Scope.MANAGE_RUNNER,
        Scope.CREATE_RUNNER,
    }
)
# Requestable credentials GitLab's API gives no expiry date: none is asked or shown for them.
UNDATED = frozenset({TokenType.PIPELINE_TRIGGER_TOKEN})
# GitLab runs a triggered pipeline as the trigger's owner: for tokens tokenbot mints, itself.
TRIGGER_RUNS_AS_BOT = "pipelines run as tokenbot's account"
_VARIABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# What people may type; every rendering of a request can show this much (the forms say so too).
NAME_MAX_LENGTH = 255  # GitLab's limit for a token's name
PATH_MAX_LENGTH = 255
REASON_MAX_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a draft, tied to the form field that should show it."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class TypeRule:
    allowed_scopes: frozenset[Scope]
    max_lifetime_days: int = GITLAB_MAX_LIFETIME_DAYS
    requesters: frozenset[str] | None = None  # None: anyone who can be linked to GitLab


def _default_rules() -> dict[TokenType, TypeRule]:
    return {t: TypeRule(valid_scopes(t)) for t in REQUESTABLE}


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    rules: Mapping[TokenType, TypeRule] = field(default_factory=_default_rules)
    two_approvals_when_risky: bool = True
    pending_days: int = 7
    long_lifetime_days: int = 90  # longer than this is flagged
    approvers: frozenset[str] = frozenset()  # chat ids who may approve anything

    def check(self, draft: RequestDraft, *, requester: str, today: date) -> list[Problem]:
        """Every problem with the draft; empty when it may be submitted."""
        rule = self.rules.get(draft.token_type)
        if rule is None:
            kinds = ", ".join(t.value for t in self.rules)
            return [Problem("token_type", f"tokenbot does not issue this type; it issues {kinds}")]
        problems: list[Problem] = []
        if rule.requesters is not None and requester not in rule.requesters:
            problems.append(Problem("token_type", "policy does not let you request this type"))
        if not draft.target.strip():
            problems.append(Problem("target", "give the project or group path"))
        elif len(draft.target) > PATH_MAX_LENGTH:
            problems.append(Problem("target", f"a path has at most {PATH_MAX_LENGTH} characters"))
        name = draft.name.strip()
        if not name or len(name) > NAME_MAX_LENGTH:
            problems.append(Problem("name", f"give a name of 1 to {NAME_MAX_LENGTH} characters"))
        problems += _scope_problems(draft, rule)
        problems += _role_problems(draft)
        problems += _lifetime_problems(draft, rule, today)
        if len(draft.reason.strip()) < 10:
            problems.append(Problem("reason", "say in a sentence what the token is for"))
        elif len(draft.reason) > REASON_MAX_LENGTH:
            problems.append(Problem("reason", f"at most {REASON_MAX_LENGTH:,} characters, please"))
        problems += _delivery_problems(draft)
        return problems

    def risk_flags(self, draft: RequestDraft, *, today: date) -> tuple[str, ...]:
        flags = []
        if Scope.API in draft.scopes:
            flags.append("api scope")
        if set(draft.scopes) & _WRITE_SCOPES - {Scope.API}:
            flags.append("write scopes")
        if draft.access_level is AccessLevel.OWNER:
            flags.append("Owner role")
        if draft.token_type is TokenType.GROUP_ACCESS_TOKEN or (
            draft.token_type is TokenType.DEPLOY_TOKEN and "/" not in draft.target.strip("/")
        ):
            flags.append("group-wide token")
        if draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            flags.append(TRIGGER_RUNS_AS_BOT)
        if draft.expires_on and (draft.expires_on - today).days > self.long_lifetime_days:
            flags.append("long lifetime")
        return tuple(flags)

    def required_approvals(self, flags: tuple[str, ...]) -> int:
        return 2 if self.two_approvals_when_risky and flags else 1


def approver_role(draft: RequestDraft) -> AccessLevel:
    """Group tokens and Owner-role tokens need Owners; the rest Maintainers or Owners."""
    if draft.token_type is TokenType.GROUP_ACCESS_TOKEN or draft.access_level is AccessLevel.OWNER:
        return AccessLevel.OWNER
    return AccessLevel.MAINTAINER


def _scope_problems(draft: RequestDraft, rule: TypeRule) -> list[Problem]:
    valid = valid_scopes(draft.token_type)
    if not valid:
        return [] if not draft.scopes else [Problem("scopes", "this type takes no scopes")]
    if not draft.scopes:
        return [Problem("scopes", "choose at least one scope")]
    outside = [s for s in draft.scopes if s not in valid or s not in rule.allowed_scopes]
    if outside:
        allowed = ", ".join(sorted(valid & rule.allowed_scopes))
        return [Problem("scopes", f"not allowed here: {', '.join(outside)}; allowed: {allowed}")]
    return []


def _role_problems(draft: RequestDraft) -> list[Problem]:
    if draft.token_type in ROLE_BEARING:
        if draft.access_level is None:
            return [Problem("role", "choose a role")]
    elif draft.access_level is not None:
        return [Problem("role", "this type has no role")]
    return []


def _lifetime_problems(draft: RequestDraft, rule: TypeRule, today: date) -> list[Problem]:
    if draft.token_type in UNDATED:
        if draft.expires_on is None:
            return []
        return [Problem("expires_on", "GitLab does not expire this type; leave the date out")]
    if draft.expires_on is None:
        return [Problem("expires_on", "pick a date")]
    days = (draft.expires_on - today).days
    if days < 1:
        return [Problem("expires_on", "choose a date after today (tokens stop at 00:00 UTC)")]
    if days > rule.max_lifetime_days:
        return [Problem("expires_on", f"at most {rule.max_lifetime_days} days from today")]
    return []


def _delivery_problems(draft: RequestDraft) -> list[Problem]:
    if draft.delivery is not Delivery.CI_VARIABLE:
        return []
    problems = []
    if not (draft.variable_project or "").strip():
        problems.append(Problem("variable_project", "give the project that gets the variable"))
    if not _VARIABLE_KEY.match(draft.variable_key or ""):
        problems.append(Problem("variable_key", "use letters, digits and _ only"))
    return problems
