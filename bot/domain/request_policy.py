"""Request policy: what may be requested, what counts as risky, who must approve."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS
from bot.domain.profiles import PROFILES
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
    """What policy lets people request of one token type."""

    allowed_scopes: frozenset[Scope]
    max_lifetime_days: int = GITLAB_MAX_LIFETIME_DAYS
    # GitLab groups whose members may request this type; empty: anyone linked to GitLab.
    requesters: tuple[str, ...] = ()
    roles: frozenset[AccessLevel] = frozenset(AccessLevel)
    default_lifetime_days: int = 90  # the form's first date (never above the maximum)
    approvals: int = 1  # approvals every request of this type needs

    @property
    def lifetime_default(self) -> int:
        return min(self.default_lifetime_days, self.max_lifetime_days)


@dataclass(frozen=True, slots=True)
class RiskRule:
    """Which requests count as risky, and how many approvals a risky request needs."""

    scopes: frozenset[Scope] = _WRITE_SCOPES
    roles: frozenset[AccessLevel] = frozenset({AccessLevel.OWNER})
    lifetime_over_days: int = 90  # a longer lifetime is flagged
    group_wide: bool = True  # a group access token or a group deploy token is flagged
    approvals: int = 2


def _default_rules() -> dict[TokenType, TypeRule]:
    return {t: TypeRule(valid_scopes(t)) for t in REQUESTABLE}


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    rules: Mapping[TokenType, TypeRule] = field(default_factory=_default_rules)
    risky: RiskRule = RiskRule()
    pending_days: int = 7
    approvers: frozenset[str] = frozenset()  # chat ids who may approve anything

    def restricted_to(self, types: Collection[TokenType]) -> RequestPolicy:
        """The same policy for only these types (what this GitLab can make)."""
        return replace(self, rules={t: r for t, r in self.rules.items() if t in types})

    @property
    def types(self) -> tuple[TokenType, ...]:
        """The types people may request, in the order forms list them."""
        return tuple(t for t in REQUESTABLE if t in self.rules)

    def scopes_for(self, token_type: TokenType) -> tuple[Scope, ...]:
        """The scopes a request of this type may carry, in GitLab's order."""
        rule = self.rules.get(token_type)
        allowed = valid_scopes(token_type) & (rule.allowed_scopes if rule else frozenset())
        return tuple(s for s in Scope if s in allowed)

    def roles_for(self, token_type: TokenType) -> tuple[AccessLevel, ...]:
        """The roles a request of this type may give its token; none for types without one."""
        rule = self.rules.get(token_type)
        if rule is None or token_type not in ROLE_BEARING:
            return ()
        return tuple(r for r in AccessLevel if r in rule.roles)

    def check(
        self, draft: RequestDraft, *, today: date, member_of: Collection[str] = ()
    ) -> list[Problem]:
        """Every problem with the draft; empty when it may be submitted.

        `member_of`: the groups of the rule's `requesters` the requester belongs to.
        """
        requesters = self.requester_problems(draft.token_type, member_of)
        return requesters + self.shape_problems(draft, today=today)

    def requester_problems(
        self, token_type: TokenType, member_of: Collection[str]
    ) -> list[Problem]:
        """Whether the requester may ask for this type at all (`member_of` as for `check`)."""
        rule = self.rules.get(token_type)
        return _requester_problems(rule, member_of) if rule is not None else []

    def shape_problems(self, draft: RequestDraft, *, today: date) -> list[Problem]:
        """Every problem `check` finds that needs nothing but the draft and the date: all of
        them except who may request the type (that needs the requester's GitLab groups)."""
        rule = self.rules.get(draft.token_type)
        if rule is None:
            kinds = ", ".join(PROFILES[t].title.lower() for t in self.rules) or "nothing"
            return [Problem("token_type", f"tokenbot does not issue this type; it issues {kinds}")]
        problems: list[Problem] = []
        if not draft.target.strip():
            problems.append(Problem("target", "give the project or group path"))
        elif len(draft.target) > PATH_MAX_LENGTH:
            problems.append(Problem("target", f"a path has at most {PATH_MAX_LENGTH} characters"))
        name = draft.name.strip()
        if not name or len(name) > NAME_MAX_LENGTH:
            problems.append(Problem("name", f"give a name of 1 to {NAME_MAX_LENGTH} characters"))
        problems += _scope_problems(draft, rule)
        problems += _role_problems(draft, rule)
        problems += _lifetime_problems(draft, rule, today)
        problems += reason_problems(draft.reason)
        problems += _delivery_problems(draft)
        return problems

    def risk_flags(self, draft: RequestDraft, *, today: date) -> tuple[str, ...]:
        risky = self.risky
        scopes = set(draft.scopes) & risky.scopes
        flags = []
        if Scope.API in scopes:
            flags.append("api scope")
        if scopes & _WRITE_SCOPES - {Scope.API}:
            flags.append("write scopes")
        flags += [f"{s.value} scope" for s in Scope if s in scopes - _WRITE_SCOPES]
        if draft.access_level is not None and draft.access_level in risky.roles:
            flags.append(f"{draft.access_level.label} role")
        if risky.group_wide and _group_wide(draft):
            flags.append("group-wide token")
        if draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            flags.append(TRIGGER_RUNS_AS_BOT)
        if draft.expires_on and (draft.expires_on - today).days > risky.lifetime_over_days:
            flags.append("long lifetime")
        return tuple(flags)

    def required_approvals(
        self, flags: tuple[str, ...], token_type: TokenType | None = None
    ) -> int:
        """Approvals a request needs: its type's, or the risky count when it has flags."""
        rule = self.rules.get(token_type) if token_type is not None else None
        return max(rule.approvals if rule else 1, self.risky.approvals if flags else 1)


def _group_wide(draft: RequestDraft) -> bool:
    return draft.token_type is TokenType.GROUP_ACCESS_TOKEN or (
        draft.token_type is TokenType.DEPLOY_TOKEN and "/" not in draft.target.strip("/")
    )


def _requester_problems(rule: TypeRule, member_of: Collection[str]) -> list[Problem]:
    if not rule.requesters or set(rule.requesters) & set(member_of):
        return []
    groups = ", ".join(rule.requesters)
    return [Problem("token_type", f"policy lets only members of {groups} request this type")]


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


def _role_problems(draft: RequestDraft, rule: TypeRule) -> list[Problem]:
    if draft.token_type not in ROLE_BEARING:
        return [] if draft.access_level is None else [Problem("role", "this type has no role")]
    if draft.access_level is None:
        return [Problem("role", "choose a role")]
    if draft.access_level not in rule.roles:
        allowed = ", ".join(r.label for r in AccessLevel if r in rule.roles)
        label = draft.access_level.label
        return [Problem("role", f"not allowed here: {label}; allowed: {allowed}")]
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


def reason_problems(reason: str) -> list[Problem]:
    """What the policy says against a request's reason, whatever the token (no GitLab)."""
    if len(reason.strip()) < 10:
        return [Problem("reason", "say in a sentence what the token is for")]
    if len(reason) > REASON_MAX_LENGTH:
        return [Problem("reason", f"at most {REASON_MAX_LENGTH:,} characters, please")]
    return []
