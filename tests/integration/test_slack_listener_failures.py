"""Listeners that fail, before or after their ack: Slack gets an answer at once, the person a
note with a reference id, the log the traceback with it; driven by signed HTTP requests to the
app `create_app` builds, with failing listeners of the tests' own (tests/support/edge_app.py)."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlencode

import pytest

from tests.support.edge_app import Edge, click, command, edge, served, tracebacks, wait
from tests.support.slack_api import TEAM_ID

__all__ = ["edge", "served"]  # the fixtures


# ----------------------------------------------------------------------- listeners that fail


def test_a_command_whose_listener_raises_is_answered_at_once_with_a_reference(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer, seconds = edge.post(command("/boom"))
    assert answer.status_code == 200
    assert seconds < 1.0  # not Bolt's 3 s wait for an ack that never comes
    assert "went wrong" in answer.text
    [failure] = [r for r in caplog.records if r.name == "bot.slack.errors"]
    reference = failure.__dict__["reference"]
    assert f"`{reference}`" in answer.text
    assert failure.exc_info is not None
    assert re.fullmatch(r"\d+-[0-9a-f]{8}", reference)  # the request id: timestamp, random
    assert edge.ran == ["/boom"]


def test_a_click_whose_listener_raises_is_acked_and_the_person_told_beside_it(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer, seconds = edge.post(click("test.before_ack", response_url=edge.slack.hooks_url))
    assert (answer.status_code, answer.text) == (200, "")
    assert seconds < 1.0
    [note] = edge.slack.wait_for("response_url")
    assert note.args["response_type"] == "ephemeral"
    assert note.args["replace_original"] is False
    [failure] = [r for r in caplog.records if r.name == "bot.slack.errors"]
    assert f"`{failure.__dict__['reference']}`" in note.args["text"]


def test_a_click_on_the_home_tab_whose_listener_raises_gets_a_direct_message(
    edge: Edge,
) -> None:
    answer, seconds = edge.post(click("test.before_ack"))  # no response_url: the Home tab
    assert (answer.status_code, seconds < 1.0) == (200, True)
    [dm] = edge.slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0ADA"
    assert "Reference: `" in dm.args["text"]


def test_a_listener_that_raises_after_its_ack_never_leaves_slack_waiting(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt's runner unsets an ack given before the listener raised; the answer must stand."""
    caplog.set_level(logging.INFO)
    slowest = 0.0
    for _ in range(10):  # without the kept answer, nearly every one waited 3 s for a 404
        answer, seconds = edge.post(click("test.after_ack", response_url=edge.slack.hooks_url))
        assert answer.status_code == 200
        slowest = max(slowest, seconds)
    assert slowest < 1.0
    assert wait(lambda: len(edge.slack.calls_to("response_url")) == 10)
    assert len([r for r in caplog.records if r.name == "bot.slack.errors"]) == 10


def test_the_answer_leaves_at_the_ack_not_when_the_listener_returns(edge: Edge) -> None:
    """What a listener does after ack() (it runs on the listener pool) never holds up the
    answer: with Bolt's process_before_response and no early answer it would wait 2 s."""
    answer, seconds = edge.post(click("test.slow_after_ack"))
    assert (answer.status_code, answer.text) == (200, "acked first")
    assert seconds < 1.0
    assert "test.slow_after_ack" not in edge.ran
    assert wait(lambda: "test.slow_after_ack" in edge.ran)


def test_work_that_fails_after_the_ack_on_the_work_queue_tells_the_person_a_reference(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    answer, seconds = edge.post(click("test.queued_fails", response_url=edge.slack.hooks_url))
    assert answer.status_code == 200
    assert seconds < 1.0
    [note] = edge.slack.wait_for("response_url")
    assert "Reference: `" in note.args["text"]
    assert note.args["response_type"] == "ephemeral"
    assert wait(lambda: any(r.name == "bot.slack.errors" for r in caplog.records))
    assert "test.queued_fails" in edge.ran


def test_a_modal_whose_listener_raises_shows_the_reference_on_its_first_input(
    edge: Edge,
) -> None:
    view = {
        "id": "V0FORM",
        "type": "modal",
        "callback_id": "test.form",
        "blocks": [
            {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "hi"}},
            {"type": "input", "block_id": "reason", "element": {"type": "plain_text_input"}},
        ],
        "state": {"values": {}},
    }
    payload = {"type": "view_submission", "user": {"id": "U0ADA"}, "team": {"id": TEAM_ID}}
    body = urlencode({"payload": json.dumps(payload | {"view": view})}).encode()
    answer, seconds = edge.post(body)
    assert answer.status_code == 200
    assert seconds < 1.0
    result = answer.json()
    assert result["response_action"] == "errors"
    assert list(result["errors"]) == ["reason"]
    assert "Reference: `" in result["errors"]["reason"]
    assert edge.slack.calls_to("chat.postMessage") == []  # the form itself says so


def test_a_payload_a_listener_cannot_read_is_a_warning_and_a_polite_answer(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer, seconds = edge.post(click("test.unreadable", response_url=edge.slack.hooks_url))
    assert (answer.status_code, seconds < 1.0) == (200, True)
    [note] = edge.slack.wait_for("response_url")
    assert "could not read" in note.args["text"]
    [warning] = [r for r in caplog.records if r.name == "bot.slack.errors"]
    assert warning.levelname == "WARNING"
    assert tracebacks(caplog) == []


def test_a_request_no_listener_takes_is_answered_at_once(edge: Edge) -> None:
    answer, seconds = edge.post(click("test.nobody"))
    assert answer.status_code == 404  # Bolt's answer for an unhandled request
    assert seconds < 1.0
