"""Job token access use cases over the real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) and a hand-written GitLab: exactly once, recoverable, audited."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.job_token_access import JobAccessDraft, JobAccessState, SourceKind
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestError
from bot.domain.tokens import AccessLevel
from bot.services.job_token_access import (
    approve_job_access,
    deny_job_access,
    expire_job_access,
    job_access_for,
    remove_job_access,
    settle_job_access,
    submit_job_access,
)
from bot.services.people import NotAllowedError, Person
from bot.services.request_deps import RequestDeps, RequestRejected
from bot.services.submissions import job_access_once
from bot.services.token_requests import submission_id
from tests.fake_gitlab import FakeGitLab

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
DAN, OLGA, ALICE = Person("U0DAN", 1), Person("U0OLGA", 2), Person("U0ALICE", 3)
DRAFT = JobAccessDraft(SourceKind.PROJECT, "acme/web", "acme/api", "web's deploy reads packages")
S = JobAccessState


@pytest.fixture
def gitlab() -> FakeGitLab:
    fake = FakeGitLab()
    for path in ("acme", "acme/web", "acme/api"):
        (fake.group if path == "acme" else fake.project)(path)
    fake.member(DAN.gitlab_id, "acme/web", AccessLevel.DEVELOPER)
    fake.member(DAN.gitlab_id, "acme", AccessLevel.DEVELOPER)
    fake.member(OLGA.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    fake.member(ALICE.gitlab_id, "acme/api", AccessLevel.DEVELOPER)
    return fake


@pytest.fixture
def deps(sql_uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab) -> RequestDeps:
    ids = (f"j{n}" for n in itertools.count(1))
    return RequestDeps(sql_uow, gitlab, RequestPolicy(), lambda: NOW, lambda: next(ids))


def _api(gitlab: FakeGitLab) -> int:
    return gitlab.places["acme/api"].id


def _audit(deps: RequestDeps) -> list[str]:
    with deps.uow() as uow:
        return [e.action.value for e in uow.audit.events()]


def test_approval_adds_the_entry_once_and_removal_takes_it_away(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    allowed = approve_job_access(access.id, OLGA, deps=deps)
    assert allowed.state is S.ALLOWED
    web = gitlab.places["acme/web"].id
    assert gitlab.job_token_allowlist(_api(gitlab)).projects == {web}
    assert remove_job_access(access.id, OLGA, deps=deps).state is S.REMOVED
    assert gitlab.job_token_allowlist(_api(gitlab)).projects == frozenset()
    assert _audit(deps) == ["requested", "approved", "job_token_allowed", "job_token_removed"]


def test_the_same_source_twice_is_one_tracked_entry(deps: RequestDeps) -> None:
    submit_job_access(DAN, DRAFT, deps=deps)
    with pytest.raises(RequestRejected, match="requested or allowed already"):
        submit_job_access(DAN, DRAFT, deps=deps)
    with deps.uow() as uow:
        assert len(uow.job_access.in_states(*S)) == 1


def test_after_removal_the_same_source_may_be_asked_again(deps: RequestDeps) -> None:
    first = submit_job_access(DAN, DRAFT, deps=deps)
    approve_job_access(first.id, OLGA, deps=deps)
    remove_job_access(first.id, OLGA, deps=deps)
    assert submit_job_access(DAN, DRAFT, deps=deps).state is S.PENDING


def test_an_entry_gitlab_has_already_is_refused_at_submit(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    gitlab.allowlists[_api(gitlab)] = {(SourceKind.PROJECT, gitlab.places["acme/web"].id)}
    with pytest.raises(RequestRejected, match="allowlist already"):
        submit_job_access(DAN, DRAFT, deps=deps)


def test_a_lost_answer_stays_adding_and_settle_finishes_it_without_a_second_add(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    gitlab.lose_allowlist_answers = 1
    assert approve_job_access(access.id, OLGA, deps=deps).state is S.ADDING
    [settled] = settle_job_access(deps=deps)
    assert settled.state is S.ALLOWED
    assert [w[0] for w in gitlab.allowlist_writes] == ["add"]  # read, not added again
    assert settle_job_access(deps=deps) == []


def test_an_add_that_never_reached_gitlab_is_added_by_settle(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    gitlab.lose_allowlist_answers = 1
    approve_job_access(access.id, OLGA, deps=deps)
    gitlab.allowlists.clear()  # as if the request died before GitLab had it
    assert settle_job_access(deps=deps)[0].state is S.ALLOWED
    assert gitlab.job_token_allowlist(_api(gitlab)).projects


def test_a_lost_removal_is_settled_from_the_allowlist(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    approve_job_access(access.id, OLGA, deps=deps)
    gitlab.lose_allowlist_answers = 1
    assert remove_job_access(access.id, OLGA, deps=deps).state is S.REMOVING
    assert settle_job_access(deps=deps)[0].state is S.REMOVED
    assert _audit(deps)[-1] == "job_token_removed"


def test_only_target_maintainers_decide_and_never_the_requester(deps: RequestDeps) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    with pytest.raises(NotAllowedError, match="Maintainer or higher on acme/api"):
        approve_job_access(access.id, ALICE, deps=deps)
    with pytest.raises(NotAllowedError, match="your own request"):
        deny_job_access(access.id, DAN, deps=deps)
    assert deny_job_access(access.id, OLGA, deps=deps).state is S.DENIED


def test_a_requester_who_cannot_run_the_source_jobs_is_refused(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected, match="not a member of acme/web"):
        submit_job_access(OLGA, DRAFT, deps=deps)


def test_a_group_is_no_target_and_a_kind_must_match(deps: RequestDeps) -> None:
    with pytest.raises(RequestRejected, match="Only a project"):
        submit_job_access(
            DAN, JobAccessDraft(SourceKind.PROJECT, "acme/web", "acme", "x" * 20), deps=deps
        )
    with pytest.raises(RequestRejected, match="is a project, not a group"):
        submit_job_access(
            DAN, JobAccessDraft(SourceKind.GROUP, "acme/web", "acme/api", "x" * 20), deps=deps
        )
    group = submit_job_access(
        DAN, JobAccessDraft(SourceKind.GROUP, "acme", "acme/api", "x" * 20), deps=deps
    )
    assert group.source.path == "acme"


def test_the_list_shows_what_one_asked_for_or_manages(deps: RequestDeps) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    assert [a.id for a in job_access_for(DAN, deps=deps)] == [access.id]
    assert [a.id for a in job_access_for(OLGA, deps=deps)] == [access.id]
    assert job_access_for(ALICE, deps=deps) == []


def test_an_approval_finished_meanwhile_by_the_settle_job_stands(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    real_add = gitlab.add_job_token_source

    def add_and_settle_meanwhile(project_id: int, kind: SourceKind, source_id: int) -> bool:
        added = real_add(project_id, kind, source_id)
        assert settle_job_access(deps=deps)[0].state is S.ALLOWED  # another worker ends it
        return added

    gitlab.add_job_token_source = add_and_settle_meanwhile  # type: ignore[method-assign]
    assert approve_job_access(access.id, OLGA, deps=deps).state is S.ALLOWED
    assert _audit(deps).count("job_token_allowed") == 1


def test_a_request_nobody_decides_on_expires_and_frees_the_entry(
    sql_uow: Callable[[], SqlUnitOfWork], deps: RequestDeps
) -> None:
    access = submit_job_access(DAN, DRAFT, deps=deps)
    days = deps.policy.pending_days
    assert expire_job_access(deps=deps) == []
    later = replace(deps, clock=lambda: NOW + timedelta(days=days, seconds=1))
    [expired] = expire_job_access(deps=later)
    assert (expired.id, expired.state) == (access.id, S.EXPIRED)
    assert submit_job_access(DAN, DRAFT, deps=later).state is S.PENDING
    assert _audit(deps) == ["requested", "expired", "requested"]


# ---------------------------------------------------------------- found by the attack review


def test_an_entry_someone_added_in_gitlab_meanwhile_is_not_taken_over(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    """Tracking it would let Remove delete an entry someone else made and relies on."""
    access = submit_job_access(DAN, DRAFT, deps=deps)
    web = gitlab.places["acme/web"].id
    gitlab.allowlists[_api(gitlab)] = {(SourceKind.PROJECT, web)}  # a Maintainer, by hand
    ended = approve_job_access(access.id, OLGA, deps=deps)
    assert ended.state is S.FAILED
    assert "neither tracks nor removes" in (ended.failure or "")
    with pytest.raises(RequestError, match="this job token access is failed"):
        remove_job_access(access.id, OLGA, deps=deps)
    assert gitlab.job_token_allowlist(_api(gitlab)).projects == {web}


def test_the_requester_cannot_approve_as_the_same_gitlab_user_from_another_surface(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    gitlab.member(DAN.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    access = submit_job_access(DAN, DRAFT, deps=deps)
    dan_in_the_shell = Person("dan", DAN.gitlab_id)
    with pytest.raises(NotAllowedError, match="your own request"):
        approve_job_access(access.id, dan_in_the_shell, deps=deps)


def test_a_target_moved_since_the_request_is_not_decided_by_whoever_holds_its_old_path(
    deps: RequestDeps, gitlab: FakeGitLab
) -> None:
    """The role is read at the path; the allowlist is changed by id: both must be one project."""
    access = submit_job_access(DAN, DRAFT, deps=deps)
    gitlab.project("acme/api")  # api moved away; a new project took its path (a new id)
    with pytest.raises(NotAllowedError, match="no longer the project this request named"):
        approve_job_access(access.id, OLGA, deps=deps)
    assert gitlab.allowlist_writes == []


def test_the_same_submit_again_finds_its_request_where_a_new_one_is_a_duplicate(
    deps: RequestDeps,
) -> None:
    """Issue 15: a form Slack sends twice (same view id and hash) is one request; the id is
    the submit key's, so the second arrival finds it instead of being refused."""
    key = "slack:T0ACME:U0DAN:V0FORM:1700000800.000001"
    first, new = job_access_once(DAN, DRAFT, deps=deps, submission=key)
    again, new_again = job_access_once(DAN, DRAFT, deps=deps, submission=key)
    assert (new, new_again) == (True, False)
    assert again.id == first.id == submission_id(key)
    with pytest.raises(RequestRejected, match="requested or allowed already"):
        job_access_once(DAN, DRAFT, deps=deps, submission=key.replace("000001", "000002"))
    assert _audit(deps) == ["requested"]
