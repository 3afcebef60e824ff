"""The feature table against the GitLab versions, offerings and tiers people run.

Sources are the rows' own (`bot/domain/gitlab_feature_rows.py`): service accounts on every
tier from 18.11 (MR !227910), subgroup service accounts 18.10 (MR !225485), project ones 18.11
(MR !218988), fine-grained PATs GA in 19.2 (docs.gitlab.com/auth/tokens/
fine_grained_access_tokens/), for other users from 19.6 (MR !260958), self_rotate 17.9
(MR !178111), the enforced job token allowlist 18.0, fine-grained job token permissions 18.3.
"""

from __future__ import annotations

import itertools

import pytest

from bot.domain.gitlab_feature_rows import ROWS
from bot.domain.gitlab_features import Availability, Feature, verdict
from bot.domain.platform import Offering, Platform, Tier, Version

F, A = Feature, Availability
COM, SM = Offering.GITLAB_COM, Offering.SELF_MANAGED
FREE, PREMIUM, ULTIMATE = Tier.FREE, Tier.PREMIUM, Tier.ULTIMATE
VERSIONS: tuple[Version, ...] = ((17, 11), (18, 5), (19, 2), (19, 6))
Y, N, S = A.YES, A.NO, A.SETTING

# feature → offering → tier → the verdict at 17.11, 18.5, 19.2, 19.6
EXPECTED: dict[Feature, dict[Offering, dict[Tier, tuple[Availability, ...]]]] = {
    F.PROJECT_ACCESS_TOKENS: {
        COM: {FREE: (N, N, N, N), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
        SM: {FREE: (Y, Y, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
    },
    F.SERVICE_ACCOUNTS: {
        COM: {FREE: (N, N, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
        SM: {FREE: (N, N, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
    },
    F.SUBGROUP_SERVICE_ACCOUNTS: {
        COM: {FREE: (N, N, Y, Y), PREMIUM: (N, N, Y, Y), ULTIMATE: (N, N, Y, Y)},
        SM: {FREE: (N, N, Y, Y), PREMIUM: (N, N, Y, Y), ULTIMATE: (N, N, Y, Y)},
    },
    F.FINE_GRAINED_PATS: {
        COM: {FREE: (N, N, Y, Y), PREMIUM: (N, N, Y, Y), ULTIMATE: (N, N, Y, Y)},
        SM: {FREE: (N, N, Y, Y), PREMIUM: (N, N, Y, Y), ULTIMATE: (N, N, Y, Y)},
    },
    F.FINE_GRAINED_PATS_FOR_OTHERS: {
        COM: {FREE: (N, N, N, N), PREMIUM: (N, N, N, N), ULTIMATE: (N, N, N, N)},
        SM: {FREE: (N, N, N, Y), PREMIUM: (N, N, N, Y), ULTIMATE: (N, N, N, Y)},
    },
    F.LIFETIME_400_DAYS: {
        COM: {FREE: (N, N, N, N), PREMIUM: (N, N, N, N), ULTIMATE: (N, N, N, N)},
        SM: {FREE: (S, S, S, S), PREMIUM: (S, S, S, S), ULTIMATE: (S, S, S, S)},
    },
    F.SELF_ROTATE: {
        COM: {FREE: (Y, Y, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
        SM: {FREE: (Y, Y, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
    },
    F.JOB_TOKEN_ALLOWLIST: {
        COM: {FREE: (N, Y, Y, Y), PREMIUM: (N, Y, Y, Y), ULTIMATE: (N, Y, Y, Y)},
        SM: {FREE: (N, Y, Y, Y), PREMIUM: (N, Y, Y, Y), ULTIMATE: (N, Y, Y, Y)},
    },
    F.FINE_GRAINED_JOB_TOKENS: {
        COM: {FREE: (N, Y, Y, Y), PREMIUM: (N, Y, Y, Y), ULTIMATE: (N, Y, Y, Y)},
        SM: {FREE: (N, Y, Y, Y), PREMIUM: (N, Y, Y, Y), ULTIMATE: (N, Y, Y, Y)},
    },
    F.GROUP_CREDENTIALS_INVENTORY: {
        COM: {FREE: (N, N, N, N), PREMIUM: (N, N, N, N), ULTIMATE: (Y, Y, Y, Y)},
        SM: {FREE: (N, N, N, N), PREMIUM: (N, N, N, N), ULTIMATE: (N, N, N, N)},
    },
    F.INSTANCE_TOKEN_LISTING: {
        COM: {FREE: (N, N, N, N), PREMIUM: (N, N, N, N), ULTIMATE: (N, N, N, N)},
        SM: {FREE: (Y, Y, Y, Y), PREMIUM: (Y, Y, Y, Y), ULTIMATE: (Y, Y, Y, Y)},
    },
}

CASES = [
    (feature, offering, tier, version, expected[i])
    for feature, offerings in EXPECTED.items()
    for offering, tiers in offerings.items()
    for tier, expected in tiers.items()
    for i, version in enumerate(VERSIONS)
]


@pytest.mark.parametrize(("feature", "offering", "tier", "version", "expected"), CASES)
def test_the_table_gives_each_gitlab_its_verdict(
    feature: Feature, offering: Offering, tier: Tier, version: Version, expected: Availability
) -> None:
    found = verdict(ROWS[feature], Platform(offering, tier, version))
    assert found.availability is expected, found.reason


def test_every_row_cites_where_gitlab_documents_it() -> None:
    for row in ROWS.values():
        assert row.source.startswith("https://docs.gitlab.com/"), row.feature


def test_an_unknown_version_gives_an_open_answer_and_says_which_setting_settles_it() -> None:
    found = verdict(ROWS[F.FINE_GRAINED_PATS], Platform(SM, ULTIMATE))
    assert found.availability is A.UNKNOWN
    assert "TOKENBOT_GITLAB_VERSION" in found.reason
    assert "19.2" in found.reason


def test_gitlab_com_without_a_version_is_taken_to_run_the_newest_release() -> None:
    assert verdict(ROWS[F.FINE_GRAINED_PATS], Platform(COM, FREE)).yes
    assert verdict(ROWS[F.SERVICE_ACCOUNTS], Platform(COM, FREE)).yes


def test_an_unknown_tier_leaves_tier_bound_rows_open_and_names_the_setting() -> None:
    found = verdict(ROWS[F.PROJECT_ACCESS_TOKENS], Platform(COM, Tier.UNKNOWN, (19, 6)))
    assert found.availability is A.UNKNOWN
    assert "TOKENBOT_GITLAB_TIER" in found.reason


def test_free_before_18_11_with_an_unknown_version_is_open_not_refused() -> None:
    found = verdict(ROWS[F.SERVICE_ACCOUNTS], Platform(SM, FREE))
    assert found.availability is A.UNKNOWN
    assert "18.11" in found.reason


def test_an_unknown_offering_is_settled_only_where_every_offering_agrees() -> None:
    assert verdict(ROWS[F.SELF_ROTATE], Platform(Offering.UNKNOWN, FREE, (19, 6))).yes
    split = verdict(ROWS[F.PROJECT_ACCESS_TOKENS], Platform(Offering.UNKNOWN, FREE, (19, 6)))
    assert split.availability is A.UNKNOWN
    assert "TOKENBOT_GITLAB_OFFERING" in split.reason


def test_runner_registration_tokens_end_with_20_0() -> None:
    row = ROWS[F.RUNNER_REGISTRATION_TOKENS]
    assert verdict(row, Platform(SM, FREE, (19, 11))).availability is A.SETTING
    assert verdict(row, Platform(SM, FREE, (20, 0))).no


@pytest.mark.parametrize(
    ("offering", "tier", "version"),
    list(itertools.product(list(Offering), list(Tier), [None, *VERSIONS, (20, 0)])),
)
def test_every_verdict_has_a_reason_that_reads_after_the_label(
    offering: Offering, tier: Tier, version: Version | None
) -> None:
    for row in ROWS.values():
        found = verdict(row, Platform(offering, tier, version))
        assert found.reason
        assert found.reason.split()[0] in {"are", "need", "were", "depend"}, found.reason


def test_an_unknown_offering_where_all_agree_does_not_name_one_of_them() -> None:
    """Found by an attack review: 'are not on GitLab.com' for a row missing everywhere."""
    found = verdict(ROWS[F.FINE_GRAINED_PATS_FOR_OTHERS], Platform(Offering.UNKNOWN, FREE, (18, 6)))
    assert found.no
    assert found.reason.startswith("are missing on every offering: on GitLab.com they")
    same = verdict(ROWS[F.FINE_GRAINED_PATS], Platform(Offering.UNKNOWN, FREE, (18, 6)))
    assert same.reason == "need GitLab 19.2 or later (this is 18.6)"
    everywhere = verdict(ROWS[F.SELF_ROTATE], Platform(Offering.UNKNOWN, FREE, (19, 6)))
    assert everywhere.reason == "are available on every offering, GitLab 17.9 and later"


@pytest.mark.parametrize("text", ["²³.1", "18.٦", "", "19", "v18.6"])
def test_versions_with_other_digits_or_no_minor_are_not_versions(text: str) -> None:
    from bot.domain.platform import parse_version

    assert parse_version(text) is None
