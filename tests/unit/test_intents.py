"""Reading what people type: intents and typed answers."""

from __future__ import annotations

import pytest

from bot.domain.walk import Prompt, PromptChoice
from bot.services.intents import Intent, match_answer, recognise

YES_NO = Prompt("in_ci", "?", (PromptChoice("yes", "Yes"), PromptChoice("no", "No")))
MANY = Prompt(
    "capabilities",
    "?",
    (
        PromptChoice("clone", "Clone or pull repositories"),
        PromptChoice("push", "Push commits and tags"),
        PromptChoice("read_api", "Read through the API"),
    ),
    multiple=True,
)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("which token should I use?", Intent.ADVISE),
        ("<@U0LAN0Z89> what token do I need for CI", Intent.ADVISE),
        ("Which credential?", Intent.ADVISE),
        ("back", Intent.BACK),
        ("start over", Intent.START_OVER),
        ("help", Intent.HELP),
        ("", Intent.HELP),
        ("the weather is nice", Intent.UNKNOWN),
    ],
)
def test_recognises_what_people_ask(text: str, intent: Intent) -> None:
    assert recognise(text) is intent


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", "yes"),
        ("2", "no"),
        ("yes", "yes"),
        ("No", "no"),
        ("y", "yes"),
        ("3", None),
        ("maybe", None),
    ],
)
def test_reads_a_single_answer_by_number_id_or_label(text: str, value: str | None) -> None:
    assert match_answer(YES_NO, text) == value


def test_reads_several_answers_and_drops_duplicates() -> None:
    assert match_answer(MANY, "1, 3") == "clone,read_api"
    assert match_answer(MANY, "clone push clone") == "clone,push"
    assert match_answer(MANY, "Read through the API") == "read_api"
    assert match_answer(MANY, "1, 9") is None


def test_a_unique_start_of_a_label_is_enough() -> None:
    assert match_answer(MANY, "push comm") == "push"
    assert match_answer(MANY, "pu") is None
