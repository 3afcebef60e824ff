"""Who a request's card names and who is asked: exactly those the gate lets approve, minus the
requester, as a table of role × requester × linked."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.domain.approval_notices import ApprovalNotice, Nudge, Surface, nudges_due
from bot.domain.credentials import GitLabUser
from bot.domain.links import AccountLink
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestDraft, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.approvers import known_people, roster
from bot.services.token_requests import (
    NotAllowedError,
    Person,
    RequestDeps,
    approve_request,
    submit_request,
)
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PROJECT, GROUP = "acme/api", "acme"
ADA = Person("U0ADA", 11)  # the requester, Developer
ADA_SHELL = Person("ada", 11)  # the same GitLab user, as the shell knows her


class DirectoryGitLab(FakeGitLab):
    """The fake GitLab, also finding users by username."""

    def __init__(self, users: dict[str, int]) -> None:
        super().__init__()
        self.users = users

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        found = self.users.get(username or "")
        return None if found is None else GitLabUser(found, username or "", username or "")


@dataclass
class FakeLinks:
    links: list[AccountLink]

    def all(self) -> list[AccountLink]:
        return list(self.links)


class LinkedUnitOfWork(FakeRequestUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.links = FakeLinks([])


def _is_slack(chat_id: str) -> bool:
    return chat_id.startswith("U")


@pytest.fixture
def gitlab() -> DirectoryGitLab:
    fake = DirectoryGitLab({"ada": 11, "mei": 12, "ola": 13, "dev": 14, "rex": 15, "max": 16})
    fake.group(GROUP)
    fake.project(PROJECT)
    for user_id, role in ((11, AccessLevel.DEVELOPER), (14, AccessLevel.DEVELOPER)):
        fake.member(user_id, PROJECT, role)
    fake.member(12, PROJECT, AccessLevel.MAINTAINER)
    fake.member(13, PROJECT, AccessLevel.OWNER)
    fake.member(13, GROUP, AccessLevel.OWNER)
    fake.member(12, GROUP, AccessLevel.MAINTAINER)
    fake.member(16, PROJECT, AccessLevel.MAINTAINER)  # max: Maintainer, but linked nowhere
    return fake


@pytest.fixture
def uow() -> LinkedUnitOfWork:
    work = LinkedUnitOfWork()
    # ola linked by signing in to GitLab; the others by TOKENBOT_USER_MAP below
    work.links.links.append(AccountLink("U0OLA", "T1", 13, "ola", NOW))
    return work


USER_MAP = {"U0ADA": "ada", "U0MEI": "mei", "U0DEV": "dev", "U0REX": "rex", "ada": "ada"}


def _deps(uow: LinkedUnitOfWork, gitlab: FakeGitLab, approvers: frozenset[str]) -> RequestDeps:
    ids = (f"req{n}" for n in itertools.count(1))
    return RequestDeps(
        uow=uow,
        gitlab=gitlab,
        policy=RequestPolicy(approvers=approvers),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
    )


def _draft(**changes: Any) -> RequestDraft:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        PROJECT,
        "ci-reader",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2026, 12, 22),
        "CI reads the API to build release notes",
    )
    return replace(draft, **changes)


# who, their situation, and whether the card names them (and the gate lets them approve)
PROJECT_TABLE = [
    ("U0MEI", "Maintainer of the project, linked by TOKENBOT_USER_MAP", True),
    ("U0OLA", "Owner, linked by GitLab sign-in", True),
    ("U0DEV", "Developer, linked", False),
    ("U0REX", "no member, linked", False),
    ("U0ADA", "the requester herself", False),
    ("ada", "the requester as a shell user in the map: not a Slack user", False),
]


@pytest.mark.parametrize(("who", "situation", "named"), PROJECT_TABLE)
def test_the_card_names_exactly_who_the_gate_lets_approve_a_project_token(
    uow: LinkedUnitOfWork, gitlab: DirectoryGitLab, who: str, situation: str, named: bool
) -> None:
    deps = _deps(uow, gitlab, frozenset())
    request = submit_request(ADA, _draft(), deps=deps)
    found = _roster(request, deps)
    assert (who in found.approvers) is named, situation
    _gate_agrees(request, who, deps, gitlab, allowed=named)


def test_someone_tokenbot_has_not_linked_is_not_named_whatever_their_role(
    uow: LinkedUnitOfWork, gitlab: DirectoryGitLab
) -> None:
    """max is a Maintainer but in no map and no link: tokenbot cannot tell who he is in
    Slack before he acts, so he is not named (his click is still decided by the gate)."""
    deps = _deps(uow, gitlab, frozenset())
    request = submit_request(ADA, _draft(), deps=deps)
    assert set(_roster(request, deps).approvers) == {"U0MEI", "U0OLA"}


GROUP_TABLE = [
    ("U0MEI", "Maintainer of the group: a group token needs an Owner", False),
    ("U0OLA", "Owner of the group", True),
    ("U0REX", "no member, but in TOKENBOT_APPROVERS", True),
    ("U0ADA", "the requester, even in TOKENBOT_APPROVERS", False),
]


@pytest.mark.parametrize(("who", "situation", "named"), GROUP_TABLE)
def test_the_card_names_exactly_who_the_gate_lets_approve_a_group_token(
    uow: LinkedUnitOfWork, gitlab: DirectoryGitLab, who: str, situation: str, named: bool
) -> None:
    gitlab.member(11, GROUP, AccessLevel.OWNER)
    deps = _deps(uow, gitlab, frozenset({"U0REX", "U0ADA"}))
    draft = _draft(token_type=TokenType.GROUP_ACCESS_TOKEN, target=GROUP)
    request = submit_request(ADA, draft, deps=deps)
    found = _roster(request, deps)
    assert (who in found.approvers) is named, situation
    assert found.role is AccessLevel.OWNER
    _gate_agrees(request, who, deps, gitlab, allowed=named)


def test_the_requester_from_another_surface_is_neither_named_nor_let_approve(
    uow: LinkedUnitOfWork, gitlab: DirectoryGitLab
) -> None:
    """The shell's "ada" and Slack's U0ADA are one GitLab user: she cannot approve her own."""
    gitlab.member(11, PROJECT, AccessLevel.OWNER)
    deps = _deps(uow, gitlab, frozenset())
    request = submit_request(ADA_SHELL, _draft(), deps=deps)
    assert "U0ADA" not in _roster(request, deps).approvers
    with pytest.raises(NotAllowedError, match="your own request"):
        approve_request(request.id, ADA, deps=deps)


def test_nobody_but_the_requester_asks_the_fallback_approvers_the_gate_would_let(
    uow: LinkedUnitOfWork, gitlab: DirectoryGitLab
) -> None:
    """Only ada could approve. Of the fallback approvers, U0DEV (a Developer) is refused and
    told why; U0NEW, whom tokenbot cannot place before a click, is asked (the click decides);
    U0REX (in TOKENBOT_APPROVERS) is asked."""
    gitlab.roles = {(11, PROJECT): AccessLevel.MAINTAINER, (14, PROJECT): AccessLevel.DEVELOPER}
    uow.links.links.clear()
    deps = _deps(uow, gitlab, frozenset())
    request = submit_request(ADA, _draft(), deps=deps)
    found = roster(request, _people(deps), gate=deps.gate, fallback=("U0DEV", "U0NEW"))
    assert found.nobody
    assert found.fallback == ("U0NEW",)
    (refused,) = found.refused
    assert refused.chat_id == "U0DEV"
    assert refused.reason.startswith("deciding on this request needs Maintainer")
    configured = _deps(uow, gitlab, frozenset({"U0REX"}))
    found = roster(request, _people(configured), gate=configured.gate, fallback=("U0REX",))
    assert found.approvers == ("U0REX",)
    assert found.fallback == ("U0REX",)  # on escalation, asked as a fallback approver too


NUDGES = [
    (timedelta(hours=23), None, None, []),
    (timedelta(hours=24), None, None, [Nudge.REMINDER]),
    (timedelta(hours=30), NOW, None, []),
    (timedelta(hours=48), NOW, None, [Nudge.ESCALATION]),
    (timedelta(hours=49), None, None, [Nudge.REMINDER, Nudge.ESCALATION]),
    (timedelta(hours=90), NOW, NOW, []),
]


@pytest.mark.parametrize(("waited", "reminded", "escalated", "due"), NUDGES)
def test_a_reminder_after_the_hours_and_escalation_after_twice_that(
    waited: timedelta,
    reminded: datetime | None,
    escalated: datetime | None,
    due: list[Nudge],
) -> None:
    notice = ApprovalNotice("r1", Surface.SLACK, "U0ADA", (), reminded, escalated)
    assert nudges_due(notice, NOW - waited, NOW, timedelta(hours=24)) == due


def _people(deps: RequestDeps) -> list[Person]:
    return known_people(uow=deps.uow, gitlab=deps.gitlab, user_map=USER_MAP, is_chat_id=_is_slack)


def _roster(request: TokenRequest, deps: RequestDeps) -> Any:
    return roster(request, _people(deps), gate=deps.gate)


def _gate_agrees(
    request: TokenRequest, who: str, deps: RequestDeps, gitlab: DirectoryGitLab, *, allowed: bool
) -> None:
    """The click of `who` (identified as at click time) gets the verdict the card implied."""
    username = USER_MAP.get(who) or who.removeprefix("U0").lower()
    person = Person(who, gitlab.users[username])
    if allowed:
        approve_request(request.id, person, deps=deps)
    else:
        with pytest.raises(NotAllowedError):
            approve_request(request.id, person, deps=deps)
