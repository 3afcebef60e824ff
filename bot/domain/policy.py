"""Lifetime policy: how long a recommended or requested credential should live."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.tokens import TokenType

GITLAB_MAX_LIFETIME_DAYS = 365

# Credentials GitLab expires by date: for these the policy lifetime applies.
_DATED = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
        TokenType.BOT_USER_PAT,
        TokenType.PERSONAL_ACCESS_TOKEN,
        TokenType.DEPLOY_TOKEN,
        TokenType.DEPLOY_KEY,
    }
)

_UNDATED_REASONS = {
    TokenType.CI_JOB_TOKEN: "Lifetime: the job's duration; nothing to rotate.",
    TokenType.CI_ID_TOKEN: "Lifetime: the job's duration; nothing to rotate.",
    TokenType.OAUTH_APPLICATION: "Lifetime: access tokens last two hours and are refreshed;"
    " rotate the client secret if it may have leaked.",
    TokenType.PIPELINE_TRIGGER_TOKEN: "Lifetime: trigger tokens have no expiry date, so review"
    " them regularly and delete unused ones.",
    TokenType.RUNNER_AUTHENTICATION_TOKEN: "Lifetime: set by the instance's runner token expiry"
    " setting, if any; otherwise until the runner is removed.",
}


class PolicyError(ValueError):
    """A lifetime policy that contradicts itself or GitLab's limits."""


@dataclass(frozen=True, slots=True)
class LifetimePolicy:
    """Default 90 days (seed 003's advice); never above GitLab's 365-day maximum."""

    default_days: int = 90
    max_days: int = GITLAB_MAX_LIFETIME_DAYS

    def __post_init__(self) -> None:
        if not 1 <= self.max_days <= GITLAB_MAX_LIFETIME_DAYS:
            raise PolicyError(f"max_days must be 1 to {GITLAB_MAX_LIFETIME_DAYS}")
        if not 1 <= self.default_days <= self.max_days:
            raise PolicyError(f"default_days must be 1 to max_days ({self.max_days})")


def lifetime_for(token_type: TokenType, policy: LifetimePolicy) -> tuple[int | None, str]:
    """Recommended lifetime in days (None: no date to set) and the sentence explaining it."""
    if token_type in _DATED:
        return policy.default_days, (
            f"Lifetime: {policy.default_days} days, the policy default (at most"
            f" {policy.max_days}; GitLab allows {GITLAB_MAX_LIFETIME_DAYS}). Short lives limit"
            " a leak; rotate before it expires."
        )
    return None, _UNDATED_REASONS[token_type]
