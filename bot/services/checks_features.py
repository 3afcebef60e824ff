"""The table of what the configured GitLab can do, as `tokenbot check` prints it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.gitlab_feature_rows import ROWS
from bot.domain.gitlab_features import Availability, Offer, verdict
from bot.domain.platform import Offering, Platform, Tier, Version, parse_version
from bot.services.checks_report import CheckReport

_WORDS = {
    Availability.YES: "yes",
    Availability.NO: "no",
    Availability.SETTING: "setting",
    Availability.UNKNOWN: "unknown",
}


def checked_platform(configured: Platform, report: CheckReport) -> tuple[Platform, str]:
    """The platform with the version GitLab gave the `gitlab` check, and where it came from."""
    for result in report.results:
        text = result.facts.get("version") if result.name == "gitlab" else None
        version = parse_version(text) if isinstance(text, str) else None
        if version is not None:
            return replace(configured, version=version), "read from GitLab"
    if configured.version is not None:
        return configured, "from TOKENBOT_GITLAB_VERSION"
    return configured, "unknown: set TOKENBOT_GITLAB_VERSION or let tokenbot reach GitLab"


def feature_lines(platform: Platform, version_origin: str) -> list[str]:
    tier = "unknown tier" if platform.tier is Tier.UNKNOWN else platform.tier.value.capitalize()
    lines = [
        f"What this GitLab can do ({platform.offering.label}, {tier}, GitLab"
        f" {platform.version_label}; version {version_origin}):"
    ]
    for row in ROWS.values():
        found = verdict(row, platform)
        word = _WORDS[found.availability]
        lines.append(f"  {word:<8} {row.label}: {found.reason}. Source: {row.source}")
    return lines


def features_json(platform: Platform, version_origin: str) -> dict[str, Any]:
    return {
        "offering": platform.offering.value,
        "tier": platform.tier.value,
        "version": platform.version_label if platform.version else None,
        "version_origin": version_origin,
        "features": [
            {
                "id": row.feature.value,
                "label": row.label,
                "availability": (found := verdict(row, platform)).availability.value,
                "reason": found.reason,
                "since": ".".join(map(str, row.since)) if row.since else None,
                "until": ".".join(map(str, row.until)) if row.until else None,
                "source": row.source,
            }
            for row in ROWS.values()
        ],
    }


def feature_reference_markdown() -> str:
    """The table of docs/gitlab-features.md, made from the rows themselves."""
    lines = [
        "| Feature | Since | Until | GitLab.com | Self-Managed | Dedicated | Source |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in ROWS.values():
        cells = [row.label, _version(row.since), _version(row.until)]
        cells += [_offer_cell(row.offers.get(o)) for o in _OFFERINGS]
        cells.append(row.source)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_OFFERINGS = (Offering.GITLAB_COM, Offering.SELF_MANAGED, Offering.DEDICATED)


def _offer_cell(offer: Offer | None) -> str:
    if offer is None:
        return "no"
    tiers = {Tier.FREE: "every tier", Tier.PREMIUM: "Premium+", Tier.ULTIMATE: "Ultimate"}
    parts = [tiers.get(offer.min_tier, offer.min_tier.value)]
    if offer.all_tiers_since is not None:
        parts.append(f"every tier from {_version(offer.all_tiers_since)}")
    if offer.since is not None:
        parts.append(f"from {_version(offer.since)}")
    if offer.setting is not None:
        parts.append(f"needs {offer.setting}")
    return "; ".join(parts)


def _version(version: Version | None) -> str:
    return "" if version is None else f"{version[0]}.{version[1]}"
