"""Reading Slack payloads: the only module that knows their JSON shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids


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
        data = json.loads(raw)
        return cls(str(data["o"]), str(data.get("q", "")), str(data.get("v", "")))


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


def action_context(body: Mapping[str, Any]) -> ActionContext:
    action = body["actions"][0]
    container = body.get("container") or {}
    raw = action.get("value")
    return ActionContext(
        team_id=str((body.get("team") or {}).get("id") or body["user"].get("team_id", "")),
        user_id=str(body["user"]["id"]),
        channel_id=str(container.get("channel_id") or body["channel"]["id"]),
        message_ts=str(container.get("message_ts") or body["message"]["ts"]),
        button=ButtonValue.decode(raw) if raw else None,
        selected=_selected(body),
    )


def _selected(body: Mapping[str, Any]) -> tuple[str, ...]:
    values = ((body.get("state") or {}).get("values") or {}).get(ids.CAPABILITIES_BLOCK) or {}
    element = values.get(ids.CAPABILITIES_SELECT) or {}
    return tuple(str(o["value"]) for o in element.get("selected_options") or ())


def subcommand(command: Mapping[str, Any]) -> str:
    """The first word after `/token`, lower-cased ('' when there is none)."""
    words = str(command.get("text") or "").split()
    return words[0].lower() if words else ""


def form_value(view: Mapping[str, Any], block_id: str) -> str | list[str] | None:
    """What a person entered in one input of a submitted modal (None when left empty)."""
    element = ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get("value")
    if not element:
        return None
    kind = element.get("type")
    if kind == "plain_text_input":
        text = element.get("value")
        return str(text).strip() if text else None
    if kind in {"static_select", "radio_buttons"}:
        chosen = element.get("selected_option")
        return str(chosen["value"]) if chosen else None
    if kind == "multi_static_select":
        return [str(o["value"]) for o in element.get("selected_options") or ()]
    if kind == "datepicker":
        picked = element.get("selected_date")
        return str(picked) if picked else None
    return None
