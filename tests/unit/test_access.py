"""The authorization decision as a table: action × actor × credential power → verdict.

The same expected verdicts run through the real Slack endpoint and the shell in
tests/e2e/test_authorization_matrix.py; here they pin the pure rules, including the cases the
endpoints cannot reach (admins, configured approvers, group-wide tokens, unknown scopes).
"""

from __future__ import annotations

import pytest

from bot.domain.access import ABOVE_ROLE, Action, Actor, Outcome, Power, Subject, decide
from bot.domain.credentials import NamespaceKind
from bot.domain.tokens import AccessLevel, TokenType

A, N, D = Outcome.ALLOW, Outcome.APPROVAL, Outcome.DENY
R = AccessLevel
PROJECT, GROUP = NamespaceKind.PROJECT, NamespaceKind.GROUP

POWERS = {
    "reporter_read": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.REPORTER, ("read_api",)),
    "developer_api": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.DEVELOPER, ("api",)),
    "maintainer_read": Power(
        TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.MAINTAINER, ("read_repository",)
    ),
    "owner_api": Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.OWNER, ("api",)),
    "bot_own": Power(TokenType.SERVICE_ACCOUNT_PAT, GROUP, None, ("api",), R.OWNER, own=True),
}
POWER_NAMES = list(POWERS)
REQUESTER_ROLE = {
    "reporter_read": R.REPORTER,
    "developer_api": R.DEVELOPER,
    "maintainer_read": R.MAINTAINER,
    "owner_api": R.OWNER,
    "bot_own": R.OWNER,
}
ACTORS: dict[str, tuple[bool, AccessLevel | None]] = {
    "guest": (True, R.GUEST),
    "reporter": (True, R.REPORTER),
    "developer": (True, R.DEVELOPER),
    "maintainer": (True, R.MAINTAINER),
    "owner": (True, R.OWNER),
    "nonmember": (True, None),
    "unknown": (False, None),
}
OWNER_ID = "U0REQUESTER"

# One row per action and actor; columns in the order of POWER_NAMES. "requester" is the
# person who asked for the credential (or owns its tracked token), whose role equals its level.
TABLE: dict[Action, dict[str, tuple[Outcome, ...]]] = {
    Action.REQUEST: {
        "requester": (N, N, N, N, D),
        "guest": (D, D, D, D, D),
        "reporter": (N, D, D, D, D),
        "developer": (N, N, D, D, D),
        "maintainer": (N, N, N, D, D),
        "owner": (N, N, N, N, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.APPROVE: {
        "requester": (D, D, D, D, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, D, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.ROTATE: {
        "requester": (A, A, A, A, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, N, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.CLAIM: {
        "requester": (D, D, A, A, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, D, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.LET_EXPIRE: {
        "requester": (A, A, A, A, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, D, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.RECEIVE: {
        "requester": (A, A, A, A, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (D, D, D, D, D),
        "owner": (D, D, D, D, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    Action.DELIVER: {
        "requester": (D, D, A, A, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, A, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    # Approve, deny or remove a job token allowlist entry: GitLab lets the target's
    # Maintainers edit the allowlist; the power column does not matter (but tokenbot's own).
    Action.GRANT_JOB_TOKEN: {
        "requester": (D, D, D, D, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (A, A, A, A, D),
        "owner": (A, A, A, A, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
    # Break-glass for people the break-glass policy does not name: refused whatever their
    # role (tests/unit/test_breakglass_access.py has the people it names).
    Action.BREAK_GLASS: {
        "requester": (D, D, D, D, D),
        "guest": (D, D, D, D, D),
        "reporter": (D, D, D, D, D),
        "developer": (D, D, D, D, D),
        "maintainer": (D, D, D, D, D),
        "owner": (D, D, D, D, D),
        "nonmember": (D, D, D, D, D),
        "unknown": (D, D, D, D, D),
    },
}
TABLE[Action.REVOKE] = TABLE[Action.LET_EXPIRE]
# "Keep, it is right" silences a hygiene finding: the owner, those who manage the token (as
# for letting it expire), never tokenbot's own token; admins too (below).
TABLE[Action.KEEP] = {
    "requester": (A, A, A, A, D),
    "guest": (D, D, D, D, D),
    "reporter": (D, D, D, D, D),
    "developer": (D, D, D, D, D),
    "maintainer": (A, A, A, D, D),
    "owner": (A, A, A, A, D),
    "nonmember": (D, D, D, D, D),
    "unknown": (D, D, D, D, D),
}
# "Replace with a narrower token": as Rotate, but a Maintainer may not replace a project's
# Owner-level token (the narrower request would need only Maintainers to end it).
TABLE[Action.REPLACE] = {**TABLE[Action.ROTATE], "maintainer": (A, A, A, D, D)}
# Acknowledging a break-glass review: whoever could have approved the request.
TABLE[Action.ACKNOWLEDGE] = TABLE[Action.APPROVE]
CELLS = [
    (action, actor, power, expected)
    for action, rows in TABLE.items()
    for actor, row in rows.items()
    for power, expected in zip(POWER_NAMES, row, strict=True)
]


def _actor(name: str, power: str) -> Actor:
    if name == "requester":
        return Actor(OWNER_ID, linked=True, role=REQUESTER_ROLE[power])
    linked, role = ACTORS[name]
    return Actor(f"U0{name.upper()}", linked=linked, role=role)


@pytest.mark.parametrize(
    ("action", "actor", "power", "expected"),
    CELLS,
    ids=[f"{a.value}-{who}-{p}" for a, who, p, _ in CELLS],
)
def test_the_decision_table(action: Action, actor: str, power: str, expected: Outcome) -> None:
    subject = Subject(POWERS[power], owner=OWNER_ID, place="acme/api")
    assert decide(action, _actor(actor, power), subject).outcome is expected


def test_the_table_covers_every_action() -> None:
    assert set(TABLE) == set(Action) - {Action.CANCEL}


def test_only_the_requester_cancels() -> None:
    power = POWERS["developer_api"]
    subject = Subject(power, owner=OWNER_ID)
    assert decide(Action.CANCEL, _actor("requester", "developer_api"), subject).outcome is A
    assert decide(Action.CANCEL, _actor("owner", "developer_api"), subject).outcome is D


def test_admins_silence_and_revoke_but_never_receive_or_rotate() -> None:
    admin = Actor("U0ADMIN", linked=True, role=None, admin=True)
    subject = Subject(POWERS["owner_api"], owner=OWNER_ID)
    verdicts = {a: decide(a, admin, subject).outcome for a in Action}
    assert verdicts[Action.CLAIM] is A
    assert verdicts[Action.LET_EXPIRE] is A
    assert verdicts[Action.KEEP] is A
    assert verdicts[Action.REVOKE] is A
    assert verdicts[Action.ROTATE] is D
    assert verdicts[Action.RECEIVE] is D
    assert verdicts[Action.REQUEST] is D


def test_configured_approvers_approve_anything_but_their_own() -> None:
    approver = Actor("U0APPROVER", linked=True, role=None, approver=True)
    subject = Subject(POWERS["owner_api"], owner=OWNER_ID)
    assert decide(Action.APPROVE, approver, subject).outcome is A
    mine = Subject(POWERS["owner_api"], owner="U0APPROVER")
    assert decide(Action.APPROVE, approver, mine).outcome is D


def test_group_wide_tokens_are_managed_by_owners() -> None:
    group_token = Power(TokenType.GROUP_ACCESS_TOKEN, GROUP, R.REPORTER, ("read_api",))
    maintainer = Actor("U0M", linked=True, role=R.MAINTAINER)
    subject = Subject(group_token, owner=OWNER_ID)
    assert decide(Action.APPROVE, maintainer, subject).outcome is D
    assert decide(Action.CLAIM, maintainer, subject).outcome is D
    assert decide(Action.ROTATE, maintainer, subject).outcome is D


def test_scopes_tokenbot_cannot_judge_count_as_owner() -> None:
    odd = Power(TokenType.PROJECT_ACCESS_TOKEN, PROJECT, R.REPORTER, ("ai_features", "read_api"))
    assert odd.level is R.OWNER
    maintainer = Actor("U0M", linked=True, role=R.MAINTAINER)
    assert decide(Action.REQUEST, maintainer, Subject(odd)).outcome is D


def test_a_trigger_is_as_powerful_as_the_account_it_runs_as() -> None:
    trigger = Power(TokenType.PIPELINE_TRIGGER_TOKEN, PROJECT, account_role=R.OWNER)
    assert trigger.level is R.OWNER
    maintainer = Actor("U0M", linked=True, role=R.MAINTAINER)
    verdict = decide(Action.REQUEST, maintainer, Subject(trigger, place="acme/api"))
    assert verdict.outcome is D
    assert "run as tokenbot's GitLab account" in verdict.reason


def test_a_grant_above_the_role_lets_the_requester_receive_it() -> None:
    maintainer = Actor(OWNER_ID, linked=True, role=R.MAINTAINER)
    plain = Subject(POWERS["owner_api"], owner=OWNER_ID)
    granted = Subject(POWERS["owner_api"], owner=OWNER_ID, granted=True)
    assert decide(Action.RECEIVE, maintainer, plain).outcome is D
    assert decide(Action.RECEIVE, maintainer, granted).outcome is A
    gone = Actor(OWNER_ID, linked=True, role=None)
    assert decide(Action.RECEIVE, gone, granted).outcome is D  # left the project since
    assert ABOVE_ROLE  # the flag that marks such a grant on a request


JOB_TOKEN = Power(TokenType.CI_JOB_TOKEN, PROJECT)


def test_a_maintainer_who_asked_may_remove_the_entry_but_not_approve_it() -> None:
    maintainer = Actor(OWNER_ID, linked=True, role=R.MAINTAINER)
    approving = Subject(JOB_TOKEN, owner=OWNER_ID, place="acme/api")
    removing = Subject(JOB_TOKEN, place="acme/api")  # removal names no requester
    assert decide(Action.GRANT_JOB_TOKEN, maintainer, approving).outcome is D
    assert decide(Action.GRANT_JOB_TOKEN, maintainer, removing).outcome is A


def test_configured_approvers_do_not_bypass_the_job_token_allowlist_rule() -> None:
    approver = Actor("U0APPROVER", linked=True, role=R.DEVELOPER, approver=True)
    verdict = decide(Action.GRANT_JOB_TOKEN, approver, Subject(JOB_TOKEN, place="acme/api"))
    assert verdict.outcome is D
    assert "needs Maintainer or higher on acme/api" in verdict.reason


def test_asking_for_job_token_access_needs_developer_on_the_source() -> None:
    source = Power(TokenType.CI_JOB_TOKEN, PROJECT, R.DEVELOPER)
    for role, expected in ((R.REPORTER, D), (R.DEVELOPER, N), (R.MAINTAINER, N)):
        actor = Actor("U0DEV", linked=True, role=role)
        verdict = decide(Action.REQUEST, actor, Subject(source, owner="U0DEV", place="acme/api"))
        assert verdict.outcome is expected


@pytest.mark.parametrize(
    ("where", "level", "expected"),
    [
        (PROJECT, R.MAINTAINER, N),  # the narrower request waits for Maintainers: enough
        (PROJECT, R.OWNER, D),  # ending it would need Owners; the request only Maintainers
        (GROUP, R.OWNER, N),  # group-wide: the narrower request waits for Owners too
    ],
)
def test_an_owner_below_the_tokens_level_replaces_it_only_where_approval_covers_it(
    where: NamespaceKind, level: AccessLevel, expected: Outcome
) -> None:
    """An owner by configuration (TOKENBOT_OWNERS) who is only a Developer there."""
    kind = TokenType.PROJECT_ACCESS_TOKEN if where is PROJECT else TokenType.GROUP_ACCESS_TOKEN
    subject = Subject(Power(kind, where, level, ("api",)), owner=OWNER_ID, place="acme/api")
    owner = Actor(OWNER_ID, linked=True, role=R.DEVELOPER)
    assert decide(Action.REPLACE, owner, subject).outcome is expected
