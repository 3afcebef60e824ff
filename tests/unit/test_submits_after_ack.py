"""The pieces every modal submit that acks at once shares (issue 15): the form drawn again
with what was typed and its problems, Slack's field errors, and one outcome per submit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.request_policy import reason_problems
from bot.domain.requests import DENY_REASON_MAX_LENGTH, deny_reason_problem
from bot.services.submissions import once
from bot.services.token_requests import submission_id
from bot.slack.blocks.denials import deny_form_again
from bot.slack.blocks.submitted import checking_view, refilled
from bot.slack.submits import field_errors

FORM: dict[str, Any] = {
    "type": "modal",
    "callback_id": "some.submit",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "About this form"}},
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "kind",
            "label": {"type": "plain_text", "text": "Kind"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [
                    {"text": {"type": "plain_text", "text": "One"}, "value": "one"},
                    {"text": {"type": "plain_text", "text": "Two"}, "value": "two"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "label": {"type": "plain_text", "text": "When"},
            "element": {"type": "datepicker", "action_id": "value"},
        },
    ],
}


def _submitted(**values: dict[str, Any]) -> dict[str, Any]:
    """A submitted view's state, as Slack sends it (block id -> action id -> the entry)."""
    return {"state": {"values": {b: {"value": v} for b, v in values.items()}}}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_the_form_again_keeps_what_was_typed_and_marks_each_problem_under_its_field() -> None:
    submitted = _submitted(
        reason={"type": "plain_text_input", "value": "x" * 50},
        kind={"type": "static_select", "selected_option": _option("two")},
        when={"type": "datepicker", "selected_date": "2031-02-03"},
    )
    again = refilled(
        FORM, submitted, {"kind": "not that one", "other": "a forged field"}, again="Go"
    )
    kept = _inputs(again)
    assert kept["reason"]["initial_value"] == "x" * 20  # within the input's own length
    assert kept["kind"]["initial_option"]["value"] == "two"
    assert kept["when"]["initial_date"] == "2031-02-03"
    ids = [b.get("block_id") for b in again["blocks"]]
    assert ids.index("problem.kind") == ids.index("kind") + 1  # right under its field
    assert ids.index("problem.other") < ids.index("reason")  # a field it lacks: on top
    assert "2 things to fix" in json.dumps(again["blocks"][0])
    assert "press Go again" in json.dumps(again["blocks"][0])
    assert "initial_value" not in _inputs(FORM)["reason"]  # the builder's form is untouched


def test_answers_the_form_never_offered_are_not_put_back() -> None:
    submitted = _submitted(
        kind={"type": "static_select", "selected_option": _option("admin")},
        when={"type": "datepicker", "selected_date": "not a date"},
    )
    kept = _inputs(refilled(FORM, submitted, {}, again="Go"))
    assert "initial_option" not in kept["kind"]
    assert "initial_date" not in kept["when"]


def test_a_problem_from_gitlab_is_escaped_before_it_is_shown() -> None:
    again = deny_form_again("r1", _submitted(), {"deny_reason": "<!channel> *bold* <@U0EVE>"})
    shown = json.dumps([b for b in again["blocks"] if b.get("block_id") == "problem.deny_reason"])
    assert "<!channel>" not in shown
    assert "<@U0EVE>" not in shown


def test_field_errors_name_only_inputs_of_the_view_and_fit_slack() -> None:
    errors = field_errors({"kind": "k" * 400, "nowhere": "lost field"}, FORM)
    assert set(errors) == {"kind", "reason"}  # the unknown one under the first input
    assert len(errors["kind"]) <= 150
    assert errors["reason"] == "lost field"


def test_the_checking_view_keeps_the_metadata_and_has_nothing_to_submit() -> None:
    view = checking_view(callback_id="x.submit", title="A title far longer than 24", words="w")
    assert "submit" not in view
    assert len(view["title"]["text"]) <= 24
    kept = checking_view(callback_id="x.submit", title="T", words="w", metadata="key C0 1.2")
    assert kept["private_metadata"] == "key C0 1.2"


def test_reasons_the_ack_can_refuse_without_gitlab() -> None:
    assert deny_reason_problem("   ") is not None
    assert deny_reason_problem("x" * (DENY_REASON_MAX_LENGTH + 1)) is not None
    assert deny_reason_problem("use a CI job token") is None
    assert [p.field for p in reason_problems("short")] == ["reason"]
    assert reason_problems("the nightly export still runs") == []


class _Store:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.acted = 0

    def get(self, key: str) -> str | None:
        return self.rows.get(key)

    def act(self, key: str | None) -> str:
        self.acted += 1
        assert key is not None
        self.rows[key] = f"made as {key}"
        return self.rows[key]


def test_once_acts_once_per_submission_and_its_id_comes_from_the_key() -> None:
    store = _Store()
    first, new = once("slack:T:U:V:h1", store.get, store.act)
    again, new_again = once("slack:T:U:V:h1", store.get, store.act)
    other, _ = once("slack:T:U:V:h2", store.get, store.act)
    assert (new, new_again) == (True, False)
    assert first == again == f"made as {submission_id('slack:T:U:V:h1')}"
    assert other != first
    assert store.acted == 2


def test_a_second_arrival_that_lost_the_race_gets_the_first_ones_outcome() -> None:
    """Checked at the same moment, the second finds nothing stored yet, then is refused by
    the database (the id exists): that is the first arrival's success, not a failure."""
    store = _Store()
    key = submission_id("slack:T:U:V:h1")

    def raced(_: str | None) -> str:
        store.rows[key] = "made by the first arrival"
        raise RuntimeError("duplicate key")

    assert once("slack:T:U:V:h1", store.get, raced) == ("made by the first arrival", False)


def test_a_failure_with_nothing_stored_is_the_failure() -> None:
    store = _Store()

    def refused(_: str | None) -> str:
        raise ValueError("not allowed")

    with pytest.raises(ValueError, match="not allowed"):
        once("slack:T:U:V:h1", store.get, refused)
    with pytest.raises(ValueError, match="not allowed"):
        once(None, store.get, refused)
