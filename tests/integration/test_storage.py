"""Storage against a real database: SQLite by default, PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.db.migrate import current_revision, head_revision, upgrade
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.conversation import Conversation
from bot.services.advisor import AdviceContext
from bot.services.conversations import ConversationDeps, answer_question, current_turn
from bot.services.ports import ConcurrentUpdateError

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
UowFactory = Callable[[], SqlUnitOfWork]


def test_migrations_reach_head_and_match_the_models(db: Engine) -> None:
    assert current_revision(db) == head_revision()
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(db: Engine) -> None:
    upgrade(db)
    assert current_revision(db) == head_revision()


def test_a_conversation_round_trips_with_aware_utc_times(sql_uow: UowFactory) -> None:
    conversation = Conversation.start("slack:T1:C1:1.2", tree_version=1, now=NOW)
    conversation = conversation.answered("need", "gitlab_api", now=NOW + timedelta(minutes=1))
    with sql_uow() as uow:
        uow.conversations.add(conversation)
        uow.commit()
    with sql_uow() as uow:
        loaded = uow.conversations.get(conversation.key)
    assert loaded == conversation
    assert loaded is not None
    assert loaded.updated_at.tzinfo is not None


def test_nothing_is_kept_without_commit(sql_uow: UowFactory) -> None:
    with sql_uow() as uow:
        uow.conversations.add(Conversation.start("k", tree_version=1, now=NOW))
    with sql_uow() as uow:
        assert uow.conversations.get("k") is None


def test_a_stale_write_is_detected(sql_uow: UowFactory) -> None:
    with sql_uow() as uow:
        uow.conversations.add(Conversation.start("k", tree_version=1, now=NOW))
        uow.commit()
    with sql_uow() as uow:
        first = uow.conversations.get("k")
    assert first is not None
    with sql_uow() as uow:
        uow.conversations.update(first.answered("need", "runner", now=NOW))
        uow.commit()
    with sql_uow() as uow, pytest.raises(ConcurrentUpdateError):
        uow.conversations.update(first.answered("need", "oauth", now=NOW))


def test_a_second_insert_of_the_same_key_is_a_conflict(sql_uow: UowFactory) -> None:
    with sql_uow() as uow:
        uow.conversations.add(Conversation.start("k", tree_version=1, now=NOW))
        uow.commit()
    with sql_uow() as uow, pytest.raises(ConcurrentUpdateError):
        uow.conversations.add(Conversation.start("k", tree_version=1, now=NOW))


def test_a_conversation_survives_a_restart(db: Engine, sql_uow: UowFactory) -> None:
    deps = ConversationDeps(uow=sql_uow, context=AdviceContext(), clock=lambda: NOW)
    answer_question("shell:bob", "need", "gitlab_api", deps=deps)
    answer_question("shell:bob", "in_ci", "no", deps=deps)
    db.dispose()  # as if the process ended: no connection or cache survives
    again = ConversationDeps(uow=sql_uow, context=AdviceContext(), clock=lambda: NOW)
    turn = current_turn("shell:bob", deps=again)
    assert turn is not None
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "single_project"


def test_simultaneous_answers_are_all_applied_in_some_order(sql_uow: UowFactory) -> None:
    deps = ConversationDeps(uow=sql_uow, context=AdviceContext(), clock=lambda: NOW)
    answer_question("slack:T:C:9", "need", "gitlab_api", deps=deps)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(question_id: str, value: str) -> None:
        barrier.wait()
        try:
            answer_question("slack:T:C:9", question_id, value, deps=deps)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click, args=("in_ci", v)) for v in ("yes", "no")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sql_uow() as uow:
        stored = uow.conversations.get("slack:T:C:9")
    assert stored is not None
    assert stored.revision == 2  # created with gitlab_api (0), then one write per click
