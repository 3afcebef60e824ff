"""Reading Slack payloads (`bot.slack.parse`): what Slack sends reads as before; anything else
raises `MalformedPayload`, never a KeyError or TypeError the error handler would take for a bug.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack import ids
from bot.slack.parse import (
    ButtonValue,
    MalformedPayload,
    action_context,
    action_value,
    form_value,
    subcommand,
    trigger_id,
    user_id,
    view_of,
)


def _click(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0ACME"},
        "user": {"id": "U0ADA", "team_id": "T0ACME"},
        "container": {"type": "message", "channel_id": "D0ADA", "message_ts": "1700000000.1"},
        "trigger_id": "1.2.3",
        "actions": [
            {"action_id": "advisor.answer.0", "value": ButtonValue("U0ADA", "q", "v").encode()}
        ],
        "state": {
            "values": {
                ids.CAPABILITIES_BLOCK: {
                    ids.CAPABILITIES_SELECT: {"selected_options": [{"value": "clone"}]}
                }
            }
        },
    }
    return body | changes


def _view(element: Any) -> dict[str, Any]:
    return {"state": {"values": {"reason": {"value": element}}}}


def test_a_click_reads_as_it_always_did() -> None:
    context = action_context(_click())
    assert (context.team_id, context.user_id, context.channel_id) == ("T0ACME", "U0ADA", "D0ADA")
    assert context.message_ts == "1700000000.1"
    assert context.button == ButtonValue("U0ADA", "q", "v")
    assert context.selected == ("clone",)
    assert context.conversation_key == "slack:T0ACME:D0ADA:1700000000.1"


def test_a_click_on_an_ephemeral_message_takes_the_channel_from_the_payload() -> None:
    body = _click(container={}, channel={"id": "C0HERE"}, message={"ts": "1.5"})
    assert (action_context(body).channel_id, action_context(body).message_ts) == ("C0HERE", "1.5")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"actions": []}, id="no actions"),
        pytest.param({"actions": "x"}, id="actions as text"),
        pytest.param({"actions": [5]}, id="an action that is a number"),
        pytest.param({"user": None}, id="no user"),
        pytest.param({"user": {"id": 5}}, id="a user id that is a number"),
        pytest.param({"container": {}}, id="no channel anywhere"),
        pytest.param({"container": "x"}, id="a container as text"),
        pytest.param({"team": []}, id="a team as a list"),
        pytest.param({"actions": [{"value": "{"}]}, id="a button value that is not JSON"),
        pytest.param({"actions": [{"value": "[]"}]}, id="a button value that is a list"),
        pytest.param({"actions": [{"value": '{"q": "x"}'}]}, id="a button value without owner"),
        pytest.param({"actions": [{"value": 7}]}, id="a button value that is a number"),
        pytest.param({"state": {"values": []}}, id="state values as a list"),
        pytest.param(
            {
                "state": {
                    "values": {
                        ids.CAPABILITIES_BLOCK: {
                            ids.CAPABILITIES_SELECT: {"selected_options": [{}]}
                        }
                    }
                }
            },
            id="a chosen option without value",
        ),
    ],
)
def test_a_click_slack_would_not_send_is_malformed(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedPayload):
        action_context(_click(**changes))


def test_the_small_readers_are_total() -> None:
    body = _click()
    assert (user_id(body), trigger_id(body)) == ("U0ADA", "1.2.3")
    assert json.loads(action_value(body))["o"] == "U0ADA"
    for reader in (user_id, trigger_id, action_value, view_of):
        with pytest.raises(MalformedPayload):
            reader({"user": "U0ADA", "trigger_id": 5, "actions": [{}], "view": "x"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Which now", "which"), ("", ""), (None, ""), ("   ", "")],
)
def test_the_subcommand_is_the_first_word(text: str | None, expected: str) -> None:
    assert subcommand({"text": text}) == expected


def test_a_command_text_that_is_not_text_is_malformed() -> None:
    for command in ({"text": 5}, {"text": ["which"]}, "which"):
        with pytest.raises(MalformedPayload):
            subcommand(command)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ({"type": "plain_text_input", "value": "  because  "}, "because"),
        ({"type": "plain_text_input", "value": None}, None),
        ({"type": "static_select", "selected_option": {"value": "20"}}, "20"),
        ({"type": "radio_buttons", "selected_option": None}, None),
        ({"type": "multi_static_select", "selected_options": [{"value": "api"}]}, ["api"]),
        ({"type": "datepicker", "selected_date": "2030-01-01"}, "2030-01-01"),
        ({"type": "something_new"}, None),
        (None, None),
    ],
)
def test_a_form_value_reads_as_it_always_did(element: Any, expected: Any) -> None:
    assert form_value(_view(element), "reason") == expected


@pytest.mark.parametrize(
    "view",
    [
        pytest.param("a view", id="a view as text"),
        pytest.param({"state": []}, id="state as a list"),
        pytest.param({"state": {"values": {"reason": "x"}}}, id="a block as text"),
        pytest.param(_view("x"), id="an element as text"),
        pytest.param(_view({"type": "plain_text_input", "value": 5}), id="typed text a number"),
        pytest.param(
            _view({"type": "static_select", "selected_option": "20"}), id="an option as text"
        ),
        pytest.param(
            _view({"type": "static_select", "selected_option": {"value": 20}}),
            id="an option value a number",
        ),
        pytest.param(
            _view({"type": "multi_static_select", "selected_options": {}}),
            id="options as an object",
        ),
        pytest.param(
            _view({"type": "datepicker", "selected_date": ["2030-01-01"]}), id="a date as a list"
        ),
    ],
)
def test_a_form_slack_would_not_send_is_malformed(view: Any) -> None:
    with pytest.raises(MalformedPayload):
        form_value(view, "reason")
