"""The envelope of a signed request to Slack's endpoint: parsed by Bolt, checked for shape.

Bolt parses the body as it builds a `BoltRequest` and then trusts the envelope's shape: its
matchers, middleware and the arguments it builds for every listener (and error handler) index
`body["event"]["type"]`, `body["actions"][0]`, `body["view"]["type"]`... A signed body of the
wrong shape would fail inside Bolt, where no handler can answer for it. So the edge builds the
request here and refuses, with `MalformedPayload`, any body Bolt could not read safely.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.request import payload_utils

from bot.slack.parse import MalformedPayload

_TEXT_FIELDS = ("type", "command", "callback_id", "action_id", "response_url", "trigger_id")
# What Bolt computes for every listener's arguments; each must work on the body.
_ACCESSORS = (
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_step,
    payload_utils.is_im_message_event,
)


def bolt_request(
    raw: str, *, query: str, headers: Mapping[str, str | Sequence[str]]
) -> BoltRequest:
    """The request for Bolt to dispatch; MalformedPayload if its body is no Slack envelope."""
    try:
        request = BoltRequest(body=raw, query=query, headers=dict(headers))
    except Exception as exc:  # Bolt's parser and context builder trust the body's shape
        raise MalformedPayload(f"the body cannot be read ({exc.__class__.__name__})") from exc
    check_envelope(request.body)
    try:
        for accessor in _ACCESSORS:
            accessor(request.body)
    except Exception as exc:
        raise MalformedPayload(f"the envelope is malformed ({exc.__class__.__name__})") from exc
    return request


def check_envelope(body: object) -> None:
    """The fields Bolt and tokenbot's error handler read without checking, checked."""
    if not isinstance(body, dict) or not body:
        raise MalformedPayload("the body is not a Slack payload")
    for key in _TEXT_FIELDS:
        if key in body and not isinstance(body[key], str):
            raise MalformedPayload(f"{key} is not text")
    if "type" not in body and "command" not in body and body.get("ssl_check") != "1":
        raise MalformedPayload("the body is neither an event, an interaction nor a command")
    if "event" in body:
        event = body["event"]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise MalformedPayload("event is not an event")
    kind = body.get("type")
    if kind == "block_actions":
        _check_actions(body.get("actions"))
    if kind in {"view_submission", "view_closed"}:
        view = body.get("view")
        if not isinstance(view, dict) or not all(
            isinstance(view.get(key), str) for key in ("callback_id", "type")
        ):
            raise MalformedPayload("view is not a view")
    elif body.get("view") is not None and not isinstance(body["view"], dict):
        raise MalformedPayload("view is not an object")


def _check_actions(actions: object) -> None:
    if not isinstance(actions, list) or not actions:
        raise MalformedPayload("actions is missing or empty")
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            raise MalformedPayload("an action has no action_id")
        if action.get("block_id") is not None and not isinstance(action["block_id"], str):
            raise MalformedPayload("an action's block_id is not text")


def clean_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Request headers as Bolt wants them, without Bolt's own `x-slack-bolt-*` ones.

    Bolt marks the requests it makes to itself for lazy listeners with those headers; headers
    are not signed, so one added to a captured request would change how Bolt runs it.
    """
    return {
        name: str(value)
        for name, value in headers.items()
        if not name.lower().startswith("x-slack-bolt-")
    }
