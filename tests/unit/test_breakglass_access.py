"""Break-glass in the one decision, as a table: people the break-glass policy names
(`Actor.breaks_glass`) × credential power → verdict.

Break-glass never gives more than the person could get approved: nothing above their own
live role (there is no approvers' grant to lift it), nothing GitLab does not expire, never
tokenbot's own credential, never for someone tokenbot cannot link to GitLab.
"""

from __future__ import annotations

import pytest

from bot.domain.access import Action, Actor, Outcome, Power, Subject, decide
from bot.domain.credentials import NamespaceKind
from bot.domain.tokens import AccessLevel, TokenType

A, D = Outcome.ALLOW, Outcome.DENY
R = AccessLevel
PROJECT, GROUP = NamespaceKind.PROJECT, NamespaceKind.GROUP

POWERS = {
    "reporter_read": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.REPORTER, ("read_api",)),
    "developer_api": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.DEVELOPER, ("api",)),
    "maintainer_read": Power(
        TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.MAINTAINER, ("read_repository",)
    ),
    "owner_api": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.OWNER, ("api",)),
    "group_reporter": Power(TokenType.GROUP_ACCESS_TOKEN, GROUP, R.REPORTER, ("read_api",)),
    # A trigger token has no expiry in GitLab: never short-lived, so never break-glass.
    "trigger": Power(TokenType.PIPELINE_TRIGGER_TOKEN, PROJECT, R.MAINTAINER, (), R.MAINTAINER),
    "bot_own": Power(TokenType.SERVICE_ACCOUNT_PAT, GROUP, None, ("api",), R.OWNER, own=True),
}
# One row per person the policy names, by their live role there; columns as in POWERS.
TABLE: dict[str, tuple[Outcome, ...]] = {
    "guest": (D, D, D, D, D, D, D),
    "reporter": (A, D, D, D, A, D, D),
    "developer": (A, A, D, D, A, D, D),
    "maintainer": (A, A, A, D, A, D, D),
    "owner": (A, A, A, A, A, D, D),
    "nonmember": (D, D, D, D, D, D, D),
}
ROLES = {
    "guest": R.GUEST,
    "reporter": R.REPORTER,
    "developer": R.DEVELOPER,
    "maintainer": R.MAINTAINER,
    "owner": R.OWNER,
    "nonmember": None,
}
CELLS = [
    (actor, power, expected)
    for actor, row in TABLE.items()
    for power, expected in zip(POWERS, row, strict=True)
]


@pytest.mark.parametrize(
    ("actor", "power", "expected"), CELLS, ids=[f"{a}-{p}" for a, p, _ in CELLS]
)
def test_break_glass_for_people_the_policy_names(actor: str, power: str, expected: Outcome) -> None:
    person = Actor("U0BREAKER", linked=True, role=ROLES[actor], breaks_glass=True)
    subject = Subject(POWERS[power], owner="U0BREAKER", place="acme/api")
    assert decide(Action.BREAK_GLASS, person, subject).outcome is expected


@pytest.mark.parametrize("power", list(POWERS))
def test_break_glass_is_refused_to_everyone_the_policy_does_not_name(power: str) -> None:
    """Even an Owner, and even a configured approver, needs the break-glass policy."""
    owner = Actor("U0OWNER", linked=True, role=R.OWNER, approver=True, admin=True)
    verdict = decide(Action.BREAK_GLASS, owner, Subject(POWERS[power], owner="U0OWNER"))
    assert verdict.outcome is D


def test_someone_tokenbot_cannot_link_is_refused_even_if_named() -> None:
    unknown = Actor("U0X", linked=False, role=None, breaks_glass=True)
    subject = Subject(POWERS["reporter_read"], owner="U0X")
    assert decide(Action.BREAK_GLASS, unknown, subject).outcome is D


def test_the_refusal_says_who_may_and_what_to_do_instead() -> None:
    person = Actor("U0DEV", linked=True, role=R.DEVELOPER)
    verdict = decide(Action.BREAK_GLASS, person, Subject(POWERS["reporter_read"], owner="U0DEV"))
    assert "TOKENBOT_BREAKGLASS_GROUPS" in verdict.reason
    assert "/token request" in verdict.reason


@pytest.mark.parametrize(
    ("who", "role", "expected"),
    [
        ("U0BREAKER", R.OWNER, D),  # the requester never reviews their own break-glass
        ("U0DEV", R.DEVELOPER, D),
        ("U0MAINT", R.MAINTAINER, A),
        ("U0OWNER", R.OWNER, A),
    ],
)
def test_acknowledging_a_review_is_for_those_who_could_have_approved(
    who: str, role: AccessLevel, expected: Outcome
) -> None:
    subject = Subject(POWERS["developer_api"], owner="U0BREAKER", place="acme/api")
    actor = Actor(who, linked=True, role=role, breaks_glass=True)
    assert decide(Action.ACKNOWLEDGE, actor, subject).outcome is expected


@pytest.mark.parametrize("role", [R.DEVELOPER, R.MAINTAINER, R.OWNER])
@pytest.mark.parametrize("owner", [True, False])
def test_a_break_glass_token_is_never_rotated_or_renewed(role: AccessLevel, owner: bool) -> None:
    """A rotation or renewal would outlive its day: refused to its owner and managers alike."""
    who = "U0BREAKER" if owner else "U0OTHER"
    actor = Actor(who, linked=True, role=role, breaks_glass=True)
    glass = Subject(POWERS["reporter_read"], owner="U0BREAKER", place="acme/api", break_glass=True)
    verdict = decide(Action.ROTATE, actor, glass)
    assert verdict.outcome is D
    assert "Break glass again" in verdict.reason
    if owner:  # the control: the same token, not break-glass, its owner rotates
        usual = Subject(POWERS["reporter_read"], owner="U0BREAKER", place="acme/api")
        assert decide(Action.ROTATE, actor, usual).outcome is A
