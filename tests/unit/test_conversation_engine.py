"""The conversation engine over a fake unit of work: ask, answer, go back, start over."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.walk import AnswerError
from bot.services.advisor import AdviceContext
from bot.services.conversations import (
    TREE_CHANGED,
    ConversationDeps,
    answer_question,
    current_turn,
    go_back,
    open_conversation,
    start_conversation,
    start_over,
)
from bot.services.ports import ConcurrentUpdateError
from tests.fakes import FakeUnitOfWork

KEY = "test:alice"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def deps(uow: FakeUnitOfWork) -> ConversationDeps:
    return ConversationDeps(uow=uow, context=AdviceContext(), clock=lambda: NOW)


def _answer_all(deps: ConversationDeps, *pairs: tuple[str, str]) -> None:
    for question_id, value in pairs:
        answer_question(KEY, question_id, value, deps=deps)


def test_a_new_conversation_asks_what_the_credential_is_for(deps: ConversationDeps) -> None:
    turn = start_conversation(KEY, deps=deps)
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "need"
    assert not turn.can_go_back


def test_answers_lead_to_a_recommendation_and_are_stored(
    deps: ConversationDeps, uow: FakeUnitOfWork
) -> None:
    start_conversation(KEY, deps=deps)
    _answer_all(deps, ("need", "gitlab_api"), ("in_ci", "yes"), ("limited_api", "yes"))
    turn = current_turn(KEY, deps=deps)
    assert turn is not None
    assert turn.advice.recommendation is not None
    assert turn.advice.recommendation.token_type == "ci_job_token"
    assert [h[1] for h in turn.history] == [
        "Automation that calls the GitLab API (bots, integrations, CI jobs)",
        "Yes",
        "Yes",
    ]
    assert uow.conversations.rows[KEY].answers == (
        ("need", "gitlab_api"),
        ("in_ci", "yes"),
        ("limited_api", "yes"),
    )


def test_back_undoes_the_last_answer(deps: ConversationDeps) -> None:
    start_conversation(KEY, deps=deps)
    _answer_all(deps, ("need", "gitlab_api"), ("in_ci", "yes"))
    turn = go_back(KEY, deps=deps)
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "in_ci"


def test_start_over_forgets_every_answer(deps: ConversationDeps) -> None:
    start_conversation(KEY, deps=deps)
    _answer_all(deps, ("need", "gitlab_api"), ("in_ci", "yes"))
    turn = start_over(KEY, deps=deps)
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "need"
    assert turn.history == ()


def test_answering_an_earlier_question_again_drops_the_later_answers(
    deps: ConversationDeps,
) -> None:
    start_conversation(KEY, deps=deps)
    _answer_all(deps, ("need", "gitlab_api"), ("in_ci", "yes"), ("limited_api", "no"))
    turn = answer_question(KEY, "in_ci", "no", deps=deps)
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "single_project"


def test_a_bad_answer_is_refused_and_nothing_is_stored(
    deps: ConversationDeps, uow: FakeUnitOfWork
) -> None:
    start_conversation(KEY, deps=deps)
    before = uow.conversations.rows[KEY]
    with pytest.raises(AnswerError):
        answer_question(KEY, "need", "telepathy", deps=deps)
    assert uow.conversations.rows[KEY] == before


def test_a_question_that_is_not_asked_yet_is_refused(deps: ConversationDeps) -> None:
    start_conversation(KEY, deps=deps)
    with pytest.raises(AnswerError) as caught:
        answer_question(KEY, "large_group", "yes", deps=deps)
    assert "current question is need" in str(caught.value)


def test_answering_without_a_conversation_starts_one(deps: ConversationDeps) -> None:
    turn = answer_question(KEY, "need", "runner", deps=deps)
    assert turn.advice.recommendation is not None
    assert turn.advice.recommendation.token_type == "runner_authentication_token"


def test_a_lost_race_is_retried_on_top_of_the_winner(
    deps: ConversationDeps, uow: FakeUnitOfWork
) -> None:
    start_conversation(KEY, deps=deps)
    uow.conversations.conflicts_to_raise = 1
    turn = answer_question(KEY, "need", "gitlab_api", deps=deps)
    assert turn.advice.prompt is not None
    assert turn.advice.prompt.question_id == "in_ci"


def test_endless_races_give_up_with_an_error(deps: ConversationDeps, uow: FakeUnitOfWork) -> None:
    start_conversation(KEY, deps=deps)
    uow.conversations.conflicts_to_raise = 10
    with pytest.raises(ConcurrentUpdateError):
        answer_question(KEY, "need", "gitlab_api", deps=deps)


def test_answers_a_changed_tree_no_longer_takes_are_dropped_with_a_notice(
    deps: ConversationDeps, uow: FakeUnitOfWork
) -> None:
    start_conversation(KEY, deps=deps)
    _answer_all(deps, ("need", "gitlab_api"), ("in_ci", "yes"))
    stored = uow.conversations.rows[KEY]
    uow.conversations.rows[KEY] = replace(
        stored, answers=(*stored.answers, ("retired_question", "yes"))
    )
    turn = current_turn(KEY, deps=deps)
    assert turn is not None
    assert turn.notice == TREE_CHANGED
    assert uow.conversations.rows[KEY].answers == stored.answers


def test_the_tree_version_is_recorded(deps: ConversationDeps, uow: FakeUnitOfWork) -> None:
    start_conversation(KEY, deps=deps)
    assert uow.conversations.rows[KEY].tree_version == ADVICE_TREE.version


def test_a_click_that_came_before_the_conversation_was_opened_is_kept(
    deps: ConversationDeps,
) -> None:
    """Slack shows the first question as soon as it is posted; a click can reach tokenbot
    before the listener that posted it opens the conversation (issue 11's lost click)."""
    answer_question(KEY, "need", "gitlab_api", deps=deps)
    turn = open_conversation(KEY, deps=deps)
    assert len(turn.history) == 1  # the answer survived
    fresh = open_conversation("test:bob", deps=deps)
    assert fresh.advice.prompt is not None
    assert fresh.advice.prompt.question_id == "need"
