"""Which credentials this GitLab offers, read from the feature table."""

from __future__ import annotations

from bot.domain.gitlab_feature_rows import ROWS
from bot.domain.gitlab_features import Availability, Feature, Verdict, verdict
from bot.domain.platform import Platform
from bot.domain.tokens import TokenType

# The credentials whose existence depends on the GitLab; the others exist on every GitLab.
TYPE_FEATURES: dict[TokenType, Feature] = {
    TokenType.PROJECT_ACCESS_TOKEN: Feature.PROJECT_ACCESS_TOKENS,
    TokenType.GROUP_ACCESS_TOKEN: Feature.GROUP_ACCESS_TOKENS,
    TokenType.SERVICE_ACCOUNT_PAT: Feature.SERVICE_ACCOUNTS,
}


def feature_verdict(feature: Feature, platform: Platform) -> Verdict:
    return verdict(ROWS[feature], platform)


def type_verdict(token_type: TokenType, platform: Platform) -> Verdict | None:
    """The verdict on the feature a credential needs; None if every GitLab has it."""
    feature = TYPE_FEATURES.get(token_type)
    return None if feature is None else feature_verdict(feature, platform)


def availability(token_type: TokenType, platform: Platform) -> bool | None:
    """True if available, False if not, None if it depends on what tokenbot cannot tell."""
    found = type_verdict(token_type, platform)
    if found is None or found.availability is Availability.YES:
        return True
    return None if found.availability.open else False


def needs(token_type: TokenType, platform: Platform) -> str:
    """A sentence on what the credential needs here ('' when nothing)."""
    found = type_verdict(token_type, platform)
    if found is None or found.yes:
        return ""
    return f"{ROWS[found.feature].label} {found.reason}."
