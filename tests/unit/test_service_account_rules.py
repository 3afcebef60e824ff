"""Who may create a service account, as tokenbot reads GitLab's rules (domain/service_accounts).

Sources: docs.gitlab.com/user/profile/service_accounts/ ("Top-level group Owners": on
GitLab Self-Managed and Dedicated they must be allowed by an administrator); gitlab-org/gitlab
ee/app/policies/ee/group_policy.rb (`~admin & owner & ~allow_top_level_group_owners_to_create_
service_accounts` prevents :create_service_account); MR 163726 (the setting, off by default
on Self-Managed, on for GitLab.com); MR 225485 (subgroup service accounts, 18.10).
"""

from __future__ import annotations

import pytest

from bot.domain.platform import parse_version
from bot.domain.service_accounts import (
    ADMIN_FIX,
    AccountFacts,
    Creation,
    creation_verdict,
)
from bot.domain.tokens import AccessLevel

OWNER, MAINTAINER = AccessLevel.OWNER, AccessLevel.MAINTAINER
A, R, U = Creation.ALLOWED, Creation.REFUSED, Creation.UNKNOWN


@pytest.mark.parametrize(
    "case",
    [
        # an administrator may, wherever service accounts exist
        ("acme", True, None, (18, 6), None, False, False, A),
        ("acme/platform", True, None, (18, 10), None, False, False, A),
        ("acme/platform", True, None, (18, 9), None, False, False, R),  # no subgroup accounts yet
        # an Owner on GitLab.com may; on Self-Managed it depends on the setting
        ("acme", False, OWNER, (18, 6), None, False, True, A),
        ("acme", False, OWNER, (18, 6), None, False, False, U),
        ("acme", False, OWNER, (18, 6), True, False, False, A),
        ("acme", False, OWNER, (18, 6), False, False, False, R),
        # anyone else may not
        ("acme", False, MAINTAINER, (18, 6), None, False, True, R),
        ("acme", False, None, (18, 6), None, False, False, R),
        # GitLab refused a moment ago: refused at once, even for an Owner
        ("acme", False, OWNER, (18, 6), None, True, False, R),
        ("acme", False, OWNER, None, None, False, False, U),  # version unknown: not held against
    ],
)
def test_who_may_create_a_service_account(case: tuple[object, ...]) -> None:
    """Each case: group, admin, role, version, setting, refused recently, GitLab.com, verdict."""
    *facts, expected = case
    assert creation_verdict(AccountFacts(*facts)).creation is expected  # type: ignore[arg-type]


def test_a_refusal_says_who_can_fix_it() -> None:
    owner = AccountFacts("acme", admin=False, role=OWNER, version=(18, 6), refused_recently=True)
    assert ADMIN_FIX in creation_verdict(owner).reason
    maintainer = AccountFacts("acme", admin=False, role=MAINTAINER, version=(18, 6))
    assert "not an Owner of acme" in creation_verdict(maintainer).reason
    old = AccountFacts("acme/platform", admin=True, role=None, version=(17, 11))
    assert "request it for acme" in creation_verdict(old).reason


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("18.6.1-ee", (18, 6)),
        ("18.10.0", (18, 10)),
        ("19.0.0-pre", (19, 0)),
        ("", None),
        ("x.y", None),
    ],
)
def test_gitlab_versions_are_read_as_major_and_minor(
    text: str, parsed: tuple[int, int] | None
) -> None:
    assert parse_version(text) == parsed


def test_every_refusal_fits_under_a_slack_form_field() -> None:
    """Slack shows at most 150 characters of a field's error (response_action: errors)."""
    refusals = [
        AccountFacts("acme", admin=False, role=OWNER, version=(18, 6), refused_recently=True),
        AccountFacts("acme", admin=False, role=OWNER, version=(18, 6), owners_may_create=False),
        AccountFacts("acme", admin=False, role=MAINTAINER, version=(18, 6)),
        AccountFacts("acme/platform", admin=True, role=None, version=(17, 11)),
    ]
    for facts in refusals:
        verdict = creation_verdict(facts)
        assert verdict.refused
        assert len(verdict.reason) <= 150, verdict.reason
