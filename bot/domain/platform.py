"""Which GitLab offering and tier the bot serves, and which credentials that makes available."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    if len(parts) < 2 or not (parts[0].isascii() and parts[0].isdigit()):
        return None
    minor = ""
    for char in parts[1]:
        if not (char.isascii() and char.isdigit()):
            break
        minor += char
    return (int(parts[0]), int(minor)) if minor else None
