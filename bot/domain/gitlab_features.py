"""What a GitLab can do: one table of token features by version, offering and tier.

The advisor, the request form, the gateway and `tokenbot check` read this table and nothing
else for "does this GitLab have X". Each row says since which version, on which offerings and
tiers, behind which setting, and where GitLab documents it (`SOURCES` in
`bot/domain/gitlab_feature_rows.py`). Where the platform leaves a row open (version, tier or
offering unknown, or a setting only an administrator can see), the verdict says so instead of
guessing, and callers take the cautious answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.domain.platform import Offering, Platform, Tier, Version

# GitLab.com runs GitLab's newest release: where its version is not known, it is this one.
NEWEST_RELEASE: Version = (19, 6)


class Feature(StrEnum):
    PROJECT_ACCESS_TOKENS = "project_access_tokens"
    GROUP_ACCESS_TOKENS = "group_access_tokens"
    SERVICE_ACCOUNTS = "service_accounts"
    SUBGROUP_SERVICE_ACCOUNTS = "subgroup_service_accounts"
    PROJECT_SERVICE_ACCOUNTS = "project_service_accounts"
    FINE_GRAINED_PATS = "fine_grained_pats"
    FINE_GRAINED_PATS_FOR_OTHERS = "fine_grained_pats_for_others"
    LIFETIME_400_DAYS = "lifetime_400_days"
    SELF_ROTATE = "self_rotate"
    JOB_TOKEN_ALLOWLIST = "job_token_allowlist"
    FINE_GRAINED_JOB_TOKENS = "fine_grained_job_tokens"
    RUNNER_REGISTRATION_TOKENS = "runner_registration_tokens"
    GROUP_CREDENTIALS_INVENTORY = "group_credentials_inventory"
    INSTANCE_TOKEN_LISTING = "instance_token_listing"


class Availability(StrEnum):
    YES = "yes"
    NO = "no"
    SETTING = "setting"  # present, but only where a setting is turned on
    UNKNOWN = "unknown"  # the platform as configured does not settle it

    @property
    def open(self) -> bool:
        """Not settled: callers give the cautious answer and say what it depends on."""
        return self in {Availability.SETTING, Availability.UNKNOWN}


@dataclass(frozen=True, slots=True)
class Offer:
    """How a feature is offered on one offering."""

    min_tier: Tier = Tier.FREE
    all_tiers_since: Version | None = None  # from this version every tier has it
    setting: str | None = None  # a setting that must be on, where GitLab ships it off
    since: Version | None = None  # where this offering got it later than the row's `since`


@dataclass(frozen=True, slots=True)
class FeatureRow:
    feature: Feature
    label: str
    offers: Mapping[Offering, Offer]  # an offering not listed does not have it
    since: Version | None = None  # None: in every version tokenbot supports
    until: Version | None = None  # the version that removed it
    source: str = ""  # where GitLab documents it

    def since_on(self, offering: Offering) -> Version | None:
        offer = self.offers.get(offering)
        return offer.since if offer is not None and offer.since is not None else self.since


@dataclass(frozen=True, slots=True)
class Verdict:
    feature: Feature
    availability: Availability
    reason: str  # completes "<the label, a plural> …": why, and what it depends on

    @property
    def yes(self) -> bool:
        return self.availability is Availability.YES

    @property
    def no(self) -> bool:
        return self.availability is Availability.NO


_Check = tuple[Availability, str]


def verdict(row: FeatureRow, platform: Platform) -> Verdict:
    """Does this platform have the row's feature? Unknown parts give an open verdict."""
    if platform.offering is Offering.UNKNOWN:
        return _across_offerings(row, platform)
    offer = row.offers.get(platform.offering)
    if offer is None:
        return Verdict(row.feature, Availability.NO, f"are not on {platform.offering.label}")
    checks = (_version_check(row, platform), _tier_check(offer, platform))
    for availability in (Availability.NO, Availability.UNKNOWN):
        reasons = [reason for found, reason in checks if found is availability]
        if reasons:
            return Verdict(row.feature, availability, " and ".join(reasons))
    if offer.setting is not None:
        return Verdict(row.feature, Availability.SETTING, f"need {offer.setting} turned on")
    return Verdict(row.feature, Availability.YES, _yes_reason(row, platform))


def _across_offerings(row: FeatureRow, platform: Platform) -> Verdict:
    """The offering is unknown: a settled answer only if every offering gives it."""
    by_offering = {
        offering: verdict(row, Platform(offering, platform.tier, platform.version))
        for offering in (Offering.GITLAB_COM, Offering.SELF_MANAGED, Offering.DEDICATED)
    }
    where = "; ".join(f"on {o.label} they {found.reason}" for o, found in by_offering.items())
    answers = {found.availability for found in by_offering.values()}
    if len(answers) > 1:
        return Verdict(
            row.feature,
            Availability.UNKNOWN,
            f"depend on the offering, which is unknown (TOKENBOT_GITLAB_OFFERING): {where}",
        )
    (same,) = answers
    reasons = {found.reason.replace(o.label, "{}") for o, found in by_offering.items()}
    if len(reasons) == 1:  # the same words for every offering: say them once
        return Verdict(row.feature, same, reasons.pop().replace("{}", "every offering"))
    return Verdict(row.feature, same, f"{_EVERYWHERE[same]} on every offering: {where}")


_EVERYWHERE = {
    Availability.YES: "are available",
    Availability.NO: "are missing",
    Availability.SETTING: "need a setting",
    Availability.UNKNOWN: "are not settled",
}


def _version_check(row: FeatureRow, platform: Platform) -> _Check:
    since = row.since_on(platform.offering)
    if since is None and row.until is None:
        return Availability.YES, ""
    if platform.version is None and platform.offering is Offering.GITLAB_COM:
        platform = replace(platform, version=NEWEST_RELEASE)
    if platform.version is None:
        wanted = (
            f"GitLab {_label(since)} or later" if since else f"a GitLab before {_label(row.until)}"
        )
        return (
            Availability.UNKNOWN,
            f"need {wanted}; the version is unknown (TOKENBOT_GITLAB_VERSION)",
        )
    if since is not None and platform.version < since:
        return (
            Availability.NO,
            f"need GitLab {_label(since)} or later (this is {platform.version_label})",
        )
    if row.until is not None and platform.version >= row.until:
        return Availability.NO, f"were removed in GitLab {_label(row.until)}"
    return Availability.YES, ""


def _tier_check(offer: Offer, platform: Platform) -> _Check:
    if offer.min_tier is Tier.FREE or (platform.tier.rank >= offer.min_tier.rank):
        return Availability.YES, ""
    everyone = offer.all_tiers_since
    if platform.version is None and platform.offering is Offering.GITLAB_COM:
        platform = replace(platform, version=NEWEST_RELEASE)
    if everyone is not None and platform.version is not None and platform.version >= everyone:
        return Availability.YES, ""
    needs = f"need {offer.min_tier.value.capitalize()} or higher on {platform.offering.label}"
    if everyone is not None:
        needs += f" before GitLab {_label(everyone)}"
    if platform.tier is Tier.UNKNOWN:
        return Availability.UNKNOWN, f"{needs}; the tier is unknown (TOKENBOT_GITLAB_TIER)"
    if everyone is not None and platform.version is None:
        return Availability.UNKNOWN, f"{needs}; the version is unknown (TOKENBOT_GITLAB_VERSION)"
    return Availability.NO, needs


def _yes_reason(row: FeatureRow, platform: Platform) -> str:
    since = row.since_on(platform.offering)
    version = f", GitLab {_label(since)} and later" if since is not None else ""
    return f"are available on {platform.offering.label}{version}"


def _label(version: Version | None) -> str:
    return "?" if version is None else f"{version[0]}.{version[1]}"
