"""What is drawn once and handed out again (issue 15: Block Kit drawing was a fifth of the
bot's CPU under load) must be exactly what drawing it anew gives, for every person and
prefill, and a change to one copy must never reach the next."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain.request_policy import RequestPolicy
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.advisor import AdviceContext, advise
from bot.services.conversations import Turn
from bot.slack.blocks.advisor import FirstQuestions, conversation_message
from bot.slack.blocks.request_forms import FormValues
from bot.slack.parse import ButtonValue
from bot.slack.request_form import FormState, OpeningForms, state_form

TODAY = date(2026, 12, 7)
PEOPLE = ("U0ALICE", "U0BOB", "W0ENTERPRISE1")


def _first(context: AdviceContext) -> Turn:
    return Turn("", advise({}, context=context), ())


@pytest.mark.parametrize("owner", PEOPLE)
def test_the_first_question_is_the_one_drawn_for_that_person(owner: str) -> None:
    context, memo = AdviceContext(), FirstQuestions()
    memo.message(context, _first(context), owner="U0SOMEONEELSE")  # drawn for another first
    assert memo.message(context, _first(context), owner=owner) == conversation_message(
        _first(context), owner=owner
    )


def test_every_button_of_the_first_question_names_its_person() -> None:
    context, memo = AdviceContext(), FirstQuestions()
    blocks, _ = memo.message(context, _first(context), owner="U0ALICE")
    values = [
        e["value"]
        for b in blocks
        for e in [b.get("accessory") or {}, *b.get("elements", [])]
        if isinstance(e.get("value"), str) and e["value"].startswith("{")
    ]
    assert values
    assert {ButtonValue.decode(v).owner for v in values} == {"U0ALICE"}


def test_a_changed_copy_of_the_first_question_does_not_reach_the_next() -> None:
    context, memo = AdviceContext(), FirstQuestions()
    blocks, _ = memo.message(context, _first(context), owner="U0ALICE")
    blocks.clear()
    assert memo.message(context, _first(context), owner="U0ALICE")[0]


STATES = (
    FormState(),
    FormState(TokenType.PROJECT_ACCESS_TOKEN, (Scope.READ_API,), AccessLevel.REPORTER, 30),
    FormState(TokenType.DEPLOY_TOKEN, (Scope.READ_REPOSITORY,)),
    FormState(TokenType.GROUP_ACCESS_TOKEN, role=AccessLevel.DEVELOPER, lifetime_days=7),
)


@pytest.mark.parametrize("state", STATES)
def test_an_opening_form_is_the_form_drawn_for_that_prefill(state: FormState) -> None:
    policy, memo = RequestPolicy(), OpeningForms()
    for other in STATES:  # every other prefill drawn first, then this one asked twice
        memo.form(policy, policy, today=TODAY, default_days=90, state=other)
    for _ in range(2):
        drawn = memo.form(policy, policy, today=TODAY, default_days=90, state=state)
        assert drawn == state_form(policy, today=TODAY, default_days=90, state=state)


def test_the_day_the_lifetime_and_what_gitlab_offers_draw_a_new_form() -> None:
    policy, memo = RequestPolicy(), OpeningForms()
    state = FormState()
    memo.form(policy, policy, today=TODAY, default_days=90, state=state)
    tomorrow = date(2026, 12, 8)
    assert memo.form(policy, policy, today=tomorrow, default_days=30, state=state) == state_form(
        policy, today=tomorrow, default_days=30, state=state
    )
    fewer = policy.restricted_to([TokenType.PROJECT_ACCESS_TOKEN])
    assert memo.form(policy, fewer, today=TODAY, default_days=90, state=state) == state_form(
        fewer, today=TODAY, default_days=90, state=state
    )


def test_another_policy_with_the_same_types_is_drawn_anew() -> None:
    memo, state = OpeningForms(), FormState(TokenType.PROJECT_ACCESS_TOKEN)
    first = RequestPolicy()
    memo.form(first, first, today=TODAY, default_days=90, state=state)
    rules = dict(first.rules)
    kind = TokenType.PROJECT_ACCESS_TOKEN
    rules[kind] = replace(rules[kind], max_lifetime_days=5)
    second = replace(first, rules=rules)
    drawn = memo.form(second, second, today=TODAY, default_days=90, state=state)
    assert drawn == state_form(second, today=TODAY, default_days=90, state=state)
    assert drawn != state_form(first, today=TODAY, default_days=90, state=state)


def test_a_form_that_knows_something_is_never_kept() -> None:
    policy, memo = RequestPolicy(), OpeningForms()
    typed = FormState(values=FormValues(target="acme/api", name="<b>mine</b>"))
    memo.form(policy, policy, today=TODAY, default_days=90, state=typed)
    blank = memo.form(policy, policy, today=TODAY, default_days=90, state=FormState())
    assert "acme/api" not in str(blank)
    assert memo.form(policy, policy, today=TODAY, default_days=90, state=typed) == state_form(
        policy, today=TODAY, default_days=90, state=typed
    )


def test_a_changed_copy_of_an_opening_form_does_not_reach_the_next() -> None:
    policy, memo = RequestPolicy(), OpeningForms()
    view = memo.form(policy, policy, today=TODAY, default_days=90, state=FormState())
    view["blocks"].clear()
    again = memo.form(policy, policy, today=TODAY, default_days=90, state=FormState())
    assert again["blocks"]
