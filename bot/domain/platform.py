"""Which GitLab offering and tier the bot serves, and which credentials that makes available."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.tokens import TokenType


class Offering(StrEnum):
    GITLAB_COM = "gitlab_com"
    SELF_MANAGED = "self_managed"
    DEDICATED = "dedicated"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _OFFERING_LABELS[self]


class Tier(StrEnum):
    FREE = "free"
    PREMIUM = "premium"
    ULTIMATE = "ultimate"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return {Tier.FREE: 0, Tier.PREMIUM: 1, Tier.ULTIMATE: 2, Tier.UNKNOWN: -1}[self]


_OFFERING_LABELS = {
    Offering.GITLAB_COM: "GitLab.com",
    Offering.SELF_MANAGED: "GitLab Self-Managed",
    Offering.DEDICATED: "GitLab Dedicated",
    Offering.UNKNOWN: "an unknown GitLab offering",
}


Version = tuple[int, int]  # GitLab's major and minor version


@dataclass(frozen=True, slots=True)
class Platform:
    """The configured GitLab: UNKNOWN parts mean 'do not assume, say what it depends on'."""

    offering: Offering = Offering.UNKNOWN
    tier: Tier = Tier.UNKNOWN
    version: Version | None = None  # None: not known (not configured, GitLab not asked)

    @property
    def version_label(self) -> str:
        if self.version is None:
            return "an unknown version"
        major, minor = self.version
        return f"{major}.{minor}"


def parse_version(version: str) -> Version | None:
    """`18.6.1-ee` → (18, 6); None for anything else."""
    parts = version.strip().split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    minor = ""
    for char in parts[1]:
        if not char.isdigit():
            break
        minor += char
    return (int(parts[0]), int(minor)) if minor else None


@dataclass(frozen=True, slots=True)
class Requirement:
    """A tier or offering a credential needs, with the sentence that explains it."""

    min_tier: Tier = Tier.FREE
    offerings: frozenset[Offering] | None = None  # None: every offering
    explanation: str = ""

    def met_by(self, platform: Platform) -> bool | None:
        """True/False when the platform settles it, None when the configuration is unknown."""
        if self.offerings is not None and platform.offering not in self.offerings:
            if platform.offering is Offering.UNKNOWN:
                return None
            return False
        if self.min_tier is Tier.FREE:
            return True
        if platform.tier is Tier.UNKNOWN:
            return None
        return platform.tier.rank >= self.min_tier.rank


_COM_PREMIUM = "need Premium or Ultimate on GitLab.com (any tier on Self-Managed and Dedicated)"
_PREMIUM = "need GitLab Premium or Ultimate"

# Project access tokens need Premium on GitLab.com; group access tokens too; service accounts
# need Premium+; admin-created PATs are not available on GitLab.com (gitlab-api.md §1.3, §2, §4.5).
_REQUIREMENTS: dict[TokenType, tuple[Requirement, ...]] = {
    TokenType.PROJECT_ACCESS_TOKEN: (
        Requirement(
            min_tier=Tier.PREMIUM,
            offerings=frozenset({Offering.GITLAB_COM}),
            explanation=f"Project access tokens {_COM_PREMIUM}.",
        ),
    ),
    TokenType.GROUP_ACCESS_TOKEN: (
        Requirement(
            min_tier=Tier.PREMIUM,
            offerings=frozenset({Offering.GITLAB_COM}),
            explanation=f"Group access tokens {_COM_PREMIUM}.",
        ),
    ),
    TokenType.SERVICE_ACCOUNT_PAT: (
        Requirement(min_tier=Tier.PREMIUM, explanation=f"Service accounts {_PREMIUM}."),
    ),
}


def requirements(token_type: TokenType, platform: Platform) -> tuple[Requirement, ...]:
    """The requirements for a token type that apply on this platform (or might, if unknown)."""
    result = []
    for req in _REQUIREMENTS.get(token_type, ()):
        scoped_elsewhere = req.offerings is not None and (
            platform.offering not in req.offerings and platform.offering is not Offering.UNKNOWN
        )
        if not scoped_elsewhere:
            result.append(req)
    return tuple(result)


def availability(token_type: TokenType, platform: Platform) -> bool | None:
    """True if available, False if not, None if it depends on a tier or offering we don't know."""
    verdicts = [req.met_by(platform) for req in requirements(token_type, platform)]
    if any(verdict is False for verdict in verdicts):
        return False
    if any(verdict is None for verdict in verdicts):
        return None
    return True
