"""People's PATs and deploy keys in the database (SQLite, or PostgreSQL when set): who owns
them, where a token two places list lives, and what an unreadable listing keeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.credentials import Namespace, NamespaceKind, PlaceTokens, TokenRecord
from bot.domain.links import AccountLink
from bot.domain.reminders import OwnerSource, TrackedStatus
from bot.domain.requests import RequestError
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.reminder_actions import ActionDeps, can_revoke, revoke_now
from bot.services.renewals import can_rotate
from bot.services.token_requests import Person
from tests.fake_gitlab import FakeGitLab

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ACME = Namespace(NamespaceKind.GROUP, 1, "acme")
API = Namespace(NamespaceKind.PROJECT, 10, "acme/api")
WEB = Namespace(NamespaceKind.PROJECT, 11, "acme/web")
PART = "personal access tokens"


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(db)


def _pat(gitlab_id: int = 77, user_id: int = 5) -> TokenRecord:
    return TokenRecord(
        TokenType.PERSONAL_ACCESS_TOKEN,
        gitlab_id,
        "laptop",
        ACME,
        ("api",),
        AccessLevel.MAINTAINER,
        date(2026, 12, 1),
        user_id=user_id,
        account="alice",
        last_used_ips=("203.0.113.9",),
    )


def _key(where: Namespace) -> TokenRecord:
    return TokenRecord(TokenType.DEPLOY_KEY, 31, "k8s", where, ("read_repository",))


def _save(uow: Callable[[], SqlUnitOfWork], *places: PlaceTokens) -> None:
    with uow() as work:
        run_id, _ = work.inventory.open_run("acme", NOW)
        for place in places:
            work.inventory.save_place(run_id, place, NOW, lambda _path: None)
        work.inventory.finish_run(run_id, ["acme"], NOW)
        work.commit()


def test_a_pat_is_tracked_with_its_account_ips_and_the_linked_person_as_owner(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    with uow() as work:
        work.links.put(AccountLink("U0ALICE", "T0", 5, "alice", NOW))
        work.commit()
    _save(uow, PlaceTokens(ACME, (_pat(),), part=PART))
    with uow() as work:
        token = work.inventory.get("personal_access_token:77")
    assert token is not None
    assert (token.account, token.last_used_ips) == ("alice", ("203.0.113.9",))
    assert (token.owner, token.owner_source) == ("U0ALICE", OwnerSource.ACCOUNT)
    assert token.namespace.path == "acme"


def test_an_unreadable_pat_listing_keeps_what_was_known(uow: Callable[[], SqlUnitOfWork]) -> None:
    _save(uow, PlaceTokens(ACME, (_pat(),), part=PART))
    _save(uow, PlaceTokens(ACME, (), readable=False, part=PART))
    with uow() as work:
        token = work.inventory.get("personal_access_token:77")
    assert token is not None
    assert token.status is TrackedStatus.ACTIVE


def test_the_groups_own_listing_does_not_mark_its_peoples_pats_gone(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    _save(uow, PlaceTokens(ACME, (_pat(),), part=PART), PlaceTokens(ACME, ()))
    with uow() as work:
        token = work.inventory.get("personal_access_token:77")
    assert token is not None
    assert token.status is TrackedStatus.ACTIVE


def test_a_deploy_key_in_two_projects_stays_with_the_lower_one(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    _save(uow, PlaceTokens(API, (_key(API),)), PlaceTokens(WEB, (_key(WEB),)))
    _save(uow, PlaceTokens(WEB, (_key(WEB),)), PlaceTokens(API, (_key(API),)))  # web first
    with uow() as work:
        token = work.inventory.get("deploy_key:31")
        assert token is not None
        assert (token.namespace.id, token.status) == (API.id, TrackedStatus.ACTIVE)
        assert len(work.inventory.tokens()) == 1


def test_a_deploy_key_moves_when_its_project_no_longer_lists_it(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    _save(uow, PlaceTokens(API, (_key(API),)))
    _save(uow, PlaceTokens(API, ()), PlaceTokens(WEB, (_key(WEB),)))
    with uow() as work:
        token = work.inventory.get("deploy_key:31")
    assert token is not None
    assert (token.namespace.id, token.status) == (WEB.id, TrackedStatus.ACTIVE)


@pytest.mark.parametrize("record", [_pat(), _key(API)], ids=["pat", "deploy-key"])
def test_tokenbot_never_revokes_or_rotates_a_persons_pat_or_a_deploy_key(
    uow: Callable[[], SqlUnitOfWork], record: TokenRecord
) -> None:
    assert record.namespace is not None
    _save(uow, PlaceTokens(record.namespace, (record,), part=PART if record.account else ""))
    key = f"{record.token_type.value}:{record.gitlab_id}"
    gitlab = FakeGitLab()
    deps = ActionDeps(uow, gitlab, lambda: NOW, admins=("U0ADMIN",))
    with uow() as work:
        token = work.inventory.get(key)
    assert token is not None
    assert not can_revoke(token)
    assert not can_rotate(token)
    with pytest.raises(RequestError, match="does not revoke"):
        revoke_now(key, Person("U0ADMIN", 1), deps=deps)
    assert gitlab.revoked == []
