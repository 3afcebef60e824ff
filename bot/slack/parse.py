"""Reading Slack payloads: the only module that knows their JSON shape.

Every reader here is total: a missing key, a value of the wrong kind or a button value that is
not the JSON tokenbot wrote raises `MalformedPayload`, never a `KeyError` or `TypeError`, so the
app-level error handler (`bot/slack/errors.py`) can tell a payload it cannot read from a bug.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids


class MalformedPayload(ValueError):
    """A Slack payload lacks a field tokenbot needs, or holds the wrong kind of value there."""


@dataclass(frozen=True, slots=True)
class ButtonValue:
    """What an advisor button carries: who the conversation belongs to, and the answer."""

    owner: str
    question_id: str = ""
    value: str = ""

    def encode(self) -> str:
        return json.dumps(
            {"o": self.owner, "q": self.question_id, "v": self.value}, separators=(",", ":")
        )

    @classmethod
    def decode(cls, raw: str) -> ButtonValue:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise MalformedPayload("the button's value is not JSON") from exc
        data = mapping(data, "the button's value")
        owner = data.get("o")
        if not isinstance(owner, str) or not owner:
            raise MalformedPayload("the button's value names no owner")
        return cls(owner, _plain(data.get("q", "")), _plain(data.get("v", "")))


@dataclass(frozen=True, slots=True)
class ActionContext:
    """Where a click happened and who clicked."""

    team_id: str
    user_id: str
    channel_id: str
    message_ts: str
    button: ButtonValue | None
    selected: tuple[str, ...]  # the capability multi-select's current choices

    @property
    def conversation_key(self) -> str:
        return conversation_key(self.team_id, self.channel_id, self.message_ts)


def conversation_key(team_id: str, channel_id: str, message_ts: str) -> str:
    """One advisor conversation per bot message (the message is updated in place)."""
    return f"slack:{team_id}:{channel_id}:{message_ts}"


def mapping(value: object, what: str) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else MalformedPayload naming `what`."""
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{what} is not an object")
    return value


def text(value: object, what: str) -> str:
    """`value` if it is a non-empty string, else MalformedPayload naming `what`."""
    if not isinstance(value, str) or not value:
        raise MalformedPayload(f"{what} is missing or not text")
    return value


def user_id(body: Mapping[str, Any]) -> str:
    """Who clicked or submitted (`user.id` of an interaction payload)."""
    return text(mapping(body.get("user"), "user").get("id"), "user.id")


def first_action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The element that was clicked (`actions[0]` of a block_actions payload)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise MalformedPayload("actions is missing or empty")
    return mapping(actions[0], "actions[0]")


def action_value(body: Mapping[str, Any]) -> str:
    """The clicked button's value (a request id, a tracked token's key, JSON...)."""
    return text(first_action(body).get("value"), "actions[0].value")


def trigger_id(body: Mapping[str, Any]) -> str:
    """The click's trigger id, which opening a modal needs."""
    return text(body.get("trigger_id"), "trigger_id")


def view_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The modal or Home tab a payload came from."""
    return mapping(body.get("view"), "view")


def action_context(body: Mapping[str, Any]) -> ActionContext:
    action = first_action(body)
    container = _optional(body.get("container"), "container")
    team = _optional(body.get("team"), "team")
    user = mapping(body.get("user"), "user")
    raw = action.get("value")
    if raw is not None and not isinstance(raw, str):
        raise MalformedPayload("actions[0].value is not text")
    channel = container.get("channel_id") or _optional(body.get("channel"), "channel").get("id")
    ts = container.get("message_ts") or _optional(body.get("message"), "message").get("ts")
    return ActionContext(
        team_id=_plain(team.get("id") or user.get("team_id", "")),
        user_id=text(user.get("id"), "user.id"),
        channel_id=text(channel, "the clicked message's channel"),
        message_ts=text(ts, "the clicked message's ts"),
        button=ButtonValue.decode(raw) if raw else None,
        selected=_selected(body),
    )


def _selected(body: Mapping[str, Any]) -> tuple[str, ...]:
    values = _optional(_optional(body.get("state"), "state").get("values"), "state.values")
    block = _optional(values.get(ids.CAPABILITIES_BLOCK), "the capabilities block")
    element = _optional(block.get(ids.CAPABILITIES_SELECT), "the capabilities select")
    return _option_values(element.get("selected_options"), "the chosen capabilities")


def subcommand(command: Mapping[str, Any]) -> str:
    """The first word after `/token`, lower-cased ('' when there is none)."""
    words = _plain(mapping(command, "the command").get("text")).split()
    return words[0].lower() if words else ""


def form_value(view: Mapping[str, Any], block_id: str) -> str | list[str] | None:
    """What a person entered in one input of a submitted modal (None when left empty)."""
    state = _optional(mapping(view, "view").get("state"), "view.state")
    block = _optional(_optional(state.get("values"), "view.state.values").get(block_id), block_id)
    element = _optional(block.get("value"), block_id)
    if not element:
        return None
    kind = element.get("type")
    if kind == "plain_text_input":
        typed = _plain(element.get("value"))
        return typed.strip() if typed else None
    if kind in {"static_select", "radio_buttons"}:
        chosen = element.get("selected_option")
        return _option_value(chosen, block_id) if chosen else None
    if kind == "multi_static_select":
        return list(_option_values(element.get("selected_options"), block_id))
    if kind == "datepicker":
        picked = element.get("selected_date")
        return _plain(picked) or None
    return None


def _optional(value: object, what: str) -> Mapping[str, Any]:
    """An object that may be absent (None or missing reads as empty), else MalformedPayload."""
    return {} if value is None else mapping(value, what)


def _plain(value: object) -> str:
    """A text field that may be absent; anything but text is malformed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedPayload("a text field holds something else")
    return value


def _option_value(option: object, what: str) -> str:
    return text(mapping(option, what).get("value"), f"{what}: an option's value")


def _option_values(options: object, what: str) -> tuple[str, ...]:
    if options is None:
        return ()
    if not isinstance(options, list):
        raise MalformedPayload(f"{what} is not a list")
    return tuple(_option_value(o, what) for o in options)
