"""Fine-grained personal access tokens in the advice: the least permissions, each cited.

Permission names are GitLab's assignable permissions (gitlab-org/gitlab
config/authz/permission_groups/assignable_permissions/…); that fine-grained tokens cannot
push container images is in docs.gitlab.com/auth/tokens/fine_grained_access_tokens_other/.
"""

from __future__ import annotations

import pytest

from bot.domain.advice import Recommendation, recommend
from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.fine_grained import PERMISSIONS, PERMISSIONS_DIR
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.policy import LifetimePolicy
from bot.domain.tokens import TokenType
from bot.domain.walk import walk

BOT_USER = {
    "need": "gitlab_api",
    "in_ci": "no",
    "single_project": "no",
    "multi_project": "no",
    "can_create_service_account": "no",
}
ON_19_2 = Platform(Offering.SELF_MANAGED, Tier.FREE, (19, 2))


def _rec(capabilities: str, platform: Platform = ON_19_2) -> Recommendation:
    result = walk(ADVICE_TREE, BOT_USER | {"capabilities": capabilities})
    assert result.leaf is not None
    return recommend(result.leaf, result.capabilities, platform=platform, policy=LifetimePolicy())


def _names(rec: Recommendation) -> list[str]:
    assert rec.fine_grained is not None
    return [p.name for p in rec.fine_grained.permissions]


def test_reading_a_repository_needs_only_download_code() -> None:
    rec = _rec("clone")
    assert rec.token_type is TokenType.BOT_USER_PAT
    assert _names(rec) == ["download_code"]
    assert rec.fine_grained is not None
    assert rec.fine_grained.permissions[0].source.endswith(
        f"{PERMISSIONS_DIR}/repository/code/download.yml"
    )
    assert any(step == "Permissions: download_code; nothing else." for step in rec.how_to)


def test_pushing_container_images_is_not_possible_with_a_fine_grained_token() -> None:
    rec = _rec("push_images")
    assert rec.fine_grained is not None
    assert not rec.fine_grained.usable
    assert rec.fine_grained.permissions == ()
    assert any("cannot push container images" in r for r in rec.reasons)
    assert {s.value for s in rec.scopes} == {"read_registry", "write_registry"}
    assert not any(step.startswith("Fine-grained form") for step in rec.how_to)


def test_reading_the_api_of_selected_projects_names_each_read_permission() -> None:
    rec = _rec("read_api")
    assert _names(rec) == [
        "read_project",
        "read_repository",
        "read_merge_request",
        "read_pipeline",
        "read_job",
    ]
    assert any('"access": "selected_memberships"' in step for step in rec.how_to)


def test_permissions_are_not_repeated_when_capabilities_share_them() -> None:
    assert _names(_rec("clone,push")) == ["download_code", "push_code"]


def test_before_19_2_there_is_no_fine_grained_form() -> None:
    rec = _rec("clone", Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 5)))
    assert rec.fine_grained is None
    assert not any("fine-grained" in r.lower() for r in rec.reasons)


def test_an_unknown_version_offers_it_and_says_what_it_needs() -> None:
    rec = _rec("clone", Platform(Offering.SELF_MANAGED, Tier.FREE))
    assert rec.fine_grained is not None
    assert any("need GitLab 19.2 or later" in r for r in rec.reasons)


@pytest.mark.parametrize(
    "token_type",
    [TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN, TokenType.SERVICE_ACCOUNT_PAT],
)
def test_tokens_without_a_fine_grained_form_get_none(token_type: TokenType) -> None:
    from bot.domain.fine_grained import fine_grained_advice
    from bot.domain.gitlab_feature_rows import ROWS
    from bot.domain.gitlab_features import Feature, verdict

    found = verdict(ROWS[Feature.FINE_GRAINED_PATS], ON_19_2)
    assert fine_grained_advice(token_type, PERMISSIONS, found) is None


def test_every_permission_is_cited_by_its_definition_file() -> None:
    for found in PERMISSIONS.values():
        if isinstance(found, str):
            assert found  # the reason no fine-grained token can do it
            continue
        for permission in found:
            assert permission.definition.endswith(".yml"), permission
            assert permission.source.startswith("gitlab-org/gitlab "), permission
