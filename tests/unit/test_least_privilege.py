"""Least privilege: the fewest scopes, the lowest role and a bounded lifetime."""

from __future__ import annotations

import pytest

from bot.domain.advice import recommend
from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.capabilities import Capability as C
from bot.domain.capabilities import role_for, scopes_for
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.policy import LifetimePolicy, PolicyError, lifetime_for
from bot.domain.tokens import AccessLevel, Scope, TokenType, valid_scopes

PREMIUM_SM = Platform(Offering.SELF_MANAGED, Tier.PREMIUM)


def _scopes(token_type: TokenType, *caps: C) -> set[str]:
    return {s.value for s in scopes_for(token_type, frozenset(caps))}


def test_pushing_images_needs_read_and_write_registry() -> None:
    assert _scopes(TokenType.PROJECT_ACCESS_TOKEN, C.PUSH_IMAGES) == {
        "read_registry",
        "write_registry",
    }
    assert _scopes(TokenType.DEPLOY_TOKEN, C.PUSH_IMAGES) == {"read_registry", "write_registry"}


def test_api_makes_read_api_and_registry_scopes_redundant_but_not_git() -> None:
    scopes = _scopes(
        TokenType.PROJECT_ACCESS_TOKEN, C.WRITE_API, C.READ_API, C.PUSH_IMAGES, C.CLONE
    )
    assert scopes == {"api", "read_repository"}


def test_push_needs_only_write_repository() -> None:
    assert _scopes(TokenType.GROUP_ACCESS_TOKEN, C.CLONE, C.PUSH) == {"write_repository"}


def test_packages_use_package_scopes_on_deploy_tokens_and_api_scopes_elsewhere() -> None:
    assert _scopes(TokenType.DEPLOY_TOKEN, C.READ_PACKAGES, C.PUBLISH_PACKAGES) == {
        "read_package_registry",
        "write_package_registry",
    }
    assert _scopes(TokenType.PROJECT_ACCESS_TOKEN, C.READ_PACKAGES) == {"read_api"}
    assert _scopes(TokenType.PROJECT_ACCESS_TOKEN, C.PUBLISH_PACKAGES) == {"api"}


@pytest.mark.parametrize("token_type", [t for t in TokenType if valid_scopes(t)])
def test_every_recommended_scope_is_valid_for_its_token_type(token_type: TokenType) -> None:
    from bot.domain.capabilities import supported

    for cap in supported(token_type):
        assert set(scopes_for(token_type, frozenset({cap}))) <= valid_scopes(token_type)


def test_resource_tokens_never_get_read_user() -> None:
    assert Scope.READ_USER not in valid_scopes(TokenType.PROJECT_ACCESS_TOKEN)
    assert Scope.READ_USER not in valid_scopes(TokenType.GROUP_ACCESS_TOKEN)


def test_role_is_the_highest_of_the_least_roles_needed() -> None:
    assert role_for(frozenset({C.CLONE}), group_target=False) is AccessLevel.REPORTER
    assert role_for(frozenset({C.CLONE, C.PUSH}), group_target=False) is AccessLevel.DEVELOPER
    assert role_for(frozenset({C.ROTATE_ITSELF}), group_target=False) is AccessLevel.GUEST
    assert role_for(frozenset({C.REGISTER_RUNNERS}), group_target=False) is AccessLevel.MAINTAINER
    assert role_for(frozenset({C.REGISTER_RUNNERS}), group_target=True) is AccessLevel.OWNER


def _recommend(answers: dict[str, str], platform: Platform = PREMIUM_SM):
    from bot.domain.walk import walk

    result = walk(ADVICE_TREE, answers)
    assert result.leaf is not None
    assert result.prompt is None
    return recommend(result.leaf, result.capabilities, platform=platform, policy=LifetimePolicy())


def test_a_read_only_project_token_is_reporter_with_read_scopes_for_90_days() -> None:
    rec = _recommend(
        {
            "need": "gitlab_api",
            "in_ci": "no",
            "single_project": "yes",
            "admin_actions": "no",
            "capabilities": "clone,read_api",
        }
    )
    assert rec.token_type is TokenType.PROJECT_ACCESS_TOKEN
    assert set(rec.scopes) == {Scope.READ_REPOSITORY, Scope.READ_API}
    assert rec.access_level is AccessLevel.REPORTER
    assert rec.lifetime_days == 90
    assert rec.risk == "low"
    assert any("Rotation:" in r for r in rec.reasons)


def test_api_scope_raises_the_risk_and_warns() -> None:
    rec = _recommend(
        {
            "need": "gitlab_api",
            "in_ci": "no",
            "single_project": "yes",
            "admin_actions": "no",
            "capabilities": "create_mrs",
        }
    )
    assert rec.scopes == (Scope.API,)
    assert rec.risk == "high"
    assert any("api scope" in w for w in rec.warnings)


def test_a_personal_token_has_no_role_of_its_own() -> None:
    rec = _recommend({"need": "personal", "capabilities": "read_api"})
    assert rec.token_type is TokenType.PERSONAL_ACCESS_TOKEN
    assert rec.access_level is None
    assert any("your own role" in r for r in rec.reasons)


def test_a_write_deploy_key_implies_push_and_needs_no_scopes() -> None:
    rec = _recommend({"need": "repository", "repo_push": "yes", "repo_push_protocol": "ssh"})
    assert rec.token_type is TokenType.DEPLOY_KEY
    assert rec.scopes == ()
    assert set(rec.capabilities) == {C.CLONE, C.PUSH}


def test_job_tokens_have_no_lifetime_to_set() -> None:
    rec = _recommend({"need": "gitlab_api", "in_ci": "yes", "limited_api": "yes"})
    assert rec.lifetime_days is None
    assert any("job's duration" in r for r in rec.reasons)


@pytest.mark.parametrize("token_type", list(TokenType))
def test_no_lifetime_exceeds_the_policy_or_gitlabs_maximum(token_type: TokenType) -> None:
    days, reason = lifetime_for(token_type, LifetimePolicy(default_days=365))
    assert days is None or days <= 365
    assert reason


def test_a_policy_above_gitlabs_maximum_is_refused() -> None:
    with pytest.raises(PolicyError):
        LifetimePolicy(default_days=90, max_days=400)
    with pytest.raises(PolicyError):
        LifetimePolicy(default_days=120, max_days=90)


def test_a_capability_the_api_scope_covers_says_so() -> None:
    rec = _recommend({"need": "personal", "capabilities": "write_api,rotate_itself"})
    assert rec.scopes == (Scope.API,)
    assert any("Rotate itself" in r and "api scope covers it" in r for r in rec.reasons)
