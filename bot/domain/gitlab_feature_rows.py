"""The rows of the GitLab feature table, each with its version, offerings, tiers and source.

Facts are today's GitLab (docs.gitlab.com and gitlab-org/gitlab, as of 19.6); where they
differ from the seeds (written for early 2025) docs/advisor.md says how and why.
"""

from __future__ import annotations

from bot.domain.gitlab_features import Feature, FeatureRow, Offer
from bot.domain.platform import Offering, Tier

_COM, _SM, _DED = Offering.GITLAB_COM, Offering.SELF_MANAGED, Offering.DEDICATED
_FREE = Offer()


def _everywhere(offer: Offer = _FREE) -> dict[Offering, Offer]:
    return {_COM: offer, _SM: offer, _DED: offer}


def _self_hosted(offer: Offer = _FREE) -> dict[Offering, Offer]:
    return {_SM: offer, _DED: offer}


ROWS: dict[Feature, FeatureRow] = {
    row.feature: row
    for row in (
        FeatureRow(
            Feature.PROJECT_ACCESS_TOKENS,
            "Project access tokens",
            {_COM: Offer(min_tier=Tier.PREMIUM), **_self_hosted()},
            source="https://docs.gitlab.com/user/project/settings/project_access_tokens/",
        ),
        FeatureRow(
            Feature.GROUP_ACCESS_TOKENS,
            "Group access tokens",
            {_COM: Offer(min_tier=Tier.PREMIUM), **_self_hosted()},
            source="https://docs.gitlab.com/user/group/settings/group_access_tokens/",
        ),
        FeatureRow(
            Feature.SERVICE_ACCOUNTS,
            "Service accounts",
            # Premium and Ultimate always; every tier once `:service_accounts` left the
            # Premium features (MR !225913 put Free behind a flag, MR !227910 removed it; on
            # Free at most 100 per top-level group on GitLab.com, per instance elsewhere).
            _everywhere(Offer(min_tier=Tier.PREMIUM, all_tiers_since=(18, 11))),
            source="https://docs.gitlab.com/user/profile/service_accounts/ (MR !227910)",
        ),
        FeatureRow(
            Feature.SUBGROUP_SERVICE_ACCOUNTS,
            "Service accounts of subgroups",
            _everywhere(),
            since=(18, 10),
            source="https://docs.gitlab.com/user/profile/service_accounts/ (MR !225485, flag"
            " allow_subgroups_to_create_service_accounts, since removed)",
        ),
        FeatureRow(
            Feature.PROJECT_SERVICE_ACCOUNTS,
            "Service accounts of projects",
            _everywhere(),
            since=(18, 11),
            source="https://docs.gitlab.com/user/profile/service_accounts/ (MR !218988, flag"
            " allow_projects_to_create_service_accounts, since removed)",
        ),
        FeatureRow(
            Feature.FINE_GRAINED_PATS,
            "Fine-grained personal access tokens",
            # Beta from 18.10; tokenbot recommends them from general availability (19.2).
            _everywhere(),
            since=(19, 2),
            source="https://docs.gitlab.com/auth/tokens/fine_grained_access_tokens/",
        ),
        FeatureRow(
            Feature.FINE_GRAINED_PATS_FOR_OTHERS,
            "Fine-grained tokens created by administrators for other users",
            _self_hosted(),
            since=(19, 6),
            source="https://docs.gitlab.com/api/user_tokens/ (MR !260958)",
        ),
        FeatureRow(
            Feature.LIFETIME_400_DAYS,
            "Token lifetimes up to 400 days",
            _self_hosted(Offer(setting="the feature flag buffered_token_expiration_limit")),
            since=(17, 6),
            source="https://docs.gitlab.com/user/profile/personal_access_tokens/ (issue 461901)",
        ),
        FeatureRow(
            Feature.SELF_ROTATE,
            "The self_rotate scope and self/rotate endpoints",
            _everywhere(),
            since=(17, 9),
            source="https://docs.gitlab.com/api/personal_access_tokens/ (MR !178111)",
        ),
        FeatureRow(
            Feature.JOB_TOKEN_ALLOWLIST,
            "Enforced CI/CD job token allowlists (projects and groups)",
            _everywhere(),
            since=(18, 0),
            source="https://docs.gitlab.com/ci/jobs/ci_job_token/",
        ),
        FeatureRow(
            Feature.FINE_GRAINED_JOB_TOKENS,
            "Fine-grained job token permissions (GraphQL)",
            _everywhere(),
            since=(18, 3),
            source="https://docs.gitlab.com/ci/jobs/fine_grained_permissions/",
        ),
        FeatureRow(
            Feature.RUNNER_REGISTRATION_TOKENS,
            "Runner registration tokens (deprecated; use runner authentication tokens)",
            _everywhere(Offer(setting="the setting allow_runner_registration_token")),
            until=(20, 0),
            source="https://docs.gitlab.com/ci/runners/new_creation_workflow/",
        ),
        FeatureRow(
            Feature.GROUP_CREDENTIALS_INVENTORY,
            "Credentials inventory APIs of top-level groups",
            {_COM: Offer(min_tier=Tier.ULTIMATE)},
            source="https://docs.gitlab.com/user/group/credentials_inventory/"
            " (GET /groups/:id/manage/personal_access_tokens)",
        ),
        FeatureRow(
            Feature.INSTANCE_TOKEN_LISTING,
            "Every user's tokens, listed by an administrator",
            _self_hosted(),
            source="https://docs.gitlab.com/api/personal_access_tokens/"
            " (GET /personal_access_tokens)",
        ),
    )
}
