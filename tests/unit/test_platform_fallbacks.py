"""Tier and offering: say what a credential needs, and fall back when it is not available."""

from __future__ import annotations

from bot.domain.advice import Recommendation, recommend
from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.policy import LifetimePolicy
from bot.domain.token_availability import availability
from bot.domain.tokens import TokenType
from bot.domain.walk import walk

SMALL_GROUP = {
    "need": "gitlab_api",
    "in_ci": "no",
    "single_project": "no",
    "multi_project": "yes",
    "large_group": "no",
    "small_group": "yes",
}
ONE_PROJECT = {"need": "gitlab_api", "in_ci": "no", "single_project": "yes", "admin_actions": "no"}
NO_PROJECT_SA = {
    "need": "gitlab_api",
    "in_ci": "no",
    "single_project": "no",
    "multi_project": "no",
    "can_create_service_account": "yes",
}


def _rec(answers: dict[str, str], platform: Platform) -> Recommendation:
    result = walk(ADVICE_TREE, answers)
    assert result.leaf is not None
    return recommend(result.leaf, result.capabilities, platform=platform, policy=LifetimePolicy())


def test_project_access_tokens_need_premium_only_on_gitlab_com() -> None:
    pat = TokenType.PROJECT_ACCESS_TOKEN
    assert availability(pat, Platform(Offering.GITLAB_COM, Tier.FREE)) is False
    assert availability(pat, Platform(Offering.GITLAB_COM, Tier.PREMIUM)) is True
    assert availability(pat, Platform(Offering.SELF_MANAGED, Tier.FREE)) is True
    assert availability(pat, Platform(Offering.GITLAB_COM, Tier.UNKNOWN)) is None
    assert availability(pat, Platform(Offering.UNKNOWN, Tier.FREE)) is None


def test_service_accounts_need_premium_before_18_11_and_any_tier_since() -> None:
    """MR !227910 took `:service_accounts` out of the Premium features (18.11)."""
    sa = TokenType.SERVICE_ACCOUNT_PAT
    assert availability(sa, Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 5))) is False
    assert availability(sa, Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 11))) is True
    assert availability(sa, Platform(Offering.GITLAB_COM, Tier.FREE, (19, 6))) is True
    assert availability(sa, Platform(Offering.SELF_MANAGED, Tier.FREE)) is None
    assert availability(sa, Platform(Offering.DEDICATED, Tier.ULTIMATE)) is True


def test_free_gitlab_com_swaps_a_group_token_for_a_group_deploy_token_when_it_suffices() -> None:
    rec = _rec(
        SMALL_GROUP | {"capabilities": "clone,read_images"},
        Platform(Offering.GITLAB_COM, Tier.FREE),
    )
    assert rec.token_type is TokenType.DEPLOY_TOKEN
    assert rec.first_choice is TokenType.GROUP_ACCESS_TOKEN
    assert "Free on GitLab.com" in rec.reasons[0]
    assert {s.value for s in rec.scopes} == {"read_repository", "read_registry"}


def test_free_gitlab_com_falls_back_to_a_bot_user_when_the_api_is_needed() -> None:
    rec = _rec(
        ONE_PROJECT | {"capabilities": "write_api"}, Platform(Offering.GITLAB_COM, Tier.FREE)
    )
    assert rec.token_type is TokenType.BOT_USER_PAT
    assert rec.first_choice is TokenType.PROJECT_ACCESS_TOKEN
    assert rec.access_level is not None
    assert any("signs in and creates its own" in w for w in rec.warnings)


def test_unknown_tier_keeps_the_first_choice_and_names_the_fallback() -> None:
    rec = _rec(ONE_PROJECT | {"capabilities": "clone"}, Platform())
    assert rec.token_type is TokenType.PROJECT_ACCESS_TOKEN
    assert rec.fallback is TokenType.DEPLOY_TOKEN
    assert any("need Premium or higher on GitLab.com" in r for r in rec.reasons)


def test_the_fallback_for_an_unknown_tier_is_one_a_free_tier_has() -> None:
    rec = _rec(SMALL_GROUP | {"capabilities": "write_api"}, Platform())
    assert rec.fallback is TokenType.BOT_USER_PAT


def test_free_self_managed_without_service_accounts_uses_a_bot_user() -> None:
    rec = _rec(
        NO_PROJECT_SA | {"capabilities": "read_api"},
        Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 5)),
    )
    assert rec.token_type is TokenType.BOT_USER_PAT
    assert rec.warnings == ()  # admins can create PATs for users on Self-Managed


def test_premium_gets_the_first_choice_without_caveats_about_tiers() -> None:
    rec = _rec(
        NO_PROJECT_SA | {"capabilities": "read_api"}, Platform(Offering.SELF_MANAGED, Tier.PREMIUM)
    )
    assert rec.token_type is TokenType.SERVICE_ACCOUNT_PAT
    assert rec.first_choice is None
    assert rec.fallback is None
    assert not any("Premium" in r for r in rec.reasons)
