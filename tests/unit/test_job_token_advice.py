"""The CI job token advice says what a job token can and cannot reach and, on this GitLab,
whether an allowlist entry can be limited by fine-grained permissions (GitLab 18.3:
https://docs.gitlab.com/ci/jobs/fine_grained_permissions/)."""

from __future__ import annotations

import pytest

from bot.domain.advice import Recommendation, recommend
from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.policy import LifetimePolicy
from bot.domain.walk import walk


def _advice(platform: Platform) -> Recommendation:
    result = walk(ADVICE_TREE, {"need": "gitlab_api", "in_ci": "yes", "limited_api": "yes"})
    assert result.leaf is not None
    return recommend(result.leaf, result.capabilities, platform=platform, policy=LifetimePolicy())


@pytest.mark.parametrize(
    ("platform", "said"),
    [
        (
            Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 3)),
            "This GitLab has fine-grained job token permissions",
        ),
        (Platform(Offering.GITLAB_COM, Tier.FREE, None), "This GitLab has fine-grained"),
        (Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 2)), "need GitLab 18.3 or later"),
        (Platform(), "the version is unknown (TOKENBOT_GITLAB_VERSION)"),
    ],
)
def test_the_advice_says_whether_an_entry_can_be_limited(platform: Platform, said: str) -> None:
    how_to = " ".join(_advice(platform).how_to)
    assert said in how_to
    assert "It reaches: Git clone and fetch over HTTPS" in how_to
    assert "It cannot reach: issues, merge requests" in how_to


def test_where_supported_it_names_the_resources_and_what_stays_reachable() -> None:
    how_to = " ".join(_advice(Platform(Offering.DEDICATED, Tier.ULTIMATE, (19, 0))).how_to)
    assert "packages (package registry)" in how_to
    assert "terraform state" in how_to
    assert "`GET /job` and the container registry API" in how_to
